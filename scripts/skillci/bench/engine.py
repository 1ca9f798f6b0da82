"""Run the selected skills' cases in parallel, judge each run by its case's assertions, and score each skill."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from skillci.bench.assertions import AssertionResult, case_passed, check_case
from skillci.bench.containment import Agents
from skillci.bench.runner import CaseRun, run_case
from skillci.bench.scoring import SkillScore, aggregate_runs, score_skill
from skillci.store.runs import RUN_NUMBERS, RunReport, build_report

#: The failure code of a run that finished but whose output did not satisfy its case's assertions.
ASSERTION_FAILED = "BENCH.ASSERTION_FAILED"
#: How much of a run the store keeps: events per run, and the length of event names and states.
_MAX_EVENTS = 10000


@dataclass(frozen=True)
class SkillTarget:
    """One skill to benchmark: how to run it, its cases, and its cache key."""

    skill_id: str
    command: tuple[str, ...]
    cases: tuple[Mapping[str, Any], ...]
    states: tuple[str, ...]
    max_duration_s: int
    repeat: int
    cache_key: str

    @property
    def runs(self) -> int:
        """How many runs the skill needs: every case, repeat times."""
        return len(self.cases) * self.repeat


@dataclass(frozen=True)
class Job:
    """One run of one case."""

    target: SkillTarget
    case: Mapping[str, Any]
    attempt: int

    @property
    def case_id(self) -> str:
        """The case's id."""
        return str(self.case["id"])


@dataclass(frozen=True)
class JudgedRun:
    """A run and its verdict: passed when the run finished and every assertion held."""

    job: Job
    run: CaseRun
    assertions: tuple[AssertionResult, ...]
    finished_at: datetime

    @property
    def passed(self) -> bool:
        """Whether the run counts as a pass of its case."""
        return self.run.status == "succeeded" and case_passed(self.assertions)

    @property
    def failure(self) -> tuple[str, str] | None:
        """(failure code, message) of a run that did not pass, else None."""
        if self.run.failure_code:
            return self.run.failure_code, self.run.error_message or self.run.failure_code
        failed = [result.message for result in self.assertions if not result.passed]
        return (ASSERTION_FAILED, "; ".join(failed)) if failed else None


