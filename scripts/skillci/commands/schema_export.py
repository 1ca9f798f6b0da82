"""`skillci schema export DIR`: write the JSON Schemas of the registry files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.config import load_config
from skillci.errors import BadInput, ExitCode
from skillci.registry.schemas import write_schemas


def schema_export(*, root: Path, directory: Path, stream: TextIO | None = None) -> int:
    """Write one schema file per registry file kind into directory, using root's enumerations."""
    config = load_config(root)
    if directory.exists() and not directory.is_dir():
        raise BadInput(f"{str(directory)!r} exists and is not a directory")
    try:
        written = write_schemas(directory, config.enums)
    except OSError as exc:
        raise BadInput(f"cannot write schemas to {str(directory)!r}: {exc.strerror}") from None
    out = stream or sys.stdout
    for path in written:
        out.write(f"wrote {path}\n")
    ledger.note_counts({"schemas": len(written)})
    return ExitCode.OK
