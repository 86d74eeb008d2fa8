"""A safe evaluator for the MesoSim/Lua-style expressions of strategy definitions.

The text is tokenized and parsed once (a small Pratt parser) into a tree of plain
nodes; evaluation walks that tree against a ``dict`` of variables. Nothing is ever
executed: there are no strings, no attribute access (except the ``math.``
function prefix), no indexing and only a fixed set of functions.

Supported (Lua precedence, lowest first): ``or``; ``and``; ``== ~= != < <= > >=``;
``+ -``; ``* / %``; unary ``-``/``not``; ``^`` (right associative, binds tighter
than a unary minus on its left: ``-2^2 == -4``). Literals: numbers, ``true``,
``false``, ``nil``. ``--`` starts a comment. Functions: ``abs min max floor ceil
round sqrt exp log pow`` and the same as ``math.*``; constants ``math.pi``,
``math.huge``.

Semantics follow Lua: ``and``/``or`` return one of their operands, only ``nil``
and ``false`` are falsy (``0`` is true). Deviations, chosen for safety: division
or modulo by zero and math domain errors raise :class:`ExpressionError` instead
of producing inf/nan.

Size: the limits of :mod:`mesodesk.lang.limits` (length, terms, nesting depth) are
refused with an :class:`ExpressionError` naming the limit. A left-associative run
(``a + b - c``, ``x and y and z``) is one flat :class:`_Chain` node evaluated in a
loop, so parsing, evaluation and name collection recurse only per nesting level,
never per term. Parsed expressions are cached within a character budget
(:data:`CACHE_CHARS`); :func:`parse_expression` parses without caching (checks of
definitions that may be refused).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mesodesk.lang.limits import EXPRESSION_LENGTH, EXPRESSION_TERMS, NESTING_DEPTH

__all__ = [
    "CACHE_CHARS",
    "Expression",
    "ExpressionError",
    "Value",
    "compile_expression",
    "evaluate",
    "is_truthy",
    "parse_expression",
]

Value = float | bool | None

#: Characters of source the parse cache holds at most (least recently used first out).
CACHE_CHARS = 200_000
_SHOWN_SOURCE = 120


class ExpressionError(ValueError):
    """A parse or evaluation error; ``position`` is the 0-based offset in ``source``."""

    def __init__(self, message: str, position: int | None = None, source: str | None = None) -> None:
        self.reason = message
        self.position = position
        self.source = source
        where = f" at position {position}" if position is not None else ""
        text = f" in {_shown(source)}" if source is not None else ""
        super().__init__(f"{message}{where}{text}")


def _shown(source: str) -> str:
    """``source`` quoted for a message; a long one shortened."""
    if len(source) <= _SHOWN_SOURCE:
        return repr(source)
    return f"{source[:_SHOWN_SOURCE]!r}... ({len(source):,} characters)"


# ------------------------------------------------------------------ tokenizer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|~=|!=|<=|>=|[-+*/%^<>(),.])
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "nil"})


class _Tok(NamedTuple):
    kind: str  # num | name | op | kw | eof
    text: str
    pos: int


def _tokenize(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup or ""
        if kind == "ws" or kind == "comment":
            continue
        text, i = m.group(), m.start()
        if kind == "bad":
            if text in "\"'[":
                raise ExpressionError("strings and indexing are not supported", i, source)
            raise ExpressionError(f"unexpected character {text!r}", i, source)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        out.append(_Tok(kind, text, i))
    out.append(_Tok("eof", "", len(source)))
    return out


# ------------------------------------------------------------------ functions


def _round(x: float, digits: float = 0) -> float:
    q = 10.0 ** int(digits)
    return math.copysign(math.floor(abs(x) * q + 0.5) / q, x)


_FUNCTIONS: dict[str, tuple[Callable[..., float], int, int]] = {
    # name: (function, min args, max args)
    "abs": (abs, 1, 1),
    "min": (lambda *args: min(args), 1, 64),  # min(x) of one number is that number
    "max": (lambda *args: max(args), 1, 64),
    "floor": (lambda x: float(math.floor(x)), 1, 1),
    "ceil": (lambda x: float(math.ceil(x)), 1, 1),
    "round": (_round, 1, 2),
    "sqrt": (math.sqrt, 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (math.log, 1, 2),
    "pow": (math.pow, 2, 2),
}
_FUNCTIONS.update({f"math.{name}": spec for name, spec in list(_FUNCTIONS.items())})
_CONSTANTS = {"math.pi": math.pi, "math.huge": math.inf}


# ------------------------------------------------------------------ nodes


@dataclass(frozen=True, slots=True)
class _Node:
    pos: int


@dataclass(frozen=True, slots=True)
class _Const(_Node):
    value: Value


@dataclass(frozen=True, slots=True)
class _Var(_Node):
    name: str


@dataclass(frozen=True, slots=True)
class _Unary(_Node):
    op: str
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Step:
    """``<op> operand`` applied to the value so far; ``pos`` is the operator's."""

    pos: int
    op: str
    operand: _Node


