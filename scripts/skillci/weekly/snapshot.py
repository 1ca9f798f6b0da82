"""The nightly metrics snapshot of one UTC day: the weekly report's numbers for that day, as a JSON file and a row
in the store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from skillci.diskcache import write_atomic
from skillci.errors import BadInput
from skillci.weekly.report import WeeklyReport, Window


class Snapshot(NamedTuple):
    """A snapshot taken: the day's report, the file written and the store's row."""

    report: WeeklyReport
    path: Path
    row_id: Any
    created: bool


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


def take_snapshot(
    *, root: Path, store: str | None, day: str | None, out: Path | None, now: datetime | None
) -> Snapshot:
    """Aggregate one UTC day from the store, write the JSON file (out, else ROOT/.skillci/snapshots/DAY.json) and
    record the day's row (a re-run replaces it)."""
    from skillci.store import opened_store

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
    return Snapshot(report, target, row_id, created)
