"""`skillci bench` and `skillci bench plan`: benchmark the skills a change affects, score them, record them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from skillci import ledger
from skillci.bench.cache import RepositoryFiles, ResultCache, cache_key
from skillci.bench.engine import (
    BenchRun,
    JudgedRun,
    SkillResult,
    SkillTarget,
    execute,
    plan_jobs,
    run_report,
    score_stats,
    score_target,
)
from skillci.bench.reporters import BENCH_REPORTERS, BarProgress, GroupedProgress, LineProgress, Progress, plural
from skillci.bench.selection import Selection, select_all, select_changed, select_named
from skillci.bench.shards import matrix, shard_count, shard_skills
from skillci.checkout import comparison_base, current_branch, default_branch, head_sha
from skillci.commands.validate import valid_registry
from skillci.config import Config, load_config
from skillci.errors import BadInput, ExitCode, SkillciError
from skillci.registry.findings import ValidationResult
from skillci.store.runs import run_id_for
from skillci.sync.plan import desired_state, normalize

#: Where results are cached unless --cache-dir says otherwise (relative to the root).
DEFAULT_CACHE_DIR = Path(".skillci") / "cache"
_SINCE = re.compile(r"\A([1-9][0-9]*)([hdw])\Z")


@dataclass(frozen=True)
class Choice:
    """What to benchmark: changed skills between base and head, named skills, or all of them."""

    base: str | None = None
    head: str = "HEAD"
    skills: tuple[str, ...] = ()
    all_skills: bool = False


def _registry(root: Path, memo: Path | None = None) -> tuple[Config, ValidationResult, dict[str, dict[str, Any]]]:
    result = valid_registry(root=root, nothing_done="nothing benchmarked", memo=memo)
    return load_config(root), result, desired_state(result.data)["skills"]


def select(config: Config, current: Mapping[str, Mapping[str, Any]], choice: Choice) -> Selection:
    """The skills the choice names; --skill and --all override --base/--head."""
    if choice.skills:
        return select_named(current, choice.skills)
    if choice.all_skills:
        return select_all(current)
    if choice.base:
        return select_changed(config, base=choice.base, head=choice.head, current=current)
    raise BadInput("say what to benchmark: --base REF (the skills a change affects), --skill ID or --all")


def build_targets(
    config: Config, result: ValidationResult, current: Mapping[str, Mapping[str, Any]], skill_ids: Sequence[str]
) -> list[SkillTarget]:
    """What running each selected skill takes, with its cache key."""
    files = RepositoryFiles(config.root)
    documents = result.data.get("cases") or {}
    benchmark = normalize(result.data.get("benchmark"))
    settings = normalize(config.raw)
    targets = []
    for skill_id in skill_ids:
        spec = current[skill_id]
        bench = spec["benchmark"]
        cases = normalize((documents.get(bench.get("cases")) or {}).get("cases") or [])
        key = cache_key(files=files, spec=spec, cases=cases, benchmark=benchmark, config=settings)
        targets.append(
            SkillTarget(
                skill_id=skill_id,
                command=tuple(bench.get("command") or ()),
                cases=tuple(cases),
                states=tuple(spec.get("state_machine") or config.enums.states),
                max_duration_s=int(spec["max_duration_s"]),
                repeat=int(bench.get("repeat") or 1),
                cache_key=key,
            )
        )
    return targets


def _weights(targets: Sequence[SkillTarget]) -> dict[str, int]:
    return {target.skill_id: max(1, target.runs) for target in targets}


def bench_plan(
    *, root: Path, choice: Choice, shards: int, shard_size: int, output_format: str, stream: TextIO | None = None
) -> int:
    """Print a GitHub Actions matrix that spreads the selected skills over at most `shards` jobs."""
    if shards < 1:
        raise BadInput("--shards must be at least 1")
    config, result, current = _registry(root)
    selection = select(config, current, choice)
    weights = _weights(build_targets(config, result, current, selection.skills))
    document = matrix(weights, shard_count(weights, max_shards=shards, shard_size=shard_size))
    out = stream or sys.stdout
    if output_format == "github":
        from skillci import github

        github.write_outputs(
            {"matrix": json.dumps(document), "shards": len(document["include"]), "selected": " ".join(weights)}
        )
    out.write(json.dumps(document, indent=None if output_format == "github" else 2) + "\n")
    return ExitCode.OK


def parse_since(text: str, *, now: datetime) -> datetime:
    """`7d`, `12h`, `2w`, or an ISO 8601 date or date-time (UTC unless it says otherwise)."""
    found = _SINCE.match(text.strip())
    if found:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[found.group(2)]
        return now - timedelta(**{unit: int(found.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--since {text!r}: expected a window such as 7d, 12h or 2w, or an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def progress_for(output_format: str, verbosity: int) -> Progress:
    """Progress for a format: folded lines in Actions, a bar on a terminal, else one line per run; -q none."""
    if verbosity < 0:
        return Progress(sys.stderr)
    if output_format == "github":
        return GroupedProgress(sys.stdout)
    if sys.stderr.isatty():
        return BarProgress(sys.stderr)
    return LineProgress(sys.stderr)


def _write_out(path: Path, document: Mapping[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise BadInput(f"--out {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class Settings:
    """How to run a bench: parallelism, slice, cache and recording."""

    store: str | None = None
    jobs: int = 1
    shard: tuple[int, int] | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    record: bool = True


def run_bench(
    *,
    config: Config,
    result: ValidationResult,
    current: Mapping[str, Mapping[str, Any]],
    selection: Selection,
    settings: Settings,
    progress: Progress,
) -> tuple[BenchRun, SkillciError | None]:
    """Run a selection: cache hits reused, the rest run in parallel; scored, then recorded.

    Returns the bench and the store's failure when recording failed (the results stand; the caller reports them).
    """
    if settings.jobs < 1:
        raise BadInput("--jobs must be at least 1")
    targets = build_targets(config, result, current, selection.skills)
    if settings.shard is not None:
        mine = set(shard_skills(_weights(targets), settings.shard)) if targets else set()
        targets = [target for target in targets if target.skill_id in mine]
    benchmark = normalize(result.data["benchmark"])
    bench_run = BenchRun(selected=[target.skill_id for target in targets])
    recorder = None
    if settings.record:
        recorder = _Recorder.open(settings.store, root=config.root, selection=selection, targets=targets)
    try:
        cache = ResultCache(settings.cache_dir or config.root / DEFAULT_CACHE_DIR) if settings.use_cache else None
        cached: dict[str, SkillResult] = {}
        for target in targets:
            entry = cache.get(target.cache_key, target.skill_id) if cache else None
            if entry is not None:
                with contextlib.suppress(KeyError, TypeError, ValueError):  # another shape: a miss
                    cached[target.skill_id] = SkillResult.from_cache(target, entry)
        to_run = [target for target in targets if target.skill_id not in cached]
        progress.start(to_run, list(cached.values()))
        bench_id = str(uuid.uuid4())
        runs = execute(
            plan_jobs(to_run),
            workers=settings.jobs,
            root=config.root,
            on_run=progress.run_done,
            run_ids=lambda job: run_id_for(_idempotency_key(bench_id, job.target.skill_id, job.case_id, job.attempt)),
        )
        progress.finish()
        by_skill: dict[str, list[JudgedRun]] = {}
        for judged in runs:
            by_skill.setdefault(judged.job.target.skill_id, []).append(judged)
        for target in targets:
            found = cached.get(target.skill_id)
            if found is None:
                found = score_target(target, by_skill.get(target.skill_id, []), benchmark)
                if cache is not None and not _environment_failure(by_skill.get(target.skill_id, [])):
                    _cache_put(cache, found, bench_run)
            baseline = recorder.baseline(target.skill_id) if recorder else None
            reasons = tuple(selection.reasons.get(target.skill_id, ()))
            bench_run.results.append(replace(found, baseline_score=baseline, reasons=reasons))
        bench_run.runs = runs
        _note_counts(bench_run)
        if recorder is None:
            return bench_run, None
        bench_run.notes.extend(recorder.notes)
        try:
            recorder.record(bench_id, bench_run)
        except SkillciError as exc:
            return bench_run, exc
        return bench_run, None
    finally:
        if recorder is not None:
            recorder.close()


def bench(
    *,
    root: Path,
    choice: Choice,
    settings: Settings,
    out: Path | None = None,
    output_format: str,
    verbosity: int = 0,
    stream: TextIO | None = None,
) -> int:
    """Benchmark the chosen skills, write --out, report; exit 0 when everything was scored (3: store failed)."""
    # Registry files unchanged since the last bench are not parsed again (they sit next to the cached results).
    memo = (settings.cache_dir or root / DEFAULT_CACHE_DIR) / "registry.json" if settings.use_cache else None
    config, result, current = _registry(root, memo)
    selection = select(config, current, choice)
    progress = progress_for(output_format, verbosity)
    bench_run, failure = run_bench(
        config=config, result=result, current=current, selection=selection, settings=settings, progress=progress
    )
    if out is not None:
        _write_out(out, bench_run.to_json())
    BENCH_REPORTERS[output_format](stream, verbosity=verbosity).report(bench_run)
    if failure is not None:
        raise failure  # the results are out; the exit code still says the store failed
    return ExitCode.OK


def changed_or_all(root: Path) -> Choice:
    """`skillci run`'s choice: the skills changed against the default branch; all when there is nothing to compare."""
    base = comparison_base(root)
    return Choice(base=base) if base else Choice(all_skills=True)


