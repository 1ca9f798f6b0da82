"""The suite's own throwaway PostgreSQL: real, local, and listening on loopback only."""

from __future__ import annotations

from helpers.postgres import PostgresServer


def test_server_answers_and_listens_on_loopback_only(postgres: PostgresServer) -> None:
    assert postgres.psql("select 40 + 2") == "42"
    assert postgres.psql("show listen_addresses") == "127.0.0.1"
    assert postgres.psql("show server_version_num").isdigit()
