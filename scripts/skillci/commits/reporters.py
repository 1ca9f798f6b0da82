"""commitlint output: its own text layout, JSON, or GitHub annotations with a job summary."""

from __future__ import annotations

import sys
from json.encoder import encode_basestring as quote  # JSON string literal, non-ASCII kept
from typing import TYPE_CHECKING, ClassVar, TextIO

# skillci.github is imported where it is used: the CLI loads every reporter module for its --format choices.

if TYPE_CHECKING:
    from skillci.commits.lint import LintRun, Message
    from skillci.commits.rules import LintOutcome, Problem

HELP_URL = "https://github.com/conventional-changelog/commitlint/#what-is-commitlint"


def header(text: str) -> str:
    """The first line of a message."""
    return text.split("\n", 1)[0].rstrip("\r")


def _counts(errors: int, warnings: int) -> str:
    return f"found {errors} problems, {warnings} warnings"


def verdict_line(run: LintRun) -> str:
    """One closing line: how many messages, errors and warnings, and whether that fails."""
    verdict = "failed" if run.failed else "ok"
    skipped = f" ({run.skipped_authors} by ignored authors skipped)" if run.skipped_authors else ""
    count = len(run.results)
    return (
        f"skillci commitlint: {verdict} — {count} message{'s' if count != 1 else ''}{skipped}; "
        f"{run.errors} errors, {run.warnings} warnings{' (strict: warnings fail)' if run.strict else ''}"
    )


class CommitlintReporter:
    """Formats one lint run onto a stream."""

    name: ClassVar[str] = ""

    def __init__(self, stream: TextIO | None = None, *, verbosity: int = 0) -> None:
        self.stream = stream or sys.stdout
        self.verbosity = verbosity

    def report(self, run: LintRun) -> None:
        """Write the outcome."""
        raise NotImplementedError


class TextCommitlintReporter(CommitlintReporter):
    """commitlint's layout: `⧗ input:`, `✖ … [rule]`, `⚠ … [rule]`, a count line and a help link per message."""

    name = "text"

    def report(self, run: LintRun) -> None:
        for message, outcome in run.results:
            self.message(message, outcome)
        self.stream.write(verdict_line(run) + "\n")

    def message(self, message: Message, outcome: LintOutcome) -> None:
        """One message's block, as commitlint prints it (nothing for a clean message unless -v)."""
        problems = [*outcome.errors, *outcome.warnings]
        if not problems and self.verbosity <= 0:
            return
        shown = message.shown.rstrip("\n") if outcome.errors else header(message.shown)
        out = self.stream
        out.write(f"⧗   input: {shown}\n")
        for problem in outcome.errors:
            out.write(f"✖   {problem.message} [{problem.rule}]\n")
        for problem in outcome.warnings:
            out.write(f"⚠   {problem.message} [{problem.rule}]\n")
        sign = "✖" if outcome.errors else ("⚠" if outcome.warnings else "✔")
        out.write(f"\n{sign}   {_counts(len(outcome.errors), len(outcome.warnings))}\n")
        if problems:
            out.write(f"ⓘ   Get help: {HELP_URL}\n")
        out.write("\n")


class JsonCommitlintReporter(CommitlintReporter):
    """`{"results": [{"hash", "header", "valid", "errors": [rule], "warnings": [rule]}]}`."""

    name = "json"

    def report(self, run: LintRun) -> None:
        # One result per line, written by json's C string encoder: a dict and an encode() per result cost 3× more.
        lines = ",\n    ".join(
            f'{{"hash": {_json_text(message.hash)}, "header": {quote(header(message.shown))}, '
            f'"valid": {"true" if outcome.valid else "false"}, "errors": {_json_rules(outcome.errors)}, '
            f'"warnings": {_json_rules(outcome.warnings)}}}'
            for message, outcome in run.results
        )
        self.stream.write(f'{{"results": [\n    {lines}\n]}}\n' if run.results else '{"results": []}\n')


def _json_text(text: str | None) -> str:
    return "null" if text is None else quote(text)


def _json_rules(problems: tuple[Problem, ...]) -> str:
    return "[" + ", ".join([quote(problem.rule) for problem in problems]) + "]" if problems else "[]"


class GithubCommitlintReporter(TextCommitlintReporter):
    """The text layout, an annotation per problem, and a job summary table of the messages with problems."""

    name = "github"

    def report(self, run: LintRun) -> None:
        from skillci import github

        super().report(run)
        rows = []
        for message, outcome in run.results:
            where = f"{message.hash[:12]} " if message.hash else ""
            for level, problems in (("error", outcome.errors), ("warning", outcome.warnings)):
                for problem in problems:
                    title = f"commitlint [{problem.rule}]"
                    self.stream.write(
                        github.message(level, f"{where}{header(message.shown)}: {problem.message}", title=title) + "\n"
                    )
                    icon = "❌" if level == "error" else "⚠️"
                    commit = f"`{message.hash[:12]}`" if message.hash else "—"
                    rows.append(
                        f"| {icon} | {commit} | {github.cell(header(message.shown))} | `{problem.rule}` | {github.cell(problem.message)} |"
                    )
        lines = [f"## skillci commitlint: {'failed' if run.failed else 'ok'}", "", verdict_line(run), ""]
        if rows:
            lines += ["| | commit | header | rule | problem |", "|---|---|---|---|---|", *rows]
        github.write_step_summary("\n".join(lines) + "\n")
        github.write_outputs({"errors": run.errors, "warnings": run.warnings, "messages": len(run.results)})


COMMITLINT_REPORTERS: dict[str, type[CommitlintReporter]] = {
    reporter.name: reporter for reporter in (TextCommitlintReporter, JsonCommitlintReporter, GithubCommitlintReporter)
}
