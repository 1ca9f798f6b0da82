"""A safe evaluator for metric formulas: an AST whitelist, never `eval`.

A formula is an arithmetic expression over named run variables, e.g.
`max(0, 1 - time_to_green_s / skill.max_duration_s)`. Parsing checks every node
against a whitelist and every name against the known variables, so a bad
formula is found at validate time; evaluation walks the same checked tree.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Variables a formula may use, with what they mean. Bench fills them per run.
VARIABLES: dict[str, str] = {
    "changed_lines": "lines changed by the run",
    "time_to_green_s": "seconds from start until CI was green",
    "duration_s": "wall-clock seconds of the run",
    "ci_attempts": "CI attempts the run needed",
    "tokens_in": "prompt tokens used",
    "tokens_out": "completion tokens used",
    "cost_usd": "cost of the run in US dollars",
    "pass_rate": "share of the skill's cases that passed (0..1)",
    "states_visited": "number of state-machine states the run passed through",
    "skill.max_duration_s": "the skill's max_duration_s",
    "skill.repeat": "the skill's benchmark.repeat",
}

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": lambda value, digits=0: round(value, int(digits)),
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "clamp": lambda value, low, high: max(low, min(high, value)),
}
#: How many arguments each function takes: (fewest, most; None for no limit).
ARITY: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "round": (1, 2),
    "sqrt": (1, 1),
    "log": (1, 2),
    "exp": (1, 1),
    "clamp": (3, 3),
}

MAX_LENGTH = 500
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e12

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


class FormulaError(ValueError):
    """A formula that does not parse, uses something not allowed, or cannot be evaluated."""

    def __init__(self, code: str, message: str, column: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


@dataclass(frozen=True)
class Formula:
    """A parsed, checked formula and the variables it reads."""

    source: str
    tree: ast.Expression
    variables: frozenset[str]

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Evaluate with the given variable values; raises FormulaError on missing data or bad math."""
        missing = sorted(self.variables - values.keys())
        if missing:
            raise FormulaError("formula-missing-data", f"no value for {', '.join(missing)}")
        try:
            result = _evaluate(self.tree.body, values)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise FormulaError("formula-math", f"cannot evaluate {self.source!r}: {exc}") from None
        if isinstance(result, bool):
            result = float(result)
        if not math.isfinite(result):
            raise FormulaError("formula-math", f"{self.source!r} is not a finite number")
        return float(result)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _check(node: ast.AST, variables: set[str], known: Mapping[str, str]) -> None:
    column = getattr(node, "col_offset", 0) + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError("formula-forbidden", f"only numbers are allowed, not {node.value!r}", column)
        if abs(node.value) > MAX_MAGNITUDE:
            raise FormulaError("formula-forbidden", f"constant {node.value!r} is too large", column)
        return
    if isinstance(node, (ast.Name, ast.Attribute)):
        name = _name(node)
        if name is None or name.startswith("_") or "._" in name:
            raise FormulaError("formula-forbidden", "attribute access is not allowed", column)
        if name in FUNCTIONS:
            raise FormulaError("formula-forbidden", f"{name} is a function; call it", column)
        if name not in known:
            raise FormulaError("formula-unknown-variable", f"unknown variable {name!r}", column)
        variables.add(name)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, (ast.USub, ast.UAdd)):
                exponent = exponent.operand
            if not isinstance(exponent, ast.Constant) or not isinstance(exponent.value, (int, float)):
                raise FormulaError("formula-forbidden", "an exponent must be a number", column)
            if abs(exponent.value) > MAX_EXPONENT:
                raise FormulaError("formula-forbidden", f"exponent {exponent.value!r} is over {MAX_EXPONENT}", column)
        _check(node.left, variables, known)
        _check(node.right, variables, known)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        _check(node.operand, variables, known)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, variables, known)
        return
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        _check(node.left, variables, known)
        for comparator in node.comparators:
            _check(comparator, variables, known)
        return
    if isinstance(node, ast.IfExp):
        for part in (node.test, node.body, node.orelse):
            _check(part, variables, known)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise FormulaError(
                "formula-forbidden",
                f"only these functions may be called: {', '.join(sorted(FUNCTIONS))}",
                column,
            )
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise FormulaError("formula-forbidden", f"{node.func.id}() takes plain positional arguments", column)
        fewest, most = ARITY[node.func.id]
        if len(node.args) < fewest or (most is not None and len(node.args) > most):
            expected = f"{fewest}" if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
            raise FormulaError(
                "formula-syntax",
                f"{node.func.id}() takes {expected} argument{'' if most == 1 else 's'}, not {len(node.args)}",
                column,
            )
        for arg in node.args:
            _check(arg, variables, known)
        return
    raise FormulaError("formula-forbidden", f"{type(node).__name__} is not allowed in a formula", column)


def parse_formula(source: str, known: Mapping[str, str] = VARIABLES) -> Formula:
    """Parse and check a formula; raises FormulaError for syntax, forbidden constructs or unknown names."""
    if len(source) > MAX_LENGTH:
        raise FormulaError("formula-forbidden", f"formula is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError("formula-syntax", f"formula does not parse: {exc.msg}", exc.offset or 1) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("formula-syntax", "formula does not parse") from None
    variables: set[str] = set()
    _check(tree.body, variables, known)
    return Formula(source=source, tree=tree, variables=frozenset(variables))


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        constant: Any = node.value
        return float(constant)
    if isinstance(node, (ast.Name, ast.Attribute)):
        return float(values[_name(node) or ""])
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(node.op, ast.Pow) and abs(left) > MAX_MAGNITUDE:
            raise ArithmeticError("base too large for a power")
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ValueError("the result is not a real number")
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        if isinstance(node.op, ast.Not):
            return float(not operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BoolOp):
        results = [_evaluate(value, values) for value in node.values]
        if isinstance(node.op, ast.And):
            return float(all(results))
        return float(any(results))
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, values)
            if not _COMPARE[type(op)](left, right):
                return 0.0
            left = right
        return 1.0
    if isinstance(node, ast.IfExp):
        branch = node.body if _evaluate(node.test, values) else node.orelse
        return _evaluate(branch, values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return float(FUNCTIONS[node.func.id](*(_evaluate(arg, values) for arg in node.args)))
    raise FormulaError("formula-forbidden", f"{type(node).__name__} is not allowed in a formula")
