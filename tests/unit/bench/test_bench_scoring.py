"""skillci.bench.scoring: bands, formulas, missing data, the renormalised composite and tiers."""

from __future__ import annotations

from typing import Any

import pytest

from helpers import REPO_ROOT
from skillci.bench.scoring import RunData, SkillScore, aggregate_runs, band_score, score_skill, tier_rank
from skillci.registry.formula import FormulaError
from skillci.registry.yamlpos import load_file

TIERS = {"A": {"min_score": 90}, "B": {"min_score": 75}, "C": {"min_score": 50}, "F": {"min_score": 0}}
LOWER = {"variable": "ci_attempts", "perfect": 1, "good": 2, "marginal": 3}
HIGHER = {"variable": "pass_rate", "higher_is_better": True, "perfect": 1.0, "good": 0.9, "marginal": 0.7}


@pytest.fixture(scope="module")
def registry_benchmark() -> Any:
    return load_file(REPO_ROOT / "ssot" / "agents" / "benchmark.yaml").data


def _one_metric(scoring: dict[str, Any], tiers: dict[str, Any] = TIERS) -> dict[str, Any]:
    return {"tiers": tiers, "metrics": [{"id": "m", "weight": 1.0, "scoring": scoring}]}


# ---- bands ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1.0), (1, 1.0), (1.5, 0.75), (2, 0.75), (2.01, 0.5), (3, 0.5), (3.01, 0.0), (10, 0.0)],
)
def test_lower_is_better_bands(value: float, expected: float) -> None:
    assert band_score(LOWER, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.2, 1.0), (1.0, 1.0), (0.99, 0.75), (0.9, 0.75), (0.89, 0.5), (0.7, 0.5), (0.69, 0.0), (0.0, 0.0)],
)
def test_higher_is_better_bands(value: float, expected: float) -> None:
    assert band_score(HIGHER, value) == expected


@pytest.mark.parametrize(("value", "expected"), [(1.0, 1.0), (0.95, 0.8), (0.8, 0.4), (0.5, 0.1)])
def test_scores_override_replaces_only_the_bands_it_names(value: float, expected: float) -> None:
    scoring = {**HIGHER, "scores": {"good": 0.8, "marginal": 0.4, "failing": 0.1}}
    assert band_score(scoring, value) == expected


def test_banded_metric_in_score_skill() -> None:
    score = score_skill(_one_metric(LOWER), RunData({"ci_attempts": 2.0}))
    assert score == SkillScore(
        composite_score=75.0, tier="B", metrics={"m": 0.75}, missing_metrics=[], weight_missing=0.0
    )


# ---- formulas -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "changed_lines", "expected"),
    [
        ("changed_lines / 100", 250, 1.0),
        ("1 - changed_lines / 100", 250, 0.0),
        ("1 - changed_lines / 300", 100, 0.6667),
    ],
)
def test_formula_scores_are_clamped_to_0_1(formula: str, changed_lines: int, expected: float) -> None:
    score = score_skill(_one_metric({"formula": formula}), RunData({"changed_lines": changed_lines}))
    assert score.metrics == {"m": expected}


def test_formula_with_a_missing_variable_is_a_missing_metric() -> None:
    score = score_skill(_one_metric({"formula": "1 - changed_lines / 200"}), RunData({"ci_attempts": 1}))
    assert score == SkillScore(None, None, {}, ["m"], 1.0)


def test_formula_that_cannot_be_computed_is_a_missing_metric_not_a_zero() -> None:
    score = score_skill(_one_metric({"formula": "log(changed_lines)"}), RunData({"changed_lines": 0}))
    assert score.missing_metrics == ["m"]
    assert score.composite_score is None


def test_a_bad_formula_is_a_configuration_error() -> None:
    with pytest.raises(FormulaError) as caught:
        score_skill(_one_metric({"formula": "changed_lines +"}), RunData({"changed_lines": 1}))
    assert caught.value.code == "formula-syntax"


# ---- the repository's benchmark.yaml --------------------------------------------------------------


def test_repository_benchmark_with_every_metric(registry_benchmark: Any) -> None:
    data = aggregate_runs(
        [
            {"ci_attempts": 1, "changed_lines": 40, "time_to_green_s": 120, "tokens_in": None},
            {"ci_attempts": 2, "changed_lines": 60, "time_to_green_s": 240},
        ],
        passed=3,
        total=3,
        skill_max_duration_s=600,
    )
    score = score_skill(registry_benchmark, data)
    # ci_attempts 1.5 -> good 0.75; pass_rate 1.0 -> 1.0; diff 1 - 50/200 = 0.75; time 1 - 180/600 = 0.7
    assert score.metrics == {"ci_attempts": 0.75, "pass_rate": 1.0, "diff_size": 0.75, "time_to_green": 0.7}
    # 100 x (0.3 x 0.75 + 0.3 x 1.0 + 0.2 x 0.75 + 0.2 x 0.7) = 81.5
    assert score.composite_score == 81.5
    assert score.tier == "B"
    assert score.missing_metrics == []
    assert score.weight_missing == 0.0


