"""Progress while a bench runs: folded lines in GitHub Actions, a bar on a terminal, else one line per run."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from skillci.bench.reporters import plural

if TYPE_CHECKING:
    from skillci.bench.engine import JudgedRun, SkillResult, SkillTarget


def progress_for(output_format: str, verbosity: int) -> Progress:
    """Progress for a format: folded lines in Actions, a bar on a terminal, else one line per run; -q none."""
    if verbosity < 0:
        return Progress(sys.stderr)
    if output_format == "github":
        return GroupedProgress(sys.stdout)
    if sys.stderr.isatty():
        return BarProgress(sys.stderr)
    return LineProgress(sys.stderr)


def _run_line(judged: JudgedRun) -> str:
    job = judged.job
    verdict = "pass" if judged.passed else "FAIL"
    line = f"{verdict} {job.target.skill_id}/{job.case_id} run {job.attempt}/{job.target.repeat} ({judged.run.duration_s:.2f} s)"
    failure = judged.failure
    return f"{line}: {failure[0]}: {failure[1]}" if failure and not judged.passed else line


class Progress:
    """Says how the bench is getting on; the base class says nothing (-q)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self, targets: Sequence[SkillTarget], cached: Sequence[SkillResult]) -> None:
        """Before the first run: what will run, and what the cache answered."""

    def run_done(self, judged: JudgedRun) -> None:
        """After each run (called under a lock)."""

    def finish(self) -> None:
        """After the last run."""


class LineProgress(Progress):
    """One line per run as it finishes (logs that are not a terminal)."""

    def start(self, targets: Sequence[SkillTarget], cached: Sequence[SkillResult]) -> None:
        for result in cached:
            self.stream.write(f"cached {result.skill_id}: reused the result for key {result.cache_key[:12]}\n")
        runs = sum(target.runs for target in targets)
        if runs:
            self.stream.write(f"running {plural(runs, 'run')} of {plural(len(targets), 'skill')}\n")
        self.stream.flush()

    def run_done(self, judged: JudgedRun) -> None:
        self.stream.write(_run_line(judged) + "\n")
        self.stream.flush()


class GroupedProgress(LineProgress):
    """GitHub Actions logs: one line per run, folded into a `::group::` per skill when the skill is done."""

    def start(self, targets: Sequence[SkillTarget], cached: Sequence[SkillResult]) -> None:
        super().start(targets, cached)
        self.pending = {target.skill_id: target.runs for target in targets}
        self.lines: dict[str, list[str]] = {target.skill_id: [] for target in targets}

    def run_done(self, judged: JudgedRun) -> None:
        from skillci import github

        skill = judged.job.target.skill_id
        self.lines[skill].append(_run_line(judged))
        self.pending[skill] -= 1
        if self.pending[skill] == 0:
            passed = sum(1 for line in self.lines[skill] if line.startswith("pass"))
            self.stream.write(github.group(f"bench {skill}: {passed}/{len(self.lines[skill])} runs passed") + "\n")
            self.stream.write("\n".join(self.lines.pop(skill)) + "\n" + github.end_group() + "\n")
            self.stream.flush()


class BarProgress(Progress):
    """An interactive terminal: one progress bar, redrawn in place."""

    WIDTH = 30

    def start(self, targets: Sequence[SkillTarget], cached: Sequence[SkillResult]) -> None:
        self.total = sum(target.runs for target in targets)
        self.done = self.failed = 0
        if cached:
            self.stream.write(f"{plural(len(cached), 'skill')} answered from the cache\n")
        self._draw()

    def _draw(self) -> None:
        if not self.total:
            return
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} runs, {self.failed} failed")
        self.stream.flush()

    def run_done(self, judged: JudgedRun) -> None:
        self.done += 1
        self.failed += 0 if judged.passed else 1
        self._draw()

    def finish(self) -> None:
        if self.total:
            self.stream.write("\n")
            self.stream.flush()
