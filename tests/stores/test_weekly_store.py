"""The weekly report's store side on every store: the numbers of a window, notifications, snapshots, history.

A hand-built week with known answers runs on SQLite, Postgres and Supabase (PostgREST stand-in); a random
history must give the same numbers on SQLite and Postgres, and the numbers a plain Python reading of the
definitions in skillci.weekly.report gives.
"""

from __future__ import annotations

import json
import math
import random
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from helpers.postgres import PostgresServer
from helpers.stores import (
    database_engine,
    example_registry,
    insert_rows,
    migrated_store,
    store_fixture,
    sync_example,
)
from skillci.errors import BadInput, ExitCode
from skillci.store import open_store
from skillci.store.base import Store
from skillci.store.runs import FINISHED_STATES, run_id_for
from skillci.weekly.report import WeeklyReport, iso_week

WEEK = iso_week("2026-W47")  # Monday 2026-11-16 00:00 UTC to Monday 2026-11-23
SINCE, UNTIL = WEEK.since, WEEK.until
MICROSECOND = timedelta(microseconds=1)
RUNBOOK = "docs/runbooks/failures/{}.md"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    """A moment of November 2026, in UTC."""
    return datetime(2026, 11, day, hour, minute, second, microsecond, tzinfo=UTC)


store = store_fixture(synced=True)


@pytest.fixture(scope="module")
def registry() -> dict[str, dict[str, Any]]:
    return example_registry()


def run_row(key: str, skill_id: str, status: str, created_at: datetime, **numbers: Any) -> dict[str, Any]:
    """A runs row recorded at created_at."""
    return {
        "id": run_id_for(key),
        "skill_id": skill_id,
        "status": status,
        "source": "production",
        "idempotency_key": key,
        "created_at": created_at,
        "updated_at": created_at,
        **numbers,
    }


def result_row(skill_id: str, tier: str | None, created_at: datetime, bench_id: str) -> dict[str, Any]:
    """An agent_benchmark_results row recorded at created_at."""
    return {
        "skill_id": skill_id,
        "cache_key": "0" * 64,
        "composite_score": None if tier is None else {"A": 95.0, "B": 80.0, "C": 60.0, "F": 20.0}[tier],
        "tier": tier,
        "cases_passed": 1,
        "cases_total": 2,
        "metrics": {},
        "missing_metrics": [],
        "git_sha": "0123456789abcdef0123456789abcdef01234567",
        "branch": "main",
        "bench_id": bench_id,
        "created_at": created_at,
    }


def gate_row(key: str, passed: bool, created_at: datetime, **fields: Any) -> dict[str, Any]:
    """A gate_results row recorded at created_at."""
    return {
        "passed": passed,
        "thresholds": {"min_composite": 70},
        "numbers": {"skills": 6},
        "commit_sha": None,
        "pr_number": None,
        "run_url": None,
        "idempotency_key": key,
        "created_at": created_at,
        **fields,
    }


