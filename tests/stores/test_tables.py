"""The table definitions create cleanly on SQLite and on the real Postgres (schema ops)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from helpers.postgres import PostgresServer
from skillci.store.tables import ALL_TABLES, SCHEMA, metadata

EXPECTED = {
    "skills",
    "skill_versions",
    "tools",
    "failure_modes",
    "runs",
    "run_events",
    "agent_errors",
    "agent_benchmark_results",
    "gate_results",
    "notifications",
    "metrics_snapshots",
    "memory_entries",
}


def test_every_spec_table_is_defined() -> None:
    assert {table.name for table in ALL_TABLES} == EXPECTED


def test_tables_create_on_sqlite(tmp_path: Path) -> None:
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'db.sqlite'}", execution_options={"schema_translate_map": {SCHEMA: None}}
    )
    metadata.create_all(engine)
    assert set(sa.inspect(engine).get_table_names()) == EXPECTED
    engine.dispose()


def test_tables_create_in_schema_ops_on_postgres(postgres: PostgresServer) -> None:
    postgres.psql("create database tables_test")
    url = postgres.url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/tables_test"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"create schema {SCHEMA}"))
        metadata.create_all(connection)
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names(schema=SCHEMA)) == EXPECTED
    runs_checks = {check["name"] for check in inspector.get_check_constraints("runs", schema=SCHEMA)}
    assert {"runs_status_check", "runs_source_check"} <= runs_checks
    columns = {column["name"]: column for column in inspector.get_columns("skills", schema=SCHEMA)}
    assert type(columns["spec"]["type"]).__name__ == "JSONB"
    engine.dispose()
