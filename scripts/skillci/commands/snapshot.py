"""`skillci snapshot`: the nightly metrics snapshot of one UTC day, as a JSON file and a row in the store."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from skillci import github, ledger
from skillci.diskcache import write_atomic
from skillci.errors import BadInput, ExitCode
from skillci.weekly.report import WeeklyReport, Window

#: Where snapshots go under the root unless --out says otherwise.
SNAPSHOT_DIR = Path(".skillci") / "snapshots"


def day_window(day: str | None, *, now: datetime | None = None) -> Window:
    """The UTC day [00:00, 24:00) named YYYY-MM-DD; yesterday (the last whole day) when None."""
    if day is None:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        chosen = moment.date() - timedelta(days=1)
    else:
        try:
            chosen = date.fromisoformat(day.strip())
        except ValueError:
            raise BadInput(f"--day {day!r}: expected a date like 2026-11-20") from None
    since = datetime(chosen.year, chosen.month, chosen.day, tzinfo=UTC)
    return Window(since, since + timedelta(days=1), chosen.isoformat())


def snapshot_document(report: WeeklyReport) -> dict[str, Any]:
    """The snapshot's JSON: the day's numbers in the weekly report's JSON form, and what it is."""
    from skillci.weekly.render import render_json

    return {"kind": "skillci.snapshot", "version": 1, "day": report.window.label, **render_json(report)}


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
    from skillci.store import opened_store

    stream = stream or sys.stdout
    window = day_window(day, now=now)
    generated_at = (now or datetime.now(UTC)).astimezone(UTC)
    with opened_store(store, root=root) as opened:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: run `skillci db migrate` first")
        numbers = opened.weekly_numbers(since=window.since, until=window.until)
        report = WeeklyReport.from_numbers(window, numbers, generated_at=generated_at)
        document = snapshot_document(report)
        target = out if out is not None else root / SNAPSHOT_DIR / f"{window.label}.json"
        target = target if target.is_absolute() else root / target
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        try:
            write_atomic(target, text)
        except OSError as exc:
            raise BadInput(f"cannot write the snapshot: {exc.strerror}", file=str(target)) from None
        row_id, created = opened.record_snapshot(day=window.label, metrics=document)
    totals = report.totals
    ledger.note_counts({"runs": totals.runs, "gates": report.gates.total})
    if output_format == "json":
        stream.write(json.dumps({"day": window.label, "file": str(target), "id": row_id, "created": created}) + "\n")
        return ExitCode.OK
    rate = "n/a" if totals.success_rate is None else f"{100 * totals.success_rate:.1f} %"
    verb = "recorded" if created else "replaced"
    stream.write(
        f"skillci snapshot: {window.label} — {totals.runs} runs, {rate} succeeded, {report.gates.total} gate "
        f"decisions; {verb} row {row_id}; written to {target}\n"
    )
    if output_format == "github":
        github.write_outputs({"day": window.label, "file": str(target), "runs": totals.runs})
    return ExitCode.OK
