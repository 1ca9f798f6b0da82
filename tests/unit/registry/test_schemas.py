"""The published JSON Schemas."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import REPO_ROOT
from skillci.config import DEFAULT_ENUMS, Enums
from skillci.registry.schemas import (
    ID_PATTERN,
    SCHEMA_FILES,
    all_schemas,
    python_pattern,
    schema_validator,
    write_schemas,
)

EXAMPLES = {
    "skills": ["ssot/agents/skills.yaml"],
    "tools": ["ssot/tools/registry.yaml"],
    "failure_modes": ["ssot/errors/failure_modes.yaml"],
    "benchmark": ["ssot/agents/benchmark.yaml"],
    "cases": sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "ssot" / "benchmarks").glob("*.yaml")),
}


def test_committed_schemas_match_the_export(tmp_path: Path) -> None:
    write_schemas(tmp_path, Enums(**DEFAULT_ENUMS))
    for name in SCHEMA_FILES.values():
        committed = json.loads((REPO_ROOT / "ssot" / "schemas" / name).read_text())
        assert committed == json.loads((tmp_path / name).read_text()), f"ssot/schemas/{name} is stale: re-export it"


def test_schemas_use_the_configured_enums() -> None:
    enums = Enums(**{**DEFAULT_ENUMS, "executors": ("vercel_sandbox",)})
    skill = all_schemas(enums)["skills"]["$defs"]["item"]
    assert skill["properties"]["executor"]["enum"] == ["vercel_sandbox"]


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("check-jsonschema")
    assert executable is not None, "check-jsonschema is not installed: pip install -e '.[test]'"
    return subprocess.run([executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_exported_schemas_pass_the_metaschema(tmp_path: Path) -> None:
    written = write_schemas(tmp_path, Enums(**DEFAULT_ENUMS))
    result = _check_jsonschema("--check-metaschema", *map(str, written))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_exported_schemas_accept_the_examples(tmp_path: Path, kind: str) -> None:
    write_schemas(tmp_path, Enums(**DEFAULT_ENUMS))
    result = _check_jsonschema("--schemafile", str(tmp_path / SCHEMA_FILES[kind]), *EXAMPLES[kind])
    assert result.returncode == 0, result.stdout + result.stderr


def test_exported_schema_rejects_what_validate_rejects(tmp_path: Path) -> None:
    write_schemas(tmp_path, Enums(**DEFAULT_ENUMS))
    bad = tmp_path / "skills.yaml"
    bad.write_text("skills:\n  - id: Not_Kebab\n    name: x\n")
    result = _check_jsonschema("--schemafile", str(tmp_path / "skills.schema.json"), str(bad))
    assert result.returncode == 1


def test_examples_name_their_schema() -> None:
    for kind, files in EXAMPLES.items():
        for name in files:
            first = (REPO_ROOT / name).read_text().splitlines()[0]
            assert first == f"# yaml-language-server: $schema=../schemas/{SCHEMA_FILES[kind]}", name


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        (r"^[a-z]+$", r"^[a-z]+\Z"),
        (r"^a\$b$", r"^a\$b\Z"),
        (r"^[$]x[^\]$]$", r"^[$]x[^\]$]\Z"),
        (r"^x-", r"^x-"),
    ],
)
def test_json_schema_patterns_end_where_ecma_262_ends_them(pattern: str, python: str) -> None:
    assert python_pattern(pattern) == python


def test_a_value_ending_in_a_newline_does_not_match_an_anchored_pattern() -> None:
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "pattern": ID_PATTERN}},
        "propertyNames": {"pattern": r"^[a-z]+$"},
    }
    validator = schema_validator(schema)
    assert list(validator.iter_errors({"id": "fix-lint"})) == []
    assert [error.validator for error in validator.iter_errors({"id": "fix-lint\n"})] == ["pattern"]
    assert [error.validator for error in validator.iter_errors({"id\n": "x"})] == ["pattern"]
