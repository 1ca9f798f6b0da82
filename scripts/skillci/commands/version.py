"""`skillci version`: the next SemVer from the commits since the last version tag, and its changelog."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from skillci.checkout import git_output
from skillci.commands.commitlint import log_messages
from skillci.commits.parser import parse_commit
from skillci.commits.release import Change, Version, bump_for, changelog, latest_version
from skillci.commits.rules import is_ignored
from skillci.errors import BadInput, ExitCode


def _repo_url(root: Path) -> str | None:
    """Where commit links point: the GitHub Actions repository, else the origin remote as https."""
    server, repository = os.environ.get("GITHUB_SERVER_URL"), os.environ.get("GITHUB_REPOSITORY")
    if server and repository:
        return f"{server.rstrip('/')}/{repository}"
    try:
        url = git_output(root, "remote", "get-url", "origin").strip()
    except BadInput:
        return None
    if url.startswith("git@") and ":" in url:
        host, path = url[4:].split(":", 1)
        url = f"https://{host}/{path}"
    url = url.removesuffix(".git")
    return url if url.startswith(("https://", "http://")) and "@" not in url else None


def changes_since(root: Path) -> tuple[str | None, Version, list[Change]]:
    """The last version tag reachable from HEAD (and its version; 0.0.0 without one) and the commits after it."""
    tags = [line for line in git_output(root, "tag", "--merged", "HEAD").splitlines() if line]
    found = latest_version(tags)
    if found is None and git_output(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        raise BadInput("no version tag in this shallow clone: fetch the history and tags (fetch-depth: 0)")
    tag, current = found if found else (None, Version(0, 0, 0))
    revisions = f"{tag}..HEAD" if tag else "HEAD"
    changes = [
        Change(str(message.hash), parse_commit(message.text))
        for message in log_messages(root, revisions)
        if not is_ignored(message.text)
    ]
    return tag, current, changes


def version(
    *, root: Path, with_changelog: bool = False, output_format: str = "text", stream: TextIO | None = None
) -> int:
    """Print the next version (and, with --changelog, its Markdown changelog)."""
    out = stream or sys.stdout
    tag, current, changes = changes_since(root)
    bump = bump_for([change.commit for change in changes])
    upcoming = current.bumped(bump)
    notes = (
        changelog(upcoming, changes, repo_url=_repo_url(root), day=datetime.now(UTC).date()) if with_changelog else None
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
