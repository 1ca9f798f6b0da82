"""Findings: what a check reports, and the result object reporters format."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from skillci.errors import BadInput

if TYPE_CHECKING:
    from skillci.config import Config


class Span(NamedTuple):
    """A 1-based source range: where a node starts and ends (a tuple: the loader makes one per node)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def at(cls, line: int, column: int = 1) -> Span:
        """A span of one character."""
        return cls(line, column, line, column + 1)


class Severity(enum.StrEnum):
    """How bad a finding is: errors fail the check, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place in one file."""

    code: str
    severity: Severity
    file: str
    span: Span
    message: str
    hint: str = ""

    @property
    def line(self) -> int:
        """1-based line of the offending node."""
        return self.span.line

    @property
    def column(self) -> int:
        """1-based column of the offending node."""
        return self.span.column

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order findings by file, position and code."""
        return (self.file, self.span.line, self.span.column, self.code)


@dataclass
class ValidationResult:
    """Everything a validation produced: findings, counts and the source lines to quote."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: The loaded registry documents by kind (skills, tools, failure_modes, benchmark), as far as they loaded.
    data: dict[str, Any] = field(default_factory=dict)
    #: The configuration the registry was loaded with (None for a result built by hand).
    config: Config | None = None

    def add(self, finding: Finding) -> None:
        """Record one finding."""
        self.findings.append(finding)

    @property
    def errors(self) -> int:
        """Number of error findings."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        """Number of warning findings."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return self.errors == 0

    def configuration(self) -> Config:
        """The configuration the registry was loaded with (only a result built by hand has none)."""
        if self.config is None:
            raise RuntimeError("this validation result was not loaded from a configuration")
        return self.config

    def require_valid(self, *, nothing_done: str) -> ValidationResult:
        """This result when the registry is valid; else bad input (exit 2) naming its first error and what was not
        done."""
        if self.ok:
            return self
        first = next(finding for finding in self.sorted_findings() if finding.severity is Severity.ERROR)
        raise BadInput(
            f"{first.message} [{first.code}] — the registry has {self.errors} errors; {nothing_done} "
            "(run `skillci validate`)",
            file=first.file,
            line=first.line,
        )

    def sorted_findings(self) -> list[Finding]:
        """Findings in file and line order."""
        return sorted(self.findings, key=Finding.sort_key)

    def source_line(self, file: str, line: int) -> str | None:
        """The text of one source line, when the file was read."""
        lines = self.sources.get(file)
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]


def quote(value: object, limit: int = 80) -> str:
    """Quote a user-supplied value for a message: control characters escaped, length bounded."""
    text = value if isinstance(value, str) else str(value)
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)
