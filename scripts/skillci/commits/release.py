"""Releases from Conventional Commits: the next SemVer after a tag, and a Markdown changelog."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from skillci.checkout import git_output
from skillci.commits.lint import log_messages
from skillci.commits.parser import ParsedCommit, parse_commit
from skillci.commits.rules import is_ignored
from skillci.errors import BadInput

#: `1.2.3` or `v1.2.3` (a pre-release or build suffix is allowed on tags, and ignored for the bump).
_SEMVER = re.compile(r"\Av?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+][0-9A-Za-z.+-]*)?\Z")
#: Changelog sections, in order; commits of other types are not releasable and not listed.
SECTIONS = (("feat", "Features"), ("fix", "Bug Fixes"), ("perf", "Performance Improvements"), ("revert", "Reverts"))
_BUMPS = ("none", "patch", "minor", "major")


@dataclass(frozen=True, order=True)
class Version:
    """A SemVer version (major, minor, patch)."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """The version a tag names, or None when it names none."""
        found = _SEMVER.match(text.strip())
        return cls(int(found[1]), int(found[2]), int(found[3])) if found else None

    def bumped(self, bump: str) -> Version:
        """The next version for a bump: major, minor, patch or none."""
        if bump == "major":
            return Version(self.major + 1, 0, 0)
        if bump == "minor":
            return Version(self.major, self.minor + 1, 0)
        if bump == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        return self

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Change:
    """One commit since the last release, parsed."""

    hash: str
    commit: ParsedCommit


def bump_for(commits: Sequence[ParsedCommit]) -> str:
    """The bump the commits call for: breaking → major, feat → minor, fix/perf → patch, else none."""
    level = 0
    for commit in commits:
        if commit.breaking:
            level = 3
        elif commit.type == "feat":
            level = max(level, 2)
        elif commit.type in ("fix", "perf"):
            level = max(level, 1)
    return _BUMPS[level]


def latest_version(tags: Sequence[str]) -> tuple[str, Version] | None:
    """The highest SemVer tag of the given ones (v-prefixed or not), with its name."""
    versions = [(version, tag) for tag in tags if (version := Version.parse(tag)) is not None]
    if not versions:
        return None
    version, tag = max(versions)
    return tag, version


def _link(change: Change, repo_url: str | None) -> str:
    short = change.hash[:7]
    return f"[{short}]({repo_url}/commit/{change.hash})" if repo_url else short


def _entry(change: Change, text: str, repo_url: str | None) -> str:
    scope = f"**{change.commit.scope}:** " if change.commit.scope else ""
    return f"* {scope}{text} ({_link(change, repo_url)})"


def changelog(version: Version, changes: Sequence[Change], *, repo_url: str | None, day: date) -> str:
    """The release's Markdown: breaking changes first, then features, fixes, performance and reverts."""
    lines = [f"## {version} ({day.isoformat()})", ""]
    breaking = [change for change in changes if change.commit.breaking]
    if breaking:
        lines += ["### ⚠ BREAKING CHANGES", ""]
        for change in breaking:
            notes = [note.text.strip() for note in change.commit.notes if note.text.strip()]
            text = notes[0] if notes else (change.commit.subject or change.commit.header or "")
            lines.append(_entry(change, text.replace("\n", " "), repo_url))
        lines.append("")
    for kind, title in SECTIONS:
        listed = [change for change in changes if change.commit.type == kind]
        if listed:
            lines += [f"### {title}", ""]
            lines += [_entry(change, change.commit.subject or "", repo_url) for change in listed]
            lines.append("")
    if len(lines) == 2:
        lines += ["No releasable changes.", ""]
    return "\n".join(lines)


def repo_url(root: Path) -> str | None:
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
