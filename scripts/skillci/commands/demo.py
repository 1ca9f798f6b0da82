"""`skillci demo seed`: fill a store with a believable week of runs, errors, tier changes and gates."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.errors import BadInput, ExitCode
from skillci.weekly.report import choose_week

#: The most runs one seeding writes (a demo, not a load test: benchmarks/notify.py does that).
MAX_RUNS = 100_000


def demo_seed(
    *,
    root: Path,
    store: str | None,
    week: str | None,
    runs: int,
    seed: int,
    stream: TextIO | None = None,
) -> int:
    """Sync the registry under root into the store, then seed one ISO week (the week that ended, by default)."""
    from skillci.demo import seed_week
    from skillci.store import opened_store

    if not 1 <= runs <= MAX_RUNS:
        raise BadInput(f"--runs must be between 1 and {MAX_RUNS}, not {runs}")
    window = choose_week(week or "last", now=datetime.now(UTC))
    with opened_store(store, root=root) as opened:
        opened.ensure_schema()  # as sync does: migrate where skillci can, else check the migrations are there
        counts = seed_week(opened, root=root, window=window, runs=runs, seed=seed)
    ledger.note_counts(counts)
    listed = ", ".join(f"{count} {name}" for name, count in counts.items())
    (stream or sys.stdout).write(f"skillci demo seed: {window.label} in {opened.location}: {listed}\n")
    return ExitCode.OK
