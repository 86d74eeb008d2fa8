"""The strategy language, shared by the simulator and the client (standard library only):
the expression parser/evaluator, the ScriptEngine variable catalog, the static
checks of a StrategyDefinition and the size limits of expressions (:mod:`.limits`)."""

from mesodesk.lang.check import PREFIX, check_definition, merge_errors
from mesodesk.lang.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    evaluate,
    parse_expression,
)
from mesodesk.lang.variables import (
    BUILTINS,
    EXPIRATION_FIELDS,
    LEG_FIELDS,
    Context,
    Dialect,
    Variable,
    builtin_names,
)

__all__ = [
    "BUILTINS",
    "EXPIRATION_FIELDS",
    "LEG_FIELDS",
    "PREFIX",
    "Context",
    "Dialect",
    "Expression",
    "ExpressionError",
    "Variable",
    "builtin_names",
    "check_definition",
    "compile_expression",
    "evaluate",
    "merge_errors",
    "parse_expression",
]
