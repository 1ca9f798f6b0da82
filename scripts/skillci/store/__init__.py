"""The store: where the registry, runs, results and reports live (SQLite, Postgres, Supabase)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from skillci.errors import BadInput

if TYPE_CHECKING:
    from skillci.store.base import Store

STORE_ENV = "SKILLCI_STORE"
#: The embedded store; a relative SQLite path is taken from the repository root.
DEFAULT_STORE = "sqlite:///.skillci/skillci.db"


def store_url(option: str | None) -> str:
    """The store URL in force: --store, else $SKILLCI_STORE, else the embedded SQLite file."""
    return (option or os.environ.get(STORE_ENV, "").strip() or DEFAULT_STORE).strip()


def open_store(url: str, *, root: Path) -> Store:
    """The Store for a URL: sqlite:///PATH, postgresql://… (or postgres://…), or `supabase`."""
    if url == "supabase":
        from skillci.store.supabase import supabase_store

        return supabase_store()
    if url.startswith("sqlite:///"):
        from skillci.store.sql import SqliteStore

        path = Path(url.removeprefix("sqlite:///"))
        return SqliteStore(path=path if path.is_absolute() else root / path)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from skillci.store.sql import postgres_store

        return postgres_store("postgresql://" + url.split("://", 1)[1])
    scheme = f" {url.split('://', 1)[0]!r}" if "://" in url else ""
    raise BadInput(f"--store: unsupported store{scheme} (use sqlite:///PATH, postgresql://… or supabase)")


@contextmanager
def opened_store(option: str | None, *, root: Path) -> Iterator[Store]:
    """The store named by --store / $SKILLCI_STORE, closed afterwards."""
    store = open_store(store_url(option), root=root)
    try:
        yield store
    finally:
        store.close()


def recording_store(option: str | None, *, root: Path) -> Store:
    """The store to record into, open: the embedded file is created or brought up to date (it is skillci's own);
    any other store must have been migrated, or it is bad input. The caller closes it."""
    url = store_url(option)
    store = open_store(url, root=root)
    try:
        if url == DEFAULT_STORE:
            store.migrate()
        elif not store.has_schema():
            raise BadInput(f"the store {store.location} has no schema: run `skillci db migrate` first (or --no-record)")
    except BaseException:
        store.close()
        raise
    return store
