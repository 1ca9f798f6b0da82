"""Gate output: every check with its number and threshold, then each skill; as text, JSON, Markdown or GitHub."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, ClassVar, TextIO

# skillci.github is imported where it is used: the CLI loads every reporter module for its --format choices.

if TYPE_CHECKING:
    from skillci.gate.decision import GateResult

#: The hidden line that marks the gate's pull-request comment, so it is edited instead of repeated.
COMMENT_MARKER = "<!-- skillci:gate -->"


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def verdict_line(gate: GateResult) -> str:
    """`skillci gate: PASS — …` / `FAIL — …`: one line naming what failed."""
    if gate.passed:
        shown = f"{gate.pass_pct:g} % of cases passed" if gate.pass_pct is not None else gate.checks[-1].measured
        return f"skillci gate: PASS — {len(gate.checks)} checks held; {shown}"
    failed = [check for check in gate.checks if not check.passed]
    reasons = "; ".join(f"{check.name}: {check.measured} (needs {check.threshold})" for check in failed)
    return f"skillci gate: FAIL — {reasons}"


def markdown_summary(gate: GateResult, *, run_url: str | None = None) -> str:
    """The gate as Markdown: the job summary and the pull-request comment."""
    from skillci import github

    icon = "✅" if gate.passed else "❌"
    lines = [f"## {icon} skillci gate: {'passed' if gate.passed else 'failed'}", ""]
    lines += ["| check | measured | threshold | result |", "|---|---|---|---|"]
    for check in gate.checks:
        result = "✅ pass" if check.passed else "❌ fail"
        lines.append(f"| {check.name} | {github.cell(check.measured)} | {github.cell(check.threshold)} | {result} |")
    if gate.skills:
        lines += ["", "| skill | tier | score | Δ baseline | cases passed | verdict |", "|---|---|---|---|---|---|"]
        for skill in gate.skills:
            verdict = {"pass": "✅ pass", "fail": "❌ fail"}.get(skill.verdict, skill.verdict)
            if skill.reasons:
                verdict += f" ({'; '.join(skill.reasons)})"
            cells = [
                f"`{skill.skill_id}`",
                skill.tier or "—",
                _number(skill.composite_score),
                _number(skill.baseline_delta, signed=True),
                f"{skill.cases_passed}/{skill.cases_total}",
                verdict,
            ]
            lines.append("| " + " | ".join(github.cell(cell) for cell in cells) + " |")
    if gate.notes:
        lines += ["", *(f"> {note}" for note in gate.notes)]
    if run_url:
        lines += ["", f"[Workflow run]({run_url})"]
    return "\n".join(lines) + "\n"


class GateReporter:
    """Formats one gate decision onto a stream."""

    name: ClassVar[str] = ""

    def __init__(self, stream: TextIO | None = None, *, verbosity: int = 0, run_url: str | None = None) -> None:
        self.stream = stream or sys.stdout
        self.verbosity = verbosity
        self.run_url = run_url

    def report(self, gate: GateResult) -> None:
        """Write the decision."""
        raise NotImplementedError


class TextGateReporter(GateReporter):
    """One line per check, one per skill, the notes, then the verdict."""

    name = "text"

    def report(self, gate: GateResult) -> None:
        out = self.stream
        for check in gate.checks:
            out.write(
                f"{'PASS' if check.passed else 'FAIL'}  {check.name}: {check.measured} (threshold: {check.threshold})\n"
            )
        if gate.skills and self.verbosity >= 0:
            width = max(len(skill.skill_id) for skill in gate.skills)
            for skill in gate.skills:
                reasons = f"  {'; '.join(skill.reasons)}" if skill.reasons else ""
                out.write(
                    f"  {skill.skill_id:<{width}}  tier {skill.tier or '—':<2}  score {_number(skill.composite_score):>5}"
                    f"  Δ {_number(skill.baseline_delta, signed=True):>6}  cases {skill.cases_passed}/{skill.cases_total}"
                    f"  {skill.verdict}{reasons}\n"
                )
        for note in gate.notes:
            out.write(f"note: {note}\n")
        out.write(verdict_line(gate) + "\n")


class JsonGateReporter(GateReporter):
    """The decision as one JSON document."""

    name = "json"

    def report(self, gate: GateResult) -> None:
        self.stream.write(json.dumps(gate.to_json(), indent=2) + "\n")


class MarkdownGateReporter(GateReporter):
    """The Markdown the job summary and the pull-request comment show."""

    name = "markdown"

    def report(self, gate: GateResult) -> None:
        self.stream.write(markdown_summary(gate, run_url=self.run_url))


class GithubGateReporter(TextGateReporter):
    """The text report, an error annotation per failed check, the job summary and the step outputs."""

    name = "github"

    def report(self, gate: GateResult) -> None:
        from skillci import github

        super().report(gate)
        for check in gate.checks:
            if not check.passed:
                text = f"{check.measured} (threshold: {check.threshold})"
                self.stream.write(github.message("error", text, title=f"gate: {check.name}") + "\n")
        github.write_step_summary(markdown_summary(gate, run_url=self.run_url))
        github.write_outputs(
            {"passed": str(gate.passed).lower(), "pass_pct": "" if gate.pass_pct is None else f"{gate.pass_pct:g}"}
        )


GATE_REPORTERS: dict[str, type[GateReporter]] = {
    reporter.name: reporter
    for reporter in (TextGateReporter, JsonGateReporter, MarkdownGateReporter, GithubGateReporter)
}
