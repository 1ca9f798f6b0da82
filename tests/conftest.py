"""Suite-wide rules: under CI=true no test may skip silently."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.postgres import PostgresServer, start_server
from skillci import ledger


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped under CI=true, which is not allowed: {reason}"


@pytest.fixture(scope="session", autouse=True)
def _session_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fixtures wider than a test are set up before _isolated_env: their commands write a throwaway ledger too,
    never the repository's .skillci/ledger.jsonl (which every xdist worker would append to)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILLCI_LEDGER", str(tmp_path_factory.mktemp("ledger") / "ledger.jsonl"))
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never inherit the runner's GitHub environment or write the repository's ledger."""
    inherited = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_WORKSPACE", "GITHUB_RUN_ID")
    stores = ("GITHUB_SHA", "SKILLCI_STORE", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY")
    for name in inherited + stores:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKILLCI_LEDGER", str(tmp_path_factory.mktemp("ledger") / "ledger.jsonl"))
    ledger.take_counts()  # counts noted by an in-process command of an earlier test


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="skillci-pg-"))
    parent.chmod(0o755)  # the server runs as `postgres` when the tests run as root
    try:
        server = start_server(parent / "cluster")
    except BaseException:
        shutil.rmtree(parent, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(parent, ignore_errors=True)
