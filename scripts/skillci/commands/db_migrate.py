"""`skillci db migrate`: bring the store's schema up to date."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from skillci import ledger
from skillci.errors import ExitCode
from skillci.store import opened_store


def db_migrate(*, root: Path, store: str | None, output_format: str, stream: TextIO | None = None) -> int:
    """Apply the migrations the store lacks (SQLite: create the missing tables), repair what is gone, and say so."""
    out = stream or sys.stdout
    with opened_store(store, root=root) as opened:
        applied = opened.migrate()
        location, repaired = opened.location, opened.repaired
    ledger.note_counts({"applied": len(applied), "repaired": len(repaired)})
    if output_format == "json":
        out.write(json.dumps({"store": location, "applied": applied, "repaired": repaired}, indent=2) + "\n")
        return ExitCode.OK
    for name in applied:
        out.write(f"applied {name}\n")
    for missing in repaired:
        out.write(f"repaired {missing} (it was gone: the migrations were applied again)\n")
    done = [f"{len(applied)} applied"] if applied else []
    done += [f"{len(repaired)} repaired"] if repaired else []
    verdict = ", ".join(done) or "already up to date"
    out.write(f"skillci db migrate: {location}: {verdict}\n")
    return ExitCode.OK
