"""`skillci runs record`: record run reports (JSON) from an agent or a workflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from skillci import ledger
from skillci.errors import BadInput, ExitCode
from skillci.store import opened_store
from skillci.store.runs import read_reports


def runs_record(*, root: Path, store: str | None, source: str, output_format: str, stream: TextIO | None = None) -> int:
    """Record the reports in the file (or `-` for stdin) all or nothing, in one transaction."""
    out = stream or sys.stdout
    if source == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(source).read_text(encoding="utf-8"), source
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from None
    reports = read_reports(text, source=name)
    recorded: list[dict[str, Any]] = []
    with opened_store(store, root=root) as opened:
        for outcome in opened.record_runs(reports):
            recorded.append(
                {"id": outcome.id, "status": outcome.status, "previous": outcome.previous, "created": outcome.created}
            )
    ledger.note_counts({"runs": len(recorded)})
    if output_format == "json":
        out.write(json.dumps({"recorded": recorded}, indent=2) + "\n")
    else:
        for item in recorded:
            change = "created" if item["created"] else f"{item['previous']} -> {item['status']}"
            out.write(f"run {item['id']}: {item['status']} ({change})\n")
    return ExitCode.OK
