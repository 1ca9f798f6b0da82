"""The store side of a bench: baselines read before the runs, runs and results recorded after them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from skillci.bench.engine import BenchRun, SkillTarget, run_report
from skillci.bench.reporters import plural
from skillci.bench.selection import Selection
from skillci.checkout import current_branch, default_branch, head_sha


def idempotency_key(bench_id: str, skill_id: str, case_id: str, attempt: int) -> str:
    """The key a bench run is recorded under, so that recording it again changes nothing."""
    return f"bench/{bench_id}/{skill_id}/{case_id}/{attempt}"


class Recorder:
    """The store a bench records into: the baselines before, the runs and results after."""

    def __init__(self, opened: Any, *, known: frozenset[str], baseline: Mapping[str, Any], root: Path) -> None:
        self.opened = opened
        self.known = known
        self.baselines = baseline
        self.notes: list[str] = []
        self.git_sha = head_sha(root)
        self.branch = current_branch(root)

    @classmethod
    def open(cls, store: str | None, *, root: Path, selection: Selection, targets: Sequence[SkillTarget]) -> Recorder:
        """Open the store (brought up to date when it is the embedded one) and read the targets' baselines."""
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
                idempotency_key=idempotency_key(
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
