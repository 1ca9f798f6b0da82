"""Bench results as text, JSON, Markdown, or GitHub Actions output (progress while cases run: bench.progress)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, ClassVar, TextIO

# skillci.github is imported where it is used: the CLI loads every reporter module for its --format choices.

if TYPE_CHECKING:
    from skillci.bench.engine import BenchRun, SkillResult


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