def hand_built_week(store: Store) -> None:
    """Runs, bench results and gate decisions around 2026-W47, with answers worked out by hand below."""
    runs = [
        # fix-lint: durations 10, 20, 30, 40 (the cancelled run's 99 and the run without one do not count)
        run_row("fl-1", "fix-lint", "succeeded", SINCE, duration_s=10.0, ci_attempts=1, tokens_in=100, cost_usd=0.25),
        run_row(
            "fl-2",
            "fix-lint",
            "succeeded",
            at(16, 23, 59, 59, 999999),
            duration_s=20.0,
            ci_attempts=3,
            tokens_in=200,
            tokens_out=20,
            cost_usd=0.5,
        ),
        run_row(
            "fl-3", "fix-lint", "failed", at(17), duration_s=30.0, ci_attempts=2, failure_code="AGENT.PATCH_FAILED"
        ),
        run_row("fl-4", "fix-lint", "succeeded", at(18, 9), duration_s=40.0),
        run_row("fl-5", "fix-lint", "succeeded", at(18, 10)),
        run_row("fl-6", "fix-lint", "cancelled", at(18, 11), duration_s=99.0, ci_attempts=5),
        run_row("fl-7", "fix-lint", "running", UNTIL - MICROSECOND),
        # scan-secrets: durations 5, 7, 180
        run_row("ss-1", "scan-secrets", "timed_out", at(20, 3), duration_s=180.0, failure_code="AGENT.TIMEOUT"),
        run_row("ss-2", "scan-secrets", "failed", at(20, 4), duration_s=5.0, failure_code="VENDOR.MYSTERY"),
        run_row(
            "ss-3",
            "scan-secrets",
            "failed",
            at(21, 5),
            duration_s=7.0,
            failure_code="AGENT.TIMEOUT",
            tokens_out=30,
            cost_usd=0.125,
        ),
        # triage-error: one duration
        run_row("te-1", "triage-error", "succeeded", at(21, 6), duration_s=12.5, ci_attempts=1),
        # outside the window: the last moment before it, and its end
        run_row(
            "out-1",
            "fix-lint",
            "failed",
            SINCE - MICROSECOND,
            duration_s=1000.0,
            failure_code="AGENT.CRASH",
            ci_attempts=9,
            tokens_in=10**6,
            cost_usd=100.0,
        ),
        run_row("out-2", "bump-dependency", "failed", UNTIL, duration_s=1000.0, failure_code="AGENT.CRASH"),
    ]
    insert_rows(store, "runs", runs)
    results = [
        result_row("fix-lint", "B", SINCE - timedelta(days=3), "b-1"),  # B → A: changed
        result_row("fix-lint", "A", at(18), "b-2"),
        result_row("scan-secrets", "C", SINCE - timedelta(days=10), "b-3"),  # C → C: unchanged
        result_row("scan-secrets", "C", at(17), "b-4"),
        result_row("triage-error", "B", at(17), "b-5"),  # first tiered in the window
        result_row("bump-dependency", "A", SINCE - timedelta(days=2), "b-6"),  # F comes after the window
        result_row("bump-dependency", "F", UNTIL + timedelta(hours=1), "b-7"),
        result_row("triage-flaky-test", "B", SINCE - timedelta(days=5), "b-8"),  # changed before the window
        result_row("triage-flaky-test", "C", SINCE - MICROSECOND, "b-9"),
        result_row("summarize-incident", "C", at(19), "b-10"),  # same moment: the later row (greater id) wins
        result_row("summarize-incident", "B", at(19), "b-11"),
    ]
    insert_rows(store, "agent_benchmark_results", results)
    runs_url = "https://github.com/acme/skills/actions/runs/{}"
    gates = [
        gate_row("g-1", True, at(16, 10)),
        gate_row(
            "g-2",
            False,
            at(17, 10),
            numbers={"failing_skills": ["fix-lint"]},
            pr_number=42,
            commit_sha="a" * 40,
            run_url=runs_url.format(1),
        ),
        gate_row("g-3", False, at(19, 10), run_url=runs_url.format(2)),  # no failing_skills in its numbers
        gate_row(
            "g-4",
            False,
            at(21, 10),
            numbers={"failing_skills": ["scan-secrets", "fix-lint"]},
            run_url=runs_url.format(3),
            pr_number=7,
        ),
        gate_row("g-5", False, SINCE - MICROSECOND, numbers={"failing_skills": ["triage-error"]}),
        gate_row("g-6", True, UNTIL),
    ]
    insert_rows(store, "gate_results", gates)


