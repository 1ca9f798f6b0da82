"""Reporters format one result; the github one also writes the summary and outputs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from skillci.registry.findings import Finding, Severity, Span, ValidationResult
from skillci.registry.reporters import REPORTERS


def _result(root: Path) -> ValidationResult:
    result = ValidationResult(root=root)
    result.sources["ssot/agents/skills.yaml"] = ["skills:", "  - id: a", "    allowed_tools: [gitt]"]
    result.add(
        Finding(
            "unknown-tool",
            Severity.ERROR,
            "ssot/agents/skills.yaml",
            Span(3, 21, 3, 25),
            "tool 'gitt'\nnot found",
            "add it",
        )
    )
    result.add(Finding("runbook-orphan", Severity.WARNING, "docs/x.md", Span.at(1), "orphan, 100% sure"))
    result.counts = {"skills": 1, "tools": 0, "failure_modes": 0}
    return result


def _render(name: str, result: ValidationResult, verbosity: int = 0) -> str:
    stream = io.StringIO()
    REPORTERS[name](stream, verbosity=verbosity).report(result)
    return stream.getvalue()


def test_text_quotes_the_source_line_with_a_caret(tmp_path: Path) -> None:
    out = _render("text", _result(tmp_path))
    lines = out.splitlines()
    index = lines.index("ssot/agents/skills.yaml:3:21: error[unknown-tool] tool 'gitt'")
    assert lines[index + 2] == "    3 |     allowed_tools: [gitt]"
    assert lines[index + 3] == "      |                     ^^^^"
    assert "= hint: add it" in out
    assert out.rstrip().endswith("1 errors, 1 warnings")


def test_quiet_text_hides_warnings(tmp_path: Path) -> None:
    assert "runbook-orphan" not in _render("text", _result(tmp_path), verbosity=-1)


def test_json_carries_every_field(tmp_path: Path) -> None:
    payload = json.loads(_render("json", _result(tmp_path)))
    assert payload["ok"] is False and payload["errors"] == 1 and payload["warnings"] == 1
    first = payload["findings"][1]
    assert first == {
        "code": "unknown-tool",
        "severity": "error",
        "file": "ssot/agents/skills.yaml",
        "line": 3,
        "column": 21,
        "end_line": 3,
        "end_column": 25,
        "message": "tool 'gitt'\nnot found",
        "hint": "add it",
    }


def test_sarif_is_2_1_0_with_regions(tmp_path: Path) -> None:
    sarif = json.loads(_render("sarif", _result(tmp_path)))
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {"unknown-tool", "runbook-orphan"}
    error = next(r for r in run["results"] if r["ruleId"] == "unknown-tool")
    assert error["level"] == "error"
    assert error["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 21,
        "endLine": 3,
        "endColumn": 25,
    }


def test_github_annotations_escape_and_write_summary_and_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path.parent))
    out = _render("github", _result(tmp_path))
    prefix = f"{tmp_path.name}/ssot/agents/skills.yaml"
    assert (
        f"::error file={prefix},line=3,col=21,endLine=3,endColumn=25,title=skillci unknown-tool::"
        "tool 'gitt'%0Anot found — hint: add it"
    ) in out
    assert "::warning file=" in out and "orphan, 100%25 sure" in out
    assert "| ❌ | `ssot/agents/skills.yaml` | 3 | `unknown-tool` |" in summary.read_text()
    assert outputs.read_text().splitlines() == ["errors=1", "warnings=1"]


def test_github_format_without_runner_files_still_annotates(tmp_path: Path) -> None:
    out = _render("github", _result(tmp_path))
    assert "\n::error file=ssot/agents/skills.yaml,line=3," in out
