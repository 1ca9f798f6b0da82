"""The shipped migrations: Supabase CLI naming, re-runnable, recorded, and the same schema as tables.py."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from helpers import REPO_ROOT
from helpers.postgres import PostgresServer
from skillci.store import open_store
from skillci.store.sql import migration_files
from skillci.store.tables import ALL_TABLES, SCHEMA, metadata

MIGRATIONS = REPO_ROOT / "supabase" / "migrations"

#: The catalog, as text rows, of everything a table definition decides: columns, constraints, indexes.
CATALOG = f"""
select 'column', table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
       || case when is_nullable = 'NO' then ' not null' else '' end || coalesce(' default ' || column_default, '')
       || ' #' || ordinal_position
  from information_schema.columns where table_schema = '{SCHEMA}'
union all
select 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  from pg_constraint where connamespace = '{SCHEMA}'::regnamespace
union all
select 'index', indexdef from pg_indexes where schemaname = '{SCHEMA}'
order by 1, 2
"""


def _catalog(postgres: PostgresServer, url: str) -> list[str]:
    return postgres.psql(CATALOG, url=url).splitlines()


def test_migration_files_follow_the_supabase_cli_naming() -> None:
    names = sorted(path.name for path in MIGRATIONS.iterdir())
    assert names, "no migrations"
    for name in names:
        assert re.fullmatch(r"\d{14}_[a-z0-9_]+\.sql", name), name
    assert [f"{version}_{name}.sql" for version, name, _ in migration_files()] == names


def test_the_package_ships_the_same_migrations() -> None:
    shipped = {f"{version}_{name}.sql": sql for version, name, sql in migration_files()}
    assert shipped == {path.name: path.read_text(encoding="utf-8") for path in MIGRATIONS.iterdir()}


def test_migrated_schema_and_table_definitions_do_not_drift(postgres: PostgresServer, tmp_path: Path) -> None:
    migrated = postgres.create_database("drift_migrated")
    store = open_store(migrated, root=tmp_path)
    store.migrate()
    store.close()
    reference = postgres.create_database("drift_reference")
    engine = sa.create_engine(reference.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(sa.text(f"create schema {SCHEMA}"))
        metadata.create_all(connection)
    engine.dispose()

    from_migrations, from_tables = _catalog(postgres, migrated), _catalog(postgres, reference)

    assert len(from_tables) > 100
    missing = sorted(set(from_tables) - set(from_migrations))
    extra = sorted(set(from_migrations) - set(from_tables))
    assert (missing, extra) == ([], []), "migrations and scripts/skillci/store/tables.py disagree"


def test_migrate_records_what_it_applied_and_a_rerun_applies_nothing(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)

    first = store.migrate()
    second = store.migrate()
    store.close()

    assert first == [f"{version}_{name}" for version, name, _ in migration_files()]
    assert second == []
    recorded = postgres.psql("select version || ' ' || name from supabase_migrations.schema_migrations", url=url)
    assert recorded.splitlines() == [f"{version} {name}" for version, name, _ in migration_files()]


def test_every_migration_is_safe_to_rerun_as_supabase_db_push_would(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()
    postgres.psql(
        "insert into ops.tools (id, description, allowed_in_skills, spec, content_hash) "
        "values ('t', 'd', '[\"*\"]', '{}', 'h')",
        url=url,
    )
    before = _catalog(postgres, url)

    for path in sorted(MIGRATIONS.iterdir()):
        postgres.psql(path.read_text(encoding="utf-8"), url=url)

    assert _catalog(postgres, url) == before
    assert postgres.psql("select id from ops.tools", url=url) == "t"


def test_migrate_creates_the_supabase_roles_and_auth_helpers_only_when_missing(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database()
    postgres.psql(
        "create schema auth; create function auth.jwt() returns jsonb language sql stable "
        'as $$ select \'{"sub": "kept"}\'::jsonb $$',
        url=url,
    )
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()

    roles = postgres.psql("select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role')")
    assert sorted(roles.splitlines()) == ["anon", "authenticated", "service_role"]
    assert postgres.psql("select auth.jwt() ->> 'sub'", url=url) == "kept"
    claims = 'select set_config(\'request.jwt.claims\', \'{"role": "authenticated", "sub": "u1"}\', false)'
    assert postgres.psql(f"{claims}; select auth.role()", url=url).splitlines()[-1] == "authenticated"


def test_sqlite_migrate_creates_every_table_once(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'nested' / 'store.db'}", root=tmp_path)
    assert sorted(store.migrate()) == sorted(f"table {table.name}" for table in ALL_TABLES)
    assert store.migrate() == []
    store.close()


def test_the_database_and_python_agree_on_every_run_transition(postgres: PostgresServer, tmp_path: Path) -> None:
    from skillci.store.runs import RUN_STATES, transition_allowed

    url = postgres.create_database()
    store = open_store(url, root=tmp_path)
    store.migrate()
    store.close()
    pairs = [(old, new) for old in RUN_STATES for new in RUN_STATES]
    values = ", ".join(f"('{old}', '{new}')" for old, new in pairs)
    rows = postgres.psql(
        f"select o, n, ops.skillci_run_transition_allowed(o, n) from (values {values}) as t(o, n)", url=url
    )
    from_database = {tuple(row.split("|")[:2]): row.endswith("|t") for row in rows.splitlines()}
    assert from_database == {pair: transition_allowed(*pair) for pair in pairs}
