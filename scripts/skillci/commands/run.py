"""`skillci run`: the main job for a newcomer, ending in one verdict."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci.commands.validate import run_validation
from skillci.errors import ExitCode
from skillci.reporters import REPORTERS


def run(
    *,
    root: Path,
    store: str | None,
    output_format: str,
    verbosity: int = 0,
    color: bool = False,
    stream: TextIO | None = None,
) -> int:
    """Validate, then migrate and sync into the store (the embedded one by default); print one verdict line."""
    out = stream or sys.stdout
    result = run_validation(root=root)
    REPORTERS[output_format](out, verbosity=verbosity, color=color).report(result)
    steps = [f"validate {'passed' if result.ok else 'failed'} ({result.errors} errors, {result.warnings} warnings)"]
    if result.ok:
        from skillci.checkout import head_sha
        from skillci.store import opened_store
        from skillci.sync_plan import desired_state

        with opened_store(store, root=root) as opened:
            opened.migrate()
            outcome = opened.sync(desired_state(result.data), git_sha=head_sha(root), apply=True)
            location = opened.location
        counts = outcome.counts()["skills"]
        written = ", ".join(f"{counts[name]} {name}" for name in ("created", "updated", "deprecated", "unchanged"))
        steps.append(f"sync into {location}: skills {written}")
    else:
        steps.append("sync skipped")
    verdict = "PASS" if result.ok else "FAIL"
    out.write(f"skillci run: {verdict} — {'; '.join(steps)}\n")
    return ExitCode.OK if result.ok else ExitCode.CHECK_FAILED
