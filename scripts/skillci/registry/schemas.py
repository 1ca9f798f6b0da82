"""JSON Schemas (draft 2020-12) of the registry files, built from the configured enumerations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skillci.config import Enums

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://skillci.dev/schemas/v1/"
#: Lowercase ASCII letters and digits in kebab or snake case. ASCII only: look-alike letters are rejected.
ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
FAILURE_CODE_PATTERN = r"^[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+$"
TIER_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]{0,15}$"
NONE_TOOL = "__none__"
SEVERITIES = ("critical", "high", "medium", "low")
CI_BEHAVIORS = ("blocking", "non_blocking", "non_blocking_until_fixed")

SCHEMA_FILES = {
    "skills": "skills.schema.json",
    "tools": "tools.schema.json",
    "failure_modes": "failure_modes.schema.json",
    "benchmark": "benchmark.schema.json",
    "cases": "cases.schema.json",
}

_EXTENSIONS: dict[str, Any] = {"^x-": {}}


def _id(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": ID_PATTERN, "maxLength": 64, "description": description}


def _text(max_length: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def _relative_path(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": 512,
        "pattern": r"^[^/\\\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
        "description": description,
    }


def _meta() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Registry metadata.",
        "properties": {
            "schema_version": {"type": ["integer", "string"], "description": "Version of this file's format."},
            "updated_at": {"type": "string", "description": "When the file was last updated (ISO 8601)."},
        },
    }


def _document(name: str, title: str, list_key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "$id": BASE_ID + SCHEMA_FILES[name],
        "title": title,
        "type": "object",
        "required": [list_key],
        "properties": {"meta": _meta(), list_key: {"type": "array", "items": {"$ref": "#/$defs/item"}}},
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
        "$defs": {"item": item},
    }


def skills_schema(enums: Enums) -> dict[str, Any]:
    """Schema of skills.yaml."""
    skill = {
        "type": "object",
        "description": "One skill an agent can run.",
        "required": ["id", "name", "description", "executor", "max_duration_s", "owner", "status"],
        "properties": {
            "id": _id("Unique skill id (kebab or snake case, lowercase ASCII)."),
            "name": _text(200, "Human-readable name."),
            "description": _text(4000, "What the skill does."),
            "executor": {"enum": list(enums.executors), "description": "Where the skill runs."},
            "max_duration_s": {"type": "integer", "minimum": 1, "maximum": 3600, "description": "Time limit, seconds."},
            "tags": {"type": "array", "items": _text(64, "A tag."), "uniqueItems": True},
            "state_machine": {
                "type": "array",
                "minItems": 1,
                "items": {"enum": list(enums.states)},
                "description": "States the skill passes through, in the configured order.",
            },
            "owner": _text(200, "Owning team or person."),
            "status": {"enum": list(enums.statuses), "description": "Lifecycle status."},
            "allowed_tools": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": 64},
                "description": f"Tool ids from the tools registry, or [{NONE_TOOL!r}] for none.",
            },
            "security": {
                "type": "object",
                "properties": {
                    "path_traversal_guard": {"type": "boolean"},
                    "symlink_guard": {"type": "boolean"},
                    "metadata_escaping": {"type": "boolean"},
                    "max_skill_body_bytes": {"type": "integer", "minimum": 1},
                },
                "additionalProperties": False,
            },
            "benchmark": {
                "type": "object",
                "description": "How to benchmark the skill.",
                "properties": {
                    "command": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 1},
                        "description": "Command and arguments, run without a shell.",
                    },
                    "cases": _relative_path("Repository-relative path of the cases file."),
                    "paths": {
                        "type": "array",
                        "items": _relative_path("A glob of files whose change re-runs the benchmark."),
                    },
                    "repeat": {"type": "integer", "minimum": 1, "maximum": 100},
                },
                "additionalProperties": False,
            },
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
    return _document("skills", "skillci skills registry", "skills", skill)


def tools_schema() -> dict[str, Any]:
    """Schema of the tools registry."""
    tool = {
        "type": "object",
        "required": ["id", "description", "allowed_in_skills"],
        "properties": {
            "id": _id("Unique tool id."),
            "description": _text(4000, "What the tool does."),
            "allowed_in_skills": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1, "maxLength": 64},
                "description": 'Skill ids that may use the tool, or ["*"] for every skill.',
            },
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
    return _document("tools", "skillci tools registry", "tools", tool)


def failure_modes_schema(enums: Enums) -> dict[str, Any]:
    """Schema of failure_modes.yaml."""
    mode = {
        "type": "object",
        "required": ["code", "category", "severity", "description", "runbook", "retryable"],
        "properties": {
            "code": {"type": "string", "pattern": FAILURE_CODE_PATTERN, "maxLength": 128},
            "category": {"enum": list(enums.categories)},
            "severity": {"enum": list(SEVERITIES)},
            "description": _text(4000, "What went wrong."),
            "runbook": _relative_path("Repository-relative path of the runbook."),
            "http_status": {"type": ["integer", "null"], "minimum": 100, "maximum": 599},
            "retryable": {"type": "boolean"},
            "ci_behavior": {"enum": list(CI_BEHAVIORS)},
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
    return _document("failure_modes", "skillci failure modes", "failure_modes", mode)


def benchmark_schema() -> dict[str, Any]:
    """Schema of benchmark.yaml."""
    number = {"type": "number"}
    return {
        "$schema": DRAFT,
        "$id": BASE_ID + SCHEMA_FILES["benchmark"],
        "title": "skillci benchmark configuration",
        "type": "object",
        "required": ["tiers", "production_min_tier", "metrics"],
        "properties": {
            "meta": _meta(),
            "tiers": {
                "type": "object",
                "minProperties": 1,
                "description": "Tiers from best to worst, each with the composite score it needs.",
                "propertyNames": {"pattern": TIER_PATTERN},
                "additionalProperties": {
                    "type": "object",
                    "required": ["min_score"],
                    "properties": {
                        "min_score": {"type": "number", "minimum": 0, "maximum": 100},
                        "auto_promote": {"type": "boolean"},
                        "description": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "production_min_tier": {"type": "string", "description": "Lowest tier allowed in production."},
            "min_benchmark_runs": {"type": "integer", "minimum": 1},
            "metrics": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["id", "weight", "scoring"],
                    "properties": {
                        "id": _id("Unique metric id."),
                        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                        "description": {"type": "string"},
                        "scoring": {
                            "description": "Either {formula} or bands {variable, perfect, good, marginal}.",
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["formula"],
                                    "properties": {"formula": {"type": "string", "minLength": 1, "maxLength": 500}},
                                    "additionalProperties": False,
                                },
                                {
                                    "type": "object",
                                    "required": ["variable", "perfect", "good", "marginal"],
                                    "properties": {
                                        "variable": {"type": "string"},
                                        "higher_is_better": {"type": "boolean"},
                                        "perfect": number,
                                        "good": number,
                                        "marginal": number,
                                        "scores": {
                                            "type": "object",
                                            "properties": {
                                                band: {"type": "number", "minimum": 0, "maximum": 1}
                                                for band in ("perfect", "good", "marginal", "failing")
                                            },
                                            "additionalProperties": False,
                                        },
                                    },
                                    "additionalProperties": False,
                                },
                            ],
                        },
                    },
                    "additionalProperties": False,
                },
            },
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }


def cases_schema(enums: Enums) -> dict[str, Any]:
    """Schema of a benchmark cases file."""
    assertion = {
        "type": "object",
        "description": "Exactly one assertion.",
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "equals": {"description": "The result output equals this value."},
            "contains": {"type": "string", "description": "The output (as text) contains this string."},
            "regex": {"type": "string", "description": "The output (as text) matches this regular expression."},
            "json_schema": {"type": "object", "description": "The output validates against this JSON Schema."},
            "max_changed_lines": {"type": "integer", "minimum": 0},
            "states": {"type": "array", "minItems": 1, "items": {"enum": list(enums.states)}},
            "max_duration_s": {"type": "number", "exclusiveMinimum": 0},
        },
        "additionalProperties": False,
    }
    case = {
        "type": "object",
        "required": ["id", "input", "expect"],
        "properties": {
            "id": _id("Unique case id within the file."),
            "description": {"type": "string"},
            "input": {"description": "Any JSON value; sent to the skill on stdin."},
            "expect": {"type": "array", "minItems": 1, "items": assertion},
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
    schema = _document("cases", "skillci benchmark cases", "cases", case)
    schema["properties"]["cases"]["minItems"] = 1
    return schema


def all_schemas(enums: Enums) -> dict[str, dict[str, Any]]:
    """Every schema, keyed by registry file kind."""
    return {
        "skills": skills_schema(enums),
        "tools": tools_schema(),
        "failure_modes": failure_modes_schema(enums),
        "benchmark": benchmark_schema(),
        "cases": cases_schema(enums),
    }


def write_schemas(directory: Path, enums: Enums) -> list[Path]:
    """Write every schema as `<kind>.schema.json` into directory; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, schema in all_schemas(enums).items():
        target = directory / SCHEMA_FILES[kind]
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(schema, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written


def python_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern as a Python one: `$` outside a character class becomes `\\Z`.

    In ECMA-262, `$` matches only at the end of the text; in Python it also matches before a final newline, so
    `^[a-z]+$` would accept "fix-lint\\n" and let look-alike ids through.
    """
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


def schema_validator(schema: dict[str, Any]) -> Any:
    """A draft 2020-12 validator of schema whose `pattern` and `patternProperties` match as JSON Schema says
    (ECMA-262 `$`), not as Python's `re` would."""
    import re

    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator: Any, expected: str, instance: Any, schema: dict[str, Any]) -> Any:
        if validator.is_type(instance, "string") and not re.search(python_pattern(expected), instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    def pattern_properties(validator: Any, properties: dict[str, Any], instance: Any, schema: dict[str, Any]) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for expected, subschema in properties.items():
            for key, value in instance.items():
                if re.search(python_pattern(expected), key):
                    yield from validator.descend(value, subschema, path=key, schema_path=expected)

    keywords = {"pattern": pattern, "patternProperties": pattern_properties}
    strict = validators.extend(Draft202012Validator, keywords)  # type: ignore[no-untyped-call]
    return strict(schema)
