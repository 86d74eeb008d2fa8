"""A bare aiohttp SignalR client (no SDK) and a background event loop for hypothesis tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp
import orjson

RS = b"\x1e"
HANDSHAKE = b'{"protocol":"json","version":1}\x1e'
T = TypeVar("T")


class Closed(Exception):
    """The server closed the socket (``close_message`` holds its Close message, if any)."""

    def __init__(self, close_message: dict[str, Any] | None) -> None:
        super().__init__(repr(close_message))
        self.close_message = close_message


class RawClient:
    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.ws = ws
        self.buffer: list[dict[str, Any]] = []
        self.partial = b""
        self.ids = itertools.count(1)
        self.close_message: dict[str, Any] | None = None

    @classmethod
    async def connect(cls, base_url: str, hub: str, token: str | None, *, handshake: bool = True,
                      session: aiohttp.ClientSession | None = None, max_msg_size: int = 64 << 20) -> RawClient:
        own = session is None
        session = session or aiohttp.ClientSession()
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with session.post(f"{base_url}{hub}/negotiate?negotiateVersion=1", headers=headers) as r:
                r.raise_for_status()
                conn_token = (await r.json())["connectionToken"]
            ws = await session.ws_connect(f"{base_url}{hub}?id={conn_token}", headers=headers,
                                          max_msg_size=max_msg_size, autoping=True)
        except BaseException:
            if own:
                await session.close()
            raise
        client = cls(session, ws)
        client._own = own  # type: ignore[attr-defined]
        if handshake:
            await ws.send_str(HANDSHAKE.decode())
            first = await client.recv(5.0)
            assert first == {}, first
        return client

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, aiohttp.ClientError):
            await self.ws.close()
        if getattr(self, "_own", False):
            await self.session.close()

    async def send_raw(self, data: bytes | str, binary: bool = False) -> None:
        if binary:
            await self.ws.send_bytes(data if isinstance(data, bytes) else data.encode())
        else:
            await self.ws.send_str(data if isinstance(data, str) else data.decode("utf-8", "replace"))

    async def send(self, *msgs: dict[str, Any]) -> None:
        await self.ws.send_str(b"".join(orjson.dumps(m) + RS for m in msgs).decode())

    async def recv(self, timeout: float = 5.0, skip_pings: bool = True) -> dict[str, Any]:
        """The next message; raises Closed when the socket closes, TimeoutError after ``timeout``."""
        async with asyncio.timeout(timeout):
            while True:
                while self.buffer:
                    m = self.buffer.pop(0)
                    if m.get("type") == 7:
                        self.close_message = m
                    if not (skip_pings and m.get("type") == 6):
                        return m
                msg = await self.ws.receive()
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                    parts = (self.partial + data).split(RS)
                    self.partial = parts.pop()
                    self.buffer.extend(orjson.loads(p) for p in parts if p)
                else:
                    raise Closed(self.close_message)

    async def invoke(self, target: str, *args: Any, timeout: float = 10.0) -> dict[str, Any]:
        """Send an Invocation and return its Completion (other messages are skipped)."""
        inv_id = f"r{next(self.ids)}"
        await self.send({"type": 1, "invocationId": inv_id, "target": target, "arguments": list(args)})
        return await self.completion(inv_id, timeout)

    async def completion(self, inv_id: str, timeout: float = 10.0) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            m = await self.recv(max(0.01, deadline - loop.time()))
            if m.get("type") == 3 and m.get("invocationId") == inv_id:
                return m
            if m.get("type") == 7:
                raise Closed(m)

    async def drain_until_closed_or_quiet(self, quiet: float = 0.05, limit: float = 3.0) -> bool:
        """Read until the socket closes (True) or nothing arrives for ``quiet`` seconds (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            try:
                await self.recv(quiet)
            except TimeoutError:
                return False
            except (Closed, ConnectionError, aiohttp.ClientError):
                return True
        return False


class LoopThread:
    """An asyncio loop in a daemon thread: synchronous hypothesis tests submit coroutines to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_all(), 10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
