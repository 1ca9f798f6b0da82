"""`skillci run`: the main job for a newcomer, ending in one verdict (the pipeline lives in skillci.pipeline)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci.pipeline import run_pipeline


def run(
    *,
    root: Path,
    store: str | None,
    output_format: str,
    verbosity: int = 0,
    color: bool = False,
    stream: TextIO | None = None,
) -> int:
    """Validate; migrate and sync into the store; bench the changed skills (all without history); gate; one verdict."""
    return run_pipeline(
        root=root, store=store, output_format=output_format, verbosity=verbosity, color=color, out=stream or sys.stdout
    )
