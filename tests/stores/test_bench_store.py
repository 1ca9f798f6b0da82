"""What the bench reads from and writes to every store: known skills, baselines, results, run statistics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from helpers.stores import bench_result, store_fixture
from skillci.errors import BadInput
from skillci.store.base import Store
from skillci.store.runs import build_report

store = store_fixture(synced=True)


def _result(skill_id: str, *, bench_id: str, score: float | None, branch: str, git_sha: str) -> dict[str, Any]:
    return bench_result(skill_id, bench_id=bench_id, score=score, branch=branch, git_sha=git_sha)


def _run(key: str, **fields: Any) -> Any:
    return build_report({"idempotency_key": key, "skill_id": "fix-lint", "source": "bench", **fields})


def test_bench_context_knows_synced_skills_only(store: Store) -> None:
    context = store.bench_context(["fix-lint", "not-synced-yet"], branch="main", git_sha=None)
    assert context.known == frozenset({"fix-lint"})
    assert context.baseline == {}


def test_the_baseline_is_the_merge_base_result_else_the_latest_on_the_default_branch(store: Store) -> None:
    store.record_bench([], [_result("fix-lint", bench_id="b1", score=80.0, branch="main", git_sha="aaa1111")])
    store.record_bench([], [_result("fix-lint", bench_id="b2", score=91.5, branch="main", git_sha="bbb2222")])
    store.record_bench([], [_result("fix-lint", bench_id="b3", score=10.0, branch="feature", git_sha="ccc3333")])

    latest = store.bench_context(["fix-lint"], branch="main", git_sha=None).baseline["fix-lint"]
    at_merge_base = store.bench_context(["fix-lint"], branch="main", git_sha="aaa1111").baseline["fix-lint"]
    elsewhere = store.bench_context(["fix-lint"], branch="release", git_sha="fff0000")

    assert (latest.composite_score, latest.tier, latest.git_sha) == (91.5, "A", "bbb2222")
    assert (at_merge_base.composite_score, at_merge_base.git_sha) == (80.0, "aaa1111")
    assert elsewhere.baseline == {}


def test_record_bench_writes_runs_and_results_once(store: Store) -> None:
    runs = [
        _run("bench-1/fix-lint/a/1", status="succeeded", case_id="a", duration_s=1.5, changed_lines=3),
        _run("bench-1/fix-lint/b/1", status="failed", case_id="b", error={"code": "AGENT.CRASH", "message": "boom"}),
    ]
    results = [_result("fix-lint", bench_id="bench-1", score=55.0, branch="main", git_sha="abc1234")]

    assert store.record_bench(runs, results) == 1
    assert store.record_bench(runs, results) == 0  # a retry of the same bench

    assert sorted((run["case_id"], run["status"], run["source"]) for run in store.rows("runs")) == [
        ("a", "succeeded", "bench"),
        ("b", "failed", "bench"),
    ]
    [row] = store.rows("agent_benchmark_results")
    assert row["composite_score"] == 55.0 and row["missing_metrics"] == ["diff_size"] and row["bench_id"] == "bench-1"
    assert [error["count"] for error in store.rows("agent_errors")] == [1]


def test_record_bench_is_all_or_nothing(store: Store) -> None:
    runs = [_run("bench-2/fix-lint/a/1", status="succeeded", case_id="a")]
    results = [_result("no-such-skill", bench_id="bench-2", score=50.0, branch="main", git_sha="abc1234")]
    with pytest.raises(BadInput):
        store.record_bench(runs, results)
    assert store.rows("runs") == [] and store.rows("agent_benchmark_results") == []


def test_text_no_store_could_keep_is_stored_alike_everywhere_and_the_batch_is_kept(store: Store) -> None:
    bad = _run(
        "bench-3/fix-lint/a/1",
        status="failed",
        case_id="a",
        output={"text": "nul\x00 and \ud800 lone", "\x00key": float("nan")},
        events=[{"event": "log", "detail": {"stderr": "a\x00b", "n": [float("inf")]}}],
        error={"code": "AGENT.CRASH", "message": "exited with code 1: \x00boom\udfff"},
    )
    healthy = _run("bench-3/fix-lint/b/1", status="succeeded", case_id="b")
    store.record_bench([bad, healthy], [])

    runs = {run["case_id"]: run for run in store.rows("runs")}
    assert set(runs) == {"a", "b"}
    assert runs["a"]["output"] == {"text": "nul\ufffd and \ufffd lone", "\ufffdkey": None}
    assert runs["a"]["error_message"] == "exited with code 1: \ufffdboom\ufffd"
    [event] = store.rows("run_events")
    assert event["detail"] == {"stderr": "a\ufffdb", "n": [None]}
    [error] = store.rows("agent_errors")
    assert error["message"] == "exited with code 1: \ufffdboom\ufffd"


def test_run_stats_average_what_was_reported_in_the_window(store: Store) -> None:
    reports = [
        # finished inside the window (10:30 at +02:00 is 08:30 UTC)
        _run("p1", status="succeeded", source="production", finished_at="2026-11-16T10:30:00+02:00", ci_attempts=1),
        _run("p2", status="failed", source="production", finished_at="2026-11-17T12:00:00Z", ci_attempts=3),
        _run("p3", status="timed_out", source="production", finished_at="2026-11-18T12:00:00Z", tokens_in=100),
        # not judged, outside the window, or from the bench
        _run("p4", status="cancelled", source="production", finished_at="2026-11-18T12:00:00Z", ci_attempts=9),
        _run("p5", status="succeeded", source="production", finished_at="2026-11-16T07:59:00Z", ci_attempts=9),
        _run("p6", status="succeeded", source="production", finished_at="2026-11-23T00:00:00Z", ci_attempts=9),
        _run("b1", status="succeeded", source="bench", finished_at="2026-11-18T12:00:00Z", ci_attempts=9),
    ]
    for report in reports:
        store.record_run(report)

    stats = store.run_stats(
        ["fix-lint", "bump-dependency"],
        since=datetime(2026, 11, 16, 8, 0, tzinfo=UTC),
        until=datetime(2026, 11, 23, tzinfo=UTC),
        source="production",
    )

    assert set(stats) == {"fix-lint"}
    numbers = {name: float(value) for name, value in stats["fix-lint"].items()}
    assert numbers == {"runs": 3.0, "passed": 1.0, "ci_attempts": 2.0, "tokens_in": 100.0}
