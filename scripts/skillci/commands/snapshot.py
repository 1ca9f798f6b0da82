"""`skillci snapshot`: the nightly metrics snapshot of one UTC day, as a JSON file and a row in the store."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from skillci import github, ledger
from skillci.errors import ExitCode
from skillci.weekly.snapshot import take_snapshot


def snapshot(
    *,
    root: Path,
    store: str | None,
    day: str | None,
    out: Path | None,
    output_format: str,
    stream: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Aggregate one UTC day from the store; write the JSON file, record it in the store; exit 0."""
    stream = stream or sys.stdout
    taken = take_snapshot(root=root, store=store, day=day, out=out, now=now)
    report, label, target = taken.report, taken.report.window.label, taken.path
    totals = report.totals
    ledger.note_counts({"runs": totals.runs, "gates": report.gates.total})
    if output_format == "json":
        document = {"day": label, "file": str(target), "id": taken.row_id, "created": taken.created}
        stream.write(json.dumps(document) + "\n")
        return ExitCode.OK
    rate = "n/a" if totals.success_rate is None else f"{100 * totals.success_rate:.1f} %"
    verb = "recorded" if taken.created else "replaced"
    stream.write(
        f"skillci snapshot: {label} — {totals.runs} runs, {rate} succeeded, {report.gates.total} gate "
        f"decisions; {verb} row {taken.row_id}; written to {target}\n"
    )
    if output_format == "github":
        github.write_outputs({"day": label, "file": str(target), "runs": totals.runs})
    return ExitCode.OK
