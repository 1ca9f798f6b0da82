"""Bench output: progress while cases run, then the results as text, JSON, Markdown, or GitHub Actions output."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, TextIO

# skillci.github is imported where it is used: the CLI loads every reporter module for its --format choices.

if TYPE_CHECKING:
    from skillci.bench.engine import BenchRun, JudgedRun, SkillResult, SkillTarget


def plural(count: int, noun: str) -> str:
    """`1 skill`, `2 skills`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _verdict(bench: BenchRun) -> str:
    results = bench.results
    passed = sum(result.cases_passed for result in results)
    total = sum(result.cases_total for result in results)
    cached = sum(1 for result in results if result.cached)
    if not bench.selected:
        return "skillci bench: no skill to benchmark"
    from_cache = f" ({cached} from the cache)" if cached else ""
    return f"skillci bench: {plural(len(results), 'skill')} scored{from_cache}; {passed}/{total} cases passed"


def _weight_note(result: SkillResult) -> str:
    missing = ", ".join(result.score.missing_metrics)
    share = round(result.score.weight_missing * 100)
    return f"{result.skill_id}: no data for {missing} — {share}% of the weight left out of the composite"


def markdown_table(bench: BenchRun) -> str:
    """The results as a Markdown table (the job summary), with the failing cases and missing metrics below."""
    from skillci import github

    lines = ["## skillci bench", ""]
    if not bench.selected:
        return "\n".join([*lines, "No skill to benchmark: the change touches no benchmarked skill.", ""])
    lines += ["| skill | tier | score | Δ baseline | cases passed | cached |", "|---|---|---|---|---|---|"]
    for result in bench.results:
        cells = [
            f"`{result.skill_id}`",
            result.score.tier or "—",
            _number(result.score.composite_score),
            _number(result.baseline_delta, signed=True),
            f"{result.cases_passed}/{result.cases_total}",
            "yes" if result.cached else "no",
        ]
        lines.append("| " + " | ".join(github.cell(cell) for cell in cells) + " |")
    failing = [(result, case) for result in bench.results for case in result.cases if not case.passed]
    if failing:
        lines += ["", "**Failing cases**", ""]
        for result, case in failing:
            reason = case.failures[0] if case.failures else "did not pass"
            lines.append(f"- `{result.skill_id}/{case.case_id}` ({case.passed_runs}/{case.runs} runs): {reason}")
    notes = [_weight_note(result) for result in bench.results if result.score.missing_metrics]
    if notes or bench.notes:
        lines += ["", *(f"> {note}" for note in [*notes, *bench.notes])]
    return "\n".join(lines) + "\n"


class BenchReporter:
    """Formats one bench onto a stream."""

    name: ClassVar[str] = ""

    def __init__(self, stream: TextIO | None = None, *, verbosity: int = 0) -> None:
        self.stream = stream or sys.stdout
        self.verbosity = verbosity

    def report(self, bench: BenchRun) -> None:
        """Write the results."""
        raise NotImplementedError


class TextBenchReporter(BenchReporter):
    """A table, the failing cases, what had no data, and one verdict line."""

    name = "text"

    def report(self, bench: BenchRun) -> None:
        out = self.stream
        if bench.results and self.verbosity >= 0:
            width = max(len("skill"), *(len(result.skill_id) for result in bench.results))
            out.write(f"{'skill':<{width}}  tier  {'score':>6}  {'delta':>7}  cases\n")
            for result in bench.results:
                out.write(
                    f"{result.skill_id:<{width}}  {result.score.tier or '—':<4}  "
                    f"{_number(result.score.composite_score):>6}  {_number(result.baseline_delta, signed=True):>7}  "
                    f"{result.cases_passed}/{result.cases_total}{'  (cached)' if result.cached else ''}\n"
                )
            for result in bench.results:
                for case in result.cases:
                    if not case.passed:
                        reason = case.failures[0] if case.failures else "did not pass"
                        out.write(f"  failed {result.skill_id}/{case.case_id}: {reason}\n")
                if result.score.missing_metrics:
                    out.write(f"  note: {_weight_note(result)}\n")
        for note in bench.notes:
            out.write(f"  note: {note}\n")
        out.write(_verdict(bench) + "\n")


class JsonBenchReporter(BenchReporter):
    """{"selected": [...], "results": [{skill_id, composite_score, tier, cases_passed, cases_total, cached, …}]}."""

    name = "json"

    def report(self, bench: BenchRun) -> None:
        self.stream.write(json.dumps(bench.to_json(), indent=2) + "\n")


class MarkdownBenchReporter(BenchReporter):
    """The Markdown table the job summary shows."""

    name = "markdown"

    def report(self, bench: BenchRun) -> None:
        self.stream.write(markdown_table(bench))


class GithubBenchReporter(TextBenchReporter):
    """The text report, a warning per failing case, the job summary table and step outputs."""

    name = "github"

    def report(self, bench: BenchRun) -> None:
        from skillci import github

        super().report(bench)
        for result in bench.results:
            for case in result.cases:
                if not case.passed:
                    reason = case.failures[0] if case.failures else "did not pass"
                    title = f"bench {result.skill_id}/{case.case_id}"
                    self.stream.write(github.message("warning", reason, title=title) + "\n")
        github.write_step_summary(markdown_table(bench))
        github.write_outputs(
            {
                "selected": " ".join(bench.selected),
                "skills": len(bench.results),
                "cases_passed": sum(result.cases_passed for result in bench.results),
                "cases_total": sum(result.cases_total for result in bench.results),
            }
        )


BENCH_REPORTERS: dict[str, type[BenchReporter]] = {
    cls.name: cls for cls in (TextBenchReporter, JsonBenchReporter, MarkdownBenchReporter, GithubBenchReporter)
}


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
