"""The registry's one entry point: load_registry, and require_valid for the steps that need a valid registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.registry import copy_example, line_of, replace_in
from skillci.errors import BadInput, ExitCode
from skillci.registry.findings import Finding, Severity, Span, ValidationResult
from skillci.registry.load import load_registry


def test_a_valid_registry_comes_with_its_data_and_configuration(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    result = load_registry(root)
    assert result.ok and result.require_valid(nothing_done="nothing done") is result
    assert result.configuration().root == root
    assert {"skills", "tools", "failure_modes", "benchmark"} <= set(result.data)


def test_an_invalid_registry_is_bad_input_at_its_first_error(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "allowed_tools: [git, ", "allowed_tools: [gitt, ")
    result = load_registry(root)
    assert not result.ok
    with pytest.raises(BadInput) as raised:
        result.require_valid(nothing_done="nothing synced")
    error = raised.value
    assert error.exit_code == ExitCode.BAD_INPUT
    assert error.file == "ssot/agents/skills.yaml" and error.line == line_of(skills, "[gitt, ")
    assert "[unknown-tool]" in str(error) and "nothing synced" in str(error) and "skillci validate" in str(error)


def test_the_error_named_is_the_first_error_not_an_earlier_warning(tmp_path: Path) -> None:
    result = ValidationResult(root=tmp_path)
    result.add(Finding("runbook-orphan", Severity.WARNING, "a.md", Span.at(1), "an orphan"))
    result.add(Finding("unknown-tool", Severity.ERROR, "b.yaml", Span.at(7), "no such tool"))
    with pytest.raises(BadInput) as raised:
        result.require_valid(nothing_done="nothing done")
    assert (raised.value.file, raised.value.line) == ("b.yaml", 7) and "[unknown-tool]" in str(raised.value)


def test_a_result_built_by_hand_has_no_configuration(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        ValidationResult(root=tmp_path).configuration()
