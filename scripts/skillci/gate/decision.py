"""The quality gate: bench results held against thresholds, one verdict with every number shown.

The gate never passes on missing data: no results, a selected skill without a result, or no case at all
fail it. Only a change that selected no benchmarked skill passes without numbers, and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skillci.errors import BadInput
from skillci.gate.results import BenchResults
from skillci.registry.findings import ValidationResult
from skillci.sync.plan import desired_state, normalize

#: Names of the checks, in the order they are shown.
CHECK_REGISTRY = "registry valid"
CHECK_RESULTS = "bench results"
CHECK_PASS_PCT = "cases passed"
CHECK_TIER = "tier"
CHECK_REGRESSION = "regression"

#: Defaults of the thresholds that benchmark.yaml does not set.
DEFAULT_MIN_PASS_PCT = 70.0
DEFAULT_MAX_REGRESSION = 5.0


@dataclass(frozen=True)
class Thresholds:
    """What the gate holds the results to."""

    min_pass_pct: float
    min_tier: str
    max_regression: float

    def to_json(self) -> dict[str, Any]:
        """The thresholds as JSON (also what a gate_results row keeps)."""
        return {"min_pass_pct": self.min_pass_pct, "min_tier": self.min_tier, "max_regression": self.max_regression}


@dataclass(frozen=True)
class Check:
    """One check: what was measured, against what, and whether it held."""

    name: str
    passed: bool
    measured: str
    threshold: str

    def to_json(self) -> dict[str, Any]:
        """The check as JSON."""
        return {"name": self.name, "passed": self.passed, "measured": self.measured, "threshold": self.threshold}


@dataclass(frozen=True)
class SkillVerdict:
    """One skill's row: its numbers and whether it holds the gate."""

    skill_id: str
    tier: str | None
    composite_score: float | None
    baseline_delta: float | None
    cases_passed: int
    cases_total: int
    verdict: str  # "pass", "fail" or "not held" (a skill that is not active)
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The row as JSON."""
        return {
            "skill_id": self.skill_id,
            "tier": self.tier,
            "composite_score": self.composite_score,
            "baseline_delta": self.baseline_delta,
            "cases_passed": self.cases_passed,
            "cases_total": self.cases_total,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


@dataclass
class GateResult:
    """The gate's decision: every check, every skill, and notes."""

    thresholds: Thresholds
    checks: list[Check] = field(default_factory=list)
    skills: list[SkillVerdict] = field(default_factory=list)
    pass_pct: float | None = None
    cases_passed: int = 0
    cases_total: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check held."""
        return all(check.passed for check in self.checks)

    @property
    def failing_skills(self) -> list[str]:
        """Ids of the skills that fail the gate."""
        return [skill.skill_id for skill in self.skills if skill.verdict == "fail"]

    def numbers(self) -> dict[str, Any]:
        """The measured numbers, as a gate_results row keeps them."""
        return {
            "pass_pct": self.pass_pct,
            "cases_passed": self.cases_passed,
            "cases_total": self.cases_total,
            "skills": len(self.skills),
            "failing_skills": self.failing_skills,
            "failed_checks": [check.name for check in self.checks if not check.passed],
        }

    def to_json(self) -> dict[str, Any]:
        """`skillci gate --format json`."""
        return {
            "passed": self.passed,
            "pass_pct": self.pass_pct,
            "thresholds": self.thresholds.to_json(),
            "checks": [check.to_json() for check in self.checks],
            "skills": [skill.to_json() for skill in self.skills],
            "notes": list(self.notes),
        }


def tier_order(benchmark: Mapping[str, Any]) -> list[str]:
    """benchmark.yaml's tiers, best first."""
    tiers = benchmark.get("tiers") or {}
    return sorted(tiers, key=lambda name: -float(tiers[name].get("min_score", 0)))


def check_thresholds(thresholds: Thresholds, tiers: Sequence[str]) -> None:
    """Refuse thresholds that cannot be met or mean nothing (exit 2)."""
    if not 0 <= thresholds.min_pass_pct <= 100:
        raise BadInput(f"--min-pass-pct must be between 0 and 100, got {thresholds.min_pass_pct:g}")
    if thresholds.max_regression < 0:
        raise BadInput(f"--max-regression must be 0 or more points, got {thresholds.max_regression:g}")
    if thresholds.min_tier not in tiers:
        raise BadInput(f"--min-tier {thresholds.min_tier!r} is not a tier of benchmark.yaml ({', '.join(tiers)})")


def _pct(passed: int, total: int) -> float:
    return round(passed * 100 / total, 1)


