"""A client that stops reading (and sending) is dropped after the client timeout, not held forever."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson

from mesodesk.sim.signalr import Hub, ServerConnection, SignalRServer


async def test_client_that_stops_reading_is_dropped() -> None:
    hub = Hub("flood")

    @hub.stream("Flood")
    async def flood(conn: ServerConnection) -> object:
        payload = "x" * 4000
        while True:
            yield payload

    server = SignalRServer(keep_alive_interval=0.2, client_timeout=1.0)
    server.add_hub("/hubs/flood", hub)
    await server.start(port=0)
    try:
        url = server.url.replace("http", "ws") + "/hubs/flood"
        async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:
            await ws.send_str('{"protocol":"json","version":1}\x1e')
            await ws.receive()
            await ws.send_str(orjson.dumps({"type": 4, "invocationId": "1", "target": "Flood",
                                            "arguments": []}).decode() + "\x1e")
            # never read again: the server's socket buffers fill and its writes stall
            for _ in range(100):
                await asyncio.sleep(0.1)
                if not server.connections:
                    break
            assert not server.connections, "a client that stopped reading is still connected"
    finally:
        await server.stop()


async def test_empty_handshake_is_rejected_at_once() -> None:
    server = SignalRServer(handshake_timeout=15.0)
    server.add_hub("/hubs/h", Hub("h"))
    await server.start(port=0)
    try:
        url = server.url.replace("http", "ws") + "/hubs/h"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_str("\x1e")
            msg = await asyncio.wait_for(ws.receive(), 3)
            assert msg.type == aiohttp.WSMsgType.TEXT and "error" in msg.data
    finally:
        await server.stop()
