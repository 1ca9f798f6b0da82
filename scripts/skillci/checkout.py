"""Git facts about the checkout under root: its commit, its branch, the default branch, merge-bases and changes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from skillci.errors import BadInput

#: How many commits a shallow clone is deepened by, per attempt, looking for the base.
DEEPEN_STEPS = (50, 500)


def _git_run(root: Path, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in the checkout under root (undecodable bytes replaced); with check, a failure is bad input."""
    try:
        found = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BadInput(f"git {args[0]} failed: {exc}") from None
    if check and found.returncode != 0:
        message = (found.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BadInput(f"git {' '.join(args)}: {message}")
    return found


def _git(root: Path, *args: str) -> str | None:
    """What `git ARGS` prints, stripped; None when git fails, prints nothing or cannot run."""
    try:
        found = _git_run(root, *args, check=False, timeout=30)
    except BadInput:
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def git_output(root: Path, *args: str) -> str:
    """What `git ARGS` prints in the checkout under root (undecodable bytes replaced); a failure is bad input."""
    return _git_run(root, *args).stdout


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


def _has_commit(root: Path, ref: str) -> bool:
    return _git_run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode == 0


def _merge_base(root: Path, base: str, head: str) -> str | None:
    found = _git_run(root, "merge-base", base, head, check=False)
    return found.stdout.strip() or None if found.returncode == 0 else None


def resolve_base(root: Path, base: str, head: str, *, names: tuple[str, str] = ("--base", "--head")) -> str:
    """The commit to compare head with (the merge-base), deepening a shallow clone until it is there.

    names are the options base and head came from, for the messages.
    """
    base_option, head_option = names
    if _git_run(root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise BadInput(f"{root} is not a git checkout, so {base_option} has nothing to compare")
    if not _has_commit(root, head):
        raise BadInput(f"{head_option} {head!r} is not a commit in this checkout")
    branch = base.removeprefix("origin/")
    for deepen in (None, *DEEPEN_STEPS, 0):  # None: as cloned; N: deepen by N commits; 0: unshallow
        if deepen is not None:
            if _git_run(root, "rev-parse", "--is-shallow-repository").stdout.strip() != "true":
                break
            depth = f"--deepen={deepen}" if deepen else "--unshallow"
            _git_run(root, "fetch", "--no-tags", "--quiet", depth, "origin", check=False)
            refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
            _git_run(root, "fetch", "--no-tags", "--quiet", depth, "origin", refspec, check=False)
        for candidate in dict.fromkeys((base, f"origin/{branch}")):
            if _has_commit(root, candidate) and (found := _merge_base(root, candidate, head)):
                return found
    if not any(_has_commit(root, candidate) for candidate in (base, f"origin/{branch}")):
        raise BadInput(
            f"{base_option} {base!r} is not in this clone (a shallow clone? check out with fetch-depth: 0, or fetch it)"
        )
    raise BadInput(
        f"{base_option} {base!r} and {head_option} {head!r} share no history (a shallow clone? use fetch-depth: 0)"
    )


def file_at(root: Path, ref: str, path: str) -> str | None:
    """The text of a repository path at a commit, or None when it is not there."""
    found = _git_run(root, "show", f"{ref}:{path}", check=False)
    return found.stdout if found.returncode == 0 else None


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Repository paths that differ between two commits (both sides of a rename)."""
    output = _git_run(root, "diff", "--name-only", "--no-renames", "-z", base, head).stdout
    return sorted(name for name in output.split("\0") if name)
