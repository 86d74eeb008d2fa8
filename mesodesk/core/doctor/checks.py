"""The connection doctor: every step between this machine and a MesoLive server, checked in order,
one plain-language verdict per step.

URL → DNS → TCP → TLS → per hub: negotiate (auth), WebSocket + handshake → the read-only methods
of each hub and one item of a stream, each answer checked field by field against our models
(:func:`mesodesk.contract.wire_check.check_payload`: what stays wrong after tolerant reading, plus
what dialect the server writes). A failure that blocks trading makes :attr:`DoctorReport.blocked`
true (the CLI exits 1).
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from mesodesk.contract import (
    HUB_PATHS,
    GetEventsSinceArgs,
    GetEventsSinceResult,
    GetLatestEventSeqIdArgs,
    GetLatestEventSeqIdResult,
    GetPositionArgs,
    ListAccountsArgs,
    ListAccountsResult,
    ListAgentsArgs,
    ListAgentsResult,
    ListExecutionsArgs,
    ListExecutionsResult,
    ListLegsArgs,
    ListLegsResult,
    ListOrdersArgs,
    ListOrdersResult,
    ListPositionsArgs,
    ListPositionsResult,
    ListStrategiesArgs,
    ListStrategiesResult,
    LiveDataInclude,
    LivePositionDetails,
    PositionDataEntry,
    StreamPositionDataArgs,
    WireModel,
    to_wire,
)
from mesodesk.contract.wire_check import Finding, check_payload
from mesodesk.core.doctor.wire import Capture, RawHub, WireError


class Verdict(StrEnum):
    OK = "ok"
    NOTE = "note"  # informational (e.g. the dialect the server writes)
    WARN = "warn"  # works, but something is off
    FAIL = "fail"
    SKIP = "skip"


MARK = {Verdict.OK: "✓", Verdict.NOTE: "·", Verdict.WARN: "!", Verdict.FAIL: "✗", Verdict.SKIP: "–"}


@dataclass
class Check:
    name: str
    verdict: Verdict
    detail: str = ""
    #: True when this failure stops the console from trading
    blocking: bool = False
    findings: list[Finding] = field(default_factory=list)

    def line(self) -> str:
        return f"{MARK[self.verdict]} {self.name:<28} {self.detail}".rstrip()


@dataclass
class DoctorReport:
    url: str
    checks: list[Check] = field(default_factory=list)
    capture: Capture = field(default_factory=Capture)

    @property
    def blocked(self) -> bool:
        return any(c.verdict is Verdict.FAIL and c.blocking for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 1 if self.blocked else 0

    def summary(self) -> str:
        fails = sum(c.verdict is Verdict.FAIL for c in self.checks)
        warns = sum(c.verdict is Verdict.WARN for c in self.checks)
        if self.blocked:
            return f"Trading is blocked: {fails} check(s) failed, {warns} warning(s)."
        if fails or warns:
            return f"Connected, with {fails} failed check(s) and {warns} warning(s) that do not block trading."
        return "All checks passed: the console can trade on this server."


Progress = Callable[[Check], None]


def _describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"the name does not resolve ({exc.strerror or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: nothing listens on that port"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer (timed out): a firewall, a wrong port, or the server is down"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate is not trusted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc}"


class Doctor:
    def __init__(self, url: str, api_key: str, *, timeout: float = 10.0, progress: Progress | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.progress = progress or (lambda _check: None)
        self.report = DoctorReport(self.url)
        self.report.capture.secrets.append(api_key)

    def add(self, check: Check) -> Check:
        self.report.checks.append(check)
        self.progress(check)
        return check

    # -- network -------------------------------------------------------------------------------
    async def run(self) -> DoctorReport:
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError as exc:
            self.add(Check("URL", Verdict.FAIL, f"{self.url}: {exc}", blocking=True))
            return self.report
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.add(Check("URL", Verdict.FAIL, f"{self.url}: use http(s)://HOST[:PORT]", blocking=True))
            return self.report
        host = parts.hostname
        port = port or (443 if parts.scheme == "https" else 80)
        self.add(Check("URL", Verdict.OK, f"{parts.scheme}://{host}:{port}"))
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), self.timeout)
        except (OSError, TimeoutError) as exc:
            self.add(Check("DNS", Verdict.FAIL, f"{host}: {_describe_os_error(exc)}", blocking=True))
            return self.report
        addresses = sorted({str(info[4][0]) for info in infos})
        self.add(Check("DNS", Verdict.OK, f"{host} → {', '.join(addresses[:3])}"))
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self.timeout)
            writer.close()
        except (OSError, TimeoutError) as exc:
            self.add(Check("TCP", Verdict.FAIL, f"{host}:{port}: {_describe_os_error(exc)}", blocking=True))
            return self.report
        self.add(Check("TCP", Verdict.OK, f"{host}:{port} accepts connections"))
        if parts.scheme == "https":
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=ssl.create_default_context(), server_hostname=host),
                    self.timeout)
                cert = writer.get_extra_info("peercert") or {}
                writer.close()
            except (OSError, TimeoutError) as exc:
                self.add(Check("TLS", Verdict.FAIL, _describe_os_error(exc), blocking=True))
                return self.report
            subject = dict(x[0] for x in cert.get("subject", ()) if x)
            self.add(Check("TLS", Verdict.OK, f"certificate for {subject.get('commonName', host)}, "
                                              f"valid until {cert.get('notAfter', '?')}"))
        async with aiohttp.ClientSession() as http:
            hubs: dict[str, RawHub] = {}
            started: list[RawHub] = []  # closed below, also one cancelled half-way through opening its socket
            try:
                for name, path in HUB_PATHS.items():
                    hub = RawHub(http, self.url, path, self.api_key, name, self.report.capture, self.timeout)
                    started.append(hub)
                    if await self._connect(hub, name, path):
                        hubs[name] = hub
                if "control" in hubs:
                    await self._control(hubs["control"], hubs.get("data"))
                if "event" in hubs:
                    await self._events(hubs["event"])
            finally:
                for hub in started:
                    await hub.close()
        return self.report

    async def _connect(self, hub: RawHub, name: str, path: str) -> bool:
        """Negotiate and open ``hub``; False (and the failure checked) when it cannot be used."""
        try:
            negotiated = await hub.negotiate()
        except WireError as exc:
            status = hub.negotiate_status
            if status == 401:
                detail = "the server rejected the API key (401)"
            elif status == 403:
                detail = "the API key is not allowed to use this hub (403)"
            elif status == 404:
                detail = f"no hub at {path} (404): is the URL the MesoLive server's root?"
            else:
                detail = str(exc)
            self.add(Check(f"{name} hub: negotiate", Verdict.FAIL, detail, blocking=True))
            return False
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.add(Check(f"{name} hub: negotiate", Verdict.FAIL, _describe_os_error(exc), blocking=True))
            return False
        transports = [t.get("transport") for t in negotiated.get("availableTransports") or [] if isinstance(t, dict)]
        if transports and "WebSockets" not in transports:
            self.add(Check(f"{name} hub: negotiate", Verdict.FAIL,
                           f"WebSockets not offered (only {', '.join(map(str, transports))})", blocking=True))
            return False
        self.add(Check(f"{name} hub: negotiate", Verdict.OK, "API key accepted"))
        try:
            await hub.open(negotiated)
        except (WireError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self.add(Check(f"{name} hub: connect", Verdict.FAIL, f"WebSocket: {exc}", blocking=True))
            return False
        self.add(Check(f"{name} hub: connect", Verdict.OK, "WebSocket open, JSON protocol v1"))
        return True

    # -- answers ---------------------------------------------------------------------------------
    async def _call(self, hub: RawHub, method: str, args: WireModel, result: Any, *,
                    blocking: bool) -> Any:
        """Invoke, check the envelope and its data; returns the raw data (or None)."""
        name = f"{method}"
        try:
            raw = await hub.invoke(method, [to_wire(args)])
        except WireError as exc:
            self.add(Check(name, Verdict.FAIL, str(exc), blocking=blocking))
            return None
        if not isinstance(raw, dict):
            self.add(Check(name, Verdict.FAIL, f"the answer is not a MesoLive envelope: {str(raw)[:80]!r}",
                           blocking=blocking))
            return None
        status = _field(raw, "Status")
        if str(status).lower() not in ("success", "0"):
            message = _field(raw, "Message") or ""
            self.add(Check(name, Verdict.FAIL, f"the server answered {status}: {message}".rstrip(": "),
                           blocking=blocking))
            return None
        data = _field(raw, "Data")
        self._verdict(name, check_payload(result, data, method), blocking)
        return data

    def _verdict(self, name: str, findings: list[Finding], blocking: bool) -> None:
        """FAIL for what the SDK cannot read, WARN for what it reads without understanding (an
        unknown enum member or field), OK otherwise; dialect notes are shown as they are."""
        errors = [f for f in findings if f.severity == "error"]
        warnings = [f for f in findings if f.severity == "warning"]
        notes = sorted({f.got for f in findings if f.severity == "info"})
        dialect = f" · server writes {', '.join(notes)}" if notes else ""
        shown = _grouped(errors + warnings)
        if shown:
            detail = "; ".join(shown[:6]) + (f" (+{len(shown) - 6} more)" if len(shown) > 6 else "")
            self.add(Check(name, Verdict.FAIL if errors else Verdict.WARN, detail + dialect,
                           blocking=blocking and bool(errors), findings=findings))
        else:
            self.add(Check(name, Verdict.OK, f"read as expected{dialect}", findings=findings))

    async def _control(self, control: RawHub, data: RawHub | None) -> None:
        await self._call(control, "ListAgents", ListAgentsArgs(), ListAgentsResult, blocking=False)
        await self._call(control, "ListAccounts", ListAccountsArgs(limit=20), ListAccountsResult, blocking=True)
        await self._call(control, "ListStrategies", ListStrategiesArgs(limit=20), ListStrategiesResult, blocking=False)
        positions = await self._call(control, "ListPositions", ListPositionsArgs(limit=50), ListPositionsResult,
                                     blocking=True)
        items = _field(positions, "Items") or []
        open_ids = [_field(p, "Id") for p in items if str(_field(p, "State")).lower() in ("open", "0")]
        any_id = open_ids[0] if open_ids else (_field(items[0], "Id") if items else None)
        if any_id is not None:
            await self._call(control, "GetPosition", GetPositionArgs(position_id=int(any_id)), LivePositionDetails,
                             blocking=True)
        else:
            self.add(Check("GetPosition", Verdict.SKIP, "no position on this server to read"))
        await self._call(control, "ListLegs", ListLegsArgs(limit=20), ListLegsResult, blocking=False)
        await self._call(control, "ListOrders", ListOrdersArgs(limit=20), ListOrdersResult, blocking=False)
        await self._call(control, "ListExecutions", ListExecutionsArgs(limit=20), ListExecutionsResult,
                         blocking=False)
        if data is None:
            return
        if not open_ids:
            self.add(Check("StreamPositionData", Verdict.SKIP, "no open position to stream"))
            return
        args = StreamPositionDataArgs(position_id=int(open_ids[0]), include_position=LiveDataInclude.All,
                                      include_legs=LiveDataInclude.All, include_leg_groups=LiveDataInclude.All)
        try:
            item = await data.first_item("StreamPositionData", [to_wire(args)])
        except WireError as exc:
            self.add(Check("StreamPositionData", Verdict.FAIL, str(exc), blocking=True))
            return
        self._verdict("StreamPositionData", check_payload(PositionDataEntry, item, "StreamPositionData"),
                      blocking=True)

    async def _events(self, events: RawHub) -> None:
        latest = await self._call(events, "GetLatestEventSeqId", GetLatestEventSeqIdArgs(),
                                  GetLatestEventSeqIdResult, blocking=True)
        seq = _field(latest, "LatestEventSeqId")
        since = max(int(seq) - 20, 0) if isinstance(seq, int | float | str) and str(seq).lstrip("-").isdigit() else 0
        await self._call(events, "GetEventsSince", GetEventsSinceArgs(since_event_seq_id=since, limit=20),
                         GetEventsSinceResult, blocking=True)


def _grouped(findings: list[Finding]) -> list[str]:
    """One text per problem and path pattern (list indexes aside), the first path shown and the
    count: ``ListPositions.Items[0].CreatedAt: missing (4×)``."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        pattern = re.sub(r"\[\d+\]", "[*]", f.path)
        groups.setdefault((pattern, f.problem), []).append(f)
    return [_finding_text(group[0]) + (f" ({len(group)}×)" if len(group) > 1 else "") for group in groups.values()]


