"""The bench results a commit has, in every store: the latest per skill, the same shape and refusals everywhere."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from helpers.postgres import PostgresServer
from helpers.stores import bench_result, store_fixture, sync_example
from skillci.errors import BadInput, ExitCode
from skillci.store import open_store
from skillci.store.base import Store
from skillci.store.runs import build_report

HEAD = "0123456789abcdef0123456789abcdef01234567"
PARENT = "fedcba9876543210fedcba9876543210fedcba98"
UTC_TEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")


store = store_fixture(synced=True)


def _result(skill_id: str, *, passed: int = 1, **fields: Any) -> dict[str, Any]:
    metrics = {"pass_rate": passed / 2, "diff_size": 12}
    return bench_result(skill_id, passed=passed, metrics=metrics, missing_metrics=("time_to_green",), **fields)


def _run(key: str, skill_id: str) -> Any:
    return build_report(
        {"idempotency_key": key, "skill_id": skill_id, "source": "bench", "status": "succeeded", "case_id": "a"}
    )


def _record_history(store: Store) -> None:
    """fix-lint benched twice at HEAD, bump-dependency once at HEAD, scan-secrets only at PARENT."""
    store.record_bench(
        [_run("bench-1/fix-lint/a/1", "fix-lint"), _run("bench-1/scan-secrets/a/1", "scan-secrets")],
        [
            _result("fix-lint", bench_id="bench-1", git_sha=PARENT, score=70.0),
            _result("scan-secrets", bench_id="bench-1", git_sha=PARENT, score=95.0, passed=2),
        ],
    )
    store.record_bench(
        [_run("bench-2/fix-lint/a/1", "fix-lint"), _run("bench-2/bump-dependency/a/1", "bump-dependency")],
        [
            _result("fix-lint", bench_id="bench-2", git_sha=HEAD, score=64.5),
            _result("bump-dependency", bench_id="bench-2", git_sha=HEAD, score=None, branch="feature/x", passed=0),
        ],
    )
    # a re-run at the same commit: the latest result is the one the gate judges
    store.record_bench(
        [_run("bench-3/fix-lint/a/1", "fix-lint")],
        [_result("fix-lint", bench_id="bench-3", git_sha=HEAD, score=91.0, passed=2)],
    )


def test_the_latest_result_of_each_skill_at_the_commit(store: Store) -> None:
    _record_history(store)
    before = datetime.now(UTC)

    found = store.commit_results(HEAD, ["fix-lint", "bump-dependency", "scan-secrets"])

    assert set(found) == {"fix-lint", "bump-dependency"}
    fix_lint = dict(found["fix-lint"])
    created_at = fix_lint.pop("created_at")
    assert fix_lint == {
        "skill_id": "fix-lint",
        "composite_score": 91.0,
        "tier": "A",
        "cases_passed": 2,
        "cases_total": 2,
        "metrics": {"pass_rate": 1.0, "diff_size": 12},
        "missing_metrics": ["time_to_green"],
        "branch": "main",
    }
    assert isinstance(created_at, str) and UTC_TEXT.fullmatch(created_at), created_at
    assert before - timedelta(minutes=5) < datetime.fromisoformat(created_at) <= before
    assert found["bump-dependency"]["composite_score"] is None and found["bump-dependency"]["tier"] is None
    assert (found["bump-dependency"]["cases_passed"], found["bump-dependency"]["branch"]) == (0, "feature/x")
    assert found["fix-lint"]["created_at"] > found["bump-dependency"]["created_at"]
    assert store.commit_results(PARENT, ["fix-lint", "scan-secrets", "bump-dependency"]).keys() == {
        "fix-lint",
        "scan-secrets",
    }
    assert store.commit_results(PARENT, ["fix-lint"])["fix-lint"]["composite_score"] == 70.0


def test_the_created_at_matches_the_stored_row(store: Store) -> None:
    store.record_bench([], [_result("fix-lint", bench_id="bench-1", git_sha=HEAD)])

    [row] = store.rows("agent_benchmark_results")
    stored = row["created_at"]
    if isinstance(stored, str):  # over PostgREST a timestamp is its ISO text
        stored = datetime.fromisoformat(stored)
    if stored.tzinfo is None:  # SQLite keeps UTC without saying so
        stored = stored.replace(tzinfo=UTC)

    found = store.commit_results(HEAD, ["fix-lint"])["fix-lint"]["created_at"]

    assert found == stored.astimezone(UTC).isoformat(timespec="microseconds")


def test_results_recorded_at_the_same_moment_go_to_the_later_row(store: Store) -> None:
    # one call, one transaction: both rows get the same created_at, so the greater id wins
    store.record_bench(
        [],
        [
            _result("fix-lint", bench_id="bench-a", git_sha=HEAD, score=50.0),
            _result("fix-lint", bench_id="bench-b", git_sha=HEAD, score=60.0),
        ],
    )
    first, second = store.rows("agent_benchmark_results")
    assert first["created_at"] == second["created_at"]

    assert store.commit_results(HEAD, ["fix-lint"])["fix-lint"]["composite_score"] == 60.0


def test_skills_without_a_result_there_and_unknown_skills_are_absent(store: Store) -> None:
    _record_history(store)

    assert store.commit_results(HEAD, ["scan-secrets", "triage-error", "no-such-skill"]) == {}
    assert store.commit_results("abcdef0", ["fix-lint", "bump-dependency"]) == {}
    assert set(store.commit_results(HEAD, ["no-such-skill", "fix-lint", "fix-lint"])) == {"fix-lint"}


def test_no_skill_ids_give_nothing(store: Store) -> None:
    _record_history(store)

    assert store.commit_results(HEAD, []) == {}
    assert store.commit_results(HEAD, ()) == {}


def test_the_sha_is_whole_and_compared_ignoring_case(store: Store) -> None:
    _record_history(store)

    assert set(store.commit_results(HEAD.upper(), ["fix-lint"])) == {"fix-lint"}
    assert store.commit_results(HEAD[:7], ["fix-lint"]) == {}  # an abbreviation is another commit


BAD_SHAS = ["", "abc", "a" * 65, "0123456g", "HEAD", "abcd ", " abcd", "abcd\n", "ab-cd", None, 1234]


@pytest.mark.parametrize("git_sha", BAD_SHAS, ids=repr)
def test_a_bad_sha_is_bad_input_on_every_store(store: Store, git_sha: Any) -> None:
    for skill_ids in (["fix-lint"], []):
        with pytest.raises(BadInput) as refused:
            store.commit_results(git_sha, skill_ids)

        assert refused.value.exit_code == ExitCode.BAD_INPUT == 2
        assert refused.value.message == "commit results: git_sha must be a string of 4 to 64 hex characters"


def test_skill_ids_must_be_strings(store: Store) -> None:
    for skill_ids in ("fix-lint", ["fix-lint", 7], [None]):
        with pytest.raises(BadInput) as refused:
            store.commit_results(HEAD, skill_ids)  # type: ignore[arg-type]
        assert refused.value.message == "commit results: skill_ids must be a list of strings"
    assert store.commit_results("ABCD", ["fix-lint"]) == {}
    assert store.commit_results("a" * 64, ["fix-lint"]) == {}


def test_postgres_answers_in_utc_whatever_the_session_time_zone(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    name = url.rsplit("/", 1)[1]
    store = open_store(url, root=tmp_path)
    try:
        store.migrate()
        sync_example(store)
        postgres.psql(f"alter database {name} set timezone to 'Asia/Kolkata'", url=url)
        store.record_bench([], [_result("fix-lint", bench_id="bench-1", git_sha=HEAD)])
        [row] = store.rows("agent_benchmark_results")
        assert row["created_at"].utcoffset() == timedelta(hours=5, minutes=30)

        found = store.commit_results(HEAD, ["fix-lint"])["fix-lint"]["created_at"]
    finally:
        store.close()

    assert found.endswith("+00:00")
    assert found == row["created_at"].astimezone(UTC).isoformat(timespec="microseconds")


def test_only_the_service_role_may_read_commit_results(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    try:
        store.migrate()
        sync_example(store)
        store.record_bench([], [_result("fix-lint", bench_id="bench-1", git_sha=HEAD)])
    finally:
        store.close()
    payload = json.dumps({"git_sha": HEAD, "skill_ids": ["fix-lint"]})
    with psycopg.connect(url, autocommit=True) as conn:
        for role in ("anon", "authenticated"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction(force_rollback=True):
                conn.execute(f"set local role {role}")
                conn.execute("select ops.skillci_commit_results(%s)", (payload,))
        with conn.transaction(force_rollback=True):
            conn.execute("set local role service_role")
            [(found,)] = conn.execute("select ops.skillci_commit_results(%s)", (payload,)).fetchall()
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="expected a JSON object"):
                conn.execute("select ops.skillci_commit_results('[]')")
    assert set(found) == {"fix-lint"} and found["fix-lint"]["composite_score"] == 80.0
