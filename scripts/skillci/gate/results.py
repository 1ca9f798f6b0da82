"""Bench results for the gate: `skillci bench --out` files (one per shard), or what the bench recorded in the store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillci.errors import BadInput
from skillci.registry.findings import ValidationResult

#: The keys a bench result must have for the gate to judge it.
_RESULT_KEYS = ("skill_id", "composite_score", "tier", "cases_passed", "cases_total", "baseline_delta")


@dataclass(frozen=True)
class BenchResults:
    """Bench results read from one or more files (the shards of one bench)."""

    files: tuple[str, ...]
    selected: tuple[str, ...]
    results: tuple[Mapping[str, Any], ...]
    missing: tuple[str, ...] = ()


def results_files(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The files the --results arguments name (files as given, directories' *.json, recursively, sorted), and
    the arguments that name nothing (a bench job that uploaded nothing: the gate fails on them)."""
    found: list[Path] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(candidate for candidate in path.rglob("*.json") if candidate.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            missing.append(str(path))
    return found, missing


def load_results(paths: Sequence[Path]) -> BenchResults:
    """Read and merge bench results (`skillci bench --out`); a skill in two files is bad input."""
    documents: list[tuple[str, Any]] = []
    files, missing = results_files(paths)
    for path in files:
        try:
            documents.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
        except OSError as exc:
            raise BadInput(f"cannot read the results: {exc.strerror}", file=str(path)) from None
        except UnicodeDecodeError:
            raise BadInput("the results are not UTF-8 text", file=str(path)) from None
        except json.JSONDecodeError as exc:
            raise BadInput(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    merged = merge_results(documents)
    return BenchResults(files=merged.files, selected=merged.selected, results=merged.results, missing=tuple(missing))


def merge_results(documents: Sequence[tuple[str, Any]]) -> BenchResults:
    """Merge bench result documents, each named by where it came from; a skill in two of them is bad input."""
    selected: list[str] = []
    results: list[Mapping[str, Any]] = []
    owner: dict[str, str] = {}
    for source, document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("results"), list):
            raise BadInput('not bench results: expected {"selected": [...], "results": [...]}', file=source)
        for skill_id in document.get("selected") or []:
            if isinstance(skill_id, str) and skill_id not in selected:
                selected.append(skill_id)
        for index, result in enumerate(document["results"]):
            if not isinstance(result, dict) or any(key not in result for key in _RESULT_KEYS):
                keys = ", ".join(_RESULT_KEYS)
                raise BadInput(f"results[{index}] is not a bench result (it needs {keys})", file=source)
            skill_id = str(result["skill_id"])
            if skill_id in owner:
                raise BadInput(f"skill {skill_id!r} has results in two files ({owner[skill_id]} too)", file=source)
            owner[skill_id] = source
            results.append(result)
    files = tuple(source for source, _ in documents)
    return BenchResults(files=files, selected=tuple(selected), results=tuple(results))


def results_from_store(validation: ValidationResult, *, store: str | None, base: str | None) -> BenchResults:
    """The bench results recorded for this commit: the latest of each skill the change selects (every benchmarked
    skill without --base), each compared with its baseline as the bench compared it."""
    from skillci.bench.selection import Choice, select
    from skillci.bench.session import current_skills
    from skillci.checkout import default_branch, head_sha
    from skillci.store import open_store, store_url

    root = validation.root
    selection = select(
        validation.configuration(),
        current_skills(validation),
        Choice(base=base) if base else Choice(all_skills=True),
    )
    commit = head_sha(root)
    if commit is None:
        raise BadInput("--from-store needs the commit to judge: run inside a git checkout (or set GITHUB_SHA)")
    opened = open_store(store_url(store), root=root)
    try:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: nothing was recorded there to judge")
        ids = list(selection.skills)
        found = opened.commit_results(commit, ids)
        baselines = opened.bench_context(ids, branch=default_branch(root), git_sha=selection.base_commit).baseline
        location = opened.location
    finally:
        opened.close()
    rows = []
    for skill_id in ids:
        if skill_id not in found:
            continue
        row = dict(found[skill_id])
        baseline = baselines.get(skill_id)
        score, before = row.get("composite_score"), None if baseline is None else baseline.composite_score
        row["baseline_delta"] = None if score is None or before is None else round(float(score) - float(before), 2)
        rows.append(row)
    source = f"the store {location} at {commit[:12]}"
    return merge_results([(source, {"selected": ids, "results": rows})])
