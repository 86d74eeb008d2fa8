"""A minimal raw SignalR JSON client for the connection doctor: negotiate, WebSocket, handshake,
invocations and one stream item, with every frame recorded (redacted) for a support ticket.

It speaks the protocol directly (aiohttp), not through the SDK, so the doctor sees exactly what
the server writes before any tolerant reading.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

from mesodesk.core.errors import redact

RS = "\x1e"
INVOCATION, STREAM_ITEM, COMPLETION, STREAM_INVOCATION, CANCEL_INVOCATION, PING, CLOSE = 1, 2, 3, 4, 5, 6, 7


@dataclass
class Frame:
    """One recorded frame: direction (``>`` sent, ``<`` received), time offset (s), redacted text."""

    direction: str
    at: float
    hub: str
    text: str


@dataclass
class Capture:
    """Everything the doctor exchanged, redacted (keys, tokens and ``access_token`` parameters)."""

    started: float = field(default_factory=time.monotonic)
    frames: list[Frame] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def add(self, direction: str, hub: str, text: str) -> None:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "<redacted>")
        self.frames.append(Frame(direction, round(time.monotonic() - self.started, 3), hub, redact(text)))

    def dump(self) -> str:
        return "".join(f"{f.at:8.3f} {f.direction} [{f.hub}] {f.text}\n" for f in self.frames)


class WireError(Exception):
    """A protocol-level failure with a plain-language message."""


class RawHub:
    """One hub connection: ``await open()``, ``invoke``, ``first_item``, ``close``."""

    def __init__(self, session: aiohttp.ClientSession, base: str, path: str, api_key: str, name: str,
                 capture: Capture, timeout: float) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.path = path
        self.api_key = api_key
        self.name = name
        self.capture = capture
        self.timeout = timeout
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._buffer: list[dict[str, Any]] = []
        self.negotiate_status: int | None = None
        self.negotiate_body: Any = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def negotiate(self) -> dict[str, Any]:
        url = f"{self.base}{self.path}/negotiate?negotiateVersion=1"
        self.capture.add(">", self.name, f"POST {url}")
        async with self.session.post(url, headers=self.headers,
                                     timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
            text = await response.text()
            self.negotiate_status = response.status
            self.capture.add("<", self.name, f"HTTP {response.status} {text[:2000]}")
            if response.status != 200:
                raise WireError(f"negotiate answered HTTP {response.status}")
            try:
                body = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                raise WireError("negotiate did not answer JSON (is this a MesoLive server?)") from exc
            self.negotiate_body = body
            return dict(body) if isinstance(body, dict) else {}

    async def open(self, negotiated: dict[str, Any]) -> None:
        token = negotiated.get("connectionToken") or negotiated.get("connectionId")
        scheme = "wss" if self.base.startswith("https") else "ws"
        query = {"id": token} if token else {}
        query["access_token"] = self.api_key
        url = f"{scheme}{self.base[self.base.index(':'):]}{self.path}?{urlencode(query)}"
        self.capture.add(">", self.name, f"WS {url}")
        self.ws = await self.session.ws_connect(url, headers=self.headers, timeout=aiohttp.ClientWSTimeout(
            ws_receive=self.timeout, ws_close=self.timeout), autoping=True)
        await self._send({"protocol": "json", "version": 1})
        reply = await self._receive()
        if reply.get("error"):
            raise WireError(f"handshake refused: {reply['error']}")

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        text = orjson.dumps(message).decode() + RS
        self.capture.add(">", self.name, text.rstrip(RS))
        await self.ws.send_str(text)

    async def _receive(self) -> dict[str, Any]:
        assert self.ws is not None
        while not self._buffer:
            msg = await self.ws.receive(timeout=self.timeout)
            if msg.type == aiohttp.WSMsgType.TEXT:
                data = str(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                data = bytes(msg.data).decode(errors="replace")
            else:
                raise WireError(f"the server closed the connection ({msg.type.name.lower()})")
            for record in data.split(RS):
                if not record:
                    continue
                self.capture.add("<", self.name, record[:20000])
                try:
                    parsed = orjson.loads(record)
                except orjson.JSONDecodeError as exc:
                    raise WireError("a frame is not JSON") from exc
                if isinstance(parsed, dict):
                    self._buffer.append(parsed)
        return self._buffer.pop(0)

    async def _until(self, invocation_id: str, kinds: tuple[int, ...]) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            if asyncio.get_running_loop().time() > deadline:
                raise WireError(f"no answer within {self.timeout:g} s")
            message = await self._receive()
            kind = message.get("type")
            if kind == CLOSE:
                raise WireError(f"the server closed the hub: {message.get('error') or 'no reason given'}")
            if kind in kinds and str(message.get("invocationId")) == invocation_id:
                return message

    async def invoke(self, target: str, args: list[Any]) -> Any:
        """The completion's ``result`` (the MesoLive envelope), or raise :class:`WireError`."""
        invocation_id = str(next(self._ids))
        await self._send({"type": INVOCATION, "invocationId": invocation_id, "target": target, "arguments": args})
        completion = await self._until(invocation_id, (COMPLETION,))
        if completion.get("error"):
            raise WireError(str(completion["error"]))
        return completion.get("result")

    async def first_item(self, target: str, args: list[Any]) -> Any:
        """The first item of a server stream (then cancelled), or raise :class:`WireError`."""
        invocation_id = str(next(self._ids))
        await self._send({"type": STREAM_INVOCATION, "invocationId": invocation_id, "target": target,
                          "arguments": args})
        message = await self._until(invocation_id, (STREAM_ITEM, COMPLETION))
        if message.get("type") == COMPLETION:
            raise WireError(str(message.get("error") or "the stream ended without an item"))
        await self._send({"type": CANCEL_INVOCATION, "invocationId": invocation_id})
        return message.get("item")

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
