"""Check a benchmark case's `expect` assertions against what one run produced.

Every assertion gives an `AssertionResult`; a bad regex or an invalid JSON Schema is a failed
assertion with a message, never an exception. Text assertions (`contains`, `regex`) look at a
string output as is and at any other output as its canonical JSON text (sorted keys, compact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from skillci.registry.regexes import REGEX_TIMEOUT_S

SHOW_LIMIT = 80
KINDS = ("equals", "contains", "regex", "json_schema", "max_changed_lines", "states", "max_duration_s")


@dataclass(frozen=True)
class AssertionResult:
    """The outcome of one assertion: its kind, whether it held and a one-line message."""

    kind: str
    passed: bool
    message: str


@dataclass(frozen=True)
class _Run:
    output: Any
    states: list[str]
    changed_lines: int | None
    duration_s: float


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value: sorted keys, compact separators, non-ASCII kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _line(text: str, limit: int = SHOW_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _show(value: Any) -> str:
    return _line(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))


def _text(output: Any) -> str:
    return output if isinstance(output, str) else canonical_json(output)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_equal(left: Any, right: Any) -> bool:
    """Deep equality with JSON semantics: booleans are not numbers, 1 equals 1.0, key order does not matter."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) or _is_number(right):
        return _is_number(left) and _is_number(right) and left == right
    if isinstance(left, Mapping) or isinstance(right, Mapping):
        return (
            isinstance(left, Mapping)
            and isinstance(right, Mapping)
            and left.keys() == right.keys()
            and all(json_equal(left[key], right[key]) for key in left)
        )
    if isinstance(left, (list, tuple)) or isinstance(right, (list, tuple)):
        return (
            isinstance(left, (list, tuple))
            and isinstance(right, (list, tuple))
            and len(left) == len(right)
            and all(json_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    return bool(left == right)


def _equals(expected: Any, run: _Run) -> tuple[bool, str]:
    if json_equal(run.output, expected):
        return True, f"output equals {_show(expected)}"
    return False, f"expected output {_show(expected)}, got {_show(run.output)}"


def _contains(expected: Any, run: _Run) -> tuple[bool, str]:
    if isinstance(run.output, list):
        if any(json_equal(item, expected) for item in run.output):
            return True, f"output list holds {_show(expected)}"
        return False, f"expected the output list to hold {_show(expected)}, got {_show(run.output)}"
    if not isinstance(expected, str):
        return False, f"contains needs a string for a non-list output, got {_show(expected)}"
    if expected in _text(run.output):
        return True, f"output contains {_show(expected)}"
    return False, f"expected output containing {_show(expected)}, got {_show(run.output)}"


def _regex(expected: Any, run: _Run) -> tuple[bool, str]:
    if not isinstance(expected, str):
        return False, f"regex needs a string pattern, got {_show(expected)}"
    import regex  # the `re`-compatible engine (V0) that can stop a search: `re` would hang on `(a|aa)+$`

    try:
        pattern = regex.compile(expected, flags=regex.VERSION0)
    except regex.error as exc:
        return False, f"invalid regular expression {_show(expected)}: {_line(str(exc))}"
    try:
        found = pattern.search(_text(run.output), timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        return False, (
            f"regular expression {_show(expected)} gave up after {REGEX_TIMEOUT_S:g} s on the output "
            f"(catastrophic backtracking)"
        )
    if found:
        return True, f"output matches {_show(expected)}"
    return False, f"expected output matching {_show(expected)}, got {_show(run.output)}"


def _json_schema(expected: Any, run: _Run) -> tuple[bool, str]:
    from jsonschema import Draft202012Validator  # imported when a case asks for it: a cached bench never does
    from jsonschema.exceptions import SchemaError, best_match
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    try:
        Draft202012Validator.check_schema(expected)
        validator = Draft202012Validator(expected, registry=Registry())
        error = best_match(validator.iter_errors(run.output))
    except SchemaError as exc:
        return False, f"invalid JSON Schema: {_line(exc.message)}"
    except Unresolvable as exc:
        return False, f"JSON Schema reference cannot be resolved: {_line(str(exc))}"
    if error is None:
        return True, "output matches the JSON Schema"
    where = error.json_path if error.absolute_path else "the output"
    return False, f"expected output matching the JSON Schema; at {where}: {_line(error.message)}"


def _max_changed_lines(expected: Any, run: _Run) -> tuple[bool, str]:
    if not _is_number(expected):
        return False, f"max_changed_lines needs a number, got {_show(expected)}"
    if run.changed_lines is None:
        return False, "the run reported no changed_lines"
    verdict = run.changed_lines <= expected
    return verdict, f"expected at most {expected} changed lines, got {run.changed_lines}"


def _states(expected: Any, run: _Run) -> tuple[bool, str]:
    if not isinstance(expected, list) or not all(isinstance(state, str) for state in expected):
        return False, f"states needs a list of state names, got {_show(expected)}"
    went = " → ".join(run.states) or "through no state"
    wanted = " → ".join(expected)
    remaining = iter(run.states)
    for state in expected:
        if state not in remaining:  # consumes the iterator up to the match: an in-order subsequence test
            return False, _line(f"expected states {wanted} in order, {state} missing; the run went {went}", 160)
    return True, _line(f"the run went through {wanted} in order", 160)


def _max_duration_s(expected: Any, run: _Run) -> tuple[bool, str]:
    if not _is_number(expected):
        return False, f"max_duration_s needs a number, got {_show(expected)}"
    return run.duration_s <= expected, f"expected at most {expected}s, the run took {round(run.duration_s, 3)}s"


_CHECKS: dict[str, Callable[[Any, _Run], tuple[bool, str]]] = {
    "equals": _equals,
    "contains": _contains,
    "regex": _regex,
    "json_schema": _json_schema,
    "max_changed_lines": _max_changed_lines,
    "states": _states,
    "max_duration_s": _max_duration_s,
}


def check_case(
    expect: list[Mapping[str, Any]],
    *,
    output: Any,
    states: list[str],
    changed_lines: int | None,
    duration_s: float,
) -> list[AssertionResult]:
    """Check every assertion of a case against one run; an unknown kind is a failed assertion."""
    run = _Run(output=output, states=list(states), changed_lines=changed_lines, duration_s=duration_s)
    results: list[AssertionResult] = []
    for assertion in expect:
        for kind, expected in assertion.items():
            check = _CHECKS.get(kind)
            if check is None:
                results.append(AssertionResult(kind, False, f"unknown assertion kind {_show(kind)}"))
                continue
            passed, message = check(expected, run)
            results.append(AssertionResult(kind, passed, message))
    return results


def case_passed(results: Iterable[AssertionResult]) -> bool:
    """Whether every assertion held (a case with no assertions passes)."""
    return all(result.passed for result in results)
