"""Size limits of the expression engine (issue 18, findings 1-4): long chains are evaluated
without recursion per term and with the meaning of nested left-associative operators,
every limit is refused with a message naming it, checks of refused text leave the parse
cache alone, and the cache is bounded by characters."""

from __future__ import annotations

import contextlib
import gc
import inspect
import json
import sys
import tracemalloc
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesodesk.lang import check_definition, compile_expression
from mesodesk.lang import expressions as expressions_module
from mesodesk.lang.check import MAX_UNKNOWN_REPORTED
from mesodesk.lang.expressions import CACHE_CHARS, ExpressionError, is_truthy, parse_expression
from mesodesk.lang.limits import (
    LIMITS,
    MAX_EXPRESSION_CHARS,
    MAX_EXPRESSION_TERMS,
    MAX_NESTING_DEPTH,
    MAX_STRATEGY_EXPRESSION_CHARS,
    MAX_STRATEGY_EXPRESSIONS,
    limits_text,
)
from mesodesk.lang.variables import Dialect

P = "StrategyDefinition"


def seeded() -> dict[str, Any]:
    text = resources.files("mesodesk.sim").joinpath("strategies", "spx_put_credit_spread.json").read_text()
    return dict(json.loads(text))


@contextlib.contextmanager
def stack_headroom(frames: int) -> Iterator[None]:
    """Allow only ``frames`` more Python frames than the caller's depth."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def longest_chain(op: str, operand: str = "1") -> str:
    """The longest ``operand op operand op ...`` within the term limit."""
    return f" {op} ".join([operand] * ((MAX_EXPRESSION_TERMS + 1) // 2))


# ------------------------------------------------------------------ chains


@pytest.mark.parametrize("op", ["+", "-", "*", "and", "or"])
def test_a_chain_at_the_term_limit_needs_no_stack_per_term(op: str) -> None:
    source = longest_chain(op)
    terms = (MAX_EXPRESSION_TERMS + 1) // 2
    with stack_headroom(60):  # far fewer frames than terms: parse, names and evaluation loop over a chain
        value = parse_expression(source).evaluate({})
        names = parse_expression(longest_chain(op, "x")).variables
    expected = {"+": float(terms), "-": 1.0 - (terms - 1), "*": 1.0, "and": 1.0, "or": 1.0}[op]
    assert value == expected and names == {"x"}


@pytest.mark.parametrize("op", ["+", "and"])
@pytest.mark.parametrize("terms", [990, 4_999])
def test_the_finding_chains_are_refused_by_the_term_limit(op: str, terms: int) -> None:
    source = ("+" if op == "+" else f" {op} ").join(["1"] * terms)
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    if len(source) > MAX_EXPRESSION_CHARS:
        assert "expression length limit of 4,000 characters" in str(info.value)
    else:
        assert f"expression size limit of {MAX_EXPRESSION_TERMS:,} terms" in str(info.value)
    assert len(str(info.value)) < 400  # the message never repeats a long source in full


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("+-*/"), st.integers(1, 9)), min_size=1, max_size=300),
       st.integers(1, 9))
def test_arithmetic_chains_mean_nested_left_associative_operators(steps: list[tuple[str, int]], first: int) -> None:
    source = f"{first}.0" + "".join(f" {op} {n}.0" for op, n in steps)
    # Python floats, same precedence (* / over + -) and left associativity: the same IEEE operations
    expected = eval(source)  # float literals and + - * / only
    assert compile_expression(source).number({}) == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["and", "or"]), st.sampled_from(["t", "f", "n", "1", "0"])),
                min_size=1, max_size=300), st.sampled_from(["t", "f", "n", "1", "0"]))
def test_logical_chains_mean_lua_left_to_right(steps: list[tuple[str, str]], first: str) -> None:
    env: dict[str, Any] = {"t": True, "f": False, "n": None}
    names = {"t": "t", "f": "f", "n": "n", "1": "1", "0": "0"}
    values: dict[str, Any] = {"t": True, "f": False, "n": None, "1": 1.0, "0": 0.0}
    source = names[first] + "".join(f" {op} {names[v]}" for op, v in steps)
    # Lua precedence: 'and' binds tighter than 'or'; evaluate the or-of-and-groups independently
    groups: list[list[Any]] = [[values[first]]]
    for op, v in steps:
        if op == "or":
            groups.append([values[v]])
        else:
            groups[-1].append(values[v])

    def lua_and(group: list[Any]) -> Any:
        for value in group:
            if not is_truthy(value):
                return value
        return group[-1]

    expected = None
    for k, group in enumerate(groups):
        expected = lua_and(group)
        if is_truthy(expected) or k == len(groups) - 1:
            break
    result = compile_expression(source).evaluate(env)
    assert result == expected and type(result) is type(expected)


def test_errors_in_a_chain_point_at_their_operator() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("1 + 2 + 3 / 0 + 4").evaluate({})
    assert info.value.position == 10 and "division by zero" in str(info.value)
    with pytest.raises(ExpressionError) as info:
        compile_expression("1 + 2 + nil + 4").evaluate({})
    assert info.value.position == 6 and "arithmetic on a nil" in str(info.value)


# ------------------------------------------------------------------ the other limits


def test_length_and_depth_limits_are_named() -> None:
    with pytest.raises(ExpressionError, match=f"expression length limit of {MAX_EXPRESSION_CHARS:,} characters"):
        parse_expression("1" + " " * MAX_EXPRESSION_CHARS)
    assert parse_expression("1" + " " * (MAX_EXPRESSION_CHARS - 1)).number({}) == 1.0
    deep = "(" * (MAX_NESTING_DEPTH - 1) + "1" + ")" * (MAX_NESTING_DEPTH - 1)  # the top level is one
    assert parse_expression(deep).number({}) == 1.0
    with pytest.raises(ExpressionError, match=f"nesting depth limit of {MAX_NESTING_DEPTH} levels"):
        parse_expression("(" + deep + ")")
    with pytest.raises(ExpressionError, match="nesting depth limit"):
        parse_expression("2" + "^2" * (MAX_NESTING_DEPTH + 1))
    with pytest.raises(ExpressionError, match="nesting depth limit"):
        parse_expression("- " * (MAX_NESTING_DEPTH + 1) + "1")  # '--' would start a comment


def test_the_deepest_accepted_expression_evaluates_in_a_modest_stack() -> None:
    """Recursion follows nesting only, which the depth limit bounds: ~3 frames per level."""
    deep = "max(" * (MAX_NESTING_DEPTH - 1) + "1" + ")" * (MAX_NESTING_DEPTH - 1)
    with stack_headroom(4 * MAX_NESTING_DEPTH):
        assert parse_expression(deep).number({}) == 1.0


def test_per_strategy_limits_refuse_with_one_message_naming_the_limit() -> None:
    many = seeded()
    many["Entry"]["Conditions"] = ["nav > 0"] * MAX_STRATEGY_EXPRESSIONS
    errors = check_definition(many, dialect=Dialect.SIMULATOR)
    assert list(errors) == [P]
    assert errors[P] == [f"the definition exceeds the expression count limit of {MAX_STRATEGY_EXPRESSIONS} "
                         "expressions per strategy"]
    big = seeded()
    condition = "nav > " + "1" * 3_000
    big["Entry"]["Conditions"] = [condition] * (MAX_STRATEGY_EXPRESSION_CHARS // len(condition) + 1)
    errors = check_definition(big, dialect=Dialect.MESOLIVE)
    assert errors == {P: [f"the definition exceeds the strategy expression size limit of "
                          f"{MAX_STRATEGY_EXPRESSION_CHARS:,} characters of expressions per strategy"]}
    fits = seeded()
    fits["Entry"]["Conditions"] = [condition] * 5
    assert check_definition(fits, dialect=Dialect.SIMULATOR) == {}


@pytest.mark.parametrize("section", ["Structure.Expirations", "Structure.Legs", "Entry.VarDefines",
                                     "Entry.AbortConditions", "Adjustment.ConditionalAdjustments"])
def test_parts_that_hold_expressions_count_even_when_empty(section: str) -> None:
    """50,000 expirations without a DTE (or legs without a Qty...) are refused at once by the count
    limit; each must hold an expression in a valid definition (old code: quadratic, minutes)."""
    d = seeded()
    head, key = section.split(".")
    items = [{"Name": f"x{k}"} for k in range(50_000)]
    d[head][key] = {f"x{k}": None for k in range(50_000)} if key in ("VarDefines",) else (
        {f"c{k}": {} for k in range(50_000)} if key == "ConditionalAdjustments" else items)
    assert check_definition(d, dialect=Dialect.SIMULATOR) == {P: [
        f"the definition exceeds the expression count limit of {MAX_STRATEGY_EXPRESSIONS} expressions per strategy"]}


def test_unknown_variables_are_reported_a_few_per_expression() -> None:
    d = seeded()
    d["Entry"]["Conditions"] = [" + ".join(f"unknown_{k:03d}" for k in range(250)) + " > 0"]
    messages = check_definition(d, dialect=Dialect.SIMULATOR)[f"{P}.Entry.Conditions[0]"]
    assert messages[:MAX_UNKNOWN_REPORTED] == [f"unknown variable 'unknown_{k:03d}'" for k in range(MAX_UNKNOWN_REPORTED)]
    assert messages[MAX_UNKNOWN_REPORTED:] == [f"and {250 - MAX_UNKNOWN_REPORTED} more unknown variables"]


def test_limits_text_lists_every_limit_with_its_value() -> None:
    lines = limits_text()
    assert len(lines) == len(LIMITS) == 5
    for limit, line in zip(LIMITS, lines, strict=True):
        assert line.startswith(limit.name) and f"{limit.value:,}" in line


# ------------------------------------------------------------------ the parse cache


def test_checking_a_definition_does_not_fill_the_parse_cache() -> None:
    cache = expressions_module._cache
    before = len(cache)
    d = seeded()
    d["Entry"]["Conditions"] = [f"nav > {k} + never_cached_{k}" for k in range(50)]
    assert check_definition(d, dialect=Dialect.SIMULATOR)
    assert len(cache) == before


def test_the_parse_cache_is_bounded_by_characters() -> None:
    cache = expressions_module._cache
    source = "1" + " " * 3_000
    for k in range(2 * CACHE_CHARS // len(source) + 5):
        compile_expression(f"{source} + {k}")
        assert cache.chars <= CACHE_CHARS
    assert compile_expression("nav + 1") is compile_expression("nav + 1")


@pytest.mark.parametrize("count", [20, pytest.param(480, marks=pytest.mark.heavy)])
def test_refused_definitions_leave_no_memory_behind(count: int) -> None:
    """Finding 4: distinct expressions in refused definitions stay out of memory."""
    from mesodesk.sim.hubs.strategies import validate_definition

    def refused(i: int) -> dict[str, Any]:
        d = seeded()
        # parses (999 terms, ~2.4 KB), refused: 499 unknown variables
        d["Entry"]["Conditions"] = ["+".join(f"v{j}" for j in range(MAX_EXPRESSION_TERMS // 2 - 1)) + f" > {i}"]
        return d

    assert validate_definition(refused(-1))  # warm up
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for i in range(count):
            assert validate_definition(refused(i))
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 1 << 20


def test_the_strategy_editor_help_lists_the_limits_from_the_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    from mesodesk.lang import limits
    from mesodesk.ui.trading.strategy_editor import expression_help

    text = expression_help()
    assert all(line in text for line in limits_text())
    changed = (limits.Limit("expression length limit", 1_234, "characters", "per expression"), *LIMITS[1:])
    monkeypatch.setattr(limits, "LIMITS", changed)
    assert "expression length limit: 1,234 characters per expression" in expression_help()
