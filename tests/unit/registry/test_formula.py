"""skillci.registry.formula: the safe metric-formula evaluator (an AST whitelist, never eval)."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from skillci.registry.formula import MAX_EXPONENT, MAX_LENGTH, VARIABLES, Formula, FormulaError, parse_formula


def _evaluate(source: str, values: Mapping[str, float] | None = None) -> float:
    return parse_formula(source).evaluate(values or {})


def _parse_error(source: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse_formula(source)
    return caught.value


def _evaluate_error(source: str, values: Mapping[str, float] | None = None) -> FormulaError:
    formula = parse_formula(source)
    with pytest.raises(FormulaError) as caught:
        formula.evaluate(values or {})
    return caught.value


# ---- valid formulas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("max(0, 1 - changed_lines / 200)", {"changed_lines": 50}, 0.75),
        ("max(0, 1 - changed_lines / 200)", {"changed_lines": 500}, 0.0),
        (
            "max(0, 1 - time_to_green_s / skill.max_duration_s)",
            {"time_to_green_s": 150, "skill.max_duration_s": 600},
            0.75,
        ),
        ("clamp(pass_rate * 2, 0, 1)", {"pass_rate": 0.7}, 1.0),
        ("clamp(pass_rate * 2, 0, 1)", {"pass_rate": 0.2}, 0.4),
        ("clamp(1 - cost_usd, 0, 1)", {"cost_usd": 3}, 0.0),
        ("min(1, ci_attempts / 4)", {"ci_attempts": 2}, 0.5),
        ("min(tokens_in, tokens_out, 10)", {"tokens_in": 30, "tokens_out": 20}, 10.0),
        ("max(duration_s, 1, 2)", {"duration_s": 0.5}, 2.0),
        ("abs(states_visited - 5)", {"states_visited": 3}, 2.0),
        ("round(pass_rate * 10)", {"pass_rate": 0.26}, 3.0),
        ("sqrt(changed_lines)", {"changed_lines": 16}, 4.0),
        ("exp(0) + log(1)", {}, 1.0),
        ("2 ** 10", {}, 1024.0),
        ("2 ** -1", {}, 0.5),
        (f"2 ** {MAX_EXPONENT}", {}, float(2**MAX_EXPONENT)),
        ("7 // 2 + 7 % 4", {}, 6.0),
        ("-changed_lines + +3", {"changed_lines": 1}, 2.0),
        ("skill.repeat * 2", {"skill.repeat": 3}, 6.0),
        ("  max(0, 1 - changed_lines / 200)\n", {"changed_lines": 0}, 1.0),
    ],
)
def test_valid_formulas_evaluate(source: str, values: dict[str, float], expected: float) -> None:
    result = _evaluate(source, values)
    assert isinstance(result, float)
    assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("changed_lines < 10", {"changed_lines": 5}, 1.0),
        ("changed_lines < 10", {"changed_lines": 10}, 0.0),
        ("changed_lines <= 10", {"changed_lines": 10}, 1.0),
        ("changed_lines > 10", {"changed_lines": 11}, 1.0),
        ("changed_lines >= 10", {"changed_lines": 9}, 0.0),
        ("changed_lines == 3", {"changed_lines": 3}, 1.0),
        ("changed_lines != 3", {"changed_lines": 3}, 0.0),
        ("0 < changed_lines <= 10", {"changed_lines": 10}, 1.0),
        ("0 < changed_lines <= 10", {"changed_lines": 0}, 0.0),
        ("(changed_lines < 10) + (ci_attempts == 1)", {"changed_lines": 1, "ci_attempts": 1}, 2.0),
        ("changed_lines > 0 and ci_attempts < 3", {"changed_lines": 1, "ci_attempts": 2}, 1.0),
        ("changed_lines > 0 and ci_attempts < 3", {"changed_lines": 1, "ci_attempts": 3}, 0.0),
        ("changed_lines > 0 or ci_attempts < 3", {"changed_lines": 0, "ci_attempts": 3}, 0.0),
        ("not changed_lines", {"changed_lines": 0}, 1.0),
    ],
)
def test_comparisons_and_logic_give_one_or_zero(source: str, values: dict[str, float], expected: float) -> None:
    assert _evaluate(source, values) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"changed_lines": 3, "time_to_green_s": 60, "skill.max_duration_s": 600}, 1.0),
        ({"changed_lines": 30, "time_to_green_s": 300, "skill.max_duration_s": 600}, 0.5),
        ({"changed_lines": 30, "time_to_green_s": 900, "skill.max_duration_s": 600}, 0.0),
    ],
)
def test_conditional_expressions(values: dict[str, float], expected: float) -> None:
    source = "1 if changed_lines <= 5 else max(0, 1 - time_to_green_s / skill.max_duration_s)"
    assert _evaluate(source, values) == pytest.approx(expected)


def test_only_the_taken_branch_needs_to_be_computable() -> None:
    formula = parse_formula("0 if changed_lines == 0 else 1 / changed_lines")
    assert formula.evaluate({"changed_lines": 0}) == 0.0
    assert formula.evaluate({"changed_lines": 4}) == 0.25


def test_parse_records_source_and_variables_including_dotted_names() -> None:
    source = "max(0, 1 - time_to_green_s / skill.max_duration_s) * clamp(pass_rate, 0, 1)"
    formula = parse_formula(source)
    assert isinstance(formula, Formula)
    assert formula.source == source
    assert formula.variables == frozenset({"time_to_green_s", "skill.max_duration_s", "pass_rate"})
    assert parse_formula("1 + 2").variables == frozenset()


def test_every_documented_variable_parses() -> None:
    for name in VARIABLES:
        assert parse_formula(f"{name} + 1").variables == {name}


def test_extra_values_are_ignored() -> None:
    assert _evaluate("changed_lines", {"changed_lines": 2, "cost_usd": 9, "unrelated": 1}) == 2.0


def test_custom_known_variables() -> None:
    formula = parse_formula("queue_depth / 10", known={"queue_depth": "jobs waiting"})
    assert formula.evaluate({"queue_depth": 5}) == 0.5
    assert _error_code(lambda: parse_formula("changed_lines", known={"queue_depth": "jobs waiting"})) == (
        "formula-unknown-variable"
    )


def _error_code(action: Callable[[], object]) -> str:
    with pytest.raises(FormulaError) as caught:
        action()
    return caught.value.code


def test_never_uses_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the formula evaluator called eval/exec")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    formula = parse_formula("1 if changed_lines < 5 else max(0, 1 - time_to_green_s / skill.max_duration_s)")
    assert formula.evaluate({"changed_lines": 9, "time_to_green_s": 0, "skill.max_duration_s": 1}) == 1.0
    assert _parse_error("__import__('os').system('echo pwned')").code == "formula-forbidden"


# ---- hostile and forbidden constructs ------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "__import__('os').system('touch PWNED')",
    "().__class__.__bases__[0].__subclasses__()",
    "9**9**9**9",
    "'a'*10**9",
    "lambda: 1",
    "(lambda: changed_lines)()",
    "(lambda x: x)(changed_lines)",
    "open('PWNED', 'w')",
    "eval('1')",
    "exec('x = 1')",
    "getattr(changed_lines, 'real')",
    "globals()",
    "changed_lines.__class__",
    "skill.__class__",
    "skill._secret",
    "skill.max_duration_s.__class__",
    "max.__self__",
    "max(0, __import__('os').getcwd())",
    "1 if changed_lines else __import__('os')",
    "[x for x in (1, 2)]",
    "(1, 2)",
    "{1: 2}",
    "{1, 2}",
    "[1, 2]",
    "changed_lines[0]",
    "f'{changed_lines}'",
    "'text'",
    "b'bytes'",
    "1j",
    "True",
    "None",
    "...",
    "1 in (1, 2)",
    "changed_lines is None",
    "changed_lines not in 1",
    "max(*[1, 2])",
    "max(changed_lines, key=abs)",
    "max",
    "clamp",
    "changed_lines << 2",
    "changed_lines & 1",
    "changed_lines @ changed_lines",
    "~changed_lines",
    "1e13",
    f"2 ** {MAX_EXPONENT + 1}",
    f"2 ** -{MAX_EXPONENT + 1}",
    "changed_lines ** 1000",
    "2 ** changed_lines",
    "2 ** (1 + 1)",
    "x" * (MAX_LENGTH + 1),
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_constructs_are_forbidden_at_parse(source: str) -> None:
    error = _parse_error(source)
    assert error.code == "formula-forbidden", error.message
    assert error.message
    assert error.column >= 1


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('touch PWNED')",
        "open('PWNED', 'w').write('x')",
        "().__class__.__bases__[0].__subclasses__()[0]('PWNED')",
        "(lambda: open('PWNED', 'w'))()",
    ],
)
def test_hostile_formulas_run_nothing(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormulaError):
        parse_formula(source)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("source", ["9**9**9**9", "'a'*10**9", f"10 ** {MAX_EXPONENT + 1}", "99 ** 99 ** 99"])
def test_huge_computations_are_rejected_at_parse_without_computing(source: str) -> None:
    error = _parse_error(source)
    assert error.code == "formula-forbidden"


def test_exponent_bound_is_inclusive() -> None:
    assert parse_formula(f"changed_lines ** {MAX_EXPONENT}").variables == {"changed_lines"}
    assert parse_formula(f"changed_lines ** -{MAX_EXPONENT}").variables == {"changed_lines"}
    assert "exponent" in _parse_error(f"changed_lines ** {MAX_EXPONENT + 1}").message


def test_length_limit() -> None:
    padded = "1" + " " * (MAX_LENGTH - 1)
    assert len(padded) == MAX_LENGTH
    assert _evaluate(padded) == 1.0
    error = _parse_error(padded + " ")
    assert error.code == "formula-forbidden"
    assert str(MAX_LENGTH) in error.message


def test_a_function_name_used_as_a_value_is_forbidden() -> None:
    error = _parse_error("max + 1")
    assert error.code == "formula-forbidden"
    assert "call it" in error.message


# ---- syntax errors and unknown variables -----------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "max(0, 1 - changed_lines / )",
        "1 +",
        "(1",
        "",
        "   ",
        "# a comment",
        "import os",
        "x = 1",
        "changed_lines := 1",
        "1; 2",
        "max(0,, 1)",
        "1 if changed_lines",
    ],
)
def test_syntax_errors(source: str) -> None:
    error = _parse_error(source)
    assert error.code == "formula-syntax"
    assert "does not parse" in error.message


def test_syntax_error_column_points_at_the_problem() -> None:
    source = "max(0, 1 - changed_lines / )"
    error = _parse_error(source)
    assert error.column == source.index(")") + 1


@pytest.mark.parametrize(
    ("source", "name", "column"),
    [
        ("lines_changed / 200", "lines_changed", 1),
        ("max(0, 1 - lines_changed / 200)", "lines_changed", 12),
        ("skill.timeout / 2", "skill.timeout", 1),
        ("changed_lines.real", "changed_lines.real", 1),
        ("os", "os", 1),
        ("1 if changed_lines > 0 else fallback", "fallback", 29),
    ],
)
def test_unknown_variables(source: str, name: str, column: int) -> None:
    error = _parse_error(source)
    assert error.code == "formula-unknown-variable"
    assert repr(name) in error.message
    assert error.column == column


def test_formula_error_is_a_value_error() -> None:
    error = _parse_error("nope")
    assert isinstance(error, ValueError)
    assert str(error) == error.message


# ---- evaluation errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("changed_lines / 0", {"changed_lines": 1}),
        ("1 / (changed_lines - 5)", {"changed_lines": 5}),
        ("changed_lines // 0", {"changed_lines": 1}),
        ("changed_lines % 0", {"changed_lines": 1}),
        ("0 ** -1", {}),
    ],
)
def test_division_by_zero_is_a_math_error(source: str, values: dict[str, float]) -> None:
    error = _evaluate_error(source, values)
    assert error.code == "formula-math"
    assert source in error.message


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("sqrt(changed_lines)", {"changed_lines": -1}),
        ("log(changed_lines)", {"changed_lines": 0}),
        ("exp(changed_lines)", {"changed_lines": 1000}),
        ("changed_lines ** 64", {"changed_lines": 1e6}),
        ("changed_lines ** 2", {"changed_lines": 1e13}),
        ("changed_lines * 1e12 * 1e12", {"changed_lines": 1e300}),
        ("changed_lines", {"changed_lines": math.inf}),
        ("changed_lines - changed_lines", {"changed_lines": math.inf}),
    ],
)
def test_out_of_range_math_is_a_math_error(source: str, values: dict[str, float]) -> None:
    assert _evaluate_error(source, values).code == "formula-math"


def test_missing_variable_value() -> None:
    formula = parse_formula("max(0, 1 - time_to_green_s / skill.max_duration_s) + changed_lines")
    with pytest.raises(FormulaError) as caught:
        formula.evaluate({"changed_lines": 1})
    assert caught.value.code == "formula-missing-data"
    assert "skill.max_duration_s" in caught.value.message
    assert "time_to_green_s" in caught.value.message


def test_missing_value_is_reported_even_on_an_untaken_branch() -> None:
    formula = parse_formula("1 if changed_lines < 5 else cost_usd")
    assert _error_code(lambda: formula.evaluate({"changed_lines": 1})) == "formula-missing-data"


@pytest.mark.parametrize(
    "source",
    [
        "max()",
        "max(changed_lines)",
        "min(1)",
        "abs()",
        "abs(1, 2)",
        "clamp(changed_lines)",
        "clamp(1, 2, 3, 4)",
        "round(1, 2, 3)",
        "sqrt(1, 2)",
        "exp()",
        "log(1, 2, 3)",
    ],
)
def test_wrong_number_of_arguments_is_found_at_parse(source: str) -> None:
    error = _parse_error(source)
    assert error.code == "formula-syntax"
    assert "argument" in error.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [("round(changed_lines, 2)", 1.23), ("round(changed_lines)", 1.0), ("log(changed_lines ** 2, changed_lines)", 2.0)],
)
def test_optional_second_arguments(source: str, expected: float) -> None:
    value = 1.234 if source.startswith("round") else 3.0
    assert _evaluate(source, {"changed_lines": value}) == pytest.approx(expected)


@pytest.mark.parametrize("source", ["(changed_lines - 10) ** 0.5", "max(0, (changed_lines - 10) ** 0.5)"])
def test_complex_results_are_math_errors(source: str) -> None:
    assert _evaluate_error(source, {"changed_lines": 0}).code == "formula-math"
