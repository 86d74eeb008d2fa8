"""The strategy expression evaluator: Lua-style semantics, clear errors, no code execution."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesodesk.lang.expressions import ExpressionError, compile_expression, evaluate


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("2 ^ -1", 0.5),
        ("7 % 3", 1.0),
        ("-7 % 3", 2.0),
        ("9 / 2", 4.5),
        ("--5", None),  # a comment only: see test_comment_only_is_empty
        ("1.5e2 + .5", 150.5),
        ("abs(-3) + math.abs(-4)", 7.0),
        ("min(3, 1, 2) + max(3, 1, 2)", 4.0),
        ("math.min(3, 1) + math.max(3, 1)", 4.0),
        ("floor(2.7) + ceil(2.1) + math.floor(-1.5)", 3.0),
        ("round(2.5) + round(-2.5) + round(1.2345, 2)", 1.23),
        ("sqrt(16) + math.sqrt(9)", 7.0),
        ("math.pi > 3.14 and math.pi < 3.15", True),
        ("1 + 1 -- a trailing comment", 2.0),
    ],
)
def test_arithmetic_and_functions(source: str, expected: object) -> None:
    if expected is None:
        with pytest.raises(ExpressionError, match="empty expression"):
            evaluate(source, {})
        return
    assert evaluate(source, {}) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 4", False),
        ("3 >= 3", True),
        ("1 == 1", True),
        ("1 ~= 1", False),
        ("1 != 2", True),
        ("true == 1", False),  # different types are never equal (Lua)
        ("1 < 2 and 2 < 3", True),
        ("1 > 2 or 2 < 3", True),
        ("not (1 > 2)", True),
        ("not nil", True),
        ("nil or 5", 5.0),  # and/or return an operand (Lua)
        ("false and 1", False),
        ("0 and 7", 7.0),  # 0 is true in Lua
        ("x > 1 and y or 4", 7.0),
    ],
)
def test_comparisons_and_logic(source: str, expected: object) -> None:
    assert evaluate(source, {"x": 2, "y": 7}) == expected


def test_variables_accept_decimals_and_bools() -> None:
    env = {"leg_short_put_strike": Decimal("5750"), "pos_pnl": 125.5, "flag": True}
    assert evaluate("leg_short_put_strike - 25", env) == 5725.0
    assert evaluate("pos_pnl >= 100 and flag", env) is True
    expr = compile_expression("leg_short_put_strike - leg_long_put_strike + nav")
    assert expr.variables == {"leg_short_put_strike", "leg_long_put_strike", "nav"}


def test_json_numbers_are_constant_expressions() -> None:
    assert compile_expression(30).number({}) == 30.0
    assert compile_expression(-1.5).number({}) == -1.5
    with pytest.raises(ExpressionError):
        compile_expression(True)  # type: ignore[arg-type]


def test_condition_uses_lua_truthiness_and_number_rejects_booleans() -> None:
    assert compile_expression("0").condition({}) is True
    assert compile_expression("nil").condition({}) is False
    with pytest.raises(ExpressionError, match="expected a number, got a boolean"):
        compile_expression("1 < 2").number({})


def test_unknown_variable_names_it_and_its_position() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate("10 + leg_foo_strike - 25", {})
    assert info.value.position == 5
    assert "unknown variable 'leg_foo_strike'" in str(info.value)
    assert "at position 5" in str(info.value)


@pytest.mark.parametrize(
    ("source", "message", "position"),
    [
        ("1 +", "unexpected end of expression", 3),
        ("(1 + 2", "expected ')'", 6),
        ("1 2", "unexpected '2'", 2),
        ("foo(1)", "unknown function 'foo'", 0),
        ("abs", "must be called", 0),
        ("abs(1, 2)", "takes 1 argument", 0),
        ("1 / 0", "division by zero", 2),
        ("5 % 0", "modulo by zero", 2),
        ("sqrt(-1)", "math domain error", 0),
        ("10 ^ 1000", "math range error", 3),
        ("true + 1", "arithmetic on a boolean", 5),
        ("nil < 1", "compare a nil", 4),
        ("1 $ 2", "unexpected character '$'", 2),
        ("", "empty expression", 0),
    ],
)
def test_errors_are_clear_and_positioned(source: str, message: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(source, {})
    assert message in str(info.value)
    assert info.value.position == position


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os')",
        "__import__(\"os\").system(\"echo pwned\")",
        "os.system('ls')",
        "x.__class__",
        "().__class__.__bases__",
        "math.__dict__",
        "exec('1')",
        "eval('1')",
        "open('/etc/passwd')",
        "lambda: 1",
        "[c for c in ()]",
        "x[0]",
        "1; 2",
        "a = 1",
        "{1: 2}",
        "getattr(x, 'y')",
        "print(1)",
    ],
)
def test_malicious_input_is_rejected_without_running_anything(source: str) -> None:
    called = []

    class Trap(float):
        def __getattribute__(self, name: str) -> object:
            called.append(name)
            return super().__getattribute__(name)

    with pytest.raises(ExpressionError):
        evaluate(source, {"x": Trap(1.0), "a": 1.0})
    assert not [n for n in called if n.startswith("__") and n not in ("__float__", "__class__")]


def test_nesting_and_length_are_bounded() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression("(" * 500 + "1" + ")" * 500)
    with pytest.raises(ExpressionError, match="expression length limit"):
        compile_expression("1+" * 6000 + "1")
    assert compile_expression("(" * 50 + "1" + ")" * 50).number({}) == 1.0


def test_parsing_happens_once() -> None:
    first = compile_expression("leg_a_strike + 5")
    assert compile_expression("leg_a_strike + 5") is first
    assert first.number({"leg_a_strike": 100}) == 105.0
    assert first.number({"leg_a_strike": 200}) == 205.0