def expected_week(top_failures: int = 10, recent_gates: int = 5) -> dict[str, Any]:
    """The hand-built week's numbers, worked out by hand."""

    def numbers(**given: Any) -> dict[str, Any]:
        zero = {"runs": 0, "finished": 0, "succeeded": 0, "p50_s": None, "p90_s": None, "retries": 0}
        return {**zero, "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, **given}

    failures = [
        {"code": "AGENT.TIMEOUT", "count": 2, "runbook": RUNBOOK.format("AGENT.TIMEOUT"), "severity": "high"},
        {"code": "AGENT.PATCH_FAILED", "count": 1, "runbook": RUNBOOK.format("AGENT.PATCH_FAILED"), "severity": "high"},
        {"code": "VENDOR.MYSTERY", "count": 1, "runbook": None, "severity": None},
    ]
    recent = [
        {
            "created_at": "2026-11-21T10:00:00.000000+00:00",
            "commit_sha": None,
            "pr_number": 7,
            "run_url": "https://github.com/acme/skills/actions/runs/3",
            "failing_skills": ["scan-secrets", "fix-lint"],
        },
        {
            "created_at": "2026-11-19T10:00:00.000000+00:00",
            "commit_sha": None,
            "pr_number": None,
            "run_url": "https://github.com/acme/skills/actions/runs/2",
            "failing_skills": [],
        },
        {
            "created_at": "2026-11-17T10:00:00.000000+00:00",
            "commit_sha": "a" * 40,
            "pr_number": 42,
            "run_url": "https://github.com/acme/skills/actions/runs/1",
            "failing_skills": ["fix-lint"],
        },
    ]
    return {
        "skills": [
            # retries: 2 + 1, and 4 of the cancelled run (every run of the window counts)
            {
                "skill_id": "fix-lint",
                **numbers(
                    runs=7,
                    finished=5,
                    succeeded=4,
                    p50_s=25.0,
                    p90_s=37.0,
                    retries=7,
                    tokens_in=300,
                    tokens_out=20,
                    cost_usd=0.75,
                ),
            },
            {
                "skill_id": "scan-secrets",
                **numbers(runs=3, finished=3, p50_s=7.0, p90_s=145.4, tokens_out=30, cost_usd=0.125),
            },
            {"skill_id": "triage-error", **numbers(runs=1, finished=1, succeeded=1, p50_s=12.5, p90_s=12.5)},
        ],
        "totals": numbers(
            runs=11,
            finished=9,
            succeeded=5,
            p50_s=16.25,
            p90_s=82.0,
            retries=7,
            tokens_in=300,
            tokens_out=50,
            cost_usd=0.875,
        ),
        "daily": [
            {"day": "2026-11-16", "runs": 2, "finished": 2, "succeeded": 2},
            {"day": "2026-11-17", "runs": 1, "finished": 1, "succeeded": 0},
            {"day": "2026-11-18", "runs": 3, "finished": 2, "succeeded": 2},
            {"day": "2026-11-20", "runs": 2, "finished": 2, "succeeded": 0},
            {"day": "2026-11-21", "runs": 2, "finished": 2, "succeeded": 1},
            {"day": "2026-11-22", "runs": 1, "finished": 0, "succeeded": 0},
        ],
        "failures": failures[:top_failures],
        "tiers": [
            {"skill_id": "fix-lint", "before": "B", "after": "A"},
            {"skill_id": "summarize-incident", "before": None, "after": "B"},
            {"skill_id": "triage-error", "before": None, "after": "B"},
        ],
        "gates": {"total": 4, "passed": 1, "recent_failures": recent[:recent_gates]},
    }


def differences(found: Any, wanted: Any, path: str = "$") -> list[str]:
    """Where two weekly numbers differ: floats to 1e-9 (relative or absolute), anything else exactly, types
    included (an int is not a float)."""
    if isinstance(wanted, float) and type(found) is float:
        return [] if math.isclose(found, wanted, rel_tol=1e-9, abs_tol=1e-9) else [f"{path}: {found!r} != {wanted!r}"]
    if type(found) is not type(wanted):
        return [f"{path}: {found!r} ({type(found).__name__}) != {wanted!r} ({type(wanted).__name__})"]
    if isinstance(wanted, dict):
        if list(found) != list(wanted):
            return [f"{path}: keys {list(found)} != {list(wanted)}"]
        return [difference for key in wanted for difference in differences(found[key], wanted[key], f"{path}.{key}")]
    if isinstance(wanted, list):
        if len(found) != len(wanted):
            return [f"{path}: {len(found)} elements != {len(wanted)}: {found!r}"]
        return [
            d for n, (f, w) in enumerate(zip(found, wanted, strict=True)) for d in differences(f, w, f"{path}[{n}]")
        ]
    return [] if found == wanted else [f"{path}: {found!r} != {wanted!r}"]


def test_the_hand_built_week(store: Store) -> None:
    hand_built_week(store)

    found = store.weekly_numbers(since=SINCE, until=UNTIL)

    assert differences(found, expected_week()) == []
    assert json.loads(json.dumps(found)) == found  # plain JSON all the way down
    report = WeeklyReport.from_numbers(WEEK, found, generated_at=UNTIL)
    assert [day.runs for day in report.daily] == [2, 1, 3, 0, 2, 2, 1]
    assert report.totals.success_rate == pytest.approx(5 / 9)
    assert [gate.pr_number for gate in report.gates.recent_failures] == [7, None, 42]


def test_the_lists_are_cut_to_the_numbers_asked_for(store: Store) -> None:
    hand_built_week(store)

    found = store.weekly_numbers(since=SINCE, until=UNTIL, top_failures=2, recent_gates=1)
    none = store.weekly_numbers(since=SINCE, until=UNTIL, top_failures=0, recent_gates=0)

    assert differences(found, expected_week(top_failures=2, recent_gates=1)) == []
    assert (none["failures"], none["gates"]["recent_failures"]) == ([], [])
    assert none["gates"]["total"] == 4


def test_a_window_of_part_of_a_day_and_a_zone_other_than_utc(store: Store) -> None:
    hand_built_week(store)
    zone = timezone(timedelta(hours=5, minutes=30))
    # 2026-11-18 05:30+05:30 is midnight UTC: the window is Wednesday 00:00 to 09:30 UTC
    since, until = datetime(2026, 11, 18, 5, 30, tzinfo=zone), datetime(2026, 11, 18, 15, 0, 0, 1, tzinfo=zone)

    found = store.weekly_numbers(since=since, until=until)

    assert [(row["skill_id"], row["runs"], row["p50_s"]) for row in found["skills"]] == [("fix-lint", 1, 40.0)]
    assert found["daily"] == [{"day": "2026-11-18", "runs": 1, "finished": 1, "succeeded": 1}]
    naive = store.weekly_numbers(since=SINCE.replace(tzinfo=None), until=UNTIL.replace(tzinfo=None))
    assert differences(naive, expected_week()) == []  # a naive moment is UTC


def test_an_empty_window(store: Store) -> None:
    hand_built_week(store)

    # no run and no gate decision (those at UNTIL are before it); bump-dependency's F lands in it
    found = store.weekly_numbers(since=UNTIL + timedelta(minutes=30), until=UNTIL + timedelta(days=1))

    zero = {"runs": 0, "finished": 0, "succeeded": 0, "p50_s": None, "p90_s": None, "retries": 0}
    expected = {
        "skills": [],
        "totals": {**zero, "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0},
        "daily": [],
        "failures": [],
        "tiers": [{"skill_id": "bump-dependency", "before": "A", "after": "F"}],
        "gates": {"total": 0, "passed": 0, "recent_failures": []},
    }
    assert differences(found, expected) == []
    report = WeeklyReport.from_numbers(WEEK, found, generated_at=UNTIL)
    assert report.empty and report.totals.success_rate is None and report.gates.pass_rate is None
    assert report.totals.p50_s is None and [day.runs for day in report.daily] == [0] * 7


def test_an_empty_store(store: Store) -> None:
    found = store.weekly_numbers(since=SINCE, until=UNTIL)

    assert found["skills"] == [] and found["tiers"] == [] and found["daily"] == []
    assert found["totals"]["runs"] == 0 and found["totals"]["p90_s"] is None
    assert type(found["totals"]["cost_usd"]) is float


BAD_WINDOWS: list[tuple[dict[str, Any], str]] = [
    ({"until": SINCE}, "until must be after since"),
    ({"until": SINCE - timedelta(days=1)}, "until must be after since"),
    ({"since": "2026-11-16"}, "since and until must be ISO 8601 times"),
    ({"top_failures": -1}, "top_failures must be an integer from 0 to 1000"),
    ({"top_failures": 1001}, "top_failures must be an integer from 0 to 1000"),
    ({"recent_gates": True}, "recent_gates must be an integer from 0 to 1000"),
    ({"recent_gates": 2.0}, "recent_gates must be an integer from 0 to 1000"),
]


def test_every_store_refuses_the_same_bad_windows(store: Store) -> None:
    for change, message in BAD_WINDOWS:
        arguments: dict[str, Any] = {"since": SINCE, "until": UNTIL, **change}
        with pytest.raises(BadInput, match=message) as refused:
            store.weekly_numbers(**arguments)
        assert refused.value.exit_code == ExitCode.BAD_INPUT == 2


def test_the_weekly_function_checks_its_payload_and_serves_only_the_service_role(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()
    good = {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "top_failures": 3, "recent_gates": 3}
    bad = [
        ([], "expected a JSON object"),
        ({**good, "since": "yesterday"}, "since and until must be ISO 8601 times"),
        ({**good, "until": None}, "since and until must be ISO 8601 times"),
        ({**good, "until": good["since"]}, "until must be after since"),
        ({**good, "top_failures": "3"}, "top_failures must be an integer"),
        ({**good, "recent_gates": 2.5}, "recent_gates must be an integer"),
        ({**good, "recent_gates": 1001}, "recent_gates must be an integer"),
    ]
    functions = ["skillci_weekly_report", "skillci_notification_status", "skillci_record_notification"]
    functions += ["skillci_record_snapshot", "skillci_record_history"]
    with psycopg.connect(url, autocommit=True) as conn:
        for payload, message in bad:
            with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
                conn.execute("select ops.skillci_weekly_report(%s)", (json.dumps(payload),))
        for role in ("anon", "authenticated"):
            for function in functions:
                with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction(force_rollback=True):
                    conn.execute(f"set local role {role}")
                    conn.execute(f"select ops.{function}('{{}}')")  # type: ignore[arg-type]
        with conn.transaction(force_rollback=True):
            conn.execute("set local role service_role")
            [(found,)] = conn.execute("select ops.skillci_weekly_report(%s)", (json.dumps(good),)).fetchall()
    assert found["totals"]["runs"] == 0


def test_postgres_buckets_by_utc_day_whatever_the_session_time_zone(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    postgres.psql(f"alter database {url.rsplit('/', 1)[1]} set timezone to 'America/Los_Angeles'", url=url)
    store = open_store(url, root=tmp_path)
    try:
        store.migrate()
        sync_example(store)
        hand_built_week(store)
        found = store.weekly_numbers(since=SINCE, until=UNTIL)
    finally:
        store.close()
    assert differences(found, expected_week()) == []


# -- SQLite and Postgres agree, and agree with the definitions read plainly ------------------------------------

SKILLS = ("fix-lint", "bump-dependency", "triage-flaky-test", "summarize-incident", "triage-error", "scan-secrets")
CODES = ("AGENT.TIMEOUT", "AGENT.CRASH", "AGENT.PATCH_FAILED", "CI.CHECKS_FAILED", "NOT.IN_THE_REGISTRY")
STATES = ("succeeded", "succeeded", "succeeded", "failed", "timed_out", "cancelled", "running", "queued")


def random_history(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Three weeks of runs (2,500), bench results and gates around 2026-W47, at awkward moments too."""
    rng = random.Random(seed)
    start = SINCE - timedelta(days=7)
    edges = [SINCE, SINCE - MICROSECOND, UNTIL, UNTIL - MICROSECOND, at(18), at(18) - MICROSECOND, at(19, 12)]

    def moment() -> datetime:
        if rng.random() < 0.08:
            return rng.choice(edges)
        return start + timedelta(microseconds=rng.randrange(21 * 86400 * 10**6))

    runs = []
    for number in range(2500):
        status = rng.choice(STATES)
        numbers: dict[str, Any] = {}
        if rng.random() < 0.9:
            numbers["duration_s"] = rng.choice([round(rng.uniform(0.5, 300), 3), float(rng.randint(1, 20))])
        if rng.random() < 0.8:
            numbers["ci_attempts"] = rng.choice([0, 1, 1, 1, 2, 3, 5])
        if rng.random() < 0.8:
            numbers["tokens_in"], numbers["tokens_out"] = rng.randint(0, 50000), rng.randint(0, 9000)
        if rng.random() < 0.8:
            numbers["cost_usd"] = rng.uniform(0, 2)
        if status in ("failed", "timed_out") and rng.random() < 0.9:
            numbers["failure_code"] = rng.choice(CODES)
        created = moment()
        runs.append(run_row(f"r-{seed}-{number}", rng.choice(SKILLS), status, created, **numbers))
    results = [
        result_row(rng.choice(SKILLS), rng.choice(("A", "B", "C", "F", None)), moment(), f"bench-{number}")
        for number in range(60)
    ]
    results += [result_row("fix-lint", tier, at(20, 1), f"tie-{tier}") for tier in ("C", "A")]
    gates = []
    for number in range(80):
        failing: Any = rng.choice([["fix-lint"], ["scan-secrets", "triage-error"], [], "fix-lint", None])
        numbers = {"skills": 6} if failing is None else {"failing_skills": failing}
        gates.append(
            gate_row(f"gate-{number}", rng.random() < 0.6, moment(), numbers=numbers, run_url=f"https://x/{number}")
        )
    return {"runs": runs, "agent_benchmark_results": results, "gate_results": gates}


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont, read plainly."""
    if not values:
        return None
    ordered = sorted(values)
    exact = fraction * (len(ordered) - 1)
    lower, upper = math.floor(exact), math.ceil(exact)
    return ordered[lower] + (exact - lower) * (ordered[upper] - ordered[lower])


def reference_numbers(
    history: Mapping[str, list[dict[str, Any]]],
    modes: Mapping[str, Mapping[str, Any]],
    since: datetime,
    until: datetime,
    top_failures: int = 10,
    recent_gates: int = 5,
) -> dict[str, Any]:
    """The weekly numbers of skillci.weekly.report's definitions, computed row by row in Python."""
    inside = [run for run in history["runs"] if since <= run["created_at"] < until]

    def numbers(runs: list[dict[str, Any]]) -> dict[str, Any]:
        finished = [run for run in runs if run["status"] in FINISHED_STATES]
        durations = [run["duration_s"] for run in finished if run.get("duration_s") is not None]
        costs = [run["cost_usd"] for run in runs if run.get("cost_usd") is not None]
        return {
            "runs": len(runs),
            "finished": len(finished),
            "succeeded": sum(run["status"] == "succeeded" for run in runs),
            "p50_s": percentile_cont(durations, 0.5),
            "p90_s": percentile_cont(durations, 0.9),
            "retries": sum(run["ci_attempts"] - 1 for run in runs if (run.get("ci_attempts") or 0) > 1),
            "tokens_in": sum(run.get("tokens_in") or 0 for run in runs),
            "tokens_out": sum(run.get("tokens_out") or 0 for run in runs),
            "cost_usd": float(math.fsum(costs)),
        }

    skills = sorted({run["skill_id"] for run in inside})
    days = sorted({run["created_at"].date() for run in inside})
    codes = Counter(run["failure_code"] for run in inside if run.get("failure_code"))
    top = sorted(codes.items(), key=lambda item: (-item[1], item[0]))[:top_failures]

    def latest(before: datetime) -> dict[str, Any]:
        tiers: dict[str, Any] = {}
        for _, row in sorted(
            ((row["created_at"], number), row)
            for number, row in enumerate(history["agent_benchmark_results"])
            if row["created_at"] < before
        ):
            tiers[row["skill_id"]] = row["tier"]
        return tiers

    after, before = latest(until), latest(since)
    gates = [(row["created_at"], number, row) for number, row in enumerate(history["gate_results"])]
    gates = [gate for gate in gates if since <= gate[0] < until]
    failed = sorted((gate for gate in gates if not gate[2]["passed"]), key=lambda gate: gate[:2], reverse=True)
    return {
        "skills": [{"skill_id": skill, **numbers([r for r in inside if r["skill_id"] == skill])} for skill in skills],
        "totals": numbers(inside),
        "daily": [
            {
                "day": day.isoformat(),
                **{
                    k: v
                    for k, v in numbers([r for r in inside if r["created_at"].date() == day]).items()
                    if k in ("runs", "finished", "succeeded")
                },
            }
            for day in days
        ],
        "failures": [
            {
                "code": code,
                "count": count,
                "runbook": (modes.get(code) or {}).get("runbook"),
                "severity": (modes.get(code) or {}).get("severity"),
            }
            for code, count in top
        ],
        "tiers": [
            {"skill_id": skill, "before": before.get(skill), "after": tier}
            for skill, tier in sorted(after.items())
            if before.get(skill) != tier
        ],
        "gates": {
            "total": len(gates),
            "passed": sum(bool(gate[2]["passed"]) for gate in gates),
            "recent_failures": [
                {
                    "created_at": created.isoformat(timespec="microseconds"),
                    "commit_sha": row["commit_sha"],
                    "pr_number": row["pr_number"],
                    "run_url": row["run_url"],
                    "failing_skills": row["numbers"]["failing_skills"]
                    if isinstance(row["numbers"].get("failing_skills"), list)
                    else [],
                }
                for created, _, row in failed[:recent_gates]
            ],
        },
    }


WINDOWS = [
    (SINCE, UNTIL),  # the week
    (at(17, 13, 30), at(19, 13, 30)),  # two days, starting and ending mid-day
    (at(18), at(19)),  # one day
    (SINCE - timedelta(days=7), UNTIL + timedelta(days=7)),  # all three weeks
    (at(1), at(2)),  # nothing
]


def test_sqlite_and_postgres_agree_with_each_other_and_with_the_definitions(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, registry: dict[str, Any]
) -> None:
    history = random_history(seed=11)
    found: dict[str, list[dict[str, Any]]] = {}
    for kind in ("sqlite", "postgres"):
        with migrated_store(kind, tmp_path=tmp_path / kind, postgres=postgres, monkeypatch=monkeypatch) as store:
            sync_example(store)
            for table, rows in history.items():
                insert_rows(store, table, rows)
            found[kind] = [
                store.weekly_numbers(since=since, until=until, top_failures=4, recent_gates=3)
                for since, until in WINDOWS
            ]

    for (since, until), on_sqlite, on_postgres in zip(WINDOWS, found["sqlite"], found["postgres"], strict=True):
        reference = reference_numbers(history, registry["failure_modes"], since, until, top_failures=4, recent_gates=3)
        assert differences(on_sqlite, on_postgres) == [], (since, until)
        assert differences(on_sqlite, reference) == [], (since, until)
    week = found["sqlite"][0]
    assert week["totals"]["runs"] > 700 and len(week["skills"]) == len(SKILLS) and len(week["daily"]) == 7
    assert len(week["failures"]) == 4 and week["tiers"] and len(week["gates"]["recent_failures"]) == 3
    assert found["sqlite"][-1]["totals"]["runs"] == 0


# -- notifications -------------------------------------------------------------------------------------------


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def test_a_notification_is_upserted_on_its_key(store: Store) -> None:
    key = "weekly/slack/2026-W47"
    assert store.notification_status(key) is None

    store.record_notification(channel="slack", period="2026-W47", idempotency_key=key, status="failed", payload=None)
    assert store.notification_status(key) == "failed"
    [failed] = store.rows("notifications")
    assert (failed["status"], failed["payload"], failed["sent_at"]) == ("failed", None, None)

    before = datetime.now(UTC) - timedelta(minutes=5)
    sent = {"blocks": [{"type": "section"}], "week": "2026-W47"}
    store.record_notification(channel="slack", period="2026-W47", idempotency_key=key, status="sent", payload=sent)
    store.record_notification(channel="github", period="2026-W47", idempotency_key="other", status="sent", payload={})

    assert store.notification_status(key) == "sent"
    assert store.notification_status("weekly/slack/2026-W46") is None
    rows = {row["idempotency_key"]: row for row in store.rows("notifications")}
    assert set(rows) == {key, "other"}
    row = rows[key]
    assert (row["id"], row["channel"], row["status"], row["payload"]) == (failed["id"], "slack", "sent", sent)
    sent_at = _as_datetime(row["sent_at"])
    assert sent_at is not None
    assert (sent_at.replace(tzinfo=UTC) if sent_at.tzinfo is None else sent_at) > before


BAD_NOTIFICATIONS: list[tuple[dict[str, Any], str]] = [
    ({"channel": ""}, "channel must be a string of 1 to 32 characters"),
    ({"channel": "c" * 33}, "channel must be a string of 1 to 32 characters"),
    ({"period": None}, "period must be a string of 1 to 16 characters"),
    ({"idempotency_key": "k" * 201}, "idempotency_key must be a string of 1 to 200 characters"),
    ({"status": "delivered"}, "status must be sent or failed"),
    ({"status": None}, "status must be sent or failed"),
    ({"payload": ["a list"]}, "payload must be a JSON object or null"),
]


def test_every_store_refuses_the_same_bad_notifications(store: Store) -> None:
    good = {"channel": "slack", "period": "2026-W47", "idempotency_key": "k", "status": "sent", "payload": None}
    for change, message in BAD_NOTIFICATIONS:
        with pytest.raises(BadInput, match=message):
            store.record_notification(**{**good, **change})
    with pytest.raises(BadInput, match="idempotency_key must be a string"):
        store.notification_status("")
    assert store.rows("notifications") == []


def test_the_notification_functions_check_their_payload(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()
    good = {"channel": "slack", "period": "2026-W47", "idempotency_key": "k", "status": "sent", "payload": None}
    with psycopg.connect(url, autocommit=True) as conn:
        for change, message in BAD_NOTIFICATIONS:
            with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
                conn.execute("select ops.skillci_record_notification(%s)", (json.dumps({**good, **change}),))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"unknown key\(s\) extra"):
            conn.execute("select ops.skillci_record_notification(%s)", (json.dumps({**good, "extra": 1}),))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="idempotency_key must be a string"):
            conn.execute("select ops.skillci_notification_status('{\"idempotency_key\": 5}')")
        [(written,)] = conn.execute("select ops.skillci_record_notification(%s)", (json.dumps(good),)).fetchall()
    assert written["status"] == "sent"


# -- snapshots -----------------------------------------------------------------------------------------------


def test_a_snapshot_replaces_the_one_of_its_day(store: Store) -> None:
    first = store.record_snapshot(day="2026-11-20", metrics={"runs": 10, "nested": {"p50_s": 1.5}})
    again = store.record_snapshot(day="2026-11-20", metrics={"runs": 12})
    other = store.record_snapshot(day="2026-11-21", metrics={"runs": 3})

    assert first[1] is True and again == (first[0], False)
    assert other[1] is True and other[0] != first[0]
    rows = store.rows("metrics_snapshots")
    assert [(str(row["day"]), row["metrics"]) for row in rows] == [
        ("2026-11-20", {"runs": 12}),
        ("2026-11-21", {"runs": 3}),
    ]
    updated, created = _as_datetime(rows[0]["updated_at"]), _as_datetime(rows[0]["created_at"])
    assert updated is not None and created is not None and updated > created


@pytest.mark.parametrize("day", ["2026-02-30", "20261120", "2026-11-20T00:00", "", None, 20261120, "２０２６-11-20"])
def test_a_snapshot_needs_a_real_day(store: Store, day: Any) -> None:
    with pytest.raises(BadInput, match="day must be a date like 2026-11-20"):
        store.record_snapshot(day=day, metrics={})
    with pytest.raises(BadInput, match="metrics must be a JSON object"):
        store.record_snapshot(day="2026-11-20", metrics=[1])  # type: ignore[arg-type]
    assert store.rows("metrics_snapshots") == []


# -- history and recent gates ---------------------------------------------------------------------------------


def test_history_keeps_its_timestamps_and_is_written_once(store: Store) -> None:
    runs = [
        {
            "idempotency_key": "h-1",
            "skill_id": "fix-lint",
            "status": "succeeded",
            "created_at": at(17, 8),
            "duration_s": 12.0,
            "started_at": "2026-11-17T07:59:48+00:00",
        },
        {
            "idempotency_key": "h-2",
            "skill_id": "scan-secrets",
            "status": "failed",
            "created_at": "2026-11-18T09:00:00Z",
            "failure_code": "AGENT.CRASH",
            "output": {"log": "x"},
        },
    ]
    results = [{k: v for k, v in result_row("fix-lint", "A", at(18), "h-bench").items()}]
    gates = [{k: v for k, v in gate_row("h-gate", False, at(19), run_url="https://x/1").items()}]

    first = store.record_history(runs=runs, bench_results=results, gates=gates)
    again = store.record_history(runs=runs, bench_results=results, gates=gates)

    assert first == {"runs": 2, "bench_results": 1, "gates": 1}
    assert again == {"runs": 0, "bench_results": 0, "gates": 0}
    found = store.weekly_numbers(since=SINCE, until=UNTIL)
    assert [row["day"] for row in found["daily"]] == ["2026-11-17", "2026-11-18"]
    assert found["tiers"] == [{"skill_id": "fix-lint", "before": None, "after": "A"}]
    assert found["gates"]["recent_failures"][0]["created_at"] == "2026-11-19T00:00:00.000000+00:00"
    stored = {row["idempotency_key"]: row for row in store.rows("runs")}
    assert stored["h-1"]["id"] == run_id_for("h-1") and stored["h-1"]["source"] == "production"
    assert stored["h-2"]["output"] == {"log": "x"}


def test_history_refuses_rows_without_their_key_or_time(store: Store) -> None:
    row = {"idempotency_key": "h-1", "skill_id": "fix-lint", "status": "succeeded", "created_at": at(17)}
    for bad, message in [
        ({**row, "created_at": None}, "every row needs created_at and its key"),
        ({k: v for k, v in row.items() if k != "idempotency_key"}, "every row needs created_at and its key"),
        ({**row, "colour": "red"}, r"unknown column\(s\) colour"),
        ({**row, "skill_id": "no-such-skill"}, "(?i)no-such-skill|foreign key"),
    ]:
        with pytest.raises(BadInput, match=message):
            store.record_history(runs=[bad])
    with pytest.raises(BadInput, match="every row needs created_at and its key"):
        store.record_history(
            bench_results=[{k: v for k, v in result_row("fix-lint", "A", at(18), "x").items() if k != "bench_id"}]
        )
    assert store.rows("runs") == []


def test_recent_gates_asks_the_database_for_the_rows_it_returns(store: Store) -> None:
    insert_rows(store, "gate_results", [gate_row(f"g-{n}", n % 2 == 0, at(16, n), pr_number=n + 1) for n in range(6)])
    seen: list[str] = []
    listen = isinstance(getattr(store, "engine", None), sa.Engine)
    if listen:
        sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))  # type: ignore[attr-defined]

    newest = store.recent_gates(limit=2)

    assert [row["pr_number"] for row in newest] == [6, 5]
    if listen:
        assert any("LIMIT" in statement.upper() and "gate_results" in statement for statement in seen), seen
    else:
        request = store.standin.requests[-1]  # type: ignore[attr-defined]
        assert (request.path, request.query.get("limit"), request.query.get("order")) == (
            "/rest/v1/gate_results",
            ["2"],
            ["id.desc"],
        )


# -- SQLite specifics ------------------------------------------------------------------------------------------


def test_sqlite_reads_the_week_while_another_writer_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = open_store(f"sqlite:///{path}", root=tmp_path)
    store.migrate()
    sync_example(store)
    hand_built_week(store)
    writer = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    try:
        writer.execute("begin immediate")  # a long write transaction elsewhere
        writer.execute("update skills set owner = 'busy'")
        found = store.weekly_numbers(since=SINCE, until=UNTIL)  # a read: it takes no write lock
        writer.execute("rollback")
    finally:
        writer.close()
        store.close()
    assert differences(found, expected_week()) == []


def test_sqlite_migrate_adds_the_weekly_index_to_an_older_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = open_store(f"sqlite:///{path}", root=tmp_path)
    store.migrate()
    with sqlite3.connect(path) as db:  # runs as an older skillci left it
        db.execute("drop index runs_window_idx")
        db.execute("drop table metrics_snapshots")
    db.close()

    assert store.migrate() == ["table metrics_snapshots", "index runs_window_idx"]
    assert store.migrate() == []
    sync_example(store)
    hand_built_week(store)
    with database_engine(store) as engine, engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "explain query plan select count(*) from skills s cross join runs r on r.skill_id = s.id"
            " and r.created_at >= '2026-11-16' and r.created_at < '2026-11-23'"
        ).all()
    store.close()
    assert any("COVERING INDEX runs_window_idx" in str(row) for row in plan), plan
