"""The connection supervisor: :class:`SignalRConnection` (lifecycle, reconnects with backoff,
the server-timeout watchdog, invocations, streams and ordered server->client dispatch)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import ssl as ssl_module
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from pysignalr.messages import (
    CancelInvocationMessage,
    CompletionMessage,
    InvocationMessage,
    JSONMessage,
    Message,
)

from mesodesk.sdk.redaction import redact

from .diagnose import connect_error, is_connection_closed, is_permanent
from .errors import (
    ConnectionLostError,
    ConnectTimeoutError,
    InvocationTimeout,
    NotConnectedError,
    SignalRInvocationError,
)
from .policy import (
    _IN_CONNECTED_CALLBACK,
    ConnectionState,
    _describe,
    _maybe_await,
    default_backoff,
    is_read_method,
)
from .stream import SignalRStream
from .transport import CLOSE_GRACE, _Client

__all__ = ["SignalRConnection"]

log = logging.getLogger("mesodesk.sdk")

DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
_STABLE_AFTER = 1.0  # a connection shorter than this does not reset the backoff


Handler = Callable[..., Any]
StateListener = Callable[[ConnectionState], Any]
ConnectedCallback = Callable[[], Any]
TokenFactory = Callable[[], "str | Awaitable[str]"]


class SignalRConnection:
    """A self-healing SignalR hub connection.

    Lifecycle: ``await start()`` -> automatic reconnects forever -> ``await stop()``.

    * ``start()`` returns once the first connection is open and every ``on_connected``
      callback has run. It fails at once when retrying cannot help: :class:`SignalRAuthError`
      (HTTP 401/403, ``.status``), :class:`HubNotFoundError` (negotiate 404/405/501),
      :class:`SignalRTLSError` (untrusted certificate, or not TLS at all) and
      :class:`HostNotFoundError`. Otherwise (refused, timeouts, temporary DNS failures, HTTP
      5xx) attempts are retried with backoff and it raises :class:`ConnectTimeoutError` after
      ``timeout`` (default ``connect_timeout``), whose message says what the last attempt hit
      and whose ``last_error``/``__cause__`` is that attempt's error. Attempt failures are
      not logged above INFO meanwhile (the exception says it). On failure the supervisor is
      stopped, unless ``retry_in_background=True``: then it keeps trying (watch ``state``;
      the first failure of each kind is logged as one WARNING line) and the caller must
      ``stop()`` eventually.
    * Reads (``Get*``/``List*`` methods) called while the connection is (re)connecting wait
      for it, within their timeout, and a read that was in flight when the connection
      dropped is sent again after the reconnect (``wait_for_reconnect``: ``True`` = up to
      the call's timeout, a number = at most that many seconds, ``False`` = fail at once).
      Other calls raise :class:`NotConnectedError` immediately while not connected: a write
      is never delayed or resent behind the caller's back.
    * A reconnect is a new SignalR connection (new id, server-side groups lost): use
      ``on_connected`` to resubscribe/replay. Callbacks run on every (re)connect, after the
      state became ``Connected`` (so they may invoke; their calls never wait nor resend) and,
      the first time, before ``start()`` returns. In-flight calls of a dropped connection
      fail with ConnectionLostError (reads: resent, see above); streams end with it unless
      they were opened with ``resume=True``.
    * The server is considered dead when nothing (not even a ping) arrived for
      ``server_timeout``; we ping every ``keep_alive_interval``.
    * ``skip_negotiation=True`` opens the WebSocket without the negotiate request (SignalR's
      ``skipNegotiation``): only for a server known to accept it, e.g. the embedded simulator.
    """

    def __init__(
        self,
        url: str,
        *,
        access_token_factory: TokenFactory | None = None,
        headers: dict[str, str] | None = None,
        invoke_timeout: float = 30.0,
        server_timeout: float = 30.0,
        keep_alive_interval: float = 15.0,
        reconnect_backoff: Callable[[int], float] = default_backoff,
        connect_timeout: float = 10.0,
        ssl: ssl_module.SSLContext | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        wait_for_reconnect: bool | float = True,
        skip_negotiation: bool = False,
    ) -> None:
        self.url = url
        self.wait_for_reconnect = wait_for_reconnect
        self._token_factory = access_token_factory
        self._headers = dict(headers or {})
        self._invoke_timeout = invoke_timeout
        self._server_timeout = server_timeout
        self._keep_alive_interval = keep_alive_interval
        self._backoff = reconnect_backoff
        self._connect_timeout = connect_timeout
        self._ssl = ssl
        self._max_message_size = max_message_size
        self._skip_negotiation = skip_negotiation

        self._state = ConnectionState.DISCONNECTED
        self._state_listeners: list[StateListener] = []
        self._connected_callbacks: list[ConnectedCallback] = []
        self._handlers: dict[str, list[Handler]] = {}
        self._client: _Client | None = None
        self._open = False
        self._generation = 0
        self._ids = itertools.count(1)
        self._pending: dict[str, tuple[asyncio.Future[Any], int]] = {}
        self._streams: weakref.WeakValueDictionary[str, SignalRStream] = weakref.WeakValueDictionary()
        self._bg: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._dispatch_q: asyncio.Queue[tuple[_Client | None, InvocationMessage | asyncio.Future[None]]] | None = None
        self._first: asyncio.Future[None] | None = None
        self._fail_fast = True
        self._opened = asyncio.Event()  # set while a connection is open (or the client stopped)
        self._logged_failure: str | None = None  # the attempt failure last logged (repeats go to DEBUG)
        self.last_error: BaseException | None = None
        self.connection_count = 0  # successful connections so far (1 after start())

    # --- observation ---------------------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._open

    def add_state_listener(self, cb: StateListener) -> Callable[[], None]:
        """``cb(state)`` on every change (sync; an awaitable result is scheduled). Returns a remover."""
        self._state_listeners.append(cb)
        return lambda: self._remove(self._state_listeners, cb)

    def on_connected(self, cb: ConnectedCallback) -> Callable[[], None]:
        """``cb()`` (sync or async) after every (re)connect; ``start()`` waits for them. Returns a remover."""
        self._connected_callbacks.append(cb)
        return lambda: self._remove(self._connected_callbacks, cb)

    def on(self, target: str, handler: Handler) -> Callable[[], None]:
        """Handle server->client invocations of ``target`` as ``handler(*arguments)`` (sync or async).

        Handlers run in arrival order on one dispatch task (never blocking the socket). Errors
        are logged. For client-result invocations the single handler's return value is sent back.
        """
        self._handlers.setdefault(target, []).append(handler)

        def remove() -> None:
            lst = self._handlers.get(target, [])
            self._remove(lst, handler)
            if not lst:
                self._handlers.pop(target, None)

        return remove

    @staticmethod
    def _remove(lst: list[Any], item: Any) -> None:
        with contextlib.suppress(ValueError):
            lst.remove(item)

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        log.info("SignalR %s: %s -> %s", redact(self.url), self._state.value, state.value)
        self._state = state
        for cb in list(self._state_listeners):
            try:
                result = cb(state)
                if inspect.isawaitable(result):
                    self._spawn(_maybe_await(result))
            except Exception:
                log.exception("state listener failed")

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[None]:
        async def run() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                if is_connection_closed(exc):  # e.g. a CancelInvocation over a socket that just died
                    log.debug("background send skipped: the connection is gone (%s)", exc)
                else:
                    log.exception("background task failed")

        task = asyncio.get_running_loop().create_task(run())
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        return task

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self, *, timeout: float | None = None, retry_in_background: bool = False) -> None:
        """Connect (see the class docstring for the failure semantics)."""
        if self._supervisor is not None:
            raise RuntimeError("already started")
        loop = asyncio.get_running_loop()
        self._first = loop.create_future()
        self._fail_fast = not retry_in_background
        self._opened.clear()
        self._logged_failure = None
        self._dispatch_q = asyncio.Queue()
        self._dispatcher = loop.create_task(self._dispatch_loop(), name="signalr-dispatch")
        self._supervisor = loop.create_task(self._supervise(), name="signalr-supervisor")
        wait = self._connect_timeout if timeout is None else timeout
        first = self._first
        try:
            await asyncio.wait_for(asyncio.shield(first), wait)
        except TimeoutError as exc:
            failed = first.exception() if first.done() and not first.cancelled() else None
            if failed is exc:  # a fail-fast error (HubNotFoundError... are ConnectTimeoutErrors too)
                err: BaseException = exc
            else:
                last = self.last_error
                why = f": {last}" if last is not None else ""
                err = ConnectTimeoutError(f"no connection to {redact(self.url)} within {wait:g}s{why}",
                                          last_error=last)
                err.__cause__ = last
        except BaseException as exc:
            err = exc
        else:
            return
        if not retry_in_background or not isinstance(err, Exception):
            await self.stop()
        raise err

    async def stop(self) -> None:
        """Close the connection and cancel everything (prompt: well under a second)."""
        sup, self._supervisor = self._supervisor, None
        if sup is not None:
            sup.cancel()
            await asyncio.gather(sup, return_exceptions=True)
        disp, self._dispatcher = self._dispatcher, None
        if disp is not None:
            disp.cancel()
            await asyncio.gather(disp, return_exceptions=True)
        bg = list(self._bg)
        if bg:
            await asyncio.wait(bg, timeout=0.5)
            for t in bg:
                t.cancel()
            await asyncio.gather(*bg, return_exceptions=True)
        if self._first is not None and not self._first.done():
            self._first.cancel()
        self._set_state(ConnectionState.DISCONNECTED)
        self._opened.set()  # wake calls/streams waiting for a reconnect: they see DISCONNECTED

    async def __aenter__(self) -> SignalRConnection:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _token(self) -> str | None:
        if self._token_factory is None:
            return None
        token = await _maybe_await(self._token_factory())
        return str(token) if token else None

    async def _supervise(self) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._set_state(
                    ConnectionState.CONNECTING if self.connection_count == 0 else ConnectionState.RECONNECTING
                )
                try:
                    client, run_task = await self._connect_once()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.last_error = exc
                    first = self._first
                    starting = self._fail_fast and first is not None and not first.done()
                    self._log_attempt_failure(exc, quiet=starting, attempt=failures + 1)
                    if starting and is_permanent(exc):
                        assert first is not None
                        first.set_exception(exc)
                        return
                    await asyncio.sleep(self._backoff(failures))
                    failures += 1
                    continue
                opened_at = loop.time()
                if self._logged_failure is not None or failures:
                    log.info("SignalR connected to %s after %d failed attempt%s", redact(self.url), failures,
                             "" if failures == 1 else "s")
                self._logged_failure = None
                failures = 0
                self.connection_count += 1
                self._set_state(ConnectionState.CONNECTED)
                try:
                    await self._run_connected_callbacks_while_open(client, run_task)
                    if self._first is not None and not self._first.done():
                        self._first.set_result(None)
                    reason = await self._watch(client, run_task)
                finally:
                    await self._teardown(client, run_task)
                self.last_error = reason
                log.warning("SignalR connection to %s lost: %s", redact(self.url), _describe(reason))
                if loop.time() - opened_at < _STABLE_AFTER:
                    failures = max(failures, 1)  # flapping: do not hammer the server
                self._set_state(ConnectionState.RECONNECTING)
                await asyncio.sleep(self._backoff(failures))
                failures += 1
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._teardown(self._client, None)

    async def _connect_once(self) -> tuple[_Client, asyncio.Task[None]]:
        token = await self._token()
        headers = dict(self._headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"  # on the FIRST negotiate and upgrade too
        opened = asyncio.Event()
        self._generation += 1
        client = _Client(self, self._generation, self.url, headers, opened.set)
        self._client = client
        run_task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            client.run(), name="signalr-run"
        )
        waiter = asyncio.get_running_loop().create_task(opened.wait())
        try:
            await asyncio.wait(
                {run_task, waiter}, timeout=self._connect_timeout, return_when=asyncio.FIRST_COMPLETED
            )
        except BaseException:
            waiter.cancel()
            await self._teardown(client, run_task)
            raise
        waiter.cancel()
        if opened.is_set() and not run_task.done():
            self._set_open(True)
            return client, run_task
        error: BaseException | None = None
        if run_task.done() and not run_task.cancelled():
            error = run_task.exception()
        await self._teardown(client, run_task)
        raise self._map_connect_error(error)

    def _map_connect_error(self, error: BaseException | None) -> Exception:
        """One typed, one-line error for a failed attempt (the raw error as ``__cause__``)."""
        if error is None:
            return ConnectTimeoutError(f"connect attempt timed out after {self._connect_timeout:g}s: the server "
                                       "may be down or overloaded, or a firewall drops the connection")
        return connect_error(error, self.url, self._connect_timeout)

    def _log_attempt_failure(self, exc: BaseException, *, quiet: bool, attempt: int) -> None:
        """One line per kind of failure: the first at WARNING (INFO while ``start()`` is waiting:
        its exception will say it), repeats at DEBUG. No tracebacks, no raw reprs."""
        text = _describe(exc)
        url = redact(self.url)
        if text == self._logged_failure:
            log.debug("SignalR connect to %s failed again (attempt %d): %s", url, attempt, text)
            return
        self._logged_failure = text
        log.log(logging.INFO if quiet else logging.WARNING, "SignalR connect to %s failed: %s", url, text)

    def _set_open(self, value: bool) -> None:
        self._open = value
        if value:
            self._opened.set()
        else:
            self._opened.clear()

    async def _run_connected_callbacks_while_open(self, client: _Client, run_task: asyncio.Task[None]) -> None:
        """Run the on_connected callbacks; if the socket dies meanwhile, fail the calls they
        have in flight on it at once (instead of after ``invoke_timeout``)."""
        cb_task = asyncio.get_running_loop().create_task(self._run_connected_callbacks())
        try:
            await asyncio.wait({cb_task, run_task}, return_when=asyncio.FIRST_COMPLETED)
            if not cb_task.done():
                self._fail_in_flight(client, ConnectionLostError("connection lost"))
            await cb_task
        except BaseException:
            cb_task.cancel()
            await asyncio.gather(cb_task, return_exceptions=True)
            raise

    def _fail_in_flight(self, client: _Client, lost: ConnectionLostError) -> None:
        if self._client is client:
            self._set_open(False)  # new calls fail fast with NotConnectedError (or wait: reads)
        gen = client.generation
        for inv_id, (fut, g) in list(self._pending.items()):
            if g == gen and not fut.done():
                fut.set_exception(lost)
                self._pending.pop(inv_id, None)

    async def _run_connected_callbacks(self) -> None:
        _IN_CONNECTED_CALLBACK.set(True)  # this task's context only
        for cb in list(self._connected_callbacks):
            try:
                await _maybe_await(cb())
            except Exception:
                log.exception("on_connected callback failed")

    async def _watch(self, client: _Client, run_task: asyncio.Task[None]) -> BaseException:
        """Wait until the connection ends; returns why."""
        loop = asyncio.get_running_loop()
        while True:
            remaining = client.transport.last_rx + self._server_timeout - loop.time()
            if remaining <= 0:
                return ConnectionLostError(f"server timeout: nothing received for {self._server_timeout:g}s")
            done, _ = await asyncio.wait({run_task}, timeout=remaining)
            if done:
                if run_task.cancelled():
                    return ConnectionLostError("connection task cancelled")
                return run_task.exception() or ConnectionLostError("connection closed by the server")

    async def _teardown(self, client: _Client, run_task: asyncio.Task[None] | None) -> None:
        """Close ``client``'s socket and fail everything that was in flight on it."""
        if self._client is client:
            self._client = None
            self._set_open(False)
        gen = client.generation
        lost = ConnectionLostError("connection lost")
        for inv_id, (fut, g) in list(self._pending.items()):
            if g == gen and not fut.done():
                fut.set_exception(lost)
                self._pending.pop(inv_id, None)
        for stream in list(self._streams.values()):
            if stream._client is client:
                self._streams.pop(stream.invocation_id or "", None)
                stream._finish(ConnectionLostError(f"connection lost during stream {stream.method}"))
        if run_task is not None and not run_task.done():
            run_task.cancel()
            done, _ = await asyncio.wait({run_task}, timeout=CLOSE_GRACE)
            if not done:
                client.transport.abort()  # do not wait for a dead peer's close handshake
                await asyncio.wait({run_task}, timeout=1.0)
        if run_task is not None and run_task.done() and not run_task.cancelled():
            run_task.exception()  # retrieved: no "exception was never retrieved" noise

    # --- calls ---------------------------------------------------------------------------------------
    def _current(self) -> _Client:
        client = self._client
        if client is None or not self._open:
            raise NotConnectedError(f"not connected to {redact(self.url)} (state {self._state.value})")
        return client

    def _reconnect_wait(self, method: str, override: bool | float | None) -> float | None:
        """How long a call to ``method`` may wait for a reconnect (``None``: it may not)."""
        policy = self.wait_for_reconnect if override is None else override
        if policy is False or not is_read_method(method) or _IN_CONNECTED_CALLBACK.get():
            return None
        return float("inf") if policy is True else float(policy)

    async def wait_open(self, timeout: float | None) -> bool:
        """Wait until a connection is open; ``False`` after ``timeout`` or once the client stopped."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not self._open:
            if self._supervisor is None or self._state is ConnectionState.DISCONNECTED:
                return False
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            try:
                await asyncio.wait_for(self._opened.wait(), left)
            except TimeoutError:
                return False
            if not self._open:
                await asyncio.sleep(0)  # set by stop(): the loop condition says so
        return True

    async def invoke(
        self, method: str, *args: Any, timeout: float | None = None, wait_for_reconnect: bool | float | None = None
    ) -> Any:
        """Call hub ``method`` and return its result.

        Raises NotConnectedError (not connected), SignalRInvocationError (Completion error),
        InvocationTimeout (a TimeoutError) and ConnectionLostError (dropped in flight). Reads
        (``Get*``/``List*``) wait for a reconnect and are resent after a drop, within ``timeout``
        (see the class docstring; ``wait_for_reconnect`` overrides the connection's setting).
        """
        may_wait = self._reconnect_wait(method, wait_for_reconnect)
        wait = self._invoke_timeout if timeout is None else timeout
        if may_wait is None:
            return await self._invoke_once(self._current(), method, args, wait)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        wait_until = loop.time() + may_wait
        resent = 0
        while True:
            if not self._open:
                budget = 0.0
                if self._supervisor is not None and self._state is not ConnectionState.DISCONNECTED:
                    budget = min(deadline, wait_until) - loop.time()
                    if budget > 0:
                        await self.wait_open(budget)
                if not self._open:
                    waited = f", still after waiting {budget:.3g}s for the reconnect" if budget > 0 else ""
                    raise NotConnectedError(f"not connected to {redact(self.url)} (state {self._state.value}{waited})")
            try:
                return await self._invoke_once(self._current(), method, args, max(0.0, deadline - loop.time()))
            except ConnectionLostError:
                if loop.time() >= min(deadline, wait_until) or self._supervisor is None:
                    raise
                resent += 1
                log.info("%s: the connection dropped in flight; sending the read again after the reconnect "
                         "(%d)", method, resent)

    async def _invoke_once(self, client: _Client, method: str, args: tuple[Any, ...], wait: float) -> Any:
        inv_id = str(next(self._ids))
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending[inv_id] = (fut, client.generation)

        async def on_completion(message: Message) -> None:
            if fut.done():
                return
            assert isinstance(message, CompletionMessage)
            if message.error:
                fut.set_exception(SignalRInvocationError(method, message.error))
            else:
                fut.set_result(message.result)

        client._invocation_handlers[inv_id] = on_completion
        try:
            try:
                await client.transport.send(InvocationMessage(inv_id, method, list(args), None))
            except Exception as exc:
                raise ConnectionLostError(f"connection lost while sending {method}") from exc
            try:
                return await asyncio.wait_for(fut, wait)
            except TimeoutError:
                raise InvocationTimeout(method, wait) from None
        finally:
            self._pending.pop(inv_id, None)
            client._invocation_handlers.pop(inv_id, None)
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved (failed by a teardown while we were still sending)

    async def send(self, method: str, *args: Any) -> None:
        """Fire-and-forget invocation (no invocationId, no Completion)."""
        client = self._current()
        try:
            await client.transport.send(InvocationMessage(None, method, list(args), None))
        except Exception as exc:
            raise ConnectionLostError(f"connection lost while sending {method}") from exc

    def stream(self, method: str, *args: Any, maxsize: int = 256, resume: bool = False) -> SignalRStream:
        """A server stream as an async iterator keeping the latest ``maxsize`` items.

        Raises (on iteration) NotConnectedError, SignalRStreamError (Completion error) or
        ConnectionLostError (connection dropped; resubscribe after reconnecting). With
        ``resume=True`` the stream instead waits for the reconnect and invokes ``method``
        again, recording the interruption in ``stream.gaps``; it ends (with the
        ConnectionLostError) only when the connection is stopped.
        """
        return SignalRStream(self, method, args, maxsize, resume=resume)

    def _start_stream(self, stream: SignalRStream) -> None:
        client = self._current()
        inv_id = str(next(self._ids))
        stream.invocation_id, stream._client = inv_id, client
        # Only weak references to the stream: leaving `async for` early must let it be collected
        # (its __del__ then sends CancelInvocation).
        ref = weakref.ref(stream)

        async def on_next(item: Any) -> None:
            if (s := ref()) is not None:
                await s._on_next(item)

        async def on_complete(message: Message) -> None:
            if (s := ref()) is not None:
                await s._on_complete(message)

        async def on_error(message: Message) -> None:
            if (s := ref()) is not None:
                await s._on_error(message)

        client._stream_handlers[inv_id] = (on_next, on_complete, on_error)
        client._invocation_handlers[inv_id] = on_complete
        client.transport.sinks[inv_id] = ref  # StreamItems: the transport's fast path
        self._streams[inv_id] = stream

    def _send_cancel(self, client: _Client, inv_id: str) -> asyncio.Task[None] | None:
        if client is not self._client or not self._open:
            return None  # the stream died with its connection
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # garbage-collected outside the loop
            return None
        return self._spawn(client.transport.send(CancelInvocationMessage(inv_id)))

    # --- server -> client ----------------------------------------------------------------------------
    def _enqueue_server_invocation(self, client: _Client, message: InvocationMessage) -> None:
        if self._dispatch_q is not None:
            self._dispatch_q.put_nowait((client, message))

    async def dispatched(self) -> None:
        """Wait until every server->client invocation received so far was handled (a barrier:
        e.g. the on-connect pushes that arrived before a call's Completion). Must not be awaited
        from a handler (it would wait for itself)."""
        if self._dispatch_q is None or self._dispatcher is None or self._dispatcher.done():
            return
        barrier: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._dispatch_q.put_nowait((None, barrier))
        await asyncio.shield(barrier)

    async def _dispatch_loop(self) -> None:
        assert self._dispatch_q is not None
        while True:
            client, message = await self._dispatch_q.get()
            if client is None:
                assert isinstance(message, asyncio.Future)
                if not message.done():
                    message.set_result(None)
                continue
            assert isinstance(message, InvocationMessage)
            try:
                await self._dispatch_one(client, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatching %s failed", message.target)

    async def _dispatch_one(self, client: _Client, message: InvocationMessage) -> None:
        target = message.target
        args = message.arguments if isinstance(message.arguments, list) else [message.arguments]
        handlers = list(self._handlers.get(target, ()))
        inv_id = message.invocation_id
        if inv_id is None:
            if not handlers:
                log.debug("no handler for server invocation %r", target)
            for handler in handlers:
                try:
                    await _maybe_await(handler(*args))
                except Exception:
                    log.exception("handler for %r raised", target)
            return
        reply: dict[str, Any] = {"type": 3, "invocationId": inv_id}
        if not handlers:
            log.warning("no handler for client-result invocation %r", target)
            reply["error"] = "Client didn't provide a result."
        elif len(handlers) > 1:
            reply["error"] = "Client provided multiple results."
        else:
            try:
                reply["result"] = await _maybe_await(handlers[0](*args))
            except Exception as exc:
                log.exception("client-result handler for %r raised", target)
                reply["error"] = f"Client handler for '{target}' failed: {type(exc).__name__}"
        if client is self._client and self._open:
            try:
                await client.transport.send(JSONMessage(reply))
            except Exception as exc:
                log.info("could not send client result for %r: %s", target, exc)

