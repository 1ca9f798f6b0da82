"""`skillci notify weekly`: the weekly report, delivered once per week and channel (see skillci.weekly.delivery)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TextIO

from skillci.weekly.delivery import deliver_weekly


def notify_weekly(
    *,
    root: Path,
    store: str | None,
    week: str | None,
    since: str | None,
    until: str | None,
    slack_webhook: str | None,
    github_repo: str | None,
    dry_run: bool,
    force: bool,
    output_format: str,
    keep_dir: Path | None,
    verbosity: int,
    stream: TextIO | None = None,
    errors: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Aggregate the window from the store and deliver the report to each channel not yet sent; exit 3 (or 2) when
    a channel failed."""
    return deliver_weekly(
        root=root,
        store=store,
        week=week,
        since=since,
        until=until,
        slack_webhook=slack_webhook,
        github_repo=github_repo,
        dry_run=dry_run,
        force=force,
        output_format=output_format,
        keep_dir=keep_dir,
        verbosity=verbosity,
        stream=stream,
        errors=errors,
        now=now,
    )