def _idempotency_key(bench_id: str, skill_id: str, case_id: str, attempt: int) -> str:
    return f"bench/{bench_id}/{skill_id}/{case_id}/{attempt}"


def _environment_failure(runs: Sequence[JudgedRun]) -> bool:
    """A run whose command could not even start says something about this machine, not the skill: not cached."""
    return any(judged.run.exit_code is None and judged.run.status == "failed" for judged in runs)


def _cache_put(cache: ResultCache, result: SkillResult, bench_run: BenchRun) -> None:
    try:
        cache.put(result.cache_key, result.skill_id, result.cache_entry())
    except OSError as exc:
        bench_run.notes.append(f"cannot write the cache ({exc.strerror}); results were not cached")


def _note_counts(bench_run: BenchRun) -> None:
    results = bench_run.results
    ledger.note_counts(
        {
            "skills": len(results),
            "cached": sum(1 for result in results if result.cached),
            "runs": len(bench_run.runs),
            "cases_passed": sum(result.cases_passed for result in results),
            "cases_total": sum(result.cases_total for result in results),
        }
    )


class _Recorder:
    """The store side of a bench: baselines before, runs and results after."""

    def __init__(self, opened: Any, *, known: frozenset[str], baseline: Mapping[str, Any], root: Path) -> None:
        self.opened = opened
        self.known = known
        self.baselines = baseline
        self.notes: list[str] = []
        self.git_sha = head_sha(root)
        self.branch = current_branch(root)

    @classmethod
    def open(cls, store: str | None, *, root: Path, selection: Selection, targets: Sequence[SkillTarget]) -> _Recorder:
        from skillci.store import recording_store

        opened = recording_store(store, root=root)
        try:
            ids = [target.skill_id for target in targets]
            context = opened.bench_context(ids, branch=default_branch(root), git_sha=selection.base_commit)
        except BaseException:
            opened.close()
            raise
        recorder = cls(opened, known=context.known, baseline=context.baseline, root=root)
        unknown = [skill_id for skill_id in ids if skill_id not in context.known]
        if unknown:
            recorder.notes.append(
                f"{plural(len(unknown), 'skill')} not in the store {opened.location} yet ({', '.join(unknown[:5])}"
                f"{', …' if len(unknown) > 5 else ''}): their runs and results were not recorded (`skillci sync` "
                "adds them)"
            )
        return recorder

    def baseline(self, skill_id: str) -> float | None:
        """The composite score the skill's result is compared with, when there is one."""
        found = self.baselines.get(skill_id)
        return None if found is None or found.composite_score is None else float(found.composite_score)

    def record(self, bench_id: str, bench_run: BenchRun) -> None:
        """Record the runs and results of the skills the store knows, in one transaction."""
        reports = [
            run_report(
                judged,
                idempotency_key=_idempotency_key(
                    bench_id, judged.job.target.skill_id, judged.job.case_id, judged.job.attempt
                ),
                git_sha=self.git_sha,
                branch=self.branch,
            )
            for judged in bench_run.runs
            if judged.job.target.skill_id in self.known
        ]
        results = [
            {
                "skill_id": result.skill_id,
                "bench_id": bench_id,
                "cache_key": result.cache_key,
                "composite_score": result.score.composite_score,
                "tier": result.score.tier,
                "cases_passed": result.cases_passed,
                "cases_total": result.cases_total,
                "metrics": dict(result.score.metrics),
                "missing_metrics": list(result.score.missing_metrics),
                "git_sha": self.git_sha,
                "branch": self.branch,
            }
            for result in bench_run.results
            if result.skill_id in self.known
        ]
        if reports or results:
            self.opened.record_bench(reports, results)

    def close(self) -> None:
        """Release the store."""
        self.opened.close()


