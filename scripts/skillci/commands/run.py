"""`skillci run`: the main job for a newcomer, ending in one verdict."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci.commands.validate import run_validation
from skillci.errors import ExitCode
from skillci.reporters import REPORTERS


def run(
    *, root: Path, output_format: str, verbosity: int = 0, color: bool = False, stream: TextIO | None = None
) -> int:
    """Run every step on the repository under root and print one verdict line."""
    out = stream or sys.stdout
    result = run_validation(root=root)
    REPORTERS[output_format](out, verbosity=verbosity, color=color).report(result)
    steps = [f"validate {'passed' if result.ok else 'failed'} ({result.errors} errors, {result.warnings} warnings)"]
    verdict = "PASS" if result.ok else "FAIL"
    out.write(f"skillci run: {verdict} — {'; '.join(steps)}\n")
    return ExitCode.OK if result.ok else ExitCode.CHECK_FAILED
