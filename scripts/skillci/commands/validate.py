"""`skillci validate`: check the registry and report findings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci.errors import ExitCode
from skillci.registry.load import load_registry
from skillci.registry.reporters import REPORTERS


def validate(
    *, root: Path, output_format: str, verbosity: int = 0, color: bool = False, stream: TextIO | None = None
) -> int:
    """Validate the registry under root and print the findings in output_format."""
    result = load_registry(root)
    REPORTERS[output_format](stream or sys.stdout, verbosity=verbosity, color=color).report(result)
    return ExitCode.OK if result.ok else ExitCode.CHECK_FAILED
