"""What the checkout under root is: its commit, its branch, and the repository's default branch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    try:
        found = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def git_output(root: Path, *args: str) -> str:
    """What `git ARGS` prints in the checkout under root (undecodable bytes replaced); a failure is bad input."""
    from skillci.errors import BadInput

    try:
        found = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BadInput(f"git {args[0]} failed: {exc}") from None
    if found.returncode != 0:
        message = (found.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[-1]
        raise BadInput(f"git {' '.join(args)}: {message}")
    return found.stdout.decode("utf-8", "replace")


def head_sha(root: Path) -> str | None:
    """The commit being worked on: $GITHUB_SHA, else HEAD of the checkout under root, else None."""
    return os.environ.get("GITHUB_SHA", "").strip() or _git(root, "rev-parse", "--verify", "--quiet", "HEAD")


def current_branch(root: Path) -> str | None:
    """The branch being worked on: a pull request's head branch, the pushed branch, or git's; None when detached."""
    for name in ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    return None if branch in (None, "HEAD") else branch


def default_branch(root: Path) -> str:
    """The branch baselines come from: $SKILLCI_DEFAULT_BRANCH, a pull request's base, origin/HEAD, else main."""
    for name in ("SKILLCI_DEFAULT_BRANCH", "GITHUB_BASE_REF"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    remote = _git(root, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    return remote.removeprefix("origin/") if remote else "main"


def comparison_base(root: Path) -> str | None:
    """The default branch's ref to compare HEAD with, or None: no such branch, no history, or HEAD is on it."""
    branch = default_branch(root)
    for ref in (f"origin/{branch}", branch):
        base = _git(root, "merge-base", ref, "HEAD")
        if base is not None:
            return ref if base != _git(root, "rev-parse", "HEAD") else None
    return None
