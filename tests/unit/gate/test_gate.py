"""The gate's decision, called directly: every check, its number and threshold, and never a pass on no data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skillci.errors import BadInput
from skillci.gate.decision import (
    CHECK_PASS_PCT,
    CHECK_REGISTRY,
    CHECK_REGRESSION,
    CHECK_RESULTS,
    CHECK_TIER,
    Thresholds,
    check_thresholds,
    evaluate,
    tier_order,
)
from skillci.gate.results import BenchResults, load_results

TIERS = ["A", "B", "C", "F"]
THRESHOLDS = Thresholds(min_pass_pct=70, min_tier="B", max_regression=5)
SKILLS: dict[str, dict[str, Any]] = {
    "fix-lint": {"status": "active"},
    "triage": {"status": "active"},
    "old": {"status": "deprecated"},
}


def _result(
    skill_id: str,
    *,
    tier: str | None = "A",
    score: float | None = 92.0,
    passed: int = 5,
    total: int = 5,
    delta: float | None = 0.0,
) -> dict[str, Any]:
    return {
        "skill_id": skill_id,
        "composite_score": score,
        "tier": tier,
        "cases_passed": passed,
        "cases_total": total,
        "cached": False,
        "metrics": {},
        "missing_metrics": [],
        "baseline_delta": delta,
    }


def _results(*results: dict[str, Any], selected: list[str] | None = None) -> BenchResults:
    ids = [str(result["skill_id"]) for result in results]
    return BenchResults(files=("bench.json",), selected=tuple(ids if selected is None else selected), results=results)


def _checks(results: BenchResults | None, **overrides: Any) -> dict[str, tuple[bool, str, str]]:
    options: dict[str, Any] = {"skills": SKILLS, "tiers": TIERS, "thresholds": THRESHOLDS, "registry_errors": 0}
    options.update(overrides)
    gate = evaluate(results, **options)
    return {check.name: (check.passed, check.measured, check.threshold) for check in gate.checks}


def test_a_clean_change_passes_every_check_with_its_numbers() -> None:
    gate = evaluate(
        _results(_result("fix-lint", delta=1.5), _result("triage", tier="B", passed=4, delta=-2.0)),
        skills=SKILLS,
        tiers=TIERS,
        thresholds=THRESHOLDS,
        registry_errors=0,
    )
    assert gate.passed and gate.pass_pct == 90.0 and (gate.cases_passed, gate.cases_total) == (9, 10)
    checks = {check.name: check for check in gate.checks}
    assert [check.name for check in gate.checks] == [
        CHECK_REGISTRY,
        CHECK_RESULTS,
        CHECK_PASS_PCT,
        CHECK_TIER,
        CHECK_REGRESSION,
    ]
    assert checks[CHECK_PASS_PCT].measured == "90 % (9/10)" and checks[CHECK_PASS_PCT].threshold == "≥ 70 %"
    assert checks[CHECK_TIER].measured == "all 2 at B or better"
    assert checks[CHECK_REGRESSION].measured == "largest change -2.0 (triage)"
    assert [skill.verdict for skill in gate.skills] == ["pass", "pass"]


def test_too_few_cases_passing_fails() -> None:
    passed, measured, threshold = _checks(_results(_result("fix-lint", passed=3, total=5)))[CHECK_PASS_PCT]
    assert (passed, measured, threshold) == (False, "60 % (3/5)", "≥ 70 %")


def test_a_skill_below_the_minimum_tier_fails_and_is_named() -> None:
    gate = evaluate(
        _results(_result("fix-lint"), _result("triage", tier="C", score=61.0)),
        skills=SKILLS,
        tiers=TIERS,
        thresholds=THRESHOLDS,
        registry_errors=0,
    )
    checks = {check.name: check for check in gate.checks}
    assert not gate.passed and not checks[CHECK_TIER].passed
    assert checks[CHECK_TIER].measured == "1 of 2 below: triage (C)"
    assert gate.failing_skills == ["triage"] and gate.skills[1].reasons == ("tier C below B",)


def test_no_tier_at_all_is_below_every_tier() -> None:
    passed, measured, _ = _checks(_results(_result("fix-lint", tier=None, score=None)))[CHECK_TIER]
    assert not passed and "fix-lint (no tier)" in measured


def test_a_drop_beyond_max_regression_fails_but_not_at_the_threshold() -> None:
    assert _checks(_results(_result("fix-lint", delta=-5.0)))[CHECK_REGRESSION][0]
    passed, measured, threshold = _checks(_results(_result("fix-lint", delta=-7.5)))[CHECK_REGRESSION]
    assert (passed, measured, threshold) == (
        False,
        "1 regressed; largest change -7.5 (fix-lint)",
        "a drop of at most 5 points",
    )


def test_skills_without_a_baseline_are_not_compared_and_the_gate_says_so() -> None:
    gate = evaluate(
        _results(_result("fix-lint", delta=None)), skills=SKILLS, tiers=TIERS, thresholds=THRESHOLDS, registry_errors=0
    )
    assert gate.passed
    assert "no baseline yet (not compared): fix-lint" in gate.notes


def test_no_results_never_pass() -> None:
    checks = _checks(None)
    assert checks[CHECK_RESULTS] == (False, "no results", "results of `skillci bench --out`")
    empty = BenchResults(files=(), selected=(), results=())
    assert not _checks(empty)[CHECK_RESULTS][0]


def test_a_change_that_selected_no_benchmarked_skill_passes_and_says_so() -> None:
    gate = evaluate(_results(selected=[]), skills=SKILLS, tiers=TIERS, thresholds=THRESHOLDS, registry_errors=0)
    assert gate.passed and gate.checks[1].measured == "no benchmarked skill changed"
    assert any("touches no benchmarked skill" in note for note in gate.notes)


def test_a_selected_skill_without_a_result_fails() -> None:
    passed, measured, _ = _checks(_results(_result("fix-lint"), selected=["fix-lint", "triage"]))[CHECK_RESULTS]
    assert not passed and measured == "1 of 2 skills; none for triage"


def test_zero_cases_is_not_a_pass() -> None:
    assert _checks(_results(_result("fix-lint", passed=0, total=0)))[CHECK_PASS_PCT] == (False, "no case ran", "≥ 70 %")


def test_an_invalid_registry_fails_the_gate() -> None:
    gate = evaluate(_results(_result("fix-lint")), skills=SKILLS, tiers=TIERS, thresholds=THRESHOLDS, registry_errors=2)
    assert not gate.passed and gate.checks[0].measured == "2 errors"


def test_deprecated_skills_are_not_held_and_unknown_ones_fail() -> None:
    gate = evaluate(
        _results(_result("old", tier="F", score=10.0), _result("ghost")),
        skills=SKILLS,
        tiers=TIERS,
        thresholds=THRESHOLDS,
        registry_errors=0,
    )
    verdicts = {skill.skill_id: (skill.verdict, skill.reasons) for skill in gate.skills}
    assert verdicts["old"] == ("not held", ("status deprecated",))
    assert verdicts["ghost"] == ("fail", ("not in the registry",))


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (Thresholds(101, "B", 5), "--min-pass-pct must be between 0 and 100"),
        (Thresholds(70, "B", -1), "--max-regression must be 0 or more"),
        (Thresholds(70, "S", 5), "--min-tier 'S' is not a tier of benchmark.yaml (A, B, C, F)"),
    ],
)
def test_thresholds_that_mean_nothing_are_bad_input(thresholds: Thresholds, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_thresholds(thresholds, TIERS)


def test_tiers_are_ordered_best_first_by_min_score() -> None:
    tiers = {"F": {"min_score": 0}, "A": {"min_score": 90}, "C": {"min_score": 50}, "B": {"min_score": 75}}
    assert tier_order({"tiers": tiers}) == ["A", "B", "C", "F"]


def _write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_shards_are_merged_from_files_and_directories(tmp_path: Path) -> None:
    _write(tmp_path / "shards" / "skillci-bench-1-of-2" / "bench.json", {"selected": ["a"], "results": [_result("a")]})
    _write(tmp_path / "shards" / "skillci-bench-2-of-2" / "bench.json", {"selected": ["b"], "results": [_result("b")]})
    loaded = load_results([tmp_path / "shards"])
    assert loaded.selected == ("a", "b") and [r["skill_id"] for r in loaded.results] == ["a", "b"]
    assert len(loaded.files) == 2


def test_a_skill_in_two_result_files_is_bad_input(tmp_path: Path) -> None:
    first = _write(tmp_path / "one.json", {"selected": ["a"], "results": [_result("a")]})
    second = _write(tmp_path / "two.json", {"selected": ["a"], "results": [_result("a")]})
    with pytest.raises(BadInput, match="has results in two files") as caught:
        load_results([first, second])
    assert caught.value.file == str(second)


def test_malformed_results_name_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "bench.json"
    broken.write_text('{"selected": [],\n  "results": [,]}\n', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_results([broken])
    assert (caught.value.file, caught.value.line) == (str(broken), 2)
    with pytest.raises(BadInput, match="not bench results"):
        load_results([_write(tmp_path / "list.json", [1, 2])])
    with pytest.raises(BadInput, match=r"results\[0\] is not a bench result"):
        load_results([_write(tmp_path / "partial.json", {"selected": [], "results": [{"skill_id": "a"}]})])
    nothing = load_results([tmp_path / "missing.json"])
    assert nothing.files == () and nothing.missing == (str(tmp_path / "missing.json"),)
    checks = _checks(nothing)
    assert checks[CHECK_RESULTS] == (
        False,
        f"no results (nothing at {tmp_path / 'missing.json'})",
        "results of `skillci bench --out`",
    )
