"""Faults: a backend killed mid-apply, syncs started together, transient errors, dead databases, secrets."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from helpers.cli import run_skillci
from helpers.postgres import PostgresServer, free_port
from helpers.postgrest import PostgrestStandin
from helpers.registry import copy_example, replace_in
from helpers.stores import JWT_SECRET, service_key

PASSWORD = "Hunter2-Sup3r-S3cret"
SYNC_LOCK = "hashtextextended('skillci.sync', 0)"


def _with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def _start_sync(root: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    command = [sys.executable, "-m", "skillci", "sync", "--root", str(root), "--store", url, "--format", "json", *extra]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _waiting_syncs(observer: psycopg.Connection) -> list[int]:
    rows = observer.execute(
        "select pid from pg_stat_activity where application_name = 'skillci' and wait_event_type = 'Lock'"
    ).fetchall()
    return [row[0] for row in rows]


def _ledger_text() -> str:
    path = Path(os.environ["SKILLCI_LEDGER"])
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def test_a_backend_killed_mid_apply_leaves_the_database_as_before_and_the_retry_applies_once(
    postgres: PostgresServer, registry: Path
) -> None:
    url = postgres.create_database()
    assert run_skillci("sync", "--migrate", "--root", str(registry), "--store", url).code == 0
    before = postgres.psql("select id, description, content_hash from ops.tools order by id", url=url)
    replace_in(registry / "ssot" / "tools" / "registry.yaml", "description: ", "description: Changed. ", count=99)
    replace_in(registry / "ssot" / "agents" / "skills.yaml", "max_duration_s: 600", "max_duration_s: 601")

    with psycopg.connect(url, autocommit=True) as observer, psycopg.connect(url) as blocker:
        # The apply writes tools and failure modes first, then blocks on the skills table: a pause point mid-apply.
        blocker.execute("lock table ops.skills in exclusive mode")
        sync = _start_sync(registry, url)
        _wait_for(lambda: len(_waiting_syncs(observer)) == 1, "the sync to block mid-apply")
        [victim] = _waiting_syncs(observer)
        query = observer.execute("select query from pg_stat_activity where pid = %s", (victim,)).fetchone()
        assert query is not None and "skillci_apply_sync" in query[0]
        observer.execute("select pg_terminate_backend(%s)", (victim,))

        assert postgres.psql("select id, description, content_hash from ops.tools order by id", url=url) == before
        assert postgres.psql("select count(*) from ops.skill_versions", url=url) == "6"
        _wait_for(lambda: bool(set(_waiting_syncs(observer)) - {victim}), "the sync to retry")
        blocker.rollback()  # release the lock: the retry goes through
        stdout, stderr = sync.communicate(timeout=60)

    assert sync.returncode == 0, stderr
    counts = json.loads(stdout)
    assert (counts["applied"], counts["tools"]["updated"], counts["skills"]["updated"]) == (True, 6, 1)
    tools = postgres.psql("select description from ops.tools", url=url).splitlines()
    assert len(tools) == 6 and all(line.startswith("Changed. ") for line in tools)
    assert postgres.psql("select count(*), max(version) from ops.skill_versions", url=url) == "7|2"


def test_syncs_started_together_both_finish_and_the_result_equals_one_sync(
    postgres: PostgresServer, registry: Path
) -> None:
    url = postgres.create_database()
    assert run_skillci("db", "migrate", "--root", str(registry), "--store", url).code == 0

    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute(f"select pg_advisory_lock({SYNC_LOCK})")
        syncs = [_start_sync(registry, url), _start_sync(registry, url)]
        _wait_for(lambda: len(_waiting_syncs(holder)) == 2, "both syncs to queue on the lock")
        holder.execute(f"select pg_advisory_unlock({SYNC_LOCK})")
        results = [sync.communicate(timeout=60) for sync in syncs]

    assert [sync.returncode for sync in syncs] == [0, 0], results
    outputs = [json.loads(stdout) for stdout, _ in results]
    assert sorted(output["skills"]["created"] for output in outputs) == [0, 6]
    assert sorted(output["applied"] for output in outputs) == [False, True]
    assert postgres.psql("select count(*), max(version) from ops.skill_versions", url=url) == "6|1"
    assert postgres.psql("select count(*) from ops.skills", url=url) == "6"


def test_the_apply_function_applied_twice_writes_once(postgres: PostgresServer, registry: Path) -> None:
    """What the Supabase path relies on: two syncs that planned the same work both call the function."""
    url = postgres.create_database()
    assert run_skillci("db", "migrate", "--root", str(registry), "--store", url).code == 0
    payload = {
        "git_sha": "abc1234",
        "skills": {"upsert": [], "deprecate": []},
        "failure_modes": {"upsert": [], "deprecate": []},
        "tools": {
            "upsert": [
                {"id": "t1", "description": "d", "allowed_in_skills": ["*"], "spec": {"id": "t1"}, "content_hash": "h"}
            ],
            "deprecate": ["never-existed"],
        },
    }
    with psycopg.connect(url, autocommit=True) as conn:
        query = "select ops.skillci_apply_sync(%s::jsonb)"
        first = conn.execute(query, (json.dumps(payload),)).fetchone()
        second = conn.execute(query, (json.dumps(payload),)).fetchone()
    assert first is not None and second is not None
    assert first[0]["tools"] == {"created": 1, "updated": 0, "deprecated": 0}
    assert second[0]["tools"] == {"created": 0, "updated": 0, "deprecated": 0}


def test_an_unreachable_database_exits_3_with_one_line_and_no_secret(registry: Path) -> None:
    url = f"postgresql://skillci:{PASSWORD}@127.0.0.1:{free_port()}/registry"
    started = time.monotonic()

    result = run_skillci("sync", "--root", str(registry), "--store", url)

    assert result.code == 3
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("skillci: error: database postgresql://skillci:***@127.0.0.1:")
    assert "gave up after 4 attempts" in line
    assert time.monotonic() - started > 3  # it backed off and retried before giving up
    assert PASSWORD not in result.output and PASSWORD not in _ledger_text()
    assert json.loads(_ledger_text().splitlines()[-1])["exit_code"] == 3


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("127.0.0.1:abc/registry", "port of the postgresql:// URL is not a number"),
        ("[::1/registry", "IPv6 [host] is unclosed"),
        ("127.0.0.1:70000/registry", "port 70000 of the postgresql:// URL is out of range"),
        ("127.0.0.1:5432/registry?sslmode=bogus", "sslmode='bogus' is not one of disable"),
        ("127.0.0.1:5432/registry?target_session_attrs=any&connect_timeout=soon", "connect_timeout='soon'"),
    ],
)
def test_a_malformed_store_url_is_bad_input_at_once(registry: Path, address: str, said: str) -> None:
    started = time.monotonic()
    result = run_skillci("sync", "--root", str(registry), "--store", f"postgresql://skillci:{PASSWORD}@{address}")
    assert result.code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("skillci: error: --store: ") and said in line, line
    assert time.monotonic() - started < 3  # a configuration error is not retried
    assert PASSWORD not in result.output and PASSWORD not in _ledger_text()


def test_a_refusing_database_exits_3_at_once(postgres: PostgresServer, registry: Path) -> None:
    url = _with_password(postgres.database_url("no_such_database"))

    result = run_skillci("sync", "--root", str(registry), "--store", url)

    assert result.code == 3, result.output
    assert 'database "no_such_database" does not exist' in result.stderr
    assert "gave up" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert PASSWORD not in result.output and PASSWORD not in _ledger_text()


def test_a_successful_sync_never_shows_the_password(postgres: PostgresServer, registry: Path) -> None:
    url = _with_password(postgres.create_database())

    results = [run_skillci(*args, "--root", str(registry), "--store", url, "-v") for args in (["sync", "--migrate"],)]
    results.append(run_skillci("sync", "--root", str(registry), "--store", url, "--format", "github"))

    assert [result.code for result in results] == [0, 0]
    assert all(PASSWORD not in result.output for result in results)
    assert "postgresql://***@127.0.0.1" in _ledger_text() and PASSWORD not in _ledger_text()


def test_a_failing_sqlite_apply_leaves_nothing_half_written(registry: Path) -> None:
    store = registry / ".skillci" / "skillci.db"
    assert run_skillci("db", "migrate", "--root", str(registry)).code == 0
    with sqlite3.connect(store) as conn:
        conn.execute("create trigger boom before insert on skill_versions begin select raise(abort, 'boom'); end")

    result = run_skillci("sync", "--root", str(registry))

    assert result.code == 3, result.output
    assert "boom" in result.stderr
    with sqlite3.connect(store) as conn:
        counts = [conn.execute(f"select count(*) from {table}").fetchone()[0] for table in ("tools", "skills")]
    assert counts == [0, 0]


def test_supabase_retries_a_transient_error_then_succeeds(
    postgres: PostgresServer, registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database()
    assert run_skillci("db", "migrate", "--root", str(registry), "--store", url).code == 0
    with PostgrestStandin(database_url=url, jwt_secret=JWT_SECRET, exposed_schemas=("ops",)) as standin:
        standin.fail_next(2, status=503)
        env = {"SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": service_key()}

        result = run_skillci("sync", "--root", str(registry), "--store", "supabase", "--format", "json", env=env)

        calls = [(request.method, request.path) for request in standin.requests]
    assert result.code == 0, result.output
    assert json.loads(result.stdout)["skills"]["created"] == 6
    state_calls = [call for call in calls if call[1].endswith("/rpc/skillci_registry_state")]
    assert len(state_calls) == 3  # two 503s, then the answer
    assert [call for call in calls if call[1].endswith("/rpc/skillci_apply_sync")] == [
        ("POST", "/rest/v1/rpc/skillci_apply_sync")
    ]
    assert postgres.psql("select count(*) from ops.skill_versions", url=url) == "6"


def test_supabase_with_a_wrong_key_exits_3_without_showing_it(postgres: PostgresServer, registry: Path) -> None:
    url = postgres.create_database()
    with PostgrestStandin(database_url=url, jwt_secret=JWT_SECRET, exposed_schemas=("ops",)) as standin:
        wrong = service_key()[:-4] + "AAAA"
        env = {"SUPABASE_URL": standin.url, "SUPABASE_SERVICE_ROLE_KEY": wrong}

        result = run_skillci("sync", "--root", str(registry), "--store", "supabase", env=env)

        attempts = len(standin.requests)
    assert result.code == 3, result.output
    assert len(result.stderr.splitlines()) == 1 and "service-role key" in result.stderr
    assert attempts == 1  # a refusal is not retried
    assert wrong not in result.output and wrong not in _ledger_text()
    assert wrong.split(".")[1] not in result.output  # not even the claims part