@dataclass(frozen=True, slots=True)
class _Chain(_Node):
    """A left-associative run: ``first``, then each step in order (``a + b - c``)."""

    first: _Node
    steps: tuple[_Step, ...]


@dataclass(frozen=True, slots=True)
class _Call(_Node):
    name: str
    args: tuple[_Node, ...]


# ------------------------------------------------------------------ parser

_BINARY_BP = {
    "or": 1, "and": 2,
    "==": 3, "~=": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "^": 8,
}
_UNARY_BP = 7


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks = _tokenize(source)
        self.i = 0
        self.depth = 0
        self.terms = 0

    def error(self, message: str, tok: _Tok) -> ExpressionError:
        return ExpressionError(message, tok.pos, self.source)

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def advance(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def term(self, tok: _Tok) -> None:
        """Count one operand or operator against the size limit."""
        self.terms += 1
        if self.terms > EXPRESSION_TERMS.value:
            raise ExpressionError(f"exceeds the {EXPRESSION_TERMS.name} of {EXPRESSION_TERMS.describe()}",
                                  tok.pos)

    def expect(self, text: str) -> _Tok:
        tok = self.tok
        if tok.text != text or tok.kind not in ("op", "kw"):
            found = "end of expression" if tok.kind == "eof" else repr(tok.text)
            raise self.error(f"expected {text!r}, found {found}", tok)
        return self.advance()

    def parse(self) -> _Node:
        if self.tok.kind == "eof":
            raise self.error("empty expression", self.tok)
        node = self.expr(0)
        if self.tok.kind != "eof":
            raise self.error(f"unexpected {self.tok.text!r}", self.tok)
        return node

    def expr(self, rbp: int) -> _Node:
        self.depth += 1
        if self.depth > NESTING_DEPTH.value:
            raise ExpressionError(f"expression is nested too deeply: exceeds the {NESTING_DEPTH.name} of "
                                  f"{NESTING_DEPTH.value} levels", self.tok.pos)
        first = self.nud(self.advance())
        steps: list[_Step] = []
        while True:
            tok = self.tok
            bp = _BINARY_BP.get(tok.text) if tok.kind in ("op", "kw") else None
            if bp is None or bp <= rbp:
                break
            self.advance()
            self.term(tok)
            # '^' is right associative: parse its right side at one less.
            right = self.expr(bp - 1 if tok.text == "^" else bp)
            steps.append(_Step(tok.pos, "~=" if tok.text == "!=" else tok.text, right))
        self.depth -= 1
        return _Chain(first.pos, first, tuple(steps)) if steps else first

    def nud(self, tok: _Tok) -> _Node:
        if tok.text != "(":
            self.term(tok)
        if tok.kind == "num":
            return _Const(tok.pos, float(tok.text))
        if tok.kind == "kw":
            if tok.text in ("true", "false"):
                return _Const(tok.pos, tok.text == "true")
            if tok.text == "nil":
                return _Const(tok.pos, None)
            if tok.text == "not":
                return _Unary(tok.pos, "not", self.expr(_UNARY_BP))
        if tok.kind == "op":
            if tok.text == "-":
                return _Unary(tok.pos, "-", self.expr(_UNARY_BP))
            if tok.text == "(":
                inner = self.expr(0)
                self.expect(")")
                return inner
        if tok.kind == "name":
            return self.name(tok)
        found = "end of expression" if tok.kind == "eof" else repr(tok.text)
        raise self.error(f"unexpected {found}", tok)

    def name(self, tok: _Tok) -> _Node:
        name = tok.text
        if self.tok.text == "." and self.tok.kind == "op":
            dot = self.advance()
            member = self.tok
            if name != "math" or member.kind != "name":
                raise self.error("attribute access is not allowed (only math.<function>)", dot)
            self.advance()
            name = f"math.{member.text}"
            if name in _CONSTANTS:
                return _Const(tok.pos, _CONSTANTS[name])
            if name not in _FUNCTIONS:
                raise self.error(f"unknown function {name!r}", tok)
        if self.tok.text == "(" and self.tok.kind == "op":
            if name not in _FUNCTIONS:
                raise self.error(f"unknown function {name!r}", tok)
            self.advance()
            args: list[_Node] = []
            if self.tok.text != ")":
                args.append(self.expr(0))
                while self.tok.text == "," and self.tok.kind == "op":
                    self.advance()
                    args.append(self.expr(0))
            self.expect(")")
            _, lo, hi = _FUNCTIONS[name]
            if not lo <= len(args) <= hi:
                raise self.error(f"{name}() takes {lo if lo == hi else f'{lo} to {hi}'} argument(s), "
                                 f"got {len(args)}", tok)
            return _Call(tok.pos, name, tuple(args))
        if name in _FUNCTIONS:
            raise self.error(f"function {name!r} must be called", tok)
        return _Var(tok.pos, name)


# ------------------------------------------------------------------ evaluation


def is_truthy(value: Value) -> bool:
    """Lua truthiness: only ``nil`` and ``false`` are false."""
    return value is not None and value is not False


def _type_name(value: Value) -> str:
    return "nil" if value is None else "boolean" if isinstance(value, bool) else "number"


class _Evaluator:
    def __init__(self, source: str, env: Mapping[str, Any]) -> None:
        self.source = source
        self.env = env

    def fail(self, message: str, node: _Node | _Step) -> ExpressionError:
        return ExpressionError(message, node.pos, self.source)

    def number(self, value: Value, node: _Node | _Step, what: str) -> float:
        if value is None or isinstance(value, bool):
            raise self.fail(f"attempt to {what} a {_type_name(value)} value", node)
        return value

    def eval(self, node: _Node) -> Value:
        if isinstance(node, _Const):
            return node.value
        if isinstance(node, _Var):
            return self.var(node)
        if isinstance(node, _Chain):
            return self.chain(node)
        if isinstance(node, _Unary):
            operand = self.eval(node.operand)
            if node.op == "not":
                return not is_truthy(operand)
            return -self.number(operand, node, "negate")
        if isinstance(node, _Call):
            return self.call(node)
        raise self.fail("invalid expression node", node)  # pragma: no cover

    def chain(self, node: _Chain) -> Value:
        """Left to right, as nested left-associative operators would (``and``/``or`` short-circuit)."""
        value = self.eval(node.first)
        for step in node.steps:
            if step.op == "and":
                if is_truthy(value):
                    value = self.eval(step.operand)
            elif step.op == "or":
                if not is_truthy(value):
                    value = self.eval(step.operand)
            else:
                value = self.binary(step, value, self.eval(step.operand))
        return value

    def var(self, node: _Var) -> Value:
        if node.name not in self.env:
            raise self.fail(f"unknown variable {node.name!r}", node)
        value = self.env[node.name]
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return float(value)  # Decimal and friends
        except (TypeError, ValueError):
            raise self.fail(f"variable {node.name!r} is not a number", node) from None

    def binary(self, node: _Step, left: Value, right: Value) -> Value:
        """A non-logical operator ``node.op`` on two evaluated operands."""
        op = node.op
        if op == "==":
            return left == right and type(left) is type(right)
        if op == "~=":
            return not (left == right and type(left) is type(right))
        if op in ("<", "<=", ">", ">="):
            a = self.number(left, node, "compare")
            b = self.number(right, node, "compare")
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        a = self.number(left, node, "perform arithmetic on")
        b = self.number(right, node, "perform arithmetic on")
        try:
            if op == "+":
                result = a + b
            elif op == "-":
                result = a - b
            elif op == "*":
                result = a * b
            elif op == "/":
                if b == 0:
                    raise self.fail("division by zero", node)
                result = a / b
            elif op == "%":
                if b == 0:
                    raise self.fail("modulo by zero", node)
                result = a - math.floor(a / b) * b
            else:  # '^'
                result = math.pow(a, b)
        except ExpressionError:
            raise
        except (OverflowError, ValueError) as exc:
            raise self.fail(f"arithmetic error: {exc}", node) from None
        return self.finite(result, node)

    def call(self, node: _Call) -> Value:
        fn, _, _ = _FUNCTIONS[node.name]
        args = [self.number(self.eval(a), a, f"pass to {node.name}()") for a in node.args]
        try:
            result = float(fn(*args))
        except (OverflowError, ValueError, ZeroDivisionError) as exc:
            raise self.fail(f"{node.name}(): {exc}", node) from None
        return self.finite(result, node)

    def finite(self, value: float, node: _Node | _Step) -> float:
        if math.isnan(value):
            raise self.fail("result is not a number", node)
        return value


# ------------------------------------------------------------------ public API


def _names(root: _Node) -> frozenset[str]:
    """Every variable name in the tree (an explicit stack: no recursion)."""
    names: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _Var):
            names.add(node.name)
        elif isinstance(node, _Unary):
            stack.append(node.operand)
        elif isinstance(node, _Chain):
            stack.append(node.first)
            stack.extend(step.operand for step in node.steps)
        elif isinstance(node, _Call):
            stack.extend(node.args)
    return frozenset(names)


