"""`skillci db migrate` verifies the objects the migrations create and repairs the ones that are gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.cli import run_skillci
from helpers.postgres import PostgresServer
from helpers.registry import copy_example
from skillci.store.schema_check import schema_objects
from skillci.store.sql import migration_files


def test_the_check_knows_every_table_index_function_and_trigger_of_a_migrated_database(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database("objects")
    assert run_skillci("db", "migrate", "--store", url, "--root", str(tmp_path)).code == 0
    objects = schema_objects([sql for _, _, sql in migration_files()])

    def names(sql: str) -> list[str]:
        return sorted(postgres.psql(sql, url=url).splitlines())

    ops = "'ops'::regnamespace"
    assert sorted(objects.tables) == names(
        f"select oid::regclass from pg_class where relnamespace = {ops} and relkind = 'r'"
    )
    indexes = (
        f"select oid::regclass from pg_class where relnamespace = {ops} and relkind = 'i' and relname like '%\\_idx'"
    )
    assert sorted(objects.indexes) == names(indexes)
    assert sorted(objects.functions) == names(f"select oid::regprocedure from pg_proc where pronamespace = {ops}")
    assert objects.triggers == (("runs_check_transition", "ops.runs"),)
    assert ("authenticated_own_rows", "ops.memory_entries") in objects.policies


@pytest.mark.parametrize(
    ("damage", "repaired"),
    [
        ("drop function ops.skillci_apply_sync(jsonb)", "function ops.skillci_apply_sync(jsonb)"),
        ("drop trigger runs_check_transition on ops.runs", "trigger runs_check_transition on ops.runs"),
        (
            "drop policy authenticated_own_rows on ops.memory_entries",
            "policy authenticated_own_rows on ops.memory_entries",
        ),
        ("alter table ops.gate_results disable row level security", "row level security on ops.gate_results"),
        ("drop index ops.runs_window_idx", "index ops.runs_window_idx"),
        ("drop table ops.notifications", "table ops.notifications"),
    ],
)
def test_migrate_repairs_a_recorded_migration_whose_objects_are_gone(
    postgres: PostgresServer, tmp_path: Path, damage: str, repaired: str
) -> None:
    root = copy_example(tmp_path / "repo")
    url = postgres.create_database("repair")
    assert run_skillci("db", "migrate", "--store", url, "--root", str(root)).code == 0
    reference = postgres.create_database("reference")
    assert run_skillci("db", "migrate", "--store", reference, "--root", str(root)).code == 0
    postgres.psql(damage, url=url)

    result = run_skillci("db", "migrate", "--store", url, "--root", str(root))
    again = run_skillci("db", "migrate", "--store", url, "--root", str(root), "--format", "json")

    assert result.code == 0, result.output
    assert f"repaired {repaired} (it was gone: the migrations were applied again)" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].endswith(": 1 repaired")
    assert json.loads(again.stdout)["repaired"] == [] and json.loads(again.stdout)["applied"] == []
    assert _definitions(postgres, url) == _definitions(postgres, reference)
    synced = run_skillci("sync", "--store", url, "--root", str(root))
    assert synced.code == 0, synced.output


def _definitions(postgres: PostgresServer, url: str) -> list[str]:
    """The tables, columns, constraints, indexes, functions, triggers, policies and security of schema ops."""
    return postgres.psql(
        """
        select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
          from information_schema.columns where table_schema = 'ops'
        union all select 'constraint ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid)
          from pg_constraint where connamespace = 'ops'::regnamespace
        union all select 'index ' || indexdef from pg_indexes where schemaname = 'ops'
        union all select 'function ' || oid::regprocedure::text || ' ' || md5(prosrc)
          from pg_proc where pronamespace = 'ops'::regnamespace
        union all select 'trigger ' || tgname || ' ' || tgrelid::regclass::text from pg_trigger
          where not tgisinternal and tgrelid::regclass::text like 'ops.%'
        union all select 'policy ' || policyname || ' ' || tablename || ' ' || cmd || ' ' || array_to_string(roles, ',')
          from pg_policies where schemaname = 'ops'
        union all select 'rls ' || relname || ' ' || relrowsecurity from pg_class
          where relnamespace = 'ops'::regnamespace and relkind = 'r'
        union all select 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
          from information_schema.role_table_grants where table_schema = 'ops'
        order by 1
        """,
        url=url,
    ).splitlines()
