"""Which skills a change affects: a changed spec, a changed cases file or benchmark path, or benchmark.yaml."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from skillci.config import Config
from skillci.errors import BadInput
from skillci.registry.yamlpos import YamlError, loads
from skillci.sync.plan import content_hash, normalize

#: How many commits a shallow clone is deepened by, per attempt, looking for the base.
DEEPEN_STEPS = (50, 500)


@dataclass(frozen=True)
class Selection:
    """The skills to benchmark, each with why it was picked."""

    skills: tuple[str, ...]
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The commit the change was compared with (the merge-base), when selected by --base/--head.
    base_commit: str | None = None


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        found = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BadInput(f"git {args[0]} failed: {exc}") from None
    if check and found.returncode != 0:
        message = (found.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BadInput(f"git {' '.join(args)}: {message}")
    return found


def _has_commit(root: Path, ref: str) -> bool:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).returncode == 0


def _merge_base(root: Path, base: str, head: str) -> str | None:
    found = _git(root, "merge-base", base, head, check=False)
    return found.stdout.strip() or None if found.returncode == 0 else None


def resolve_base(root: Path, base: str, head: str, *, names: tuple[str, str] = ("--base", "--head")) -> str:
    """The commit to compare head with (the merge-base), deepening a shallow clone until it is there.

    names are the options base and head came from, for the messages.
    """
    base_option, head_option = names
    if _git(root, "rev-parse", "--is-inside-work-tree", check=False).returncode != 0:
        raise BadInput(f"{root} is not a git checkout, so {base_option} has nothing to compare")
    if not _has_commit(root, head):
        raise BadInput(f"{head_option} {head!r} is not a commit in this checkout")
    branch = base.removeprefix("origin/")
    for deepen in (None, *DEEPEN_STEPS, 0):  # None: as cloned; N: deepen by N commits; 0: unshallow
        if deepen is not None:
            if _git(root, "rev-parse", "--is-shallow-repository").stdout.strip() != "true":
                break
            depth = f"--deepen={deepen}" if deepen else "--unshallow"
            _git(root, "fetch", "--no-tags", "--quiet", depth, "origin", check=False)
            refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
            _git(root, "fetch", "--no-tags", "--quiet", depth, "origin", refspec, check=False)
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


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Repository paths that differ between two commits (both sides of a rename)."""
    output = _git(root, "diff", "--name-only", "--no-renames", "-z", base, head).stdout
    return sorted(name for name in output.split("\0") if name)


def _skills_at(root: Path, ref: str, path: str) -> dict[str, dict[str, Any]]:
    found = _git(root, "show", f"{ref}:{path}", check=False)
    if found.returncode != 0:
        return {}
    try:
        data, _ = loads(found.stdout)
    except YamlError:
        return {}
    items = (data or {}).get("skills") if isinstance(data, dict) else None
    skills = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            skills[item["id"]] = normalize(item)
    return skills


@lru_cache(maxsize=256)
def _glob_pattern(glob: str) -> re.Pattern[str]:
    """A repository-path glob as a regex: `**` crosses directories, `*` and `?` do not."""
    parts = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            parts.append(".*")
            index += 2
        elif glob[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def matches(glob: str, path: str) -> bool:
    """Whether a repository path matches a `benchmark.paths` glob."""
    return _glob_pattern(glob.removeprefix("./")).match(path) is not None


def benchmarked(skills: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Ids of the skills that have a benchmark, in registry order."""
    return [skill_id for skill_id, spec in skills.items() if isinstance(spec.get("benchmark"), Mapping)]


def select_changed(config: Config, *, base: str, head: str, current: Mapping[str, Mapping[str, Any]]) -> Selection:
    """The benchmarked skills a change from base to head affects, with the reasons."""
    root = config.root
    merge_base = resolve_base(root, base, head)
    files = changed_files(root, merge_base, head)
    before = _skills_at(root, merge_base, config.paths.skills)
    reasons: dict[str, list[str]] = {}

    def pick(skill_id: str, reason: str) -> None:
        reasons.setdefault(skill_id, []).append(reason)

    for skill_id in benchmarked(current):
        spec = current[skill_id]
        if skill_id not in before:
            pick(skill_id, "new skill")
        elif content_hash(before[skill_id]) != content_hash(spec):
            pick(skill_id, "spec changed")
        bench = spec["benchmark"]
        if isinstance(bench.get("cases"), str) and bench["cases"] in files:
            pick(skill_id, f"cases changed: {bench['cases']}")
        for glob in _strings(bench.get("paths")):
            hit = next((path for path in files if matches(glob, path)), None)
            if hit is not None:
                pick(skill_id, f"{hit} matches {glob}")
        if config.paths.benchmark in files:
            pick(skill_id, f"{config.paths.benchmark} changed")
    order = [skill_id for skill_id in benchmarked(current) if skill_id in reasons]
    return Selection(tuple(order), {skill_id: tuple(reasons[skill_id]) for skill_id in order}, merge_base)


def select_named(current: Mapping[str, Mapping[str, Any]], names: Sequence[str]) -> Selection:
    """Exactly the named skills (--skill), each of which must exist and have a benchmark."""
    runnable = set(benchmarked(current))
    for name in names:
        if name not in current:
            raise BadInput(f"--skill {name!r}: no such skill in the registry")
        if name not in runnable:
            raise BadInput(f"--skill {name!r}: the skill has no benchmark")
    unique = list(dict.fromkeys(names))
    return Selection(tuple(unique), {name: ("--skill",) for name in unique})


def select_all(current: Mapping[str, Mapping[str, Any]]) -> Selection:
    """Every benchmarked skill (--all, or no history to compare with)."""
    ids = benchmarked(current)
    return Selection(tuple(ids), {skill_id: ("--all",) for skill_id in ids})


def _strings(value: Any) -> Iterable[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