def _finding_text(f: Finding) -> str:
    """``ListPositions.Items[0].RealizedPnL: missing`` / ``… State: unknown enum member 9``."""
    if f.problem == "missing":
        return f"{f.path}: missing"
    if f.problem == "unknown enum member":
        return f"{f.path}: {f.expected.removeprefix('a member of ')} value {f.got}: unknown member"
    if f.problem == "unknown field":
        return f"{f.path}: unknown field (ignored)"
    return f"{f.path}: {f.problem} (expected {f.expected}, got {f.got})"


def _field(obj: Any, name: str) -> Any:
    """A property of a raw JSON object whatever its case (PascalCase, camelCase, snake_case)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    wanted = name.lower()
    for key, value in obj.items():
        if isinstance(key, str) and key.replace("_", "").lower() == wanted:
            return value
    return None


async def run_doctor(url: str, api_key: str, *, timeout: float = 10.0, progress: Progress | None = None) -> DoctorReport:
    """Run every check against ``url``; never raises for a network or protocol failure."""
    doctor = Doctor(url, api_key, timeout=timeout, progress=progress)
    try:
        return await doctor.run()
    except (aiohttp.ClientError, OSError, TimeoutError, WireError) as exc:
        doctor.add(Check("connection", Verdict.FAIL, _describe_os_error(exc), blocking=True))
        return doctor.report
