"""Argument fuzzing of EVERY hub method in ``mesodesk.contract.methods.ALL_METHODS``.

Each case starts from a structurally valid args object (``tests.contract.contract_factories``)
and breaks it: a field gets a wrongly-typed, null, negative, huge or oversized value, a
required field goes missing, unknown fields are added, the argument is not an object,
or the argument count is wrong. The args model itself is the oracle:

* the model rejects the args -> the server answers ``InvalidArguments`` (streams: a
  Completion error naming InvalidArguments), and the database is unchanged;
* wrong argument count -> a Completion error;
* the model accepts them (e.g. a huge id) -> any status except ``InternalError``, no crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mesodesk.contract import HUB_PATHS, dumps
from mesodesk.contract.methods import ALL_METHODS, HubMethod
from mesodesk.sim.server import DB_NAME
from tests.contract.contract_factories import build

from .conftest import API_KEY, record_figures, sync_simulator
from .raw import Closed, LoopThread, RawClient

pytestmark = pytest.mark.timeout(300)

QUICK = settings(derandomize=True, max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
HEAVY = settings(max_examples=6000, deadline=None, database=None, suppress_health_check=list(HealthCheck))
STATE_TABLES = ("accounts", "strategies", "exec_plans", "positions", "legs", "orders", "executions", "jobs",
                "idempotency")  # events: background signals publish some
COUNTS: dict[str, int] = {}
METHODS_HIT: set[str] = set()


@dataclass
class Env:
    proc: Any
    url: str
    db: Path
    loop: LoopThread
    session: aiohttp.ClientSession
    clients: dict[str, RawClient] = field(default_factory=dict)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz-args") / "sim"
    with sync_simulator(data_dir) as (proc, url):
        loop = LoopThread()

        async def make_session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession()

        session = loop.run(make_session(), 10)
        e = Env(proc, url, data_dir / DB_NAME, loop, session)
        try:
            yield e
        finally:
            for c in e.clients.values():
                loop.run(c.close(), 10)
            loop.run(session.close(), 10)
            loop.close()
            assert proc.poll() is None, "the simulator died during argument fuzzing"
    record_figures("fuzz_arguments", cases=sum(COUNTS.values()), by_outcome=dict(COUNTS),
                   methods_covered=len(METHODS_HIT), methods_total=len(ALL_METHODS), server_crashes=0,
                   state_changes_on_rejected_calls=0)


def db_state(db: Path) -> dict[str, tuple[int, float]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {t: tuple(conn.execute(f"SELECT COUNT(*), TOTAL(LENGTH(data)) FROM {t}").fetchone())  # type: ignore[misc]
                for t in STATE_TABLES}


async def client_for(env: Env, hub: str) -> RawClient:
    client = env.clients.get(hub)
    if client is None or client.ws.closed:
        client = env.clients[hub] = await RawClient.connect(env.url, hub, API_KEY, session=env.session)
    return client


def base_args(method: HubMethod) -> dict[str, Any]:
    return json.loads(dumps(build(method.args_model, full=False)))


def model_accepts(method: HubMethod, args: Any) -> bool:
    if not isinstance(args, dict):
        return False
    try:
        method.args_model.model_validate(args)
    except ValidationError:
        return False
    return True


# --------------------------------------------------------------------------- strategies
bad_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.sampled_from([-1, 0, -(2**63), 2**63, 2**64 + 7]),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
    st.sampled_from(["", "x" * 5000, "-1", "1e400", "NaN", "Infinity", "\x00", "../../etc/passwd", "' OR 1=1 --"]),
)
bad_values = st.recursive(bad_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def bad_call(draw: st.DrawFn) -> tuple[HubMethod, list[Any], str]:
    method = draw(st.sampled_from(ALL_METHODS))
    args: Any = base_args(method)
    fields = list(method.args_model.model_fields.values())
    names = [f.alias or n for n, f in method.args_model.model_fields.items()]
    required = [f.alias or n for n, f in method.args_model.model_fields.items() if f.is_required()]
    kinds = ["field", "field", "field", "extra", "not-object", "arity"]
    if required:
        kinds += ["missing", "null-required"]
    kind = draw(st.sampled_from(kinds))
    if kind == "field" and names:
        for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True)):
            args[name] = draw(bad_values)
    elif kind == "field" or kind == "extra":
        kind = "extra"
        for _ in range(draw(st.integers(1, 3))):
            args[draw(st.text(min_size=1, max_size=10))] = draw(bad_values)
    elif kind == "missing":
        args.pop(draw(st.sampled_from(required)))
    elif kind == "null-required":
        args[draw(st.sampled_from(required))] = None
    elif kind == "not-object":
        args = draw(bad_scalars | st.lists(bad_scalars, max_size=3))
    if kind == "arity":
        arguments = draw(st.sampled_from([[], [args, args], [args, {}, 1]]))
    else:
        arguments = [args]
    del fields
    return method, arguments, kind


# --------------------------------------------------------------------------- the case
async def call(env: Env, method: HubMethod, arguments: list[Any]) -> dict[str, Any]:
    """Send the call; returns the Completion (streams: the first item is cancelled)."""
    client = await client_for(env, HUB_PATHS[method.hub])
    inv_id = f"f{next(client.ids)}"
    body = {"type": 4 if method.stream else 1, "invocationId": inv_id, "target": method.name, "arguments": arguments}
    await client.send_raw(json.dumps(body) + "\x1e")
    while True:
        m = await client.recv(10.0)
        if m.get("invocationId") != inv_id:
            continue
        if m.get("type") == 2:  # a stream item: the args were accepted; stop the stream
            await client.send({"type": 5, "invocationId": inv_id})
            return {"type": 3, "invocationId": inv_id, "streamed": True}
        if m.get("type") == 3:
            return m


def _case(env: Env, data: st.DataObject) -> None:
    method, arguments, kind = data.draw(bad_call())
    accepted = kind != "arity" and model_accepts(method, arguments[0])
    before = db_state(env.db)
    try:
        reply = env.loop.run(call(env, method, arguments), 30)
    except Closed as exc:
        raise AssertionError(f"{method.name}: the server closed the connection: {exc}") from None
    assert env.proc.poll() is None, f"the simulator died on {method.name} {arguments!r}"
    METHODS_HIT.add(method.name)
    error = reply.get("error")
    status = (reply.get("result") or {}).get("Status") if isinstance(reply.get("result"), dict) else None
    if kind == "arity":
        assert error and "argument" in error, reply
        outcome = "arity-error"
    elif not accepted:
        if method.stream:
            assert error and "InvalidArguments" in error, (method.name, arguments, reply)
        else:
            assert status == "InvalidArguments", (method.name, arguments, reply)
        outcome = "rejected"
    else:
        assert status != "InternalError" and not (error and "unexpected error" in error), (method.name, arguments, reply)
        outcome = "accepted-model" if status in ("Success", None) else "refused-by-server"
    if outcome != "accepted-model":
        after = db_state(env.db)
        if outcome == "refused-by-server" and method.idempotent:
            # a refused idempotent call records its Failed outcome under the key (by design); nothing else
            before.pop("idempotency")
            after.pop("idempotency")
            key = arguments[0]["IdempotencyKey"]
            with contextlib.closing(sqlite3.connect(f"file:{env.db}?mode=ro", uri=True)) as conn:
                row = conn.execute("SELECT data FROM idempotency WHERE id = ?", (key,)).fetchone()
            assert row is None or json.loads(row[0])["Status"] in ("Failed", "Completed"), row
        assert after == before, f"{method.name} changed the database although refused: {arguments!r}"
    COUNTS[outcome] = COUNTS.get(outcome, 0) + 1


@QUICK
@given(data=st.data())
def test_fuzz_arguments_quick(env: Env, data: st.DataObject) -> None:
    _case(env, data)


@pytest.mark.heavy
@pytest.mark.timeout(3600)
@HEAVY
@given(data=st.data())
def test_fuzz_arguments_heavy(env: Env, data: st.DataObject) -> None:
    _case(env, data)


@pytest.mark.parametrize("method", ALL_METHODS, ids=lambda m: m.name)
def test_every_method_rejects_a_non_object_and_a_wrong_type(env: Env, method: HubMethod) -> None:
    """Deterministic floor: every method, a list instead of the args object and a nested
    object in every field; all refused with InvalidArguments and no state change."""
    before = db_state(env.db)
    cases: list[Any] = [[1, 2], "args"]
    for name, info in method.args_model.model_fields.items():
        args = base_args(method)
        args[info.alias or name] = {"nested": [{"deep": 1}]}
        if not model_accepts(method, args):
            cases.append(args)
    for args in cases:
        reply = env.loop.run(call(env, method, [args]), 30)
        if method.stream:
            assert "InvalidArguments" in (reply.get("error") or ""), (args, reply)
        else:
            assert reply["result"]["Status"] == "InvalidArguments", (args, reply)
            assert reply["result"]["Error"]["ValidationErrors"], reply
        COUNTS["rejected"] = COUNTS.get("rejected", 0) + 1
    METHODS_HIT.add(method.name)
    assert db_state(env.db) == before
    asyncio.run(asyncio.sleep(0))


HUGE_AND_NEGATIVE = [-1, 0, -(2**63) - 1, 2**63, 2**64 + 7, 10**30]


@pytest.mark.parametrize("method", ALL_METHODS, ids=lambda m: m.name)
def test_every_method_survives_huge_and_negative_numbers(env: Env, method: HubMethod) -> None:
    """Every top-level int/Decimal field gets -1, 0 and values beyond 64 bits: the model may
    accept them, the server must still answer with a clear status (never InternalError)."""
    ran = 0
    for name, info in method.args_model.model_fields.items():
        for value in HUGE_AND_NEGATIVE:
            args = base_args(method)
            args[info.alias or name] = value
            if not model_accepts(method, args):
                continue
            before = db_state(env.db)
            reply = env.loop.run(call(env, method, [args]), 30)
            error = reply.get("error") or ""
            status = (reply.get("result") or {}).get("Status") if isinstance(reply.get("result"), dict) else None
            assert status != "InternalError" and "unexpected error" not in error, (method.name, args, reply)
            if status not in ("Success", None) and not method.idempotent:
                assert db_state(env.db) == before
            ran += 1
            COUNTS["huge-or-negative"] = COUNTS.get("huge-or-negative", 0) + 1
    METHODS_HIT.add(method.name)
