"""The SignalR negotiate request (``POST <hub>/negotiate``), over aiohttp.

Imported only when a connection negotiates: a connection made with ``skip_negotiation``
(the embedded simulator, which we control) never imports aiohttp. Behaves as pysignalr
1.3's ``WebsocketTransport._negotiate``, whose errors :mod:`.diagnose` explains.
"""

from __future__ import annotations

import logging
import ssl
from http import HTTPStatus

from aiohttp import ClientSession, ClientTimeout, CookieJar, TCPConnector
from pysignalr.exceptions import AuthorizationError, ServerError
from pysignalr.exceptions import ConnectionError as PySignalRConnectionError
from pysignalr.utils import get_connection_url, get_negotiate_url, replace_scheme
from yarl import URL

log = logging.getLogger("mesodesk.sdk")


async def negotiate(url: str, headers: dict[str, str], timeout: float, ssl_context: ssl.SSLContext | None) -> str:
    """Negotiate with the hub at ``url``; returns the WebSocket URL to connect to.

    ``headers`` (sent with the request) are updated for the upgrade: an Azure SignalR access
    token, and the cookies the server set (after a ``Cookie`` header given by the caller)."""
    static_cookie = headers.get("Cookie")
    cookie_jar = CookieJar()
    connector = TCPConnector(ssl=ssl_context) if ssl_context is not None else None
    session = ClientSession(timeout=ClientTimeout(connect=timeout), connector=connector)
    async with session, session.post(get_negotiate_url(url), headers=headers) as response:
        if response.status == HTTPStatus.OK:
            data = await response.json()
            for hop in (*response.history, response):
                cookie_jar.update_cookies(hop.cookies, hop.url)
        elif response.status == HTTPStatus.UNAUTHORIZED:
            raise AuthorizationError
        else:
            raise PySignalRConnectionError(response.status)

    connection_id, redirect, access_token = data.get("connectionId"), data.get("url"), data.get("accessToken")
    if connection_id:
        ws_url = get_connection_url(url, connection_id)
    elif redirect and access_token:  # Azure SignalR Service
        ws_url = replace_scheme(redirect, ws=True)
        headers["Authorization"] = f"Bearer {access_token}"
    else:
        raise ServerError(str(data))
    log.debug("negotiated with %s", get_negotiate_url(url))

    cookies = [f"{c.key}={c.coded_value}" for c in cookie_jar.filter_cookies(URL(ws_url)).values()]
    if static_cookie:
        cookies.insert(0, static_cookie)
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    else:
        headers.pop("Cookie", None)
    return ws_url