@dataclass(frozen=True)
class Expression:
    """A parsed expression. ``variables`` = every variable name it references."""

    source: str
    _root: _Node = field(repr=False)
    variables: frozenset[str] = frozenset()

    def evaluate(self, env: Mapping[str, Any]) -> Value:
        return _Evaluator(self.source, env).eval(self._root)

    def number(self, env: Mapping[str, Any]) -> float:
        """Evaluate to a number (a boolean or nil result is an error)."""
        value = self.evaluate(env)
        if value is None or isinstance(value, bool):
            raise ExpressionError(f"expected a number, got a {_type_name(value)}", 0, self.source)
        return value

    def condition(self, env: Mapping[str, Any]) -> bool:
        """Evaluate as a condition (Lua truthiness)."""
        return is_truthy(self.evaluate(env))


def _source_text(source: str | float | int) -> str:
    if isinstance(source, bool) or not isinstance(source, (str, int, float)):
        raise ExpressionError(f"an expression must be a string or a number, got {type(source).__name__}")
    if not isinstance(source, str):
        source = repr(source) if isinstance(source, float) else str(source)
    return source


def _parse(source: str) -> Expression:
    if len(source) > EXPRESSION_LENGTH.value:
        raise ExpressionError(f"exceeds the {EXPRESSION_LENGTH.name} of {EXPRESSION_LENGTH.describe()} "
                              f"(it has {len(source):,})")
    root = _Parser(source).parse()
    return Expression(source, root, _names(root))


