"""Sync reporters: the plan as a diff (text), the counts (json), or text plus job summary and outputs (github)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

# skillci.github and skillci.sync.plan are imported where they are used: the CLI loads every reporter module
# for its --format choices.

if TYPE_CHECKING:
    from skillci.store.base import SyncOutcome
    from skillci.sync.plan import Change

_MARKS = {"create": "+", "update": "~", "deprecate": "-", "unchanged": "="}


class SyncReporter:
    """Formats one sync outcome onto a stream."""

    name: ClassVar[str] = ""

    def __init__(self, stream: TextIO | None = None, *, verbosity: int = 0, store: str = "", dry_run: bool = False):
        self.stream = stream or sys.stdout
        self.verbosity = verbosity
        self.store = store
        self.dry_run = dry_run

    def report(self, outcome: SyncOutcome) -> None:
        """Write the outcome."""
        raise NotImplementedError


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def verdict_line(outcome: SyncOutcome, *, dry_run: bool) -> str:
    """One line: what the sync did, with counts per kind."""
    parts = []
    for kind, numbers in outcome.counts().items():
        shown = ", ".join(f"{numbers[name]} {name}" for name in ("created", "updated", "deprecated", "unchanged"))
        parts.append(f"{kind.replace('_', ' ')}: {shown}")
    if dry_run:
        verdict = "dry run, nothing written"
    else:
        verdict = "applied" if outcome.applied else "nothing to do, the store matches the registry"
    return f"skillci sync: {verdict} — {'; '.join(parts)}"


class TextSyncReporter(SyncReporter):
    """The plan like a diff: + created, ~ updated (with the fields that changed), - deprecated."""

    name = "text"

    def _change(self, change: Change) -> list[str]:
        if change.action == "unchanged" and self.verbosity < 1:
            return []
        lines = [f"  {_MARKS[change.action]} {change.key}" + (" (deprecated)" if change.action == "deprecate" else "")]
        for field, (before, after) in change.diff.items():
            lines.append(f"      {field}: {_value(before)} -> {_value(after)}")
        return lines

    def report(self, outcome: SyncOutcome) -> None:
        from skillci.sync.plan import DISPLAY_ORDER

        if self.verbosity >= 0:
            for kind in DISPLAY_ORDER:
                plan = outcome.plan.entities[kind]
                lines = [line for change in plan.changes for line in self._change(change)]
                if lines:
                    self.stream.write(f"{kind.replace('_', ' ')}:\n" + "\n".join(lines) + "\n")
        self.stream.write(verdict_line(outcome, dry_run=self.dry_run) + "\n")


class JsonSyncReporter(SyncReporter):
    """{"applied": bool, "skills": {created, updated, deprecated, unchanged}, "tools": {…}, "failure_modes": {…}}."""

    name = "json"

    def report(self, outcome: SyncOutcome) -> None:
        document: dict[str, Any] = {"applied": outcome.applied, **outcome.counts()}
        self.stream.write(json.dumps(document, indent=2) + "\n")


class GithubSyncReporter(TextSyncReporter):
    """The text diff inside a log group, plus the job summary and step outputs."""

    name = "github"

    def report(self, outcome: SyncOutcome) -> None:
        from skillci import github

        self.stream.write(github.group("skillci sync plan") + "\n")
        super().report(outcome)
        self.stream.write(github.end_group() + "\n")
        counts = outcome.counts()
        github.write_step_summary(
            github.sync_summary(counts, applied=outcome.applied, dry_run=self.dry_run, store=self.store)
        )
        outputs: dict[str, object] = {"applied": str(outcome.applied).lower()}
        for kind, numbers in counts.items():
            outputs.update({f"{kind}_{name}": value for name, value in numbers.items()})
        github.write_outputs(outputs)


SYNC_REPORTERS: dict[str, type[SyncReporter]] = {
    cls.name: cls for cls in (TextSyncReporter, JsonSyncReporter, GithubSyncReporter)
}
