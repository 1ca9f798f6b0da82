"""The registry's one entry point: the configuration under a root, loaded and validated."""

from __future__ import annotations

from pathlib import Path

from skillci import ledger
from skillci.config import load_config
from skillci.registry.findings import ValidationResult


def load_registry(root: Path, *, memo: Path | None = None) -> ValidationResult:
    """Load the configuration under root and validate its registry (files clean before come from the memo file).

    The result holds the findings, the loaded documents and the configuration; `result.require_valid(...)` turns
    an invalid registry into bad input for the steps that need a valid one.
    """
    from skillci.registry.memo import ParseMemo
    from skillci.registry.validation import validate_registry

    result = validate_registry(load_config(root), memo=ParseMemo(memo) if memo else None)
    ledger.note_counts(result.counts)
    return result
