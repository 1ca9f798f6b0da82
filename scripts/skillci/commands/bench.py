"""`skillci bench` and `skillci bench plan`: benchmark the skills a change affects, score them, record them."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from skillci.bench.engine import default_jobs
from skillci.bench.production import score_production
from skillci.bench.progress import progress_for
from skillci.bench.reporters import BENCH_REPORTERS
from skillci.bench.selection import Choice, select
from skillci.bench.session import Settings, current_skills, note_counts, plan_matrix, run_bench, write_results
from skillci.bench.shards import parse_shard
from skillci.errors import BadInput, ExitCode
from skillci.registry.load import load_registry


def _choice(base: str | None, head: str, skills: tuple[str, ...], all_skills: bool) -> Choice:
    """The selection options as a Choice; each --skill value (or SKILLCI_BENCH_SKILLS) may hold several ids."""
    ids = tuple(part for item in skills for part in item.split())
    return Choice(base=base or None, head=head, skills=ids, all_skills=all_skills)


def bench(
    *,
    root: Path,
    base: str | None = None,
    head: str = "HEAD",
    skills: tuple[str, ...] = (),
    all_skills: bool = False,
    store: str | None = None,
    jobs: int | None = None,
    shard: str | None = None,
    cache_dir: Path | None = None,
    no_cache: bool = False,
    record: bool = True,
    out: Path | None = None,
    from_store: bool = False,
    since: str = "7d",
    output_format: str,
    verbosity: int = 0,
    stream: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Benchmark the chosen skills (or score production runs, --from-store), write --out, report; exit 0 when
    everything was scored (3: the store failed)."""
    choice = _choice(base, head, skills, all_skills)
    if from_store:
        result = load_registry(root).require_valid(nothing_done="nothing benchmarked")
        bench_run = score_production(
            root=root,
            benchmark=result.data["benchmark"],
            current=current_skills(result),
            skills=choice.skills,
            store=store,
            since=since,
            now=now,
        )
        note_counts(bench_run)
        failure = None
    else:
        settings = Settings(
            store=store,
            jobs=jobs if jobs is not None else default_jobs(),
            shard=parse_shard(shard) if shard else None,
            cache_dir=cache_dir,
            use_cache=not no_cache,
            record=record,
        )
        # Registry files unchanged since the last bench are not parsed again (they sit next to the cached results).
        result = load_registry(root, memo=settings.memo_path(root)).require_valid(nothing_done="nothing benchmarked")
        config, current = result.configuration(), current_skills(result)
        bench_run, failure = run_bench(
            config=config,
            result=result,
            current=current,
            selection=select(config, current, choice),
            settings=settings,
            progress=progress_for(output_format, verbosity),
        )
    if out is not None:
        write_results(out, bench_run.to_json())
    BENCH_REPORTERS[output_format](stream, verbosity=verbosity).report(bench_run)
    if failure is not None:
        raise failure  # the results are out; the exit code still says the store failed
    return ExitCode.OK


def bench_plan(
    *,
    root: Path,
    base: str | None = None,
    head: str = "HEAD",
    skills: tuple[str, ...] = (),
    all_skills: bool = False,
    shards: int,
    shard_size: int,
    output_format: str,
    stream: TextIO | None = None,
) -> int:
    """Print a GitHub Actions matrix that spreads the selected skills over at most `shards` jobs."""
    if shards < 1:
        raise BadInput("--shards must be at least 1")
    result = load_registry(root).require_valid(nothing_done="nothing benchmarked")
    config = result.configuration()
    selection = select(config, current_skills(result), _choice(base, head, skills, all_skills))
    document = plan_matrix(config, result, selection, shards=shards, shard_size=shard_size)
    if output_format == "github":
        from skillci import github

        github.write_outputs(
            {"matrix": json.dumps(document), "shards": len(document["include"]), "selected": " ".join(selection.skills)}
        )
    (stream or sys.stdout).write(json.dumps(document, indent=None if output_format == "github" else 2) + "\n")
    return ExitCode.OK
