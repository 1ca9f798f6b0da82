"""Everything GitHub Actions: workflow-command annotations, the step summary and step outputs.

The library core never imports this module; reporters and commands do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from skillci.findings import Severity, ValidationResult


def in_actions() -> bool:
    """True when running inside a GitHub Actions job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """Escape a workflow-command message so it cannot end the command or start another."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str, message: str, *, file: str, line: int, col: int, end_line: int, end_col: int, title: str
) -> str:
    """One `::error …::message` workflow command."""
    props = {
        "file": file,
        "line": str(line),
        "col": str(col),
        "endLine": str(end_line),
        "endColumn": str(end_col),
        "title": title,
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
    return f"::{level} {joined}::{escape_data(message)}"


def message(level: str, text: str, *, title: str) -> str:
    """A `::warning title=…::text` workflow command that belongs to no file."""
    return f"::{level} title={escape_property(title)}::{escape_data(text)}"


def workspace_path(root: Path, relative: str) -> str:
    """A finding's file as a path relative to GITHUB_WORKSPACE, so annotations land on the right file."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    absolute = (root / relative).resolve()
    if workspace:
        try:
            return absolute.relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return relative


def group(title: str) -> str:
    """Start a folded log group."""
    return f"::group::{escape_data(title)}"


def end_group() -> str:
    """End a folded log group."""
    return "::endgroup::"


def add_mask(value: str) -> str:
    """Tell the runner to mask a secret in every later log line."""
    return f"::add-mask::{escape_data(value)}"


def write_step_summary(markdown: str) -> bool:
    """Append Markdown to the job summary; False when not in Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return True


def write_outputs(outputs: Mapping[str, object]) -> bool:
    """Set step outputs; False when not in Actions."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return False
    lines = []
    for key, value in outputs.items():
        text = str(value)
        if "\n" in text:
            delimiter = f"skillci_{os.urandom(8).hex()}"
            lines.append(f"{key}<<{delimiter}\n{text}\n{delimiter}")
        else:
            lines.append(f"{key}={text}")
    with open(target, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return True


def cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def validation_summary(result: ValidationResult) -> str:
    """The Markdown job summary of a validation."""
    verdict = "✅ registry valid" if result.ok else "❌ registry invalid"
    counts = result.counts
    lines = [
        f"## skillci validate: {verdict}",
        "",
        f"{counts.get('skills', 0)} skills · {counts.get('tools', 0)} tools · "
        f"{counts.get('failure_modes', 0)} failure modes · {result.errors} errors · {result.warnings} warnings",
        "",
    ]
    findings = result.sorted_findings()
    if findings:
        lines += ["| | file | line | code | message |", "|---|---|---|---|---|"]
        for finding in findings[:200]:
            icon = "❌" if finding.severity is Severity.ERROR else "⚠️"
            lines.append(
                f"| {icon} | `{cell(finding.file)}` | {finding.line} | `{finding.code}` | {cell(finding.message)} |"
            )
        if len(findings) > 200:
            lines.append(f"\n…and {len(findings) - 200} more findings (see the job log).")
    return "\n".join(lines) + "\n"


def sync_summary(counts: Mapping[str, Mapping[str, int]], *, applied: bool, dry_run: bool, store: str) -> str:
    """The Markdown job summary of a sync."""
    verdict = "dry run (nothing written)" if dry_run else ("applied" if applied else "nothing to do")
    lines = [f"## skillci sync: {verdict}", "", f"Store: `{cell(store)}`", ""]
    lines += ["| | created | updated | deprecated | unchanged |", "|---|---|---|---|---|"]
    for kind, numbers in counts.items():
        cells = " | ".join(str(numbers[name]) for name in ("created", "updated", "deprecated", "unchanged"))
        lines.append(f"| {kind.replace('_', ' ')} | {cells} |")
    return "\n".join(lines) + "\n"
