"""The size limits of strategy expressions, in one place (simulator, client checks, editor help).

Generous for real strategies (the bundled ones: at most 201 characters and ~40 terms
per expression, at most ~55 expressions and ~1 KB of expressions per strategy) while
keeping the worst case cheap: a definition at every limit validates in a few tens of
milliseconds, and no expression can nest deeply enough to exhaust the Python stack.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "LIMITS",
    "MAX_EXPRESSION_CHARS",
    "MAX_EXPRESSION_TERMS",
    "MAX_NESTING_DEPTH",
    "MAX_STRATEGY_EXPRESSIONS",
    "MAX_STRATEGY_EXPRESSION_CHARS",
    "Limit",
    "limits_text",
]

#: Characters of one expression (comments and spaces included).
MAX_EXPRESSION_CHARS = 4_000
#: Terms of one expression: operands (numbers, variables, function calls) and operators.
#: ``a + b + c`` has 5; a chain ``1 + 1 + ...`` of this many terms holds ~500 operands.
MAX_EXPRESSION_TERMS = 1_000
#: Levels of nesting: parentheses, function-call arguments, unary operators, ``^`` chains.
MAX_NESTING_DEPTH = 100
#: Expressions in one strategy definition (conditions, VarDefines, selectors, adjustment keys...).
MAX_STRATEGY_EXPRESSIONS = 500
#: Characters of all expressions of one strategy definition together.
MAX_STRATEGY_EXPRESSION_CHARS = 32_000


@dataclass(frozen=True)
class Limit:
    """One limit: ``name`` is what the refusal calls it (``"expression length limit"``)."""

    name: str
    value: int
    unit: str
    scope: str

    def describe(self) -> str:
        return f"{self.value:,} {self.unit} {self.scope}"


EXPRESSION_LENGTH = Limit("expression length limit", MAX_EXPRESSION_CHARS, "characters", "per expression")
EXPRESSION_TERMS = Limit("expression size limit", MAX_EXPRESSION_TERMS, "terms (operands and operators)",
                         "per expression")
NESTING_DEPTH = Limit("nesting depth limit", MAX_NESTING_DEPTH,
                      "levels of parentheses, function calls, unary operators and '^'", "per expression")
STRATEGY_EXPRESSIONS = Limit("expression count limit", MAX_STRATEGY_EXPRESSIONS, "expressions", "per strategy")
STRATEGY_EXPRESSION_CHARS = Limit("strategy expression size limit", MAX_STRATEGY_EXPRESSION_CHARS,
                                  "characters of expressions", "per strategy")

LIMITS: tuple[Limit, ...] = (EXPRESSION_LENGTH, EXPRESSION_TERMS, NESTING_DEPTH, STRATEGY_EXPRESSIONS,
                             STRATEGY_EXPRESSION_CHARS)


def limits_text() -> list[str]:
    """One line per limit, for help texts: ``"expression length limit: 4,000 characters per expression"``."""
    return [f"{limit.name}: {limit.describe()}" for limit in LIMITS]
