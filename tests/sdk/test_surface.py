"""The public SDK surface matches the method registry: names, signatures, docstrings, exports."""

from __future__ import annotations

import inspect
import typing

import pytest

import mesodesk.sdk as sdk
from mesodesk.contract import EVENT_CALLBACKS
from mesodesk.contract.methods import CONTROL_METHODS, DATA_METHODS, EVENT_METHODS, HubMethod
from mesodesk.sdk import MesoLiveControlHubClient, MesoLiveDataHubClient, MesoLiveEventHubClient

CLIENTS = [(MesoLiveControlHubClient, CONTROL_METHODS), (MesoLiveDataHubClient, DATA_METHODS),
           (MesoLiveEventHubClient, EVENT_METHODS)]
ALL = [(cls, m) for cls, methods in CLIENTS for m in methods]


def test_counts() -> None:
    assert (len(CONTROL_METHODS), len(DATA_METHODS), len(EVENT_METHODS)) == (32, 12, 4)


@pytest.mark.parametrize(("cls", "method"), ALL, ids=[m.python_name for _, m in ALL])
def test_method_shape(cls: type, method: HubMethod) -> None:
    fn = getattr(cls, method.python_name)
    assert fn.__doc__ and method.name in fn.__doc__
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    assert params[1].kind is inspect.Parameter.POSITIONAL_ONLY  # the args model
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)  # ... or keyword arguments
    hints = typing.get_type_hints(fn)
    assert method.args_model in typing.get_args(hints[params[1].name])
    if method.stream:
        assert not inspect.iscoroutinefunction(fn) and "maxsize" in sig.parameters
    else:
        assert inspect.iscoroutinefunction(fn) and "timeout" in sig.parameters
        assert hints["return"] is method.result_model


def test_event_registrations() -> None:
    for cb in EVENT_CALLBACKS.values():
        fn = getattr(MesoLiveEventHubClient, cb.handler)
        assert fn.__doc__ and cb.callback in fn.__doc__
    assert MesoLiveEventHubClient.on_event.__doc__


def test_exports_and_docstrings() -> None:
    for name in sdk.__all__:
        obj = getattr(sdk, name)
        assert obj.__doc__, name
    for cls in (MesoLiveControlHubClient, MesoLiveDataHubClient, MesoLiveEventHubClient):
        for name, member in inspect.getmembers(cls):
            if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                assert member.__doc__, f"{cls.__name__}.{name}"
