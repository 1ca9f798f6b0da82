"""The bench engine: runs judged by assertions, repeats folded into per-case pass rates, runs as store reports."""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from skillci.bench import engine
from skillci.bench.assertions import check_case
from skillci.bench.engine import (
    ASSERTION_FAILED,
    Job,
    JudgedRun,
    SkillTarget,
    execute,
    plan_jobs,
    run_report,
    score_target,
)
from skillci.bench.runner import CaseRun

BENCHMARK: dict[str, Any] = {
    "tiers": {"A": {"min_score": 90}, "B": {"min_score": 75}, "F": {"min_score": 0}},
    "metrics": [
        {
            "id": "pass_rate",
            "weight": 0.5,
            "scoring": {
                "variable": "pass_rate",
                "higher_is_better": True,
                "perfect": 1.0,
                "good": 0.9,
                "marginal": 0.5,
            },
        },
        {"id": "diff", "weight": 0.5, "scoring": {"formula": "max(0, 1 - changed_lines / 10)"}},
    ],
}
CASES = (
    {"id": "one", "input": 1, "expect": [{"equals": 1}]},
    {"id": "two", "input": 2, "expect": [{"equals": 2}]},
)


def _target(repeat: int = 2, command: tuple[str, ...] = ("agent",)) -> SkillTarget:
    return SkillTarget("skill-a", command, CASES, ("PLAN", "VERIFY"), 30, repeat, "k" * 64)


def _judged(
    job: Job, output: Any, *, status: str = "succeeded", changed: int | None = 2, code: str | None = None
) -> JudgedRun:
    result = None if status != "succeeded" else {"event": "result", "output": output, "changed_lines": changed}
    run = CaseRun(
        "run",
        "skill-a",
        job.case_id,
        status,
        0.5,
        ["PLAN"],
        [],
        result,  # type: ignore[arg-type]
        failure_code=code,
        error_message=code and "it broke",
    )
    assertions = check_case(
        list(job.case["expect"]), output=output, states=["PLAN"], changed_lines=changed, duration_s=0.5
    )
    return JudgedRun(job, run, tuple(assertions), datetime(2026, 11, 20, 12, tzinfo=UTC))


def test_jobs_repeat_each_case_next_to_each_other() -> None:
    jobs = plan_jobs([_target(repeat=3)])
    assert [(job.case_id, job.attempt) for job in jobs] == [
        ("one", 1),
        ("one", 2),
        ("one", 3),
        ("two", 1),
        ("two", 2),
        ("two", 3),
    ]


def test_repeats_give_a_per_case_pass_rate_and_a_case_passes_only_every_time() -> None:
    one_a, one_b, two_a, two_b = plan_jobs([_target()])
    runs = [_judged(one_a, 1), _judged(one_b, 99), _judged(two_a, 2), _judged(two_b, 2)]

    result = score_target(_target(), runs, BENCHMARK)

    rates = {case.case_id: (case.passed_runs, case.runs, case.pass_rate) for case in result.cases}
    assert rates == {"one": (1, 2, 0.5), "two": (2, 2, 1.0)}
    assert (result.cases_passed, result.cases_total) == (1, 2)
    assert result.score.metrics == {"pass_rate": 0.5, "diff": 0.8}  # 3 of 4 runs passed: marginal band
    assert result.score.composite_score == 65.0 and result.score.tier == "F"
    [failure] = result.cases[0].failures
    assert failure.startswith(f"run 2: {ASSERTION_FAILED}: expected output 1, got 99")


def test_a_metric_without_data_is_missing_not_zero() -> None:
    jobs = plan_jobs([_target(repeat=1)])
    runs = [_judged(job, job.case["input"], changed=None) for job in jobs]
    result = score_target(_target(repeat=1), runs, BENCHMARK)
    assert result.score.missing_metrics == ["diff"] and result.score.weight_missing == 0.5
    assert result.score.composite_score == 100.0 and result.score.tier == "A"
    assert result.to_json()["missing_metrics"] == ["diff"]


def test_the_json_result_has_exactly_the_documented_keys() -> None:
    jobs = plan_jobs([_target(repeat=1)])
    result = score_target(_target(repeat=1), [_judged(job, job.case["input"]) for job in jobs], BENCHMARK)
    assert list(result.to_json()) == [
        "skill_id",
        "composite_score",
        "tier",
        "cases_passed",
        "cases_total",
        "cached",
        "metrics",
        "missing_metrics",
        "baseline_delta",
    ]


def test_a_run_that_fails_its_assertions_is_recorded_as_failed_with_the_assertion_code() -> None:
    job = plan_jobs([_target(repeat=1)])[0]
    report = run_report(_judged(job, 42), idempotency_key="bench/x/skill-a/one/1", git_sha="abc1234", branch="main")
    assert report.run["status"] == "failed" and report.run["source"] == "bench"
    assert report.run["failure_code"] == ASSERTION_FAILED and report.error is not None
    assert report.run["changed_lines"] == 2 and report.run["case_id"] == "one"


def test_a_crashed_run_keeps_the_runner_failure_code() -> None:
    job = plan_jobs([_target(repeat=1)])[0]
    judged = _judged(job, None, status="failed", code="AGENT.CRASH")
    report = run_report(judged, idempotency_key="k", git_sha=None, branch=None)
    assert report.run["status"] == "failed" and report.run["failure_code"] == "AGENT.CRASH"
    assert "git_sha" not in report.run and "output" not in report.run


def test_a_passing_run_has_no_error() -> None:
    job = plan_jobs([_target(repeat=1)])[0]
    report = run_report(_judged(job, 1), idempotency_key="k", git_sha=None, branch=None)
    assert report.run["status"] == "succeeded" and report.error is None


def _sleeper(tmp_path: Path) -> tuple[str, ...]:
    script = tmp_path / "agent.py"
    script.write_text(
        "import json, sys, time\n"
        "case = json.load(sys.stdin)\n"
        "time.sleep(0.3)\n"
        "print(json.dumps({'event': 'result', 'output': case}))\n"
    )
    return (sys.executable, str(script))


def test_execute_runs_jobs_in_parallel_and_keeps_their_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = _target(repeat=2, command=_sleeper(tmp_path))
    active = peak = 0
    lock = threading.Lock()
    seen: list[str] = []

    def watch(judged: JudgedRun) -> None:
        seen.append(judged.job.case_id)

    original = engine.run_case

    def counting(*args: Any, **kwargs: Any) -> CaseRun:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                active -= 1

    monkeypatch.setattr(engine, "run_case", counting)
    started = time.monotonic()
    runs = execute(plan_jobs([target]), workers=4, root=tmp_path, on_run=watch, run_ids=lambda job: "r")
    elapsed = time.monotonic() - started

    assert peak == 4 and len(seen) == 4
    assert [(judged.job.case_id, judged.job.attempt) for judged in runs] == [
        ("one", 1),
        ("one", 2),
        ("two", 1),
        ("two", 2),
    ]
    assert all(judged.passed for judged in runs)
    assert elapsed < 4 * 0.3
