"""skillci.bench.assertions: every `expect` kind, passing and failing, and bad assertions as failures."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pytest

from helpers import REPO_ROOT
from skillci.bench.assertions import AssertionResult, case_passed, check_case
from skillci.registry.regexes import REGEX_TIMEOUT_S
from skillci.registry.yamlpos import load_file


def _check(
    assertion: Mapping[str, Any],
    output: Any = None,
    *,
    states: list[str] | None = None,
    changed_lines: int | None = None,
    duration_s: float = 1.0,
) -> AssertionResult:
    results = check_case(
        [assertion], output=output, states=states or [], changed_lines=changed_lines, duration_s=duration_s
    )
    assert len(results) == 1
    assert "\n" not in results[0].message
    return results[0]


def _cases(skill: str) -> dict[str, list[Mapping[str, Any]]]:
    data = load_file(REPO_ROOT / "ssot" / "benchmarks" / f"{skill}.yaml").data
    return {case["id"]: case["expect"] for case in data["cases"]}


# ---- equals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "output"),
    [
        ({"verdict": "flaky", "runs": [1, 2]}, {"runs": [1, 2], "verdict": "flaky"}),
        (1, 1.0),
        ("ok", "ok"),
        (None, None),
    ],
)
def test_equals_passes_on_deep_json_equality(expected: Any, output: Any) -> None:
    result = _check({"equals": expected}, output)
    assert result == AssertionResult("equals", True, result.message)


@pytest.mark.parametrize(
    ("expected", "output"),
    [
        ({"verdict": "flaky"}, {"verdict": "stable"}),
        ({"verdict": "flaky"}, {"verdict": "flaky", "extra": 1}),
        ([1, 2], [2, 1]),
        (1, True),
        (False, 0),
        ("1", 1),
    ],
)
def test_equals_fails_on_any_difference(expected: Any, output: Any) -> None:
    result = _check({"equals": expected}, output)
    assert not result.passed
    assert result.message.startswith("expected output ")


def test_equals_message_says_expected_and_got() -> None:
    result = _check({"equals": {"verdict": "flaky"}}, {"verdict": "stable"})
    assert result.message == 'expected output {"verdict": "flaky"}, got {"verdict": "stable"}'


def test_long_values_are_truncated_in_messages() -> None:
    result = _check({"equals": "short"}, "x" * 500)
    assert not result.passed
    assert len(result.message) < 140
    assert result.message.endswith("…")


# ---- contains -------------------------------------------------------------------------------------


def test_contains_substring_of_a_string_output() -> None:
    assert _check({"contains": "unused import"}, "removed unused import os").passed
    failed = _check({"contains": "unused import"}, "wrapped 2 lines")
    assert not failed.passed
    assert failed.message == 'expected output containing "unused import", got "wrapped 2 lines"'


def test_contains_searches_the_canonical_json_of_a_mapping() -> None:
    output = {"verdict": "flaky", "score": 2}
    assert _check({"contains": '"verdict":"flaky"'}, output).passed  # compact, sorted canonical text
    assert _check({"contains": '{"score":2,'}, output).passed
    assert not _check({"contains": '"verdict": "flaky"'}, output).passed


def test_contains_is_membership_for_a_list_output() -> None:
    assert _check({"contains": "b"}, ["a", "b"]).passed
    assert not _check({"contains": "b"}, ["abc"]).passed  # not a substring of an item


def test_contains_without_a_string_on_a_non_list_output_fails() -> None:
    result = _check({"contains": 3}, "3")
    assert not result.passed
    assert "needs a string" in result.message


# ---- regex ----------------------------------------------------------------------------------------


def test_regex_searches_string_output() -> None:
    assert _check({"regex": "^wrapped [0-9]+ lines?$"}, "wrapped 3 lines").passed
    failed = _check({"regex": "^wrapped [0-9]+ lines?$"}, "wrapped many lines")
    assert not failed.passed
    assert failed.message.startswith('expected output matching "^wrapped [0-9]+ lines?$", got ')


def test_regex_searches_canonical_json_of_other_output() -> None:
    assert _check({"regex": r'"version":"8\.1\.\d"'}, {"version": "8.1.7", "package": "click"}).passed
    assert not _check({"regex": r"^8\.1"}, {"version": "8.1.7"}).passed


def test_bad_regex_is_a_failed_assertion_not_an_exception() -> None:
    result = _check({"regex": "(unclosed"}, "anything")
    assert result.kind == "regex"
    assert not result.passed
    assert result.message.startswith('invalid regular expression "(unclosed": ')


def test_a_regex_that_backtracks_without_end_fails_in_bounded_time() -> None:
    """`re` would search `(a|aa)+$` against forty `a`s and a `!` for hours; the assertion gives up instead."""
    started = time.monotonic()
    result = _check({"regex": "(a|aa)+$"}, "a" * 40 + "!")
    elapsed = time.monotonic() - started
    assert not result.passed
    assert result.message == (
        f'regular expression "(a|aa)+$" gave up after {REGEX_TIMEOUT_S:g} s on the output (catastrophic backtracking)'
    )
    assert elapsed < REGEX_TIMEOUT_S * 3


def test_the_nested_quantifier_of_the_issue_is_answered_at_once() -> None:
    started = time.monotonic()
    assert not _check({"regex": "^(a+)+$"}, "a" * 34 + "!").passed
    assert _check({"regex": "^(a+)+$"}, "a" * 34).passed
    assert time.monotonic() - started < 1


# ---- json_schema ----------------------------------------------------------------------------------


_SCHEMA = {
    "type": "object",
    "required": ["package", "version"],
    "properties": {"package": {"const": "click"}, "version": {"type": "string"}},
}


def test_json_schema_passes_and_fails_with_the_failing_path() -> None:
    assert _check({"json_schema": _SCHEMA}, {"package": "click", "version": "8.1.7"}).passed
    failed = _check({"json_schema": _SCHEMA}, {"package": "click", "version": 8})
    assert not failed.passed
    assert "$.version" in failed.message
    assert "is not of type 'string'" in failed.message
    missing = _check({"json_schema": _SCHEMA}, {"package": "click"})
    assert not missing.passed
    assert "'version' is a required property" in missing.message


def test_json_schema_uses_draft_2020_12() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "string"}], "items": False}
    assert _check({"json_schema": schema}, ["a"]).passed
    assert not _check({"json_schema": schema}, ["a", "b"]).passed  # `items: false` after prefixItems is 2020-12


def test_invalid_json_schema_is_a_failed_assertion() -> None:
    result = _check({"json_schema": {"type": "no-such-type"}}, {"a": 1})
    assert not result.passed
    assert result.message.startswith("invalid JSON Schema: ")


def test_unresolvable_reference_is_a_failed_assertion_without_network() -> None:
    result = _check({"json_schema": {"$ref": "https://example.invalid/schema.json"}}, {})
    assert not result.passed
    assert "cannot be resolved" in result.message


# ---- max_changed_lines, max_duration_s --------------------------------------------------------------


def test_max_changed_lines() -> None:
    assert _check({"max_changed_lines": 5}, changed_lines=5).passed
    failed = _check({"max_changed_lines": 5}, changed_lines=6)
    assert not failed.passed
    assert failed.message == "expected at most 5 changed lines, got 6"


def test_max_changed_lines_fails_when_the_run_reported_none() -> None:
    result = _check({"max_changed_lines": 5}, changed_lines=None)
    assert result == AssertionResult("max_changed_lines", False, "the run reported no changed_lines")


def test_max_duration_s() -> None:
    assert _check({"max_duration_s": 60}, duration_s=60.0).passed
    failed = _check({"max_duration_s": 60}, duration_s=60.5)
    assert not failed.passed
    assert failed.message == "expected at most 60s, the run took 60.5s"


# ---- states ---------------------------------------------------------------------------------------


def test_states_passes_as_an_ordered_subsequence() -> None:
    visited = ["PLAN", "PATCH", "VERIFY", "PR", "MONITOR"]
    assert _check({"states": ["PLAN", "VERIFY", "MONITOR"]}, states=visited).passed
    assert _check({"states": ["PLAN", "PATCH", "VERIFY", "PR", "MONITOR"]}, states=visited).passed


def test_states_fails_out_of_order() -> None:
    result = _check({"states": ["VERIFY", "PATCH"]}, states=["PLAN", "PATCH", "VERIFY"])
    assert not result.passed
    assert result.message == (
        "expected states VERIFY → PATCH in order, PATCH missing; the run went PLAN → PATCH → VERIFY"
    )


def test_states_fails_when_a_state_was_never_visited_or_repeated_too_little() -> None:
    assert not _check({"states": ["PLAN", "PR"]}, states=["PLAN", "PATCH"]).passed
    assert not _check({"states": ["PLAN", "PLAN"]}, states=["PLAN", "PATCH"]).passed
    assert _check({"states": ["PLAN", "PLAN"]}, states=["PLAN", "VERIFY", "PLAN"]).passed
    empty = _check({"states": ["PLAN"]}, states=[])
    assert not empty.passed
    assert empty.message.endswith("the run went through no state")


# ---- the case as a whole --------------------------------------------------------------------------


def test_unknown_kind_is_a_failed_assertion() -> None:
    result = _check({"matches": "x"}, "x")
    assert result == AssertionResult("matches", False, 'unknown assertion kind "matches"')


def test_case_passed_needs_every_assertion() -> None:
    ok = AssertionResult("equals", True, "")
    bad = AssertionResult("regex", False, "")
    assert case_passed([ok, ok])
    assert not case_passed([ok, bad])


def test_repository_fix_lint_cases() -> None:
    cases = _cases("fix-lint")
    good = check_case(
        cases["unused-import"],
        output={"patched": {"app.py": "print('hi')\n"}, "fixed": ["app.py:1: F401 removed unused import: import os"]},
        states=["PLAN", "PATCH", "VERIFY", "PR"],
        changed_lines=1,
        duration_s=12.0,
    )
    assert [result.kind for result in good] == ["states", "max_changed_lines", "contains"]
    assert case_passed(good)
    bad = check_case(
        cases["unused-import"],
        output="removed unused import os",
        states=["PLAN", "VERIFY", "PATCH"],
        changed_lines=None,
        duration_s=12.0,
    )
    assert [result.passed for result in bad] == [False, False, True]
    assert not case_passed(bad)
    states = ["PLAN", "PATCH", "VERIFY", "PR"]
    wrapped = {"patched": {}, "fixed": ["logging_setup.py:1: E501 wrapped the line"], "unfixed": []}
    slow = check_case(cases["long-line"], output=wrapped, states=states, changed_lines=3, duration_s=61.0)
    assert [result.passed for result in slow] == [True, True, False]
    left = {"patched": {}, "fixed": [], "unfixed": ["logging_setup.py:1: E501 line too long"]}
    unfixed = check_case(cases["long-line"], output=left, states=states, changed_lines=0, duration_s=1.0)
    assert [result.passed for result in unfixed] == [True, False, True]
    assert "$.unfixed" in unfixed[1].message


def test_repository_bump_dependency_case() -> None:
    expect = _cases("bump-dependency")["patch-release"]
    states = ["PLAN", "PATCH", "VERIFY", "PR"]
    right = check_case(
        expect, output={"package": "click", "version": "8.1.7"}, states=states, changed_lines=2, duration_s=3
    )
    assert case_passed(right)
    wrong = check_case(
        expect, output={"package": "flask", "version": "3.0"}, states=states, changed_lines=2, duration_s=3
    )
    assert [result.passed for result in wrong] == [True, False]
    assert "$.package" in wrong[1].message


def test_repository_triage_case() -> None:
    expect = _cases("triage-flaky-test")["flaky-timeout"]
    assert case_passed(
        check_case(expect, output={"verdict": "flaky"}, states=["PLAN", "VERIFY"], changed_lines=0, duration_s=1)
    )
    results = check_case(expect, output={"verdict": "broken"}, states=["PLAN", "VERIFY"], changed_lines=0, duration_s=1)
    assert [result.passed for result in results] == [True, False]
