"""Builders for each kind of store, freshly migrated: SQLite, Postgres, and Supabase over a PostgREST stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers.postgres import PostgresServer
from helpers.postgrest import PostgrestStandin, make_jwt
from skillci.store import open_store
from skillci.store.base import Store

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


@contextmanager
def _closing(store: Store) -> Iterator[Store]:
    try:
        yield store
    finally:
        store.close()
