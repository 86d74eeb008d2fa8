"""Each example runs end to end: offline (its own in-process simulator) and against a given server.

The five documented workflows (docs/workflows/):

1. ``connect_and_list``: list agents, accounts, strategies, positions
2. ``stream_position``: stream a position's live data
3. ``paper_trade``: paper entry: prepare, paper-fill at mid, watch the events
4. ``signal_exit``: a signal-driven exit that survives dropped connections (and a repeat)
5. ``event_logger``: an event log with a persisted cursor: every event once across restarts
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mesodesk.examples import connect_and_list, paper_trade, stream_position

EXAMPLES = ["connect_and_list", "stream_position", "paper_trade", "signal_exit", "event_logger"]


def missing_sdk_features(name: str) -> list[str]:
    """The SDK features example ``name`` is written against that the SDK does not have yet."""
    import mesodesk.sdk as sdk
    from mesodesk.contract import AgentStatus, AgentStatusEvent

    missing = []
    if name in ("signal_exit", "event_logger"):
        sample = AgentStatusEvent(event_time=datetime.now(UTC), status=AgentStatus.Connected, message="")
        if not hasattr(sample, "replayed"):
            missing.append("the event.replayed marker")
    if name == "signal_exit" and not hasattr(sdk, "DuplicateRequestError"):
        missing.append("mesodesk.sdk.DuplicateRequestError")
    return missing


def skip_unless_ready(name: str) -> None:
    missing = missing_sdk_features(name)
    if missing:
        pytest.skip(f"examples/{name}.py needs {', '.join(missing)}, not in the SDK yet")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs_offline_as_a_module(name: str, tmp_path: Path) -> None:
    skip_unless_ready(name)
    args = {"stream_position": ["--count", "2"],
            "event_logger": ["--log", str(tmp_path / "events.jsonl"), "--seconds", "0.5"]}.get(name, [])
    proc = subprocess.run([sys.executable, "-m", f"mesodesk.examples.{name}", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "offline: in-process simulator" in out
    if name == "signal_exit":
        assert "exit signal On for position #" in out
        assert out.count("dropping every connection") == 2
        assert "already done: the server answered StartPreparePositionExit" in out
        assert "already done: the server answered ApplyPaperFills" in out
        assert out.rstrip().splitlines()[-1].split(";")[0].endswith("Closed")
    if name == "event_logger":
        assert out.count("run: wrote") == 3 and "each exactly once" in out
        seqs = [json.loads(line)["EventSeqId"] for line in (tmp_path / "events.jsonl").read_text().splitlines()]
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 4


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


async def test_event_logger_resumes_across_runs_against_a_server(simulator: Any, api_key: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs against one server with events in between: the log has each event once."""
    skip_unless_ready("event_logger")
    event_logger = importlib.import_module("mesodesk.examples.event_logger")
    monkeypatch.setenv("MESOLIVE_TEST_KEY", api_key)
    log = tmp_path / "events.jsonl"
    common = ["--server", simulator.url, "--api-key-env", "MESOLIVE_TEST_KEY", "--log", str(log), "--seconds", "0.3"]
    assert await event_logger.main(common) == 0
    first = log.read_text().splitlines() if log.exists() else []
    assert await paper_trade.main(common[:4]) == 0  # events while the logger is stopped
    assert await event_logger.main(common) == 0
    lines = log.read_text().splitlines()
    seqs = [json.loads(line)["EventSeqId"] for line in lines]
    assert len(lines) > len(first) and seqs == sorted(set(seqs))
    assert seqs == list(range(seqs[0], seqs[-1] + 1))
    assert json.loads((tmp_path / "events.cursor.json").read_text())["LastEventSeqId"] == seqs[-1]
    capsys.readouterr()
