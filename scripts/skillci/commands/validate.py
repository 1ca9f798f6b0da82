"""`skillci validate`: check the registry and report findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.config import load_config
from skillci.errors import BadInput, ExitCode
from skillci.registry.findings import ValidationResult
from skillci.registry.reporters import REPORTERS


def run_validation(*, root: Path, memo: Path | None = None) -> ValidationResult:
    """Load the configuration under root and validate its registry (files clean before come from the memo file)."""
    from skillci.registry.memo import ParseMemo
    from skillci.registry.validation import validate_registry

    result = validate_registry(load_config(root), memo=ParseMemo(memo) if memo else None)
    ledger.note_counts(result.counts)
    return result


def valid_registry(*, root: Path, nothing_done: str, memo: Path | None = None) -> ValidationResult:
    """The validated registry under root; an invalid one is bad input (exit 2) naming its first error."""
    result = run_validation(root=root, memo=memo)
    if not result.ok:
        first = result.sorted_findings()[0]
        raise BadInput(
            f"{first.message} [{first.code}] — the registry has {result.errors} errors; {nothing_done} "
            "(run `skillci validate`)",
            file=first.file,
            line=first.line,
        )
    return result


def validate(
    *, root: Path, output_format: str, verbosity: int = 0, color: bool = False, stream: TextIO | None = None
) -> int:
    """Validate the registry under root and print the findings in output_format."""
    result = run_validation(root=root)
    REPORTERS[output_format](stream or sys.stdout, verbosity=verbosity, color=color).report(result)
    return ExitCode.OK if result.ok else ExitCode.CHECK_FAILED
