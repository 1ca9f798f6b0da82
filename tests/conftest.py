"""Suite-wide rules: under CI=true no test may skip silently; the suite runs in parallel (pytest-xdist) safely."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.postgres import PostgresServer, start_server
from skillci import ledger


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """Under `-p no:xdist`, accept (and ignore) the xdist options that pyproject.toml's addopts pass."""
    if pluginmanager.has_plugin("xdist"):
        return
    group = parser.getgroup("xdist", "without pytest-xdist: its options from addopts are ignored")
    group.addoption("--numprocesses", dest="numprocesses", default=None, help="Ignored: pytest-xdist is not loaded.")
    group.addoption("--dist", dest="dist", default="no", help="Ignored: pytest-xdist is not loaded.")
    group.addoption("--no-loadscope-reorder", action="store_true", help="Ignored: pytest-xdist is not loaded.")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker, move the act tests (a minute or two each) first, the modules with the most of them first.

    `--dist=loadscope` hands each module to one worker (so a module-scoped fixture is set up once) and
    `--no-loadscope-reorder` keeps this order: the longest modules start at once on separate workers, and none is
    left for the end. A run without workers keeps the collection order.
    """
    if not hasattr(config, "workerinput"):
        return
    act_tests = Counter(item.path for item in items if item.get_closest_marker("act"))
    items.sort(key=lambda item: -act_tests[item.path] if item.get_closest_marker("act") else 0)  # stable


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
    """One throwaway PostgreSQL server for the whole session (for each xdist worker: its own), removed afterwards."""
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