def evaluate(
    results: BenchResults | None,
    *,
    skills: Mapping[str, Mapping[str, Any]],
    tiers: Sequence[str],
    thresholds: Thresholds,
    registry_errors: int,
) -> GateResult:
    """Hold the results to the thresholds; every check shows its number and threshold."""
    gate = GateResult(thresholds=thresholds)
    registry_ok = registry_errors == 0
    errors = f"{registry_errors} error{'s' if registry_errors != 1 else ''}"
    gate.checks.append(Check(CHECK_REGISTRY, registry_ok, errors, "0 errors"))
    if results is None or not results.files:
        nowhere = f" (nothing at {', '.join(results.missing)})" if results is not None and results.missing else ""
        gate.checks.append(Check(CHECK_RESULTS, False, f"no results{nowhere}", "results of `skillci bench --out`"))
        gate.notes.append("no bench results to judge: the gate never passes on missing data")
        return gate
    if not results.selected and not results.results:
        gate.checks.append(
            Check(CHECK_RESULTS, True, "no benchmarked skill changed", "results for every selected skill")
        )
        gate.notes.append("the change touches no benchmarked skill: nothing to hold to the thresholds")
        return gate
    judged = {str(result["skill_id"]) for result in results.results}
    missing = [skill_id for skill_id in results.selected if skill_id not in judged]
    measured = f"{len(judged)} of {len(set(results.selected) | judged)} skills"
    if missing:
        measured += f"; none for {', '.join(missing)}"
    if results.missing:
        measured += f"; nothing at {', '.join(results.missing)}"
    complete = not missing and not results.missing
    gate.checks.append(Check(CHECK_RESULTS, complete, measured, "a result for every selected skill"))

    gate.cases_passed = sum(int(result["cases_passed"]) for result in results.results)
    gate.cases_total = sum(int(result["cases_total"]) for result in results.results)
    threshold = f"≥ {thresholds.min_pass_pct:g} %"
    if gate.cases_total == 0:
        gate.checks.append(Check(CHECK_PASS_PCT, False, "no case ran", threshold))
    else:
        gate.pass_pct = _pct(gate.cases_passed, gate.cases_total)
        measured = f"{gate.pass_pct:g} % ({gate.cases_passed}/{gate.cases_total})"
        gate.checks.append(Check(CHECK_PASS_PCT, gate.pass_pct >= thresholds.min_pass_pct, measured, threshold))

    rank = {tier: index for index, tier in enumerate(tiers)}
    floor = rank[thresholds.min_tier]
    below: list[str] = []
    drops: list[tuple[float, str]] = []
    unbased: list[str] = []
    for result in results.results:
        skill_id = str(result["skill_id"])
        tier = result["tier"] if isinstance(result["tier"], str) else None
        delta = result["baseline_delta"]
        delta = float(delta) if isinstance(delta, (int, float)) and not isinstance(delta, bool) else None
        score = result["composite_score"]
        score = float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None
        reasons: list[str] = []
        spec = skills.get(skill_id)
        status = str(spec.get("status", "active")) if spec is not None else None
        if spec is None:
            reasons.append("not in the registry")
        elif status != "active":
            verdict = SkillVerdict(
                skill_id,
                tier,
                score,
                delta,
                int(result["cases_passed"]),
                int(result["cases_total"]),
                "not held",
                (f"status {status}",),
            )
            gate.skills.append(verdict)
            continue
        if tier is None or tier not in rank or rank[tier] > floor:
            reasons.append(f"tier {tier or 'none'} below {thresholds.min_tier}")
            below.append(f"{skill_id} ({tier or 'no tier'})")
        if delta is None:
            unbased.append(skill_id)
        elif delta < -thresholds.max_regression:
            reasons.append(f"composite {delta:+.1f} against the baseline")
        if delta is not None:
            drops.append((delta, skill_id))
        gate.skills.append(
            SkillVerdict(
                skill_id,
                tier,
                score,
                delta,
                int(result["cases_passed"]),
                int(result["cases_total"]),
                "fail" if reasons else "pass",
                tuple(reasons),
            )
        )
    held = [skill for skill in gate.skills if skill.verdict != "not held"]
    tier_threshold = f"{thresholds.min_tier} or better"
    if below:
        gate.checks.append(
            Check(CHECK_TIER, False, f"{len(below)} of {len(held)} below: {', '.join(below)}", tier_threshold)
        )
    else:
        gate.checks.append(
            Check(CHECK_TIER, True, f"all {len(held)} at {thresholds.min_tier} or better", tier_threshold)
        )
    regression_threshold = f"a drop of at most {thresholds.max_regression:g} points"
    if drops:
        worst, worst_skill = min(drops)
        regressed = [skill_id for delta, skill_id in drops if delta < -thresholds.max_regression]
        measured = f"largest change {worst:+.1f} ({worst_skill})"
        if regressed:
            measured = f"{len(regressed)} regressed; {measured}"
        gate.checks.append(Check(CHECK_REGRESSION, not regressed, measured, regression_threshold))
    else:
        gate.checks.append(Check(CHECK_REGRESSION, True, "no baseline to compare with", regression_threshold))
    if unbased:
        gate.notes.append(f"no baseline yet (not compared): {', '.join(unbased)}")
    return gate


def decide(
    validation: ValidationResult,
    results: BenchResults | None,
    *,
    min_pass_pct: float | None = None,
    min_tier: str | None = None,
    max_regression: float | None = None,
) -> GateResult:
    """Hold the results to the thresholds (benchmark.yaml's tier by default); the registry's errors are a check."""
    benchmark = normalize(validation.data.get("benchmark") or {})
    tiers = tier_order(benchmark)
    thresholds = Thresholds(
        min_pass_pct=DEFAULT_MIN_PASS_PCT if min_pass_pct is None else float(min_pass_pct),
        min_tier=min_tier or str(benchmark.get("production_min_tier") or ""),
        max_regression=DEFAULT_MAX_REGRESSION if max_regression is None else float(max_regression),
    )
    if not tiers:
        gate = evaluate(None, skills={}, tiers=[], thresholds=thresholds, registry_errors=max(1, validation.errors))
        gate.notes.append("benchmark.yaml could not be read, so there are no tiers to judge by")
        return gate
    check_thresholds(thresholds, tiers)
    skills = desired_state(validation.data)["skills"] if validation.ok else _readable_skills(validation.data)
    return evaluate(results, skills=skills, tiers=tiers, thresholds=thresholds, registry_errors=validation.errors)


def _readable_skills(data: dict[str, object]) -> dict[str, dict[str, object]]:
    """The skills of a registry with errors, as far as they can be read (their status decides who is held)."""
    skills: dict[str, dict[str, object]] = {}
    document = normalize(data.get("skills") or {})
    items = document.get("skills") if isinstance(document, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            skills[item["id"]] = item
    return skills
