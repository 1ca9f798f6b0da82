"""The security model, checked by switching roles on a live connection to the migrated Postgres."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from helpers.postgres import PostgresServer
from skillci.store import open_store
from skillci.store.tables import ALL_TABLES, SCHEMA

INSERT_SKILL = (
    "insert into ops.skills (id, name, description, executor, max_duration_s, owner, status, version, spec,"
    " content_hash) values ('s-{0}', 'n', 'd', 'e', 60, 'o', 'active', 1, '{{}}', 'h')"
)
INSERT_MEMORY = "insert into ops.memory_entries (owner_id, key, value) values ('{0}', 'k-{0}', '1')"


@pytest.fixture(scope="module")
def database(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = postgres.create_database("security")
    store = open_store(url, root=tmp_path_factory.mktemp("security"))
    store.migrate()
    store.close()
    postgres.psql(INSERT_SKILL.format("seed") + "; " + INSERT_MEMORY.format("alice"), url=url)
    return url


@pytest.fixture
def connection(database: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database, autocommit=True) as conn:
        yield conn


def _as(conn: psycopg.Connection, role: str, sql: str, sub: str | None = None) -> list[tuple[object, ...]]:
    """Run sql as role (with JWT claims like PostgREST sets them), inside a transaction rolled back afterwards."""
    claims = json.dumps({"role": role, **({"sub": sub} if sub else {})})
    with conn.transaction(force_rollback=True), conn.cursor() as cursor:
        cursor.execute(f"set local role {role}")
        cursor.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
        cursor.execute(sql)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def test_row_level_security_is_on_for_every_table(connection: psycopg.Connection) -> None:
    rows = connection.execute(
        "select relname from pg_class where relnamespace = %s::regnamespace and relkind = 'r' and relrowsecurity",
        (SCHEMA,),
    ).fetchall()
    assert sorted(row[0] for row in rows) == sorted(table.name for table in ALL_TABLES)


@pytest.mark.parametrize("table", [table.name for table in ALL_TABLES])
def test_anon_can_read_nothing(connection: psycopg.Connection, table: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "anon", f"select * from ops.{table}")


def test_anon_can_write_nothing(connection: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "anon", INSERT_SKILL.format("anon"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "anon", INSERT_MEMORY.format("anon"), sub="anon")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "anon", "select ops.skillci_registry_state()")


@pytest.mark.parametrize("table", [table.name for table in ALL_TABLES if table.name != "memory_entries"])
def test_authenticated_reads_every_registry_and_result_table(connection: psycopg.Connection, table: str) -> None:
    rows = _as(connection, "authenticated", f"select count(*) from ops.{table}", sub="bob")
    assert rows[0][0] == (1 if table == "skills" else 0)


def test_authenticated_cannot_write(connection: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "authenticated", INSERT_SKILL.format("auth"), sub="bob")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "authenticated", "update ops.skills set name = 'x'", sub="bob")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "authenticated", "delete from ops.runs", sub="bob")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as(connection, "authenticated", "select ops.skillci_apply_sync('{}')", sub="bob")


def test_authenticated_reads_and_writes_only_its_own_memory(connection: psycopg.Connection) -> None:
    assert _as(connection, "authenticated", "select owner_id from ops.memory_entries", sub="bob") == []
    assert _as(connection, "authenticated", "select owner_id from ops.memory_entries", sub="alice") == [("alice",)]
    written = _as(
        connection,
        "authenticated",
        INSERT_MEMORY.format("bob") + " returning owner_id",
        sub="bob",
    )
    assert written == [("bob",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        _as(connection, "authenticated", INSERT_MEMORY.format("alice"), sub="bob")
    changed = _as(connection, "authenticated", "update ops.memory_entries set value = '2' returning id", sub="bob")
    assert changed == []


def test_service_role_writes(connection: psycopg.Connection) -> None:
    assert _as(connection, "service_role", INSERT_SKILL.format("svc") + " returning id") == [("s-svc",)]
    assert _as(connection, "service_role", "update ops.memory_entries set value = '3' returning owner_id") == [
        ("alice",)
    ]
    state = _as(connection, "service_role", "select ops.skillci_registry_state() -> 'skills' -> 0 ->> 'key'")
    assert state == [("s-seed",)]


def test_no_policy_lets_anon_or_public_in(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        policies = conn.execute(
            "select tablename, policyname, roles::text from pg_policies where schemaname = %s", (SCHEMA,)
        ).fetchall()
    assert policies, "no policies"
    assert not [row for row in policies if "anon" in row[2] or "public" in row[2]]


def test_no_function_of_ops_is_executable_by_public_anon_or_authenticated(connection: psycopg.Connection) -> None:
    functions = connection.execute(
        "select p.oid::regprocedure::text, p.oid from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = %s",
        (SCHEMA,),
    ).fetchall()
    assert len(functions) > 10
    public = connection.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace,"
        " aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl"
        " where n.nspname = %s and acl.grantee = 0 and acl.privilege_type = 'EXECUTE'",
        (SCHEMA,),
    ).fetchall()
    assert public == []
    for role in ("anon", "authenticated"):
        allowed = [
            name
            for name, oid in functions
            if connection.execute("select has_function_privilege(%s, %s, 'EXECUTE')", (role, oid)).fetchone() == (True,)
        ]
        assert allowed == [], role
    assert _as(connection, "service_role", "select ops.skillci_run_transition_allowed('queued', 'running')") == [
        (True,)
    ]
