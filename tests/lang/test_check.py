"""mesodesk.lang: the variable catalog and the static check of a StrategyDefinition.

Three kinds of guard: the visibility rules one by one (path and message), properties
over generated expressions checked against what the simulator's builder actually
evaluates (the check says "unknown variable" exactly when the evaluation would), and
robustness (any JSON is checked without raising).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesodesk.contract import LiveLegSelectionConstraint
from mesodesk.lang import BUILTINS, Context, Dialect, builtin_names, check_definition, merge_errors
from mesodesk.lang.check import leg_cycle
from mesodesk.lang.variables import EXPIRATION_FIELDS, LEG_FIELDS, split_family
from mesodesk.sim.hubs.strategies import validate_definition
from mesodesk.sim.market import ManualClock, Market
from mesodesk.sim.strategy import BuildError, StrategyBuilder

SIM = Dialect.SIMULATOR
P = "StrategyDefinition"
SEEDED = ("spx_put_credit_spread.json", "spx_iron_condor.json", "spx_broken_wing_butterfly.json")


def seeded(name: str = "spx_put_credit_spread.json") -> dict[str, Any]:
    return json.loads(resources.files("mesodesk.sim").joinpath("strategies", name).read_text())


def pcs(mutate: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    d = seeded()
    if mutate is not None:
        mutate(d)
    return d


def add_adjustment(d: dict[str, Any], condition: str, actions: dict[str, Any]) -> None:
    d["Adjustment"]["ConditionalAdjustments"][condition] = actions


# ------------------------------------------------------------------ the catalog


def test_seeded_strategies_are_clean_in_both_dialects() -> None:
    for name in SEEDED:
        assert check_definition(seeded(name), dialect=SIM) == {}
        assert check_definition(seeded(name), dialect=Dialect.MESOLIVE) == {}
        assert validate_definition(seeded(name)) == {}


def test_catalog_dialects() -> None:
    sim, live = builtin_names(Context.ENTRY, SIM), builtin_names(Context.ENTRY, Dialect.MESOLIVE)
    assert sim < live
    assert live - sim == {"underlying_iv_rank", "underlying_iv_pct", "underlying_hv"}
    assert {"nav", "pos_in_flight", "pos_delta", "pos_pnl", "days_in_trade", "underlying_price"} <= sim
    assert all(v.doc for v in BUILTINS)


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(seed=11, clock=ManualClock(dt.datetime(2025, 3, 12, 15, 0, tzinfo=dt.UTC)))


def test_catalog_matches_the_entry_build_environment(market: Market) -> None:
    """Every name the builder puts in the entry environment is in the catalog, and no more."""
    d = seeded()
    env: dict[str, Any] = {"nav": 1e5, "pos_in_flight": 0.0}  # what jobs.py starts the entry build with
    StrategyBuilder(market).build_entry(d, "SPX", env, LiveLegSelectionConstraint.UniqueInPosition, set())
    plain = {k for k in env if split_family(k) is None} - set(d["Entry"]["VarDefines"])
    assert plain == builtin_names(Context.ENTRY, SIM)
    families = {split_family(k) for k in env} - {None}
    assert {(f, n) for f, n, _ in families} == {("expiration", "exp"), ("leg", "short_put"), ("leg", "long_put")}
    assert {x for f, _, x in families if f == "leg"} == set(LEG_FIELDS)
    assert {x for f, _, x in families if f == "expiration"} == set(EXPIRATION_FIELDS)


async def test_catalog_matches_the_position_environment(simulator: Any) -> None:
    """The exit/adjustment environment of an open position (sim/strategy.position_variables)."""
    from mesodesk.sim.strategy import position_variables

    ctx = simulator.context
    position = ctx.world.positions[3]
    env = position_variables(ctx.market, ctx.pricer, position, ctx.world.position_legs(3), nav=1e5, in_flight=1)
    plain = {k for k in env if split_family(k) is None} - set(position.vars)
    assert plain == builtin_names(Context.POSITION, SIM)


# ------------------------------------------------------------------ visibility rules, one by one

RULES: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    ("the defect: a bare word as DTE", lambda d: d["Structure"]["Expirations"][0].update(DTE="abc"),
     "Structure.Expirations[0].DTE", "unknown variable 'abc'"),
    ("syntax", lambda d: d["Structure"]["Expirations"][0].update(Max="55 +"),
     "Structure.Expirations[0].Max", "invalid expression"),
    ("not an expression", lambda d: d["Structure"]["Legs"][0].update(Qty=True),
     "Structure.Legs[0].Qty", "must be a string or a number"),
    ("typo, with a suggestion", lambda d: d["Entry"].update(Conditions=["pos_detla < 5"]),
     "Entry.Conditions[0]", "did you mean 'pos_delta'"),
    ("no legs in entry conditions", lambda d: d["Entry"].update(Conditions=["leg_short_put_delta < 5"]),
     "Entry.Conditions[0]", "'short_put' is not selected yet"),
    ("no user vars in entry conditions", lambda d: d["Entry"].update(Conditions=["initial_credit > 1"]),
     "Entry.Conditions[0]", "set by VarDefines"),
    ("expirations resolve in order", lambda d: d["Structure"]["Expirations"].insert(
        0, {"Name": "first", "DTE": "expiration_exp_dte - 7"}),
     "Structure.Expirations[0].DTE", "'exp' is not selected yet"),
    ("unknown leg", lambda d: d["Structure"]["Legs"][1]["StrikeSelector"].update(StrikePrice="leg_ghost_strike"),
     "Structure.Legs[1].StrikeSelector.StrikePrice", "no leg named 'ghost'"),
    ("unknown leg field", lambda d: d["Structure"]["Legs"][1]["StrikeSelector"].update(
        StrikePrice="leg_short_put_strik"), "Structure.Legs[1].StrikeSelector.StrikePrice", "fields:"),
    ("a leg's own variables", lambda d: d["Structure"]["Legs"][0].update(Qty="-abs(leg_short_put_qty)"),
     "Structure.Legs[0].Qty", "own leg_short_put_*"),
    ("a cycle", lambda d: d["Structure"]["Legs"][0]["StrikeSelector"].update(StrikePrice="leg_long_put_strike"),
     "Structure.Legs", "cycle: short_put -> long_put -> short_put"),
    ("unknown expiration name", lambda d: d["Structure"]["Legs"][0].update(ExpirationName="nope"),
     "Structure.Legs[0].ExpirationName", "unknown expiration 'nope'"),
    ("VarDefines in order", lambda d: d["Entry"].update(VarDefines={"a": "b * 2", "b": "1"}),
     "Entry.VarDefines.a", "defined later"),
    ("VarDefines: itself", lambda d: d["Entry"].update(VarDefines={"a": "a + 1"}),
     "Entry.VarDefines.a", "itself"),
    ("VarDefines: a built-in name", lambda d: d["Entry"]["VarDefines"].update(nav="1"),
     "Entry.VarDefines.nav", "built-in"),
    ("VarDefines: a bad name", lambda d: d["Entry"]["VarDefines"].update({"1x": "1"}),
     "Entry.VarDefines.1x", "letters, digits"),
    ("undefined user variable in Exit", lambda d: d["Entry"].update(VarDefines={}),
     "Exit.ProfitTarget", "unknown variable 'initial_credit'"),
    ("stop_loss before StopLoss", lambda d: d["Exit"].update(ProfitTarget="stop_loss * 2"),
     "Exit.ProfitTarget", "once Exit.StopLoss is set"),
    ("no expiration variables on a position (simulator)", lambda d: d["Exit"].update(
        Conditions=["expiration_exp_dte < 5"]), "Exit.Conditions[0]", "'exp' is not selected yet"),
    ("documented, not simulated", lambda d: d["Entry"].update(Conditions=["underlying_iv_rank > 50"]),
     "Entry.Conditions[0]", "does not compute it"),
    ("modules", lambda d: d["Exit"].update(Conditions=["timing.days_to_expiration(1) < 5"]),
     "Exit.Conditions[0]", "module 'timing'"),
    ("adjustment condition", lambda d: add_adjustment(d, "pos_delt > 3", {"UpdateVarsAdjustment": {"x": "1"}}),
     "Adjustment.ConditionalAdjustments[pos_delt > 3]", "unknown variable 'pos_delt'"),
    ("MoveLeg of an unknown leg", lambda d: add_adjustment(d, "pos_delta > 3", {
        "MoveLegAdjustment": {"LegName": "ghost", "StrikeSelector": {"Delta": "-10"}}}),
     "Adjustment.ConditionalAdjustments[pos_delta > 3].MoveLegAdjustment.LegName", "unknown leg 'ghost'"),
    ("RemoveLegs of an unknown leg", lambda d: add_adjustment(d, "pos_delta > 3", {
        "RemoveLegsAdjustment": {"LegNames": ["long_put", "ghost"]}}),
     "Adjustment.ConditionalAdjustments[pos_delta > 3].RemoveLegsAdjustment.LegNames[1]", "unknown leg 'ghost'"),
    ("AddLegs: own expiration variables only once resolved", lambda d: add_adjustment(d, "pos_delta > 3", {
        "AddLegsAdjustment": {"Expirations": [{"Name": "far", "DTE": "90"}], "Legs": [
            {"Name": "hedge", "Qty": "1", "OptionType": "Put", "ExpirationName": "far",
             "StrikeSelector": {"Delta": "expiration_exp_dte"}}]}}),
     "Adjustment.ConditionalAdjustments[pos_delta > 3].AddLegsAdjustment.Legs[0].StrikeSelector.Delta",
     "'exp' is not selected yet"),
    ("an action's VarDefines: a name only a later entry sets", lambda d: add_adjustment(d, "pos_delta > 3", {
        "UpdateVarsAdjustment": {"VarDefines": {"a": "fresh + 1", "fresh": "2"}}}),
     "Adjustment.ConditionalAdjustments[pos_delta > 3].UpdateVarsAdjustment.VarDefines.a", "defined later"),
]


@pytest.mark.parametrize(("mutate", "path", "fragment"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_rule(mutate: Callable[[dict[str, Any]], Any], path: str, fragment: str) -> None:
    errors = check_definition(pcs(mutate), dialect=SIM)
    assert f"{P}.{path}" in errors, errors
    assert any(fragment in m for m in errors[f"{P}.{path}"]), errors[f"{P}.{path}"]
    assert validate_definition(pcs(mutate)).get(f"{P}.{path}"), "the simulator refuses it at the same path"


ACCEPTED: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("structure expirations in order", lambda d: d["Structure"]["Expirations"].append(
        {"Name": "later", "DTE": "expiration_exp_dte + 30"})),
    ("legs in any written order", lambda d: d["Structure"]["Legs"].reverse()),
    ("VarDefines use legs, pos greeks and earlier VarDefines", lambda d: d["Entry"]["VarDefines"].update(
        half="initial_credit / 2", delta_now="pos_delta + leg_long_put_delta")),
    ("QtyMultiplier and AbortConditions use VarDefines", lambda d: d["Entry"].update(
        QtyMultiplier="max(1, floor(nav / 100000))", AbortConditions=["initial_credit < 0.5"])),
    ("exit uses every leg, user vars and the targets", lambda d: d["Exit"].update(
        Conditions=["pos_pnl > profit_target * 0.8 or leg_short_put_dte < 7", "stop_loss > 0"])),
    ("a counter an adjustment keeps", lambda d: (d["Entry"]["VarDefines"].update(moves="0"), add_adjustment(
        d, "pos_delta > 8 and moves < 2", {"MoveLegAdjustment": {
            "LegName": "short_put", "StrikeSelector": {"Delta": "-15"}, "VarDefines": {"moves": "moves + 1"}}}))),
    ("a user variable another adjustment sets", lambda d: (add_adjustment(
        d, "days_in_trade > 5", {"UpdateVarsAdjustment": {"VarDefines": {"pnl_day5": "pos_pnl"}}}),
        d["Exit"].update(Conditions=["pos_pnl < pnl_day5 - 500"]))),
    ("AddLegs legs see the expiration they resolve and each other", lambda d: add_adjustment(d, "pos_delta > 3", {
        "AddLegsAdjustment": {"Expirations": [{"Name": "far", "DTE": "90"}], "Legs": [
            {"Name": "hedge", "Qty": "1", "OptionType": "Put", "ExpirationName": "far",
             "StrikeSelector": {"StrikePrice": "leg_hedge2_strike - 10 + 0 * expiration_far_dte"}},
            {"Name": "hedge2", "Qty": "-1", "OptionType": "Put", "ExpirationName": "far",
             "StrikeSelector": {"Delta": "-10"}}],
            "AbortConditions": ["leg_hedge_price > 5"], "VarDefines": {"hedged": "1"}}})),
    ("a MoveLeg to another expiration sees it", lambda d: add_adjustment(d, "pos_delta > 3", {
        "MoveLegAdjustment": {"LegName": "short_put", "ExpirationName": "exp",
                              "StrikeSelector": {"StrikePrice": "leg_short_put_strike - expiration_exp_dte"}}})),
    ("UpdateVars without a VarDefines key", lambda d: add_adjustment(d, "1 > 0", {"UpdateVarsAdjustment": {
        "marker": "42"}})),
]


@pytest.mark.parametrize("mutate", [r[1] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_accepted(mutate: Callable[[dict[str, Any]], Any]) -> None:
    assert check_definition(pcs(mutate), dialect=SIM) == {}
    assert validate_definition(pcs(mutate)) == {}


def test_mesolive_dialect_accepts_what_only_mesolive_computes() -> None:
    d = pcs(lambda d: d["Exit"].update(Conditions=[
        "underlying_iv_rank > 50 and acc_buying_power > 0", "expiration_exp_dte < 5", "timing.dte(1) < 3"]))
    assert check_definition(d, dialect=Dialect.MESOLIVE) == {}
    assert set(check_definition(d, dialect=SIM)) == {f"{P}.Exit.Conditions[{i}]" for i in range(3)}


def test_a_custom_prefix_and_merge() -> None:
    errors = check_definition(pcs(lambda d: d["Structure"]["Expirations"][0].update(DTE="abc")), prefix="X")
    assert list(errors) == ["X.Structure.Expirations[0].DTE"]
    assert merge_errors({"a": ["1"]}, {"a": ["1", "2"], "b": ["3"]}) == {"a": ["1", "2"], "b": ["3"]}


def test_leg_cycle() -> None:
    assert leg_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert leg_cycle({"a": {"a"}}) is None  # a self reference is reported as such, not as a cycle
    assert leg_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


# ------------------------------------------------------------------ properties against the simulator

_POOL = (sorted(builtin_names(Context.ENTRY, Dialect.MESOLIVE))
         + [f"leg_{n}_{f}" for n in ("short_put", "long_put", "ghost") for f in ("strike", "price", "delta")]
         + ["leg_short_put_strik", "expiration_exp_dte", "expiration_far_dte", "initial_credit", "abc", "acc_x"])
names = st.lists(st.sampled_from(_POOL), min_size=1, max_size=4)


@cache
def _market() -> Market:
    return Market(seed=11, clock=ManualClock(dt.datetime(2025, 3, 12, 15, 0, tzinfo=dt.UTC)))


def _build(d: dict[str, Any]) -> Any:
    env: dict[str, Any] = {"nav": 1e5, "pos_in_flight": 0.0}
    return StrategyBuilder(_market()).build_entry(d, "SPX", env, LiveLegSelectionConstraint.UniqueInPosition, set())


def _flagged(d: dict[str, Any], path: str) -> bool:
    return any("unknown variable" in m for m in check_definition(d, dialect=SIM).get(f"{P}.{path}", []))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_entry_conditions_flagged_exactly_when_the_build_fails_on_them(used: list[str]) -> None:
    d = pcs(lambda d: d["Entry"].update(Conditions=[" + ".join(used) + " > 0"]))
    evaluation = _build(d).entry_conditions[0]
    assert _flagged(d, "Entry.Conditions[0]") == ("unknown variable" in (evaluation.error or ""))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_abort_conditions_flagged_exactly_when_the_build_fails_on_them(used: list[str]) -> None:
    d = pcs(lambda d: d["Entry"].update(AbortConditions=[" + ".join(used) + " > 0"]))
    evaluation = _build(d).abort_conditions[0]
    assert _flagged(d, "Entry.AbortConditions[0]") == ("unknown variable" in (evaluation.error or ""))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_expiration_dte_flagged_exactly_when_the_build_fails_on_it(used: list[str]) -> None:
    d = pcs(lambda d: d["Structure"]["Expirations"][0].update(DTE=f"45 + 0 * ({' + '.join(used)})"))
    try:
        _build(d)
        failed = False
    except BuildError as exc:
        failed = "unknown variable" in str(exc)
    assert _flagged(d, "Structure.Expirations[0].DTE") == failed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_leg_selectors_flagged_exactly_when_the_build_fails_on_them(used: list[str]) -> None:
    d = pcs(lambda d: d["Structure"]["Legs"][1]["StrikeSelector"].update(
        StrikePrice=f"leg_short_put_strike - 25 + 0 * ({' + '.join(used)})"))
    try:
        _build(d)
        failed = False
    except BuildError as exc:
        failed = "unknown variable" in str(exc) or "cycle" in str(exc)
    flagged = _flagged(d, "Structure.Legs[1].StrikeSelector.StrikePrice") or f"{P}.Structure.Legs" in \
        check_definition(d, dialect=SIM)
    assert flagged == failed


# ------------------------------------------------------------------ robustness

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
FIELDS = [("Structure",), ("Structure", "Expirations"), ("Structure", "Legs"), ("Entry",), ("Entry", "VarDefines"),
          ("Entry", "Conditions"), ("Exit",), ("Adjustment",), ("Adjustment", "ConditionalAdjustments")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FIELDS), json_values)
def test_any_json_in_any_section_is_checked_without_raising(where: tuple[str, ...], junk: Any) -> None:
    d = copy.deepcopy(seeded("spx_iron_condor.json"))
    target = d
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = junk
    for dialect in Dialect:
        errors = check_definition(d, dialect=dialect)
        assert all(k.startswith(P) and v for k, v in errors.items())
    validate_definition(d)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_any_json_document_is_checked_without_raising(junk: Any) -> None:
    check_definition(junk)
    if isinstance(junk, dict):
        validate_definition(junk)