def bench_from_store(
    *,
    root: Path,
    choice: Choice,
    store: str | None,
    since: str,
    out: Path | None = None,
    output_format: str,
    verbosity: int = 0,
    stream: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Score the production runs agents recorded since a moment, with benchmark.yaml's scorer.

    Each run counts as one case; the delta compares with the window of the same length just before.
    """
    _, result, current = _registry(root)
    if choice.skills:
        for name in choice.skills:
            if name not in current:
                raise BadInput(f"--skill {name!r}: no such skill in the registry")
        ids = list(dict.fromkeys(choice.skills))
    else:
        ids = list(current)
    moment = now or datetime.now(UTC)
    start = parse_since(since, now=moment)
    if start >= moment:
        raise BadInput(f"--since {since!r} is not in the past")
    benchmark = normalize(result.data["benchmark"])
    from skillci.store import opened_store

    with opened_store(store, root=root) as opened:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: run `skillci db migrate` first")
        stats = opened.run_stats(ids, since=start, until=None, source="production")
        before = opened.run_stats(ids, since=start - (moment - start), until=start, source="production")
    bench_run = BenchRun(selected=ids)
    for skill_id in ids:
        budget = int(current[skill_id]["max_duration_s"])
        score, passed, total = score_stats(stats.get(skill_id), benchmark=benchmark, max_duration_s=budget)
        earlier = score_stats(before.get(skill_id), benchmark=benchmark, max_duration_s=budget)[0]
        bench_run.results.append(
            SkillResult(
                skill_id, score, (), cache_key="", baseline_score=earlier.composite_score, run_counts=(passed, total)
            )
        )
    quiet = [skill_id for skill_id in ids if skill_id not in stats]
    if quiet:
        bench_run.notes.append(f"no finished production runs since {start.isoformat()} for: {', '.join(quiet)}")
    if out is not None:
        _write_out(out, bench_run.to_json())
    _note_counts(bench_run)
    BENCH_REPORTERS[output_format](stream, verbosity=verbosity).report(bench_run)
    return ExitCode.OK
