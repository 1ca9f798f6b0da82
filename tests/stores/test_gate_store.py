"""Gate decisions in every store: recorded once per idempotency key, bad records refused, old schemas upgraded."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from helpers import REPO_ROOT
from helpers.cli import run_skillci
from helpers.postgres import PostgresServer
from helpers.stores import store_fixture
from skillci.errors import BadInput, ExitCode
from skillci.store import open_store
from skillci.store.base import Store
from skillci.store.sql import migration_files

GATE = "20261121000400"


store = store_fixture()


def _gate(key: str = "gate/pr-42/run-7/1", **fields: Any) -> dict[str, Any]:
    return {
        "passed": False,
        "thresholds": {"min_composite": 70, "tiers": {"fix-lint": "B"}, "max_regression": 2.5},
        "numbers": {"composite": {"fix-lint": 64.5}, "regressions": ["fix-lint"], "note": None},
        "commit_sha": "0123456789abcdef0123456789abcdef01234567",
        "pr_number": 42,
        "run_url": "https://github.com/acme/skills/actions/runs/7",
        "idempotency_key": key,
        **fields,
    }


def test_a_gate_decision_round_trips(store: Store) -> None:
    record = _gate()

    gate_id, created = store.record_gate(record)

    assert created is True and isinstance(gate_id, int)
    [row] = store.rows("gate_results")
    created_at = row.pop("created_at")
    assert row == {"id": gate_id, **record}
    assert created_at is not None
    if isinstance(created_at, str):  # over PostgREST a timestamp is its ISO text
        created_at = datetime.fromisoformat(created_at)
    assert isinstance(created_at, datetime)


def test_optional_fields_may_be_absent_or_null(store: Store) -> None:
    bare = {key: value for key, value in _gate("bare").items() if key not in ("commit_sha", "run_url")}

    store.record_gate({**bare, "pr_number": None, "passed": True})

    [row] = store.rows("gate_results")
    assert (row["passed"], row["commit_sha"], row["pr_number"], row["run_url"]) == (True, None, None, None)


def test_the_same_idempotency_key_writes_once(store: Store) -> None:
    first = store.record_gate(_gate("retry-me"))
    again = store.record_gate(_gate("retry-me", passed=True, numbers={"composite": {}}))
    other = store.record_gate(_gate("another-decision"))

    assert first[1] is True and again == (first[0], False)
    assert other[1] is True and other[0] != first[0]
    rows = store.rows("gate_results")
    assert [(row["idempotency_key"], row["passed"]) for row in rows] == [
        ("retry-me", False),
        ("another-decision", False),
    ]
    assert rows[0]["numbers"] == _gate()["numbers"]


def test_a_record_without_numbers_is_bad_input_and_writes_nothing(store: Store) -> None:
    record = _gate()
    del record["numbers"]

    with pytest.raises(BadInput, match="numbers must be a JSON object") as refused:
        store.record_gate(record)

    assert refused.value.exit_code == ExitCode.BAD_INPUT == 2
    assert "\n" not in refused.value.message
    assert store.rows("gate_results") == []


BAD_RECORDS = [
    ({"passed": "yes"}, "passed must be true or false"),
    ({"passed": None}, "passed must be true or false"),
    ({"thresholds": ["min_composite"]}, "thresholds must be a JSON object"),
    ({"numbers": 3}, "numbers must be a JSON object"),
    ({"idempotency_key": None}, "idempotency_key must be a string"),
    ({"idempotency_key": ""}, "idempotency_key must be a string"),
    ({"idempotency_key": "k" * 201}, "idempotency_key must be a string"),
    ({"commit_sha": 1234}, "commit_sha must be a string"),
    ({"commit_sha": "a" * 65}, "commit_sha must be a string"),
    ({"pr_number": "42"}, "pr_number must be a positive integer"),
    ({"pr_number": 4.5}, "pr_number must be a positive integer"),
    ({"pr_number": 0}, "pr_number must be a positive integer"),
    ({"pr_number": 2**31}, "pr_number must be a positive integer"),
    ({"pr_number": True}, "pr_number must be a positive integer"),
    ({"run_url": ["https://example.com"]}, "run_url must be a string"),
    ({"verdict": "pass", "extra": 1}, r"unknown key\(s\) extra, verdict"),
]


def test_every_store_refuses_the_same_bad_records(store: Store) -> None:
    for change, message in BAD_RECORDS:
        with pytest.raises(BadInput, match=message):
            store.record_gate(_gate(**change))
    missing = _gate()
    del missing["idempotency_key"]
    with pytest.raises(BadInput, match="idempotency_key must be a string"):
        store.record_gate(missing)
    assert store.rows("gate_results") == []
    assert store.record_gate(_gate(pr_number=7.0, idempotency_key="k" * 200))[1] is True
    assert store.rows("gate_results")[0]["pr_number"] == 7


def test_recent_gates_are_the_newest_first(store: Store) -> None:
    for number in range(1, 5):
        store.record_gate(_gate(f"gate-{number}", pr_number=number))

    assert [row["pr_number"] for row in store.recent_gates(limit=3)] == [4, 3, 2]
    assert [row["pr_number"] for row in store.recent_gates()] == [4, 3, 2, 1]
    assert store.recent_gates(limit=0) == []


def test_only_the_service_role_may_record_gates(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()
    payload = json.dumps(_gate())
    with psycopg.connect(url, autocommit=True) as conn:
        for role in ("anon", "authenticated"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction(force_rollback=True):
                conn.execute(f"set local role {role}")
                conn.execute("select ops.skillci_record_gate(%s)", (payload,))
        with conn.transaction(force_rollback=True):
            conn.execute("set local role service_role")
            [(outcome,)] = conn.execute("select ops.skillci_record_gate(%s)", (payload,)).fetchall()
    assert outcome["created"] is True


def test_db_migrate_twice_is_fine_and_old_gate_rows_keep_no_key(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    bootstrap = (REPO_ROOT / "scripts" / "skillci" / "store" / "bootstrap.sql").read_text(encoding="utf-8")
    postgres.psql(bootstrap, url=url)
    for version, _, sql in migration_files():
        if version < GATE:
            postgres.psql(sql, url=url)
    postgres.psql("insert into ops.gate_results (passed, thresholds, numbers) values (true, '{}', '{}')", url=url)

    first = run_skillci("db", "migrate", "--root", str(tmp_path), "--store", url, "--format", "json")
    second = run_skillci("db", "migrate", "--root", str(tmp_path), "--store", url, "--format", "json")

    assert (first.code, second.code) == (0, 0), first.output + second.output
    assert f"{GATE}_ops_gate" in json.loads(first.stdout)["applied"]
    assert json.loads(second.stdout)["applied"] == []
    store = open_store(url, root=tmp_path)
    try:
        assert store.record_gate(_gate("new"))[1] is True
        assert [(row["id"], row["idempotency_key"]) for row in store.rows("gate_results")] == [(1, None), (2, "new")]
    finally:
        store.close()


def test_sqlite_db_migrate_adds_the_key_to_a_store_an_older_skillci_created(tmp_path: Path) -> None:
    path = tmp_path / ".skillci" / "skillci.db"
    store = open_store(f"sqlite:///{path}", root=tmp_path)
    store.migrate()
    store.close()
    with sqlite3.connect(path) as db:  # gate_results as it was before the idempotency key
        db.execute("drop table gate_results")
        db.execute(
            "create table gate_results (id integer primary key, passed boolean not null, thresholds json not null,"
            " numbers json not null, commit_sha varchar(64), pr_number integer, run_url text,"
            " created_at datetime not null)"
        )
        db.execute(
            "insert into gate_results (passed, thresholds, numbers, created_at) values (1, '{}', '{}', '2026-11-20 10:00:00.000000')"
        )
    db.close()

    first = run_skillci("db", "migrate", "--root", str(tmp_path), "--format", "json")
    second = run_skillci("db", "migrate", "--root", str(tmp_path), "--format", "json")

    assert (first.code, second.code) == (0, 0), first.output + second.output
    # the table as recreated above also lacks its created_at index, which migrate restores too
    assert json.loads(first.stdout)["applied"] == [
        "column gate_results.idempotency_key",
        "index gate_results_created_idx",
    ]
    assert json.loads(second.stdout)["applied"] == []
    store = open_store(f"sqlite:///{path}", root=tmp_path)
    try:
        gate_id, created = store.record_gate(_gate("after-upgrade"))
        assert (gate_id, created) == (2, True)
        assert store.record_gate(_gate("after-upgrade")) == (2, False)
        assert [row["idempotency_key"] for row in store.rows("gate_results")] == [None, "after-upgrade"]
    finally:
        store.close()