class _ParseCache:
    """Least-recently-used parsed expressions within a budget of source characters (memory
    grows with the source length); thread-safe. Failed parses are not kept."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.chars = 0
        self._items: OrderedDict[str, Expression] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, source: str) -> Expression:
        with self._lock:
            found = self._items.get(source)
            if found is not None:
                self._items.move_to_end(source)
                return found
        expr = _parse(source)
        with self._lock:
            if source not in self._items:
                self._items[source] = expr
                self.chars += len(source)
                while self.chars > self.budget and len(self._items) > 1:
                    old, _ = self._items.popitem(last=False)
                    self.chars -= len(old)
        return expr

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.chars = 0

    def __len__(self) -> int:
        return len(self._items)


_cache = _ParseCache(CACHE_CHARS)


def parse_expression(source: str | float | int) -> Expression:
    """Parse ``source`` without caching: for checks of text that may be refused."""
    return _parse(_source_text(source))


def compile_expression(source: str | float | int) -> Expression:
    """Parse ``source`` once (cached). JSON numbers are accepted as constant expressions."""
    return _cache.get(_source_text(source))


def evaluate(source: str | float | int, env: Mapping[str, Any]) -> Value:
    """Parse (cached) and evaluate ``source`` against ``env``."""
    return compile_expression(source).evaluate(env)
