"""Score a skill's benchmark numbers with the metrics of benchmark.yaml into a composite and a tier.

A metric is either banded (`variable` against `perfect`/`good`/`marginal` thresholds) or a `formula`
over the variables of `skillci.registry.formula.VARIABLES`. A metric whose data is missing is never given a
made-up score: it is listed in `missing_metrics`, and the composite is renormalised over the metrics
that were scored, Σ(weight × score) / Σ(weights present) × 100, so that a skill is judged on what
it reported; `weight_missing` says how much of the total weight that left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from skillci.registry.formula import VARIABLES, FormulaError, parse_formula

BANDS = ("perfect", "good", "marginal")
DEFAULT_SCORES: dict[str, float] = {"perfect": 1.0, "good": 0.75, "marginal": 0.5, "failing": 0.0}
#: Variables the aggregate sets itself; a run's own value for them is ignored.
AGGREGATE_VARIABLES = frozenset({"pass_rate", "skill.max_duration_s", "skill.repeat"})


@dataclass(frozen=True)
class RunData:
    """The numbers a run or a case aggregate provides, keyed by formula variable name; absent = not reported."""

    values: Mapping[str, float]


@dataclass(frozen=True)
class SkillScore:
    """A skill's scores: composite 0..100 and tier (None when no metric had data), per-metric scores 0..1."""

    composite_score: float | None
    tier: str | None
    metrics: dict[str, float]
    missing_metrics: list[str]
    weight_missing: float


def _reported(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def aggregate_runs(
    runs: Sequence[Mapping[str, float | None]],
    *,
    passed: int,
    total: int,
    skill_max_duration_s: int,
    skill_repeat: int | None = None,
) -> RunData:
    """Mean of each variable over the runs that reported it, plus pass_rate and the skill's constants."""
    reported: dict[str, list[float]] = {}
    for run in runs:
        for name, value in run.items():
            if name in VARIABLES and name not in AGGREGATE_VARIABLES and _reported(value):
                reported.setdefault(name, []).append(float(value))
    values = {name: math.fsum(numbers) / len(numbers) for name, numbers in reported.items()}
    if total > 0:
        values["pass_rate"] = passed / total
    values["skill.max_duration_s"] = float(skill_max_duration_s)
    if skill_repeat is not None:
        values["skill.repeat"] = float(skill_repeat)
    return RunData(values=values)


def band_score(scoring: Mapping[str, Any], value: float) -> float:
    """The score of a value against a banded metric's thresholds (lower is better unless higher_is_better)."""
    scores = {**DEFAULT_SCORES, **(scoring.get("scores") or {})}
    higher = scoring.get("higher_is_better") is True
    for band in BANDS:
        threshold = scoring[band]
        if (value >= threshold) if higher else (value <= threshold):
            return float(scores[band])
    return float(scores["failing"])


def metric_score(metric: Mapping[str, Any], data: RunData) -> float | None:
    """One metric's score in 0..1, or None when its data is missing (or its formula cannot be computed)."""
    scoring = metric["scoring"]
    if "formula" in scoring:
        try:
            result = parse_formula(scoring["formula"]).evaluate(data.values)
        except FormulaError as exc:
            if exc.code in ("formula-missing-data", "formula-math"):
                return None
            raise
        return min(1.0, max(0.0, result))
    value = data.values.get(scoring["variable"])
    return None if value is None else band_score(scoring, value)


def _tiers(benchmark: Mapping[str, Any]) -> list[tuple[str, float]]:
    tiers = benchmark.get("tiers") or {}
    return sorted(((name, float(tier["min_score"])) for name, tier in tiers.items()), key=lambda item: -item[1])


def tier_for(benchmark: Mapping[str, Any], composite: float) -> str | None:
    """The highest tier whose min_score the composite reaches, or None when it reaches none."""
    return next((name for name, min_score in _tiers(benchmark) if composite >= min_score), None)


def tier_rank(benchmark: Mapping[str, Any], tier: str | None) -> int:
    """A tier's rank by min_score, 0 for the best; None (no tier) ranks below every tier."""
    names = [name for name, _ in _tiers(benchmark)]
    if tier is None:
        return len(names)
    if tier not in names:
        raise ValueError(f"unknown tier {tier!r} (tiers: {', '.join(names)})")
    return names.index(tier)


def score_skill(benchmark: Mapping[str, Any], data: RunData) -> SkillScore:
    """Score every metric, then the composite renormalised over the metrics with data, and its tier."""
    scores: dict[str, float] = {}
    missing: list[str] = []
    weighted = present = absent = 0.0
    for metric in benchmark["metrics"]:
        weight = float(metric["weight"])
        score = metric_score(metric, data)
        if score is None:
            missing.append(metric["id"])
            absent += weight
            continue
        scores[metric["id"]] = round(score, 4)
        weighted += weight * score
        present += weight
    composite = round(weighted / present * 100, 2) if present > 0 else None
    tier = None if composite is None else tier_for(benchmark, composite)
    return SkillScore(composite, tier, scores, missing, round(absent, 6))
