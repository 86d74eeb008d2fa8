"""The official @microsoft/signalr JS client (pinned in js/package-lock.json) against the server core."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import TOKEN, MakeServer

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
]

EXPECTED_CHECKS = {
    "start",
    "invoke",
    "error rejects",
    "unexpected error hides internals",
    "unknown method rejects",
    "stream",
    "stream error",
    "stream cancel",
    "server push",
    "client results",
    "automatic reconnect",
    "stop",
}


@pytest.fixture(scope="module")
def js_deps() -> Path:
    """node_modules from the committed lock file (``npm ci`` when missing)."""
    if not (JS_DIR / "node_modules" / "@microsoft" / "signalr").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is present but npm is not"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True, timeout=110
        )
    return JS_DIR


async def test_official_js_client(js_deps: Path, make_server: MakeServer) -> None:
    env = await make_server(keep_alive_interval=0.5)
    assert NODE is not None
    proc = await asyncio.create_subprocess_exec(
        NODE,
        str(js_deps / "check_client.mjs"),
        env.url,
        TOKEN,
        cwd=js_deps,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stdout, stderr = out.decode(), err.decode()
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULTS ")]
    assert proc.returncode == 0 and lines, f"node failed ({proc.returncode}):\n{stdout}\n{stderr}"
    report: dict[str, Any] = json.loads(lines[-1][len("RESULTS ") :])
    assert report["version"].startswith("10."), report["version"]
    results = report["results"]
    failed = [r for r in results if not r["ok"]]
    assert not failed, json.dumps(failed, indent=1) + "\n" + stderr
    for mode in ("negotiate", "skipNegotiation"):
        assert {r["name"] for r in results if r["mode"] == mode} == EXPECTED_CHECKS
    # the server saw two cancelled Ticker streams (one per mode) and every socket is gone
    assert env.state.ticker_cancelled == 2 and env.state.ticker_closed == 2
    assert not env.hub.connections
