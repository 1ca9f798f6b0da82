"""`skillci gate`: hold the bench results to the thresholds; report, comment once, record; exit 0 or 1."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from skillci.errors import BadInput
from skillci.gate.decision import decide
from skillci.gate.publish import publish
from skillci.gate.results import BenchResults, load_results, results_from_store
from skillci.registry.load import load_registry


def gate(
    *,
    root: Path,
    results: Sequence[Path],
    min_pass_pct: float | None,
    min_tier: str | None,
    max_regression: float | None,
    store: str | None,
    record: bool,
    comment: str,
    output_format: str,
    from_store: bool = False,
    base: str | None = None,
    verbosity: int = 0,
    stream: TextIO | None = None,
) -> int:
    """Decide, print every check, update the pull-request comment, record the decision; exit 1 when it fails."""
    if from_store and results:
        raise BadInput("judge either --results files or --from-store, not both")
    if from_store:
        validation = load_registry(root)
        valid = validation.require_valid(nothing_done="nothing judged")
        loaded: BenchResults | None = results_from_store(valid, store=store, base=base)
    else:
        loaded = load_results(results) if results else None
        validation = load_registry(root)
    decision = decide(validation, loaded, min_pass_pct=min_pass_pct, min_tier=min_tier, max_regression=max_regression)
    return publish(
        decision,
        root=root,
        store=store,
        record=record,
        comment=comment,
        output_format=output_format,
        verbosity=verbosity,
        stream=stream,
    )
