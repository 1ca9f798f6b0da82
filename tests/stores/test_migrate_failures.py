"""`skillci db migrate` where it cannot simply apply: racing first migrations, a role without rights, an object
in the way. Each ends in exit 0, or in exit 2 with one line naming the cause; never an internal error."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers.cli import Completed, run_skillci
from helpers.postgres import PostgresServer, start_server

ROLES = "anon, authenticated, service_role"


@pytest.fixture
def fresh_cluster() -> Iterator[PostgresServer]:
    """A server of its own: the roles the bootstrap creates belong to the cluster, so they must not exist yet."""
    parent = Path(tempfile.mkdtemp(prefix="skillci-pg-race-"))
    parent.chmod(0o755)
    server = start_server(parent / "cluster")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(parent, ignore_errors=True)


def _migrate(url: str, root: Path) -> Completed:
    return run_skillci("db", "migrate", "--store", url, "--root", str(root))


def test_first_migrations_of_two_databases_racing_on_the_roles_both_succeed(
    fresh_cluster: PostgresServer, tmp_path: Path
) -> None:
    for _ in range(4):
        urls = [fresh_cluster.create_database("race") for _ in range(2)]

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda url: _migrate(url, tmp_path), urls))

        assert [result.code for result in results] == [0, 0], [result.output for result in results]
        for url in urls:
            fresh_cluster.psql(f"drop database {url.rsplit('/', 1)[1]}")
        fresh_cluster.psql(f"drop role {ROLES}")  # the next round creates them afresh


def test_two_first_migrations_of_one_database_both_succeed(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database("race")

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: _migrate(url, tmp_path), range(2)))

    assert [result.code for result in results] == [0, 0], [result.output for result in results]
    assert sorted(result.stdout.splitlines()[-1].endswith("already up to date") for result in results) == [False, True]


def _one_line(result: Completed) -> str:
    assert result.code == 2, result.output
    [line] = result.stderr.splitlines()
    assert "internal error" not in line and "Traceback" not in result.stderr
    return line


@pytest.mark.parametrize("migrated_before", [False, True])
def test_a_read_only_role_is_told_it_lacks_the_rights(
    postgres: PostgresServer, tmp_path: Path, migrated_before: bool
) -> None:
    url = postgres.create_database("readonly")
    if migrated_before:
        assert _migrate(url, tmp_path).code == 0
    name = url.rsplit("/", 1)[1]
    postgres.psql(f"create role {name}_ro login; grant connect on database {name} to {name}_ro")
    read_only = url.replace("postgresql://postgres@", f"postgresql://{name}_ro@")

    line = _one_line(_migrate(read_only, tmp_path))

    assert "permission denied" in line and "db migrate needs a role that may create" in line, line


def test_a_conflicting_table_already_there_is_named(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database("conflict")
    postgres.psql("create schema ops; create table ops.skills (id integer primary key, name text)", url=url)

    line = _one_line(_migrate(url, tmp_path))

    assert "(in migration 20261121000000_ops_tables)" in line, line
    assert "conflicts with skillci's schema" in line, line
    assert postgres.psql("select count(*) from information_schema.tables where table_schema = 'ops'", url=url) == "1"
