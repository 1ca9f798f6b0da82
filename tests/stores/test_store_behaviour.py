"""The same behaviour from every store: SQLite, Postgres, and Supabase (supabase-py over HTTP to Postgres)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from helpers.stores import example_registry, store_fixture
from skillci.errors import BadInput
from skillci.store.base import Store
from skillci.store.runs import build_report, error_fingerprint

store = store_fixture()


@pytest.fixture(scope="module")
def example() -> dict[str, dict[str, Any]]:
    return example_registry()


def _by_key(rows: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_first_sync_creates_everything_with_one_version_per_skill(store: Store, example: dict[str, Any]) -> None:
    outcome = store.sync(example, git_sha="abc1234", apply=True)

    assert outcome.applied
    counts = outcome.counts()
    assert counts["skills"] == {"created": 6, "updated": 0, "deprecated": 0, "unchanged": 0}
    assert counts["tools"]["created"] == 6
    assert counts["failure_modes"]["created"] == len(example["failure_modes"])
    skills = _by_key(store.rows("skills"))
    assert set(skills) == set(example["skills"])
    assert skills["fix-lint"]["spec"] == example["skills"]["fix-lint"]
    assert skills["fix-lint"]["version"] == 1 and skills["fix-lint"]["removed_at"] is None
    versions = store.rows("skill_versions")
    assert sorted((v["skill_id"], v["version"], v["git_sha"]) for v in versions) == sorted(
        (skill, 1, "abc1234") for skill in example["skills"]
    )
    modes = _by_key(store.rows("failure_modes"), "code")
    assert {mode["severity"] for mode in modes.values()} <= {"critical", "high", "medium", "low"}


def test_a_rerun_without_change_writes_nothing(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha="abc1234", apply=True)
    before = {table: store.rows(table) for table in ("skills", "tools", "failure_modes", "skill_versions")}

    outcome = store.sync(example, git_sha="def5678", apply=True)

    assert not outcome.applied
    assert outcome.counts()["skills"] == {"created": 0, "updated": 0, "deprecated": 0, "unchanged": 6}
    assert {table: store.rows(table) for table in before} == before


def test_a_changed_skill_is_updated_with_a_field_diff_and_a_new_version(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha="abc1234", apply=True)
    changed = copy.deepcopy(example)
    changed["skills"]["fix-lint"]["max_duration_s"] = 77
    old = example["skills"]["fix-lint"]["max_duration_s"]

    outcome = store.sync(changed, git_sha="def5678", apply=True)

    update = next(change for change in outcome.plan.entities["skills"].changes if change.key == "fix-lint")
    assert update.action == "update" and update.diff == {"max_duration_s": (old, 77)}
    assert outcome.counts()["skills"] == {"created": 0, "updated": 1, "deprecated": 0, "unchanged": 5}
    skill = _by_key(store.rows("skills"))["fix-lint"]
    assert skill["max_duration_s"] == 77 and skill["version"] == 2
    versions = [(v["version"], v["git_sha"]) for v in store.rows("skill_versions") if v["skill_id"] == "fix-lint"]
    assert sorted(versions) == [(1, "abc1234"), (2, "def5678")]


def test_a_removed_skill_is_deprecated_not_deleted_and_can_come_back(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha="abc1234", apply=True)
    smaller = copy.deepcopy(example)
    del smaller["skills"]["triage-flaky-test"]
    del smaller["tools"]["pip"]

    outcome = store.sync(smaller, git_sha="def5678", apply=True)

    assert outcome.counts()["skills"]["deprecated"] == 1
    assert outcome.counts()["tools"]["deprecated"] == 1
    gone = _by_key(store.rows("skills"))["triage-flaky-test"]
    assert gone["status"] == "deprecated" and gone["removed_at"] is not None
    assert _by_key(store.rows("tools"))["pip"]["removed_at"] is not None
    again = store.sync(smaller, git_sha="def5678", apply=True)
    assert not again.applied and again.counts()["skills"]["unchanged"] == 6

    restored = store.sync(example, git_sha="0a1b2c3", apply=True)

    assert restored.counts()["skills"]["updated"] == 1
    back = _by_key(store.rows("skills"))["triage-flaky-test"]
    assert back["removed_at"] is None and back["status"] == example["skills"]["triage-flaky-test"]["status"]
    assert back["version"] == 2


def test_a_dry_run_plans_but_writes_nothing(store: Store, example: dict[str, Any]) -> None:
    outcome = store.sync(example, git_sha=None, apply=False)

    assert not outcome.applied
    assert outcome.counts()["skills"]["created"] == 6
    assert store.rows("skills") == [] and store.rows("skill_versions") == []


def _report(**fields: Any) -> Any:
    return build_report({"idempotency_key": "wf-1/fix-lint", "skill_id": "fix-lint", **fields})


def test_runs_follow_the_state_machine_and_replays_are_idempotent(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha=None, apply=True)
    events = [{"event": "state", "state": "PLAN"}, {"event": "state", "state": "PATCH"}]

    first = store.record_run(_report(status="queued"))
    running = store.record_run(_report(status="running", events=events, started_at="2026-11-20T10:00:00Z"))
    replay = store.record_run(_report(status="running", events=events))
    done = store.record_run(_report(status="succeeded", duration_s=12.5, tokens_in=1000))

    assert (first.created, first.previous, first.status) == (True, None, "queued")
    assert (running.created, running.previous, running.status) == (False, "queued", "running")
    assert replay.previous == "running" and done.previous == "running"
    assert first.id == running.id == done.id
    [run] = store.rows("runs")
    assert run["status"] == "succeeded" and run["duration_s"] == 12.5 and run["tokens_in"] == 1000
    assert run["started_at"] is not None and run["source"] == "production"
    assert [(e["seq"], e["state"]) for e in store.rows("run_events")] == [(1, "PLAN"), (2, "PATCH")]
    with pytest.raises(BadInput, match=r"illegal run transition.*succeeded -> running"):
        store.record_run(_report(status="running"))
    assert store.rows("runs")[0]["status"] == "succeeded"


def test_a_run_may_not_skip_from_queued_to_succeeded(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha=None, apply=True)
    store.record_run(_report(status="queued"))
    with pytest.raises(BadInput, match="queued -> succeeded"):
        store.record_run(_report(status="succeeded"))


def test_errors_are_deduplicated_by_fingerprint_and_counted_once_per_run(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha=None, apply=True)
    error = {"code": "AGENT.CRASH", "message": "worker 4711 crashed at /tmp/run-1/agent.py"}
    other = {"code": "AGENT.CRASH", "message": "worker 99 crashed at /var/tmp/x/agent.py"}

    for key, err in (("run-a", error), ("run-a", error), ("run-b", other)):
        store.record_run(
            build_report({"idempotency_key": key, "skill_id": "fix-lint", "status": "failed", "error": err})
        )

    [row] = store.rows("agent_errors")
    assert row["count"] == 2
    assert row["fingerprint"] == error_fingerprint("AGENT.CRASH", error["message"], "fix-lint")
    assert row["failure_code"] == "AGENT.CRASH" and row["skill_id"] == "fix-lint"
    assert row["message"] == other["message"]


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ({"status": "queued"}, "illegal run transition"),  # the run went queued -> running two reports earlier
        ({"idempotency_key": "other", "skill_id": "no-such-skill"}, "no-such-skill"),
    ],
)
def test_a_list_of_reports_is_recorded_all_or_nothing(
    store: Store, example: dict[str, Any], last: dict[str, Any], expected: str
) -> None:
    store.sync(example, git_sha=None, apply=True)
    reports = [
        replace(_report(status="queued"), origin=("reports.json", 2)),
        replace(_report(status="running"), origin=("reports.json", 3)),
        replace(_report(**{"status": "running", **last}), origin=("reports.json", 4)),
    ]

    with pytest.raises(BadInput, match=expected) as refused:
        store.record_runs(reports)

    assert (refused.value.file, refused.value.line) == ("reports.json", 4)
    assert store.rows("runs") == [] and store.rows("run_events") == []
    outcomes = store.record_runs(reports[:2])
    assert [(o.status, o.previous, o.created) for o in outcomes] == [
        ("queued", None, True),
        ("running", "queued", False),
    ]
    assert [run["status"] for run in store.rows("runs")] == ["running"]


def test_a_run_of_an_unknown_skill_is_refused(store: Store, example: dict[str, Any]) -> None:
    store.sync(example, git_sha=None, apply=True)
    with pytest.raises(BadInput, match="no-such-skill"):
        store.record_run(build_report({"idempotency_key": "k", "skill_id": "no-such-skill", "status": "running"}))
    assert store.rows("runs") == []
