"""Registry validation, called directly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from helpers import DATA, REPO_ROOT
from helpers.registry import copy_example, replace_in
from skillci.config import load_config
from skillci.registry import regexes
from skillci.registry.findings import Severity
from skillci.registry.validation import validate_registry


def _codes(root: Path) -> list[tuple[str, str, int]]:
    result = validate_registry(load_config(root))
    return [(f.code, f.file, f.line) for f in result.sorted_findings()]


def test_the_bundled_example_is_valid() -> None:
    result = validate_registry(load_config(REPO_ROOT))
    assert result.findings == []
    assert result.counts["skills"] >= 3
    assert result.counts["failure_modes"] == 13
    assert result.counts["metrics"] == 4


def test_legacy_registry_validates_once_its_enums_are_configured(tmp_path: Path) -> None:
    legacy = DATA / "positive" / "legacy-registry"
    assert validate_registry(load_config(legacy)).findings == []

    shutil.copytree(legacy, tmp_path / "legacy")
    (tmp_path / "legacy" / "skillci.yaml").unlink()
    (tmp_path / "legacy" / "ssot").mkdir()
    for name, target in [
        ("skills.yaml", "ssot/agents/skills.yaml"),
        ("tools.yaml", "ssot/tools/registry.yaml"),
        ("failure_modes.yaml", "ssot/errors/failure_modes.yaml"),
        ("benchmark.yaml", "ssot/agents/benchmark.yaml"),
    ]:
        (tmp_path / "legacy" / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(legacy / "registry" / name, tmp_path / "legacy" / target)
    codes = {code for code, _, _ in _codes(tmp_path / "legacy")}
    assert "schema-enum" in codes  # vercel_sandbox is not a default executor


def test_errors_point_at_the_offending_node(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "  - id: triage-flaky-test", "  - id: fix-lint")
    line = skills.read_text().splitlines().index("  - id: fix-lint", 10) + 1
    assert ("duplicate-skill-id", "ssot/agents/skills.yaml", line) in _codes(root)


def test_orphan_runbook_is_a_warning_only(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "docs" / "runbooks" / "failures" / "OLD.CODE.md").write_text("# old\n")
    result = validate_registry(load_config(root))
    assert result.ok
    assert [(f.code, f.severity) for f in result.findings] == [("runbook-orphan", Severity.WARNING)]


def test_a_regex_that_repeats_a_repeat_is_a_warning_at_its_line(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    cases = root / "ssot" / "benchmarks" / "scan-secrets.yaml"
    replace_in(cases, """- regex: '"kind":"private-key"'""", """- regex: '^("kind":\\w+,?)*(x+)+$'""")
    line = next(n for n, text in enumerate(cases.read_text().splitlines(), 1) if "(x+)+" in text)
    result = validate_registry(load_config(root))
    assert result.ok
    found = [(f.code, f.severity, f.file, f.line) for f in result.findings]
    assert found == [("regex-backtracking", Severity.WARNING, "ssot/benchmarks/scan-secrets.yaml", line)]


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        (r"^(a+)+$", True),
        (r"(\w*\s?)*", True),
        (r"(a|b+)*", True),
        (r"((ab)*)+", True),
        (r"^[a-z]+$", False),
        (r"(ab)+", False),
        (r"(a{1,3})+", False),
        (r"(\w+\s)+", False),  # the space delimits each repeat
        (r"(?:x(?:y+))*z", False),
        (r"(?>a+)+", False),  # atomic: never backtracks
        (r"a++", False),
        (r"(unclosed", False),  # regex-invalid says so
    ],
)
def test_nested_quantifiers_are_told_apart_from_safe_repeats(pattern: str, risky: bool) -> None:
    assert regexes.nested_quantifier(pattern) is risky


def test_tool_restricted_to_other_skills(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace_in(
        root / "ssot" / "tools" / "registry.yaml",
        "allowed_in_skills: [fix-lint]",
        "allowed_in_skills: [bump-dependency]",
    )
    codes = [code for code, _, _ in _codes(root)]
    assert codes == ["tool-not-allowed"]


def test_cases_states_must_follow_the_skill_state_machine(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace_in(
        root / "ssot" / "benchmarks" / "fix-lint.yaml", "states: [PLAN, PATCH, VERIFY]", "states: [PLAN, MONITOR]"
    )
    assert [code for code, _, _ in _codes(root)] == ["case-state-order"]


def test_band_thresholds_must_be_ordered(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace_in(root / "ssot" / "agents" / "benchmark.yaml", "      good: 2\n", "      good: 0\n")
    assert [code for code, _, _ in _codes(root)] == ["band-order"]


def test_a_valid_registry_is_accepted_by_jsonschema_rs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick check accepts the example outright: jsonschema only explains files that do not match."""
    explained: list[object] = []
    real = Draft202012Validator.iter_errors

    def spy(self: Draft202012Validator, instance: object) -> Iterator[ValidationError]:
        if str(self.schema.get("$id", "")).startswith("https://skillci.dev/schemas/"):  # not check_schema's
            explained.append(self.schema["$id"])
        return real(self, instance)

    monkeypatch.setattr(Draft202012Validator, "iter_errors", spy)
    assert validate_registry(load_config(REPO_ROOT)).findings == []
    assert explained == []
