"""methods.py matches the SDK API reference table exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mesodesk.contract as c

REFERENCE = Path(__file__).parents[2].parent / "shared/reference/sdk-api-reference.txt"
ROW = re.compile(r"^([a-z_]+) \| (\w+) \| (\w+) \|(.*)$")


def _parse() -> dict[str, list[tuple[str, str, str, list[str]]]]:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} not present")
    hubs: dict[str, list[tuple[str, str, str, list[str]]]] = {"control": [], "data": [], "event": []}
    hub = None
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("Control Hub ("):
            hub = "control"
        elif line.startswith("Data Hub ("):
            hub = "data"
        elif line.startswith("Event Hub ("):
            hub = "event"
        m = ROW.match(line.strip())
        if m and hub:
            rest = [cell.strip() for cell in m.group(4).split("|")]
            hubs[hub].append((m.group(1), m.group(2), m.group(3), rest))
    return hubs


def test_reference_rows_match_registry() -> None:
    hubs = _parse()
    tables = {"control": c.CONTROL_METHODS, "data": c.DATA_METHODS, "event": c.EVENT_METHODS}
    assert {h: len(rows) for h, rows in hubs.items()} == {"control": 32, "data": 12, "event": 4}
    for hub, rows in hubs.items():
        expected = [(py, name, args) for py, name, args, _ in rows]
        actual = [(m.python_name, m.name, m.args_model.__name__) for m in tables[hub]]
        assert actual == expected, hub
        assert all(m.hub == hub for m in tables[hub])


def test_reference_flags_match_registry() -> None:
    hubs = _parse()
    for py, name, _, rest in hubs["control"]:
        m = c.get_method("control", name)
        marked = bool(rest) and rest[0].startswith("✓")
        read_only = bool(rest) and "(read)" in rest[0]
        assert m.idempotent == (marked and not read_only), py
        assert not m.stream and not m.provider_required
    for py, name, _, rest in hubs["data"]:
        m = c.get_method("data", name)
        returns = rest[0]
        stream = returns.startswith("AsyncIterator[")
        assert m.stream == stream, py
        result_name = returns[len("AsyncIterator[") : -1] if stream else returns
        assert m.result_model.__name__ == result_name, py
        assert m.provider_required == ("✓" in rest[1:2]), py
        assert not m.idempotent
    for py, name, _, rest in hubs["event"]:
        m = c.get_method("event", name)
        assert m.result_model.__name__ == rest[0], py


def test_reference_callbacks_match_event_table() -> None:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} not present")
    pairs = re.findall(r"(on_[a-z_]+)\((\w+)\)", REFERENCE.read_text(encoding="utf-8"))
    assert len(pairs) == 17
    assert [(cb.handler, cb.model.__name__) for cb in c.EVENT_CALLBACKS.values()] == pairs


def test_registry_shape() -> None:
    assert len(c.CONTROL_METHODS) == 32 and len(c.DATA_METHODS) == 12 and len(c.EVENT_METHODS) == 4
    assert len(c.ALL_METHODS) == 48 == len(c.METHODS_BY_NAME)
    assert c.HUB_PATHS == {"control": "/hubs/control/v1", "data": "/hubs/data/v1", "event": "/hubs/event/v1"}
    for m in c.ALL_METHODS:
        assert issubclass(m.args_model, c.WireModel)
        assert m.result_model is not None
        if m.idempotent:
            assert "idempotency_key" in m.args_model.model_fields, m.name
        if m.provider_required:
            assert "provider" in m.args_model.model_fields, m.name
    with pytest.raises(KeyError):
        c.get_method("control", "Nope")


@pytest.mark.parametrize("method", c.ALL_METHODS, ids=lambda m: f"{m.hub}.{m.name}")
def test_args_models_accept_empty_or_built(method: c.HubMethod) -> None:
    from tests.contract.contract_factories import build

    args = build(method.args_model)
    assert method.args_model.model_validate(c.loads(c.dumps(args))) == args
    result = build(method.result_model)
    env = c.MesoLiveApiResponse[method.result_model].model_validate(  # type: ignore[name-defined]
        c.loads(c.dumps(c.MesoLiveApiResponse(status=c.StatusCode.Success, data=result)))
    )
    assert env.data == result
