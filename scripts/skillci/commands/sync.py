"""`skillci sync`: plan the registry against the store and apply the plan in one transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.commands.validate import run_validation
from skillci.errors import BadInput, ExitCode
from skillci.store import DEFAULT_STORE, opened_store, store_url
from skillci.sync_plan import desired_state
from skillci.sync_report import SYNC_REPORTERS


def current_git_sha(root: Path) -> str | None:
    """The commit being synced: $GITHUB_SHA, else HEAD of the checkout under root, else None."""
    sha = os.environ.get("GITHUB_SHA", "").strip()
    if sha:
        return sha
    try:
        found = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


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
    result = run_validation(root=root)
    if not result.ok:
        first = result.sorted_findings()[0]
        raise BadInput(
            f"{first.message} [{first.code}] — the registry has {result.errors} errors; nothing synced "
            "(run `skillci validate`)",
            file=first.file,
            line=first.line,
        )
    desired = desired_state(result.data)
    if store_url(store) == DEFAULT_STORE and os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stderr.write(
            "skillci: warning: no --store or SKILLCI_STORE: syncing into the embedded SQLite file, "
            "which this runner discards\n"
        )
    with opened_store(store, root=root) as opened:
        if migrate and not dry_run:
            opened.ensure_schema()
        outcome = opened.sync(desired, git_sha=git_sha or current_git_sha(root), apply=not dry_run)
        location = opened.location
    if outcome.no_schema:
        sys.stderr.write("skillci: note: the store has no schema yet; planning against an empty store\n")
    counts = outcome.counts()
    ledger.note_counts({f"{kind}_{name}": value for kind, numbers in counts.items() for name, value in numbers.items()})
    reporter = SYNC_REPORTERS[output_format](stream, verbosity=verbosity, store=location, dry_run=dry_run)
    reporter.report(outcome)
    return ExitCode.OK
