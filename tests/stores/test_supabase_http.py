"""What supabase-py sends for skillci, checked at the HTTP level against the PostgREST stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO_ROOT
from helpers.postgres import PostgresServer
from helpers.postgrest import PostgrestStandin, RecordedRequest
from helpers.stores import migrated_store, service_key
from skillci.registry.load import load_registry
from skillci.store.base import Store
from skillci.store.runs import build_report
from skillci.sync.plan import desired_state


@pytest.fixture
def store(tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    with migrated_store("supabase", tmp_path=tmp_path, postgres=postgres, monkeypatch=monkeypatch) as opened:
        yield opened


def _standin(store: Store) -> PostgrestStandin:
    standin: PostgrestStandin = store.standin  # type: ignore[attr-defined]
    return standin


def _calls(store: Store, function: str) -> list[RecordedRequest]:
    return [request for request in _standin(store).requests if request.path == f"/rest/v1/rpc/{function}"]


def _desired() -> dict[str, Any]:
    return desired_state(load_registry(REPO_ROOT).data)


def test_a_sync_is_one_read_and_one_rpc_with_the_service_key_and_the_ops_profile(store: Store) -> None:
    store.sync(_desired(), git_sha="abc1234", apply=True)

    assert [(r.method, r.path) for r in _standin(store).requests] == [
        ("GET", "/rest/v1/rpc/skillci_registry_state"),
        ("POST", "/rest/v1/rpc/skillci_apply_sync"),
    ]
    [read], [write] = _calls(store, "skillci_registry_state"), _calls(store, "skillci_apply_sync")
    for request in (read, write):
        assert request.headers["apikey"] == service_key()
        assert request.headers["authorization"] == f"Bearer {service_key()}"
    assert read.headers["accept-profile"] == "ops" and read.body == b""
    assert write.headers["content-profile"] == "ops"
    assert write.headers["content-type"] == "application/json"
    payload = write.json["payload"]
    assert list(write.json) == ["payload"]
    assert payload["git_sha"] == "abc1234"
    skills = {row["id"]: row for row in payload["skills"]["upsert"]}
    assert set(skills) == set(_desired()["skills"]) and payload["skills"]["deprecate"] == []
    assert set(skills["fix-lint"]) == {
        "id", "name", "description", "executor", "max_duration_s", "owner", "status", "spec", "content_hash",
    }  # fmt: skip


def test_a_no_op_sync_reads_once_and_writes_nothing(store: Store) -> None:
    store.sync(_desired(), git_sha="abc1234", apply=True)
    _standin(store).requests.clear()

    store.sync(_desired(), git_sha="abc1234", apply=True)

    assert [(r.method, r.path) for r in _standin(store).requests] == [("GET", "/rest/v1/rpc/skillci_registry_state")]


def test_a_changed_skill_sends_only_that_skill(store: Store) -> None:
    desired = _desired()
    store.sync(desired, git_sha="abc1234", apply=True)
    desired["skills"]["fix-lint"]["name"] = "Fix lint, renamed"

    store.sync(desired, git_sha="def5678", apply=True)

    write = _calls(store, "skillci_apply_sync")[-1].json["payload"]
    assert [row["id"] for row in write["skills"]["upsert"]] == ["fix-lint"]
    assert write["tools"]["upsert"] == [] and write["failure_modes"]["upsert"] == []


def test_a_run_report_is_one_rpc_carrying_its_idempotency_key(store: Store) -> None:
    store.sync(_desired(), git_sha=None, apply=True)
    report = build_report({"idempotency_key": "wf-9", "skill_id": "fix-lint", "status": "running"})

    store.record_run(report)
    store.record_run(report)

    calls = _calls(store, "skillci_record_run")
    assert len(calls) == 2 and all(call.method == "POST" for call in calls)
    assert calls[0].json == {"payload": report.payload}
    assert calls[0].json["payload"]["run"]["idempotency_key"] == "wf-9"
    assert calls[0].headers["content-profile"] == "ops"


def test_reading_a_table_pages_through_postgrest(store: Store) -> None:
    store.sync(_desired(), git_sha=None, apply=True)
    _standin(store).requests.clear()

    rows = store.rows("failure_modes")

    [request] = _standin(store).requests
    assert request.method == "GET" and request.path == "/rest/v1/failure_modes"
    assert request.headers["accept-profile"] == "ops"
    assert request.query["order"] == ["code.asc"]
    assert [row["code"] for row in rows] == sorted(row["code"] for row in rows) and len(rows) == 13


def test_sync_with_migrate_only_checks_the_schema_on_supabase(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.cli import run_skillci
    from helpers.registry import copy_example
    from helpers.stores import JWT_SECRET

    root = copy_example(tmp_path / "repo")
    bare = postgres.create_database()
    with PostgrestStandin(database_url=bare, jwt_secret=JWT_SECRET, exposed_schemas=("ops",)) as standin:
        env = {"SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": service_key()}
        missing = run_skillci("sync", "--migrate", "--root", str(root), "--store", "supabase", env=env)
        assert run_skillci("db", "migrate", "--root", str(root), "--store", bare).code == 0
        present = run_skillci("sync", "--migrate", "--root", str(root), "--store", "supabase", env=env)

    assert missing.code == 2 and "schema is missing or not exposed" in missing.stderr
    assert present.code == 0, present.output
    assert "skills: 6 created" in present.stdout
