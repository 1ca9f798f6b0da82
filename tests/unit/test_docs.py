"""The documentation keeps up with the code."""

from __future__ import annotations

import re

from helpers import REPO_ROOT
from skillci.registry.formula import FUNCTIONS, VARIABLES
from skillci.registry.validation import HINTS

_CODE = re.compile(
    r'"((?:yaml|file|formula|band|tier|metric|runbook|tool|duplicate|state|unknown|benchmark|cases|case|path|regex|json)-[a-z-]+)"'
)


def test_every_finding_code_is_documented() -> None:
    documented = (REPO_ROOT / "docs" / "findings.md").read_text()
    emitted: set[str] = set(HINTS)
    for module in (REPO_ROOT / "scripts" / "skillci").rglob("*.py"):
        emitted |= set(_CODE.findall(module.read_text()))
    assert len(emitted) > 30
    missing = sorted(code for code in emitted if f"`{code}`" not in documented)
    assert missing == []


def test_formula_vocabulary_is_documented() -> None:
    registry = (REPO_ROOT / "docs" / "registry.md").read_text()
    for name in [*VARIABLES, *FUNCTIONS]:
        assert f"`{name}" in registry, name


def test_readme_opens_with_the_two_setup_commands() -> None:
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block[0].startswith("pip install . && skillci run")
    assert block[1].startswith("pip install -e '.[test]' && npm ci && python -m pytest")
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and "npm ci" in ci and "python3 -m pytest" in ci


def test_changes_has_an_unreleased_section() -> None:
    assert "## Unreleased" in (REPO_ROOT / "CHANGES.md").read_text()
