"""``mesodesk doctor`` against the real simulator (in the CI dialect), a closed port, a wrong key,
a bad URL, and a relay that breaks the answers: every verdict names what is wrong."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from mesodesk.core.doctor import Verdict, run_doctor
from mesodesk.doctor_cli import main as doctor_main
from mesodesk.sim.dialect import WireDialect
from mesodesk.sim.server import SimulatorServer

KEY = "doctor-test-key-0123456789"


@pytest.fixture
async def server(tmp_path: Path) -> Any:
    s = SimulatorServer(tmp_path / "sim", KEY, seed=3, wire_dialect=WireDialect.from_env())
    await s.start(port=0)
    yield s
    await s.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_all_green_against_the_simulator(server: SimulatorServer) -> None:
    seen: list[str] = []
    report = await run_doctor(server.url, KEY, progress=lambda c: seen.append(c.name))
    lines = [c.line() for c in report.checks]
    assert not report.blocked and report.exit_code == 0, lines
    assert all(c.verdict in (Verdict.OK, Verdict.SKIP) for c in report.checks), lines
    names = {c.name for c in report.checks}
    for wanted in ("DNS", "TCP", "control hub: negotiate", "data hub: connect", "ListPositions", "GetPosition",
                   "StreamPositionData", "GetEventsSince"):
        assert wanted in names
    assert seen == [c.name for c in report.checks]  # progress reported each check as it finished
    # the capture has the frames, and never the key
    dump = report.capture.dump()
    assert "ListPositions" in dump and KEY not in dump


async def test_a_wrong_key_blocks_with_a_plain_sentence(server: SimulatorServer) -> None:
    report = await run_doctor(server.url, "not-the-key-0123456789")
    assert report.blocked and report.exit_code == 1
    failed = [c for c in report.checks if c.verdict is Verdict.FAIL]
    assert failed and all("rejected the API key (401)" in c.detail for c in failed)


async def test_unreachable_servers_and_bad_urls() -> None:
    report = await run_doctor(f"http://127.0.0.1:{closed_port()}", KEY, timeout=3)
    assert report.blocked and report.checks[-1].name == "TCP"
    assert "connection refused" in report.checks[-1].detail
    report = await run_doctor("http://[::1", KEY)
    assert report.blocked and report.checks[0].name == "URL"
    report = await run_doctor("http://127.0.0.1:99999", KEY)
    assert report.blocked and "port" in report.checks[0].detail.lower()
    report = await run_doctor("ftp://example.com", KEY)
    assert report.blocked and "http(s)://" in report.checks[0].detail
    report = await run_doctor("http://no-such-host.invalid", KEY, timeout=5)
    assert report.blocked and report.checks[-1].name == "DNS"


async def test_a_wrong_path_is_named(server: SimulatorServer) -> None:
    report = await run_doctor(server.url + "/api", KEY)
    assert report.blocked
    assert any("no hub at" in c.detail and "(404)" in c.detail for c in report.checks)


def test_the_command_line_prints_one_line_per_check_and_exits_with_the_verdict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MISSING_KEY_VAR", "")
    assert doctor_main(["--server", "http://127.0.0.1:1", "--api-key-env", "MISSING_KEY_VAR"]) == 2
    assert "MISSING_KEY_VAR is empty or not set" in capsys.readouterr().err
    monkeypatch.setenv("DOCTOR_KEY", KEY)
    port = closed_port()
    capture = tmp_path / "frames.txt"
    assert doctor_main(["--server", f"http://127.0.0.1:{port}", "--api-key-env", "DOCTOR_KEY",
                        "--capture", str(capture), "--timeout", "3"]) == 1
    out = capsys.readouterr().out
    assert "✗ TCP" in out and "Traceback" not in out and "Trading is blocked" in out
    assert capture.exists()


def test_broken_answers_name_the_field(tmp_path: Path) -> None:
    """A relay removes a required field and renames an enum value: the doctor names both paths
    and says trading is blocked."""
    import orjson

    from tests.sdk.relay import RS, Dialect, RewritingRelay

    def break_it(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: break_it(v) for k, v in value.items() if k != "CreatedAt"}
            if out.get("State") == "Open":
                out["State"] = "Opened"  # a value the contract does not know
            return out
        if isinstance(value, list):
            return [break_it(v) for v in value]
        return value

    class BreakingRelay(RewritingRelay):
        def rewrite_frame(self, text: str, conn: Any) -> str:
            records = [r for r in super().rewrite_frame(text, conn).split(RS) if r]
            return RS.join(orjson.dumps(break_it(orjson.loads(r))).decode() for r in records) + RS

    async def scenario() -> list[Any]:
        server = SimulatorServer(tmp_path / "sim", KEY, seed=3)
        await server.start(port=0)
        try:
            async with BreakingRelay(server.url, Dialect.identity()) as relay:
                report = await run_doctor(relay.url, KEY)
        finally:
            await server.stop()
        assert report.blocked and report.exit_code == 1
        return report.checks

    checks = {c.name: c for c in asyncio.run(scenario())}
    positions = checks["ListPositions"]
    assert positions.verdict is Verdict.FAIL
    assert "ListPositions.Items[0].CreatedAt: missing" in positions.detail
    assert "ListPositions.Items[0].State: LivePositionState value 'Opened': unknown member" in positions.detail
    assert checks["ListAccounts"].verdict is Verdict.FAIL and "CreatedAt: missing" in checks["ListAccounts"].detail
