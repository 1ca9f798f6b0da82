"""The CLI's --format choices are its reporters' dicts' keys, and starting the CLI loads no reporter module."""

from __future__ import annotations

import subprocess
import sys

from skillci import cli
from skillci.bench.reporters import BENCH_REPORTERS
from skillci.commits.reporters import COMMITLINT_REPORTERS
from skillci.gate.reporters import GATE_REPORTERS
from skillci.registry.reporters import REPORTERS
from skillci.sync.reporters import SYNC_REPORTERS
from skillci.weekly.render import RENDERERS


def test_format_choices_are_the_reporters_keys() -> None:
    assert tuple(REPORTERS) == cli.FORMATS_VALIDATE
    assert tuple(SYNC_REPORTERS) == cli.FORMATS_SYNC
    assert tuple(BENCH_REPORTERS) == cli.FORMATS_BENCH
    assert tuple(GATE_REPORTERS) == cli.FORMATS_GATE
    assert tuple(COMMITLINT_REPORTERS) == cli.FORMATS_COMMITLINT
    assert tuple(RENDERERS) == cli.FORMATS_NOTIFY


def test_starting_the_cli_loads_no_reporter_rules_store_or_github_module() -> None:
    heavy = [
        "skillci.registry.reporters",
        "skillci.sync.reporters",
        "skillci.bench.reporters",
        "skillci.gate.reporters",
        "skillci.commits.reporters",
        "skillci.bench.progress",
        "skillci.weekly.render",
        "skillci.weekly.slack",
        "skillci.commits.rules",
        "skillci.github",
        "skillci.store",
        "skillci.store.sql",
        "skillci.store.supabase",
        "sqlalchemy",
        "github",
        "httpx",
        "yaml",
    ]
    code = f"import sys, skillci.cli; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
