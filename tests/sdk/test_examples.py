"""Each example runs end to end: offline (its own in-process simulator) and against a given server."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from mesodesk.examples import connect_and_list, paper_trade, stream_position

EXAMPLES = ["connect_and_list", "stream_position", "paper_trade"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_offline_as_a_module(name: str) -> None:
    args = ["--count", "2"] if name == "stream_position" else []
    proc = subprocess.run([sys.executable, "-m", f"mesodesk.examples.{name}", *args],
                          capture_output=True, text=True, timeout=90, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "offline: in-process simulator" in proc.stdout


async def test_examples_against_a_running_server(simulator: Any, api_key: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MESOLIVE_TEST_KEY", api_key)
    common = ["--server", simulator.url, "--api-key-env", "MESOLIVE_TEST_KEY"]
    assert await connect_and_list.main(common) == 0
    out = capsys.readouterr().out
    assert "account  ML10001" in out and "offline" not in out
    assert await stream_position.main([*common, "--count", "2", "--position-id", "1"]) == 0
    assert capsys.readouterr().out.count("position #1 @") == 2
    assert await paper_trade.main(common) == 0
    out = capsys.readouterr().out
    assert "OnPositionEntryPreparationCompleted" in out and "OnOrderUpdate" in out
    assert "filled leg group" in out and "Open" in out
