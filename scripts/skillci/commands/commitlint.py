"""`skillci commitlint`: lint commit messages (one, a range, the last commit, or the PR title) like commitlint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.commits.lint import gather, lint_messages
from skillci.commits.reporters import COMMITLINT_REPORTERS
from skillci.errors import ExitCode


def commitlint(
    *,
    root: Path,
    message: str | None = None,
    edit: Path | None = None,
    from_ref: str | None = None,
    to_ref: str | None = None,
    last: bool = False,
    pr_title: bool = False,
    strict: bool = False,
    output_format: str,
    verbosity: int = 0,
    stream: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Lint the chosen messages; exit 1 when one has an error (or, with --strict, a warning)."""
    messages, settings = gather(
        root,
        message=message,
        edit=edit,
        from_ref=from_ref,
        to_ref=to_ref,
        last=last,
        pr_title=pr_title,
        stdin=stdin or sys.stdin,
    )
    run = lint_messages(messages, settings, strict=strict)
    ledger.note_counts({"messages": len(run.results), "errors": run.errors, "warnings": run.warnings})
    COMMITLINT_REPORTERS[output_format](stream or sys.stdout, verbosity=verbosity).report(run)
    return ExitCode.CHECK_FAILED if run.failed else ExitCode.OK