def test_repository_benchmark_renormalises_over_the_metrics_with_data(registry_benchmark: Any) -> None:
    data = aggregate_runs([{"ci_attempts": 1, "changed_lines": 50}], passed=2, total=2, skill_max_duration_s=600)
    score = score_skill(registry_benchmark, data)
    assert score.missing_metrics == ["time_to_green"]
    assert score.weight_missing == 0.2
    # (0.3 x 1.0 + 0.3 x 1.0 + 0.2 x 0.75) / 0.8 x 100 = 0.75 / 0.8 x 100 = 93.75; without renormalising: 75
    assert score.composite_score == 93.75
    assert score.tier == "A"


def test_repository_benchmark_with_two_metrics_missing(registry_benchmark: Any) -> None:
    data = aggregate_runs([{"ci_attempts": 4}], passed=1, total=2, skill_max_duration_s=300)
    score = score_skill(registry_benchmark, data)
    # ci_attempts 4 -> failing 0; pass_rate 0.5 -> failing 0: the composite is 0 over weight 0.6
    assert score.metrics == {"ci_attempts": 0.0, "pass_rate": 0.0}
    assert score.missing_metrics == ["diff_size", "time_to_green"]
    assert score.weight_missing == 0.4
    assert (score.composite_score, score.tier) == (0.0, "F")


def test_repository_benchmark_with_no_data_has_no_composite(registry_benchmark: Any) -> None:
    score = score_skill(registry_benchmark, aggregate_runs([], passed=0, total=0, skill_max_duration_s=600))
    assert score == SkillScore(None, None, {}, ["ci_attempts", "pass_rate", "diff_size", "time_to_green"], 1.0)


# ---- tiers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pass_rate", "composite", "tier"),
    [
        (1.0, 100.0, "A"),
        (0.9, 90.0, "A"),
        (0.8999, 89.99, "B"),
        (0.75, 75.0, "B"),
        (0.5, 50.0, "C"),
        (0.4999, 49.99, "F"),
        (0.0, 0.0, "F"),
    ],
)
def test_tier_is_the_highest_whose_min_score_is_reached(pass_rate: float, composite: float, tier: str) -> None:
    score = score_skill(_one_metric({"formula": "pass_rate"}), RunData({"pass_rate": pass_rate}))
    assert (score.composite_score, score.tier) == (composite, tier)


def test_composite_below_every_tier_has_no_tier() -> None:
    tiers = {"A": {"min_score": 90}, "C": {"min_score": 10}}
    score = score_skill(_one_metric({"formula": "pass_rate"}, tiers), RunData({"pass_rate": 0.05}))
    assert (score.composite_score, score.tier) == (5.0, None)


def test_tier_rank(registry_benchmark: Any) -> None:
    assert [tier_rank(registry_benchmark, name) for name in ("A", "B", "C", "F", None)] == [0, 1, 2, 3, 4]
    assert tier_rank(registry_benchmark, "A") < tier_rank(registry_benchmark, registry_benchmark["production_min_tier"])
    with pytest.raises(ValueError, match="unknown tier 'Z'"):
        tier_rank(registry_benchmark, "Z")


# ---- aggregation ----------------------------------------------------------------------------------


def test_aggregate_means_over_the_runs_that_reported_each_variable() -> None:
    data = aggregate_runs(
        [
            {"ci_attempts": 1, "cost_usd": 0.5, "tokens_in": None},
            {"ci_attempts": 3, "cost_usd": None},
            {"ci_attempts": 2, "duration_s": 10.0},
        ],
        passed=1,
        total=4,
        skill_max_duration_s=120,
        skill_repeat=3,
    )
    assert data.values == {
        "ci_attempts": 2.0,
        "cost_usd": 0.5,
        "duration_s": 10.0,
        "pass_rate": 0.25,
        "skill.max_duration_s": 120.0,
        "skill.repeat": 3.0,
    }


def test_aggregate_never_invents_values() -> None:
    data = aggregate_runs(
        [{"pass_rate": 1.0, "not_a_variable": 5, "changed_lines": float("nan")}],
        passed=0,
        total=0,
        skill_max_duration_s=60,
    )
    assert data.values == {"skill.max_duration_s": 60.0}
