"""One bench: the selected skills' targets, answers from the cache, the rest run in parallel, scored and recorded."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from skillci import ledger
from skillci.bench.agentenv import hide_secrets, secret_values
from skillci.bench.cache import RepositoryFiles, ResultCache, cache_key
from skillci.bench.containment import Agents
from skillci.bench.engine import BenchRun, JudgedRun, SkillResult, SkillTarget, execute, plan_jobs, score_target
from skillci.bench.progress import Progress
from skillci.bench.recording import Recorder, idempotency_key
from skillci.bench.selection import Selection
from skillci.bench.shards import matrix, shard_count, shard_skills
from skillci.config import Config
from skillci.errors import BadInput, SkillciError
from skillci.registry.findings import ValidationResult
from skillci.store.runs import run_id_for
from skillci.sync.plan import desired_state, normalize

#: Where results are cached unless --cache-dir says otherwise (relative to the root).
DEFAULT_CACHE_DIR = Path(".skillci") / "cache"


@dataclass(frozen=True)
class Settings:
    """How to run a bench: parallelism, slice, cache and recording."""

    store: str | None = None
    jobs: int = 1
    shard: tuple[int, int] | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    record: bool = True

    def memo_path(self, root: Path) -> Path | None:
        """The registry's parse memo, next to the cached results (None without the cache)."""
        return (self.cache_dir or root / DEFAULT_CACHE_DIR) / "registry.json" if self.use_cache else None


def current_skills(result: ValidationResult) -> dict[str, dict[str, Any]]:
    """The skills of a valid registry, by id, as the store keeps them."""
    skills: dict[str, dict[str, Any]] = desired_state(result.data)["skills"]
    return skills


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


def plan_matrix(
    config: Config, result: ValidationResult, selection: Selection, *, shards: int, shard_size: int
) -> dict[str, Any]:
    """A GitHub Actions matrix that spreads the selected skills' runs over at most `shards` jobs."""
    weights = _weights(build_targets(config, result, current_skills(result), selection.skills))
    return matrix(weights, shard_count(weights, max_shards=shards, shard_size=shard_size))


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
    secrets = secret_values(settings.store)
    hide_secrets()  # an agent cannot read them from /proc/<skillci>/environ either
    # A signal stops the bench anywhere in here: every agent is killed and nothing is recorded (Interrupted).
    with Agents().contained() as agents:
        recorder = None
        if settings.record:
            recorder = Recorder.open(settings.store, root=config.root, selection=selection, targets=targets)
        try:
            work = _Work(agents=agents, agent_env=config.agent_env, secrets=secrets)
            cache = ResultCache(settings.cache_dir or config.root / DEFAULT_CACHE_DIR) if settings.use_cache else None
            cached, runs, bench_id = _run_targets(
                targets, settings=settings, root=config.root, cache=cache, progress=progress, work=work
            )
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
            note_counts(bench_run)
            if recorder is None:
                return bench_run, None
            bench_run.notes.extend(recorder.notes)
            try:
                recorder.record(bench_id, bench_run)
            except SkillciError as exc:
                if agents.stopped_by is not None:
                    raise agents.interrupted() from exc
                return bench_run, exc
            return bench_run, None
        finally:
            if recorder is not None:
                recorder.close()


@dataclass(frozen=True)
class _Work:
    """How the agents run: contained, with which variables passed on purpose, which secrets redacted."""

    agents: Agents
    agent_env: tuple[str, ...]
    secrets: tuple[str, ...]


def _run_targets(
    targets: Sequence[SkillTarget],
    *,
    settings: Settings,
    root: Path,
    cache: ResultCache | None,
    progress: Progress,
    work: _Work,
) -> tuple[dict[str, SkillResult], list[JudgedRun], str]:
    """Cache hits, then the rest run: (cached results by skill, judged runs, the bench id)."""
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
        root=root,
        on_run=progress.run_done,
        run_ids=lambda job: run_id_for(idempotency_key(bench_id, job.target.skill_id, job.case_id, job.attempt)),
        agents=work.agents,
        agent_env=work.agent_env,
        secrets=work.secrets,
    )
    progress.finish()
    return cached, runs, bench_id


def write_results(path: Path, document: Mapping[str, Any]) -> None:
    """Write the results as JSON (`--out`, what the gate reads), all at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise BadInput(f"--out {path}: {exc.strerror}") from None


def _environment_failure(runs: Sequence[JudgedRun]) -> bool:
    """A run whose command could not even start says something about this machine, not the skill: not cached."""
    return any(judged.run.exit_code is None and judged.run.status == "failed" for judged in runs)


def _cache_put(cache: ResultCache, result: SkillResult, bench_run: BenchRun) -> None:
    try:
        cache.put(result.cache_key, result.skill_id, result.cache_entry())
    except OSError as exc:
        bench_run.notes.append(f"cannot write the cache ({exc.strerror}); results were not cached")


def note_counts(bench_run: BenchRun) -> None:
    """Note the bench's counts for the ledger line."""
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
