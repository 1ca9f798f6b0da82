"""`skillci version`: the next SemVer from the commits since the last version tag, and its changelog."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from skillci.commits.release import bump_for, changelog, changes_since, repo_url
from skillci.errors import ExitCode


def version(
    *, root: Path, with_changelog: bool = False, output_format: str = "text", stream: TextIO | None = None
) -> int:
    """Print the next version (and, with --changelog, its Markdown changelog)."""
    out = stream or sys.stdout
    tag, current, changes = changes_since(root)
    bump = bump_for([change.commit for change in changes])
    upcoming = current.bumped(bump)
    notes = (
        changelog(upcoming, changes, repo_url=repo_url(root), day=datetime.now(UTC).date()) if with_changelog else None
    )
    if output_format == "json":
        document = {"tag": tag, "current": str(current), "next": str(upcoming), "bump": bump, "commits": len(changes)}
        if notes is not None:
            document["changelog"] = notes
        out.write(json.dumps(document, indent=2) + "\n")
        return ExitCode.OK
    if notes is not None:
        out.write(notes)
        return ExitCode.OK
    since = f"since {tag}" if tag else "with no version tag yet"
    out.write(
        f"{upcoming}\n"
        if output_format == "plain"
        else f"skillci version: {current} → {upcoming} ({bump}; {len(changes)} commits {since})\n"
    )
    return ExitCode.OK
