"""Reporters turn a ValidationResult into text, JSON, SARIF or GitHub workflow commands."""

from __future__ import annotations

import json
import sys
from typing import Any, ClassVar, TextIO

# skillci.github is imported where it is used: the CLI loads every reporter module for its --format choices.
from skillci import __version__
from skillci.registry.findings import Finding, Severity, ValidationResult

DOCS_URL = "https://github.com/skillci/skillci/blob/main/docs/findings.md"


class Reporter:
    """Formats one validation result onto a stream."""

    name: ClassVar[str] = ""

    def __init__(self, stream: TextIO | None = None, *, verbosity: int = 0, color: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.verbosity = verbosity
        self.color = color

    def report(self, result: ValidationResult) -> None:
        """Write the result."""
        raise NotImplementedError

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")


class TextReporter(Reporter):
    """Compiler-style findings with the offending source line and a caret."""

    name = "text"

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def _finding(self, result: ValidationResult, finding: Finding) -> None:
        level = self._paint("error", "1;31") if finding.severity is Severity.ERROR else self._paint("warning", "1;33")
        self._write(f"{finding.file}:{finding.line}:{finding.column}: {level}[{finding.code}] {finding.message}")
        source = result.source_line(finding.file, finding.line)
        if source is not None:
            source = source.replace("\t", " ")
            span = finding.span
            width = span.end_column - span.column if span.end_line == span.line else len(source) - span.column + 1
            gutter = f"{finding.line:>5} | "
            self._write(f"{gutter}{source}")
            self._write(
                " " * (len(gutter) - 2) + "| " + " " * (finding.column - 1) + self._paint("^" * max(1, width), "1;32")
            )
        if finding.hint:
            self._write(f"      = hint: {finding.hint}")

    def report(self, result: ValidationResult) -> None:
        for finding in result.sorted_findings():
            if self.verbosity < 0 and finding.severity is Severity.WARNING:
                continue
            self._finding(result, finding)
        self._write(verdict_line(result))


class JsonReporter(Reporter):
    """Machine-readable findings."""

    name = "json"

    def report(self, result: ValidationResult) -> None:
        payload = {
            "ok": result.ok,
            "errors": result.errors,
            "warnings": result.warnings,
            "counts": result.counts,
            "files": result.files,
            "findings": [
                {
                    "code": f.code,
                    "severity": f.severity.value,
                    "file": f.file,
                    "line": f.line,
                    "column": f.column,
                    "end_line": f.span.end_line,
                    "end_column": f.span.end_column,
                    "message": f.message,
                    "hint": f.hint,
                }
                for f in result.sorted_findings()
            ],
        }
        self._write(json.dumps(payload, indent=2, ensure_ascii=False))


class SarifReporter(Reporter):
    """SARIF 2.1.0 for code-scanning uploads."""

    name = "sarif"

    def report(self, result: ValidationResult) -> None:
        findings = result.sorted_findings()
        rules: dict[str, dict[str, Any]] = {}
        for f in findings:
            rules.setdefault(
                f.code,
                {
                    "id": f.code,
                    "shortDescription": {"text": f.code.replace("-", " ")},
                    "helpUri": f"{DOCS_URL}#{f.code}",
                    **({"help": {"text": f.hint}} if f.hint else {}),
                },
            )
        sarif = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "skillci",
                            "version": __version__,
                            "informationUri": "https://github.com/skillci/skillci",
                            "rules": list(rules.values()),
                        }
                    },
                    "results": [
                        {
                            "ruleId": f.code,
                            "level": "error" if f.severity is Severity.ERROR else "warning",
                            "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
                            "locations": [
                                {
                                    "physicalLocation": {
                                        "artifactLocation": {"uri": f.file},
                                        "region": {
                                            "startLine": f.span.line,
                                            "startColumn": f.span.column,
                                            "endLine": f.span.end_line,
                                            "endColumn": f.span.end_column,
                                        },
                                    }
                                }
                            ],
                        }
                        for f in findings
                    ],
                }
            ],
        }
        self._write(json.dumps(sarif, indent=2, ensure_ascii=False))


class GithubReporter(Reporter):
    """Workflow-command annotations, plus the step summary and outputs when the runner provides them."""

    name = "github"

    def report(self, result: ValidationResult) -> None:
        from skillci import github

        for f in result.sorted_findings():
            message = f.message + (f" — hint: {f.hint}" if f.hint else "")
            self._write(
                github.annotation(
                    "error" if f.severity is Severity.ERROR else "warning",
                    message,
                    file=github.workspace_path(result.root, f.file),
                    line=f.span.line,
                    col=f.span.column,
                    end_line=f.span.end_line,
                    end_col=f.span.end_column,
                    title=f"skillci {f.code}",
                )
            )
        self._write(verdict_line(result))
        github.write_step_summary(github.validation_summary(result))
        github.write_outputs({"errors": result.errors, "warnings": result.warnings})


def verdict_line(result: ValidationResult) -> str:
    """The one-line verdict closing every human-readable validation report."""
    counts = result.counts
    verdict = "ok" if result.ok else "failed"
    return (
        f"skillci validate: {verdict} — {counts.get('skills', 0)} skills, {counts.get('tools', 0)} tools, "
        f"{counts.get('failure_modes', 0)} failure modes; {result.errors} errors, {result.warnings} warnings"
    )


REPORTERS: dict[str, type[Reporter]] = {
    cls.name: cls for cls in (TextReporter, JsonReporter, SarifReporter, GithubReporter)
}
