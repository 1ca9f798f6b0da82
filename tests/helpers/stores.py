"""Builders for each kind of store, freshly migrated: SQLite, Postgres, and Supabase over a PostgREST stand-in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from helpers import REPO_ROOT
from helpers.postgres import PostgresServer
from helpers.postgrest import PostgrestStandin, make_jwt
from skillci.registry.load import load_registry
from skillci.store import open_store, tables
from skillci.store.base import Store
from skillci.store.sql import SqlStore
from skillci.sync.plan import desired_state

STORE_KINDS = ("sqlite", "postgres", "supabase")
JWT_SECRET = "test-jwt-secret-with-at-least-32-characters"


def service_key() -> str:
    """A service-role key the stand-in accepts (as a Supabase project's service key)."""
    return make_jwt({"role": "service_role", "iss": "supabase"}, JWT_SECRET)


@contextmanager
def migrated_store(
    kind: str, *, tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """A freshly migrated, empty store of the given kind."""
    if kind == "sqlite":
        store = open_store(f"sqlite:///{tmp_path / 'store.db'}", root=tmp_path)
        store.migrate()
        with _closing(store):
            yield store
        return
    url = postgres.create_database()
    with _closing(open_store(url, root=tmp_path)) as direct:
        direct.migrate()
    if kind == "postgres":
        with _closing(open_store(url, root=tmp_path)) as store:
            yield store
        return
    with PostgrestStandin(database_url=url, jwt_secret=JWT_SECRET, exposed_schemas=("public", "ops")) as standin:
        monkeypatch.setenv("SUPABASE_URL", standin.url)
        monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", service_key())
        with _closing(open_store("supabase", root=tmp_path)) as store:
            store.standin = standin  # type: ignore[attr-defined]
            yield store


def example_registry() -> dict[str, dict[str, Any]]:
    """The repository's own registry (skills, tools, failure modes) as a sync wants it."""
    result = load_registry(REPO_ROOT)
    assert result.ok
    return desired_state(result.data)


def sync_example(store: Store) -> None:
    """Sync the repository's own registry into store."""
    store.sync(example_registry(), git_sha=None, apply=True)


def store_fixture(*, synced: bool = False) -> Any:
    """A test module's `store` fixture (assign it to `store`): each kind of store in turn, freshly migrated and,
    when synced, holding the repository's own registry."""

    @pytest.fixture(params=STORE_KINDS)
    def store(
        request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[Store]:
        with migrated_store(request.param, tmp_path=tmp_path, postgres=postgres, monkeypatch=monkeypatch) as opened:
            if synced:
                sync_example(opened)
            yield opened

    return store


@contextmanager
def _closing(store: Store) -> Iterator[Store]:
    try:
        yield store
    finally:
        store.close()


def bench_result(
    skill_id: str,
    *,
    bench_id: str,
    git_sha: str,
    score: float | None = 80.0,
    branch: str = "main",
    passed: int = 1,
    metrics: dict[str, Any] | None = None,
    missing_metrics: tuple[str, ...] = ("diff_size",),
) -> dict[str, Any]:
    """One skill's bench result as `Store.record_bench` takes it (2 cases; tier A at 90 or more, else C)."""
    return {
        "skill_id": skill_id,
        "bench_id": bench_id,
        "cache_key": "0" * 64,
        "composite_score": score,
        "tier": None if score is None else ("A" if score >= 90 else "C"),
        "cases_passed": passed,
        "cases_total": 2,
        "metrics": {"pass_rate": passed / 2} if metrics is None else metrics,
        "missing_metrics": list(missing_metrics),
        "git_sha": git_sha,
        "branch": branch,
    }


@contextmanager
def database_engine(store: Store) -> Iterator[sa.Engine]:
    """An engine on the database behind a store: its own for SQLite and Postgres, the stand-in's for Supabase."""
    if isinstance(store, SqlStore):
        yield store.engine
        return
    url = store.standin.database_url  # type: ignore[attr-defined]
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def insert_rows(store: Store, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows as given (created_at included, in UTC) straight into a store's table, in order, bypassing
    the store; ids numbered by the database follow the order of rows."""
    definition = tables.metadata.tables[f"{tables.SCHEMA}.{table}"]
    with database_engine(store) as engine, engine.begin() as connection:
        for row in rows:
            connection.execute(sa.insert(definition).values(dict(row)))