@dataclass(frozen=True)
class CaseSummary:
    """One case over its repeats: how many runs passed, and why the others did not."""

    case_id: str
    runs: int
    passed_runs: int
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """A case passes when it passed every time it ran."""
        return self.runs > 0 and self.passed_runs == self.runs

    @property
    def pass_rate(self) -> float:
        """Share of the case's runs that passed."""
        return self.passed_runs / self.runs if self.runs else 0.0

    def to_json(self) -> dict[str, Any]:
        """The case as JSON."""
        return {
            "case_id": self.case_id,
            "runs": self.runs,
            "passed_runs": self.passed_runs,
            "pass_rate": round(self.pass_rate, 4),
            "failures": list(self.failures),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseSummary:
        """A case from its JSON (a cache entry)."""
        return cls(str(data["case_id"]), int(data["runs"]), int(data["passed_runs"]), tuple(data.get("failures", ())))


@dataclass(frozen=True)
class SkillResult:
    """A skill's scored result, its cases, whether it came from the cache, and its change against the baseline."""

    skill_id: str
    score: SkillScore
    cases: tuple[CaseSummary, ...]
    cache_key: str
    cached: bool = False
    baseline_score: float | None = None
    reasons: tuple[str, ...] = ()
    #: (passed, total) when scored from production runs, where each run counts as a case.
    run_counts: tuple[int, int] | None = None

    @property
    def cases_passed(self) -> int:
        """Cases that passed every time (production runs that succeeded)."""
        if self.run_counts is not None:
            return self.run_counts[0]
        return sum(1 for case in self.cases if case.passed)

    @property
    def cases_total(self) -> int:
        """Cases run (production runs judged)."""
        if self.run_counts is not None:
            return self.run_counts[1]
        return len(self.cases)

    @property
    def baseline_delta(self) -> float | None:
        """Composite minus the baseline's composite, when both exist."""
        if self.score.composite_score is None or self.baseline_score is None:
            return None
        return round(self.score.composite_score - self.baseline_score, 2)

    def to_json(self) -> dict[str, Any]:
        """The result as `skillci bench --format json` prints it."""
        return {
            "skill_id": self.skill_id,
            "composite_score": self.score.composite_score,
            "tier": self.score.tier,
            "cases_passed": self.cases_passed,
            "cases_total": self.cases_total,
            "cached": self.cached,
            "metrics": dict(self.score.metrics),
            "missing_metrics": list(self.score.missing_metrics),
            "baseline_delta": self.baseline_delta,
        }

    def cache_entry(self) -> dict[str, Any]:
        """What the cache keeps: the score and the cases (not the baseline, which moves)."""
        score = self.score
        return {
            "composite_score": score.composite_score,
            "tier": score.tier,
            "metrics": dict(score.metrics),
            "missing_metrics": list(score.missing_metrics),
            "weight_missing": score.weight_missing,
            "cases": [case.to_json() for case in self.cases],
        }

    @classmethod
    def from_cache(cls, target: SkillTarget, entry: Mapping[str, Any]) -> SkillResult:
        """A result rebuilt from a cache entry, marked cached."""
        score = SkillScore(
            entry["composite_score"],
            entry["tier"],
            dict(entry["metrics"]),
            list(entry["missing_metrics"]),
            float(entry["weight_missing"]),
        )
        cases = tuple(CaseSummary.from_json(case) for case in entry["cases"])
        return cls(target.skill_id, score, cases, target.cache_key, cached=True)


def default_jobs() -> int:
    """The default parallelism: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def plan_jobs(targets: Sequence[SkillTarget]) -> list[Job]:
    """Every run to make, in skill order, each case's repeats next to each other."""
    return [
        Job(target, case, attempt)
        for target in targets
        for case in target.cases
        for attempt in range(1, target.repeat + 1)
    ]


def execute(
    jobs: Sequence[Job],
    *,
    workers: int,
    root: Path,
    on_run: Callable[[JudgedRun], None] | None = None,
    run_ids: Callable[[Job], str],
    agents: Agents | None = None,
    agent_env: Sequence[str] = (),
    secrets: Sequence[str] = (),
) -> list[JudgedRun]:
    """Run the jobs, `workers` at a time; each run is judged by its case's assertions. Order is kept."""
    lock = threading.Lock()

    def one(job: Job) -> JudgedRun:
        run = run_case(
            job.target.command,
            case_input=job.case.get("input"),
            skill_id=job.target.skill_id,
            case_id=job.case_id,
            run_id=run_ids(job),
            timeout_s=job.target.max_duration_s,
            states=job.target.states,
            cwd=root,
            agents=agents,
            agent_env=agent_env,
            secrets=secrets,
        )
        changed = run.number("changed_lines")
        assertions = check_case(
            list(job.case.get("expect") or []),
            output=run.output,
            states=run.states,
            changed_lines=None if changed is None else int(changed),
            duration_s=run.duration_s,
        )
        judged = JudgedRun(job, run, tuple(assertions), datetime.now(UTC))
        if on_run is not None and (agents is None or agents.stopped_by is None):  # a stopped bench reports nothing
            with lock:
                on_run(judged)
        return judged

    if workers <= 1:
        return [one(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skillci-bench") as pool:
        return list(pool.map(one, jobs))


def _run_numbers(run: CaseRun) -> dict[str, float | None]:
    numbers: dict[str, float | None] = {name: run.number(name) for name in RUN_NUMBERS if name != "duration_s"}
    numbers["duration_s"] = run.duration_s
    numbers["states_visited"] = float(len(run.states))
    return numbers


def score_target(target: SkillTarget, runs: Sequence[JudgedRun], benchmark: Mapping[str, Any]) -> SkillResult:
    """A skill's result from its judged runs: per-case summaries, the metrics, composite and tier."""
    by_case: dict[str, list[JudgedRun]] = {str(case["id"]): [] for case in target.cases}
    for judged in runs:
        by_case[judged.job.case_id].append(judged)
    cases = []
    for case_id, case_runs in by_case.items():
        failures = []
        for judged in case_runs:
            failure = judged.failure
            if failure is not None and not judged.passed:
                failures.append(f"run {judged.job.attempt}: {failure[0]}: {failure[1]}")
        passed = sum(1 for judged in case_runs if judged.passed)
        cases.append(CaseSummary(case_id, len(case_runs), passed, tuple(failures)))
    data = aggregate_runs(
        [_run_numbers(judged.run) for judged in runs],
        passed=sum(1 for judged in runs if judged.passed),
        total=len(runs),
        skill_max_duration_s=target.max_duration_s,
        skill_repeat=target.repeat,
    )
    return SkillResult(target.skill_id, score_skill(benchmark, data), tuple(cases), target.cache_key)


def score_stats(
    stats: Mapping[str, float] | None, *, benchmark: Mapping[str, Any], max_duration_s: int
) -> tuple[SkillScore, int, int]:
    """Score production runs from the store's per-skill statistics: (score, runs passed, runs)."""
    stats = stats or {}
    total, passed = int(stats.get("runs", 0)), int(stats.get("passed", 0))
    means = {name: float(value) for name, value in stats.items() if name in RUN_NUMBERS}
    data = aggregate_runs([means] if total else [], passed=passed, total=total, skill_max_duration_s=max_duration_s)
    return score_skill(benchmark, data), passed, total


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"event": _clip(str(event.get("event")), 32)}
    if isinstance(event.get("state"), str):
        row["state"] = _clip(event["state"], 64)
    if event.get("event") != "result" and "detail" in event:
        row["detail"] = event["detail"]
    return row


def _count(value: float | None) -> int | None:
    return None if value is None or not math.isfinite(value) else int(value)


def run_report(judged: JudgedRun, *, idempotency_key: str, git_sha: str | None, branch: str | None) -> RunReport:
    """The store's record of one bench run: status, numbers, output, events and its error."""
    run = judged.run
    failure = judged.failure
    status = run.status if run.status != "succeeded" or judged.passed else "failed"
    data: dict[str, Any] = {
        "idempotency_key": idempotency_key,
        "skill_id": run.skill_id,
        "case_id": run.case_id,
        "status": status,
        "source": "bench",
        "finished_at": judged.finished_at.isoformat(),
        "started_at": (judged.finished_at - timedelta(seconds=run.duration_s)).isoformat(),
        "duration_s": run.duration_s,
        "events": [_event_row(event) for event in run.events[:_MAX_EVENTS]],
    }
    for name in ("changed_lines", "ci_attempts", "tokens_in", "tokens_out"):
        data[name] = _count(run.number(name))
    for name in ("time_to_green_s", "cost_usd"):
        data[name] = run.number(name)
    if run.result is not None:
        data["output"] = run.output
    if git_sha:
        data["git_sha"] = git_sha
    if branch:
        data["branch"] = _clip(branch, 255)
    if failure is not None and not judged.passed:
        data["error"] = {"code": failure[0], "message": _clip(failure[1], 4000)}
    return build_report({key: value for key, value in data.items() if value is not None})


@dataclass
class BenchRun:
    """Everything one bench produced, in selection order."""

    selected: list[str]
    results: list[SkillResult] = field(default_factory=list)
    runs: list[JudgedRun] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """`{"selected": [...], "results": [...]}` as `--format json` and `--out` write it."""
        return {"selected": list(self.selected), "results": [result.to_json() for result in self.results]}
