"""`skillci sync`: plan the registry against the store and apply the plan in one transaction."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.checkout import head_sha
from skillci.errors import ExitCode
from skillci.registry.load import load_registry
from skillci.store import DEFAULT_STORE, opened_store, store_url
from skillci.sync.plan import desired_state
from skillci.sync.reporters import SYNC_REPORTERS


def sync(
    *,
    root: Path,
    store: str | None,
    dry_run: bool,
    migrate: bool,
    output_format: str,
    verbosity: int = 0,
    git_sha: str | None = None,
    stream: TextIO | None = None,
) -> int:
    """Validate the registry, then sync it into the store (applying unless dry_run)."""
    result = load_registry(root).require_valid(nothing_done="nothing synced")
    desired = desired_state(result.data)
    if store_url(store) == DEFAULT_STORE and os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stderr.write(
            "skillci: warning: no --store or SKILLCI_STORE: syncing into the embedded SQLite file, "
            "which this runner discards\n"
        )
    with opened_store(store, root=root) as opened:
        if migrate and not dry_run:
            opened.ensure_schema()
        outcome = opened.sync(desired, git_sha=git_sha or head_sha(root), apply=not dry_run)
        location = opened.location
    if outcome.no_schema:
        sys.stderr.write("skillci: note: the store has no schema yet; planning against an empty store\n")
    counts = outcome.counts()
    ledger.note_counts({f"{kind}_{name}": value for kind, numbers in counts.items() for name, value in numbers.items()})
    reporter = SYNC_REPORTERS[output_format](stream, verbosity=verbosity, store=location, dry_run=dry_run)
    reporter.report(outcome)
    return ExitCode.OK
