"""Which skills a change affects: a changed spec, a changed cases file or benchmark path, or benchmark.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from skillci.checkout import changed_files, comparison_base, file_at, resolve_base
from skillci.config import Config
from skillci.errors import BadInput
from skillci.registry.yamlpos import YamlError, loads
from skillci.sync.plan import content_hash, normalize


@dataclass(frozen=True)
class Choice:
    """What to benchmark: changed skills between base and head, named skills, or all of them."""

    base: str | None = None
    head: str = "HEAD"
    skills: tuple[str, ...] = ()
    all_skills: bool = False


def changed_or_all(root: Path) -> Choice:
    """`skillci run`'s choice: the skills changed against the default branch; all when there is nothing to compare."""
    base = comparison_base(root)
    return Choice(base=base) if base else Choice(all_skills=True)


@dataclass(frozen=True)
class Selection:
    """The skills to benchmark, each with why it was picked."""

    skills: tuple[str, ...]
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The commit the change was compared with (the merge-base), when selected by --base/--head.
    base_commit: str | None = None


def _skills_at(root: Path, ref: str, path: str) -> dict[str, dict[str, Any]]:
    text = file_at(root, ref, path)
    if text is None:
        return {}
    try:
        data, _ = loads(text)
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


def select(config: Config, current: Mapping[str, Mapping[str, Any]], choice: Choice) -> Selection:
    """The skills the choice names; --skill and --all override --base/--head."""
    if choice.skills:
        return select_named(current, choice.skills)
    if choice.all_skills:
        return select_all(current)
    if choice.base:
        return select_changed(config, base=choice.base, head=choice.head, current=current)
    raise BadInput("say what to benchmark: --base REF (the skills a change affects), --skill ID or --all")
