"""`skillci.yaml`: where the registry lives and which vocabularies it uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from skillci import CONFIG_FILE
from skillci.errors import BadInput
from skillci.registry.yamlpos import DEFAULT_MAX_BYTES, YamlError, YList, YMap, load_file, span_at

DEFAULT_PATHS = {
    "skills": "ssot/agents/skills.yaml",
    "tools": "ssot/tools/registry.yaml",
    "failure_modes": "ssot/errors/failure_modes.yaml",
    "benchmark": "ssot/agents/benchmark.yaml",
}
DEFAULT_ENUMS = {
    "executors": ("local", "subprocess", "docker", "github_actions", "codex", "claude_code"),
    "states": ("PLAN", "PATCH", "VERIFY", "PR", "MONITOR"),
    "statuses": ("active", "experimental", "deprecated"),
    "categories": ("agent", "ci", "tool", "infra", "security", "data", "network", "config"),
}
_LIMIT_KEYS = {"max_file_bytes"}


@dataclass(frozen=True)
class RegistryPaths:
    """Repository-relative paths of the four registry files."""

    skills: str
    tools: str
    failure_modes: str
    benchmark: str


@dataclass(frozen=True)
class Enums:
    """The vocabularies the registry validates against."""

    executors: tuple[str, ...]
    states: tuple[str, ...]
    statuses: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    """The effective configuration of one repository checkout."""

    root: Path
    paths: RegistryPaths = field(default_factory=lambda: RegistryPaths(**DEFAULT_PATHS))
    enums: Enums = field(default_factory=lambda: Enums(**DEFAULT_ENUMS))
    max_file_bytes: int = DEFAULT_MAX_BYTES
    source: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    #: Variables of skillci's environment passed to the agents on purpose (`bench.agent_env`).
    agent_env: tuple[str, ...] = ()

    def resolve(self, relative: str) -> Path:
        """An absolute path for a repository-relative one."""
        return self.root / relative


def _fail(source: Path, data: Any, path: tuple[str | int, ...], message: str) -> BadInput:
    span = span_at(data, path)
    return BadInput(message, file=source.name, line=span.line if span else 1)


def _safe_relative(value: str) -> bool:
    pure = PurePosixPath(value)
    control = any(ord(char) < 32 or ord(char) == 127 for char in value)
    return bool(value) and not control and not pure.is_absolute() and ".." not in pure.parts and "\\" not in value


def _string_list(source: Path, data: Any, path: tuple[str | int, ...]) -> tuple[str, ...]:
    value = data
    for part in path:
        value = value[part]
    if not isinstance(value, YList) or not value:
        raise _fail(source, data, path, f"{'.'.join(map(str, path))} must be a non-empty list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _fail(source, data, (*path, index), f"{'.'.join(map(str, path))}[{index}] must be a non-empty string")
    if len(set(value)) != len(value):
        raise _fail(source, data, path, f"{'.'.join(map(str, path))} lists a value twice")
    return tuple(value)


def _check_keys(source: Path, data: Any, path: tuple[str, ...], node: YMap, allowed: set[str]) -> None:
    for key in node:
        if key not in allowed:
            where = ".".join((*path, key))
            span = span_at(data, (*path, key), key=True)
            raise BadInput(
                f"unknown key {where!r} (expected one of: {', '.join(sorted(allowed))})",
                file=source.name,
                line=span.line if span else 1,
            )


def load_config(root: Path) -> Config:
    """Read `skillci.yaml` under root, or return the conventional defaults when there is none."""
    if not root.is_dir():
        raise BadInput(f"--root {str(root)!r} is not a directory")
    root = root.resolve()
    source = root / CONFIG_FILE
    if not source.is_file():
        return Config(root=root)
    try:
        document = load_file(source)
    except YamlError as exc:
        raise BadInput(exc.message, file=CONFIG_FILE, line=exc.span.line) from None
    if document.issues:
        issue = document.issues[0]
        raise BadInput(issue.message, file=CONFIG_FILE, line=issue.span.line)
    data = document.data
    if not isinstance(data, YMap):
        raise BadInput("skillci.yaml must be a mapping", file=CONFIG_FILE, line=1)
    known = {"paths", "enums", "limits", "commitlint", "bench"}
    _check_keys(source, data, (), data, known)
    config = Config(root=root, source=source, raw=dict(data))

    if "paths" in data:
        paths = data["paths"]
        if not isinstance(paths, YMap):
            raise _fail(source, data, ("paths",), "paths must be a mapping")
        _check_keys(source, data, ("paths",), paths, set(DEFAULT_PATHS))
        merged = dict(DEFAULT_PATHS)
        for key, value in paths.items():
            if not isinstance(value, str) or not _safe_relative(value):
                raise _fail(source, data, ("paths", key), f"paths.{key} must be a relative path inside the repository")
            merged[key] = value
        config = replace(config, paths=RegistryPaths(**merged))

    if "enums" in data:
        enums = data["enums"]
        if not isinstance(enums, YMap):
            raise _fail(source, data, ("enums",), "enums must be a mapping")
        _check_keys(source, data, ("enums",), enums, set(DEFAULT_ENUMS))
        values = dict(DEFAULT_ENUMS)
        for key in enums:
            values[key] = _string_list(source, data, ("enums", key))
        config = replace(config, enums=Enums(**values))

    if "limits" in data:
        limits = data["limits"]
        if not isinstance(limits, YMap):
            raise _fail(source, data, ("limits",), "limits must be a mapping")
        _check_keys(source, data, ("limits",), limits, _LIMIT_KEYS)
        value = limits.get("max_file_bytes", DEFAULT_MAX_BYTES)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise _fail(source, data, ("limits", "max_file_bytes"), "limits.max_file_bytes must be a positive integer")
        config = replace(config, max_file_bytes=value)
    if "bench" in data:
        config = replace(config, agent_env=_bench_agent_env(source, data))
    return config


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _bench_agent_env(source: Path, data: YMap) -> tuple[str, ...]:
    bench = data["bench"]
    if not isinstance(bench, YMap):
        raise _fail(source, data, ("bench",), "bench must be a mapping")
    _check_keys(source, data, ("bench",), bench, {"agent_env"})
    if "agent_env" not in bench:
        return ()
    names = _string_list(source, data, ("bench", "agent_env"))
    for index, name in enumerate(names):
        if not _ENV_NAME.fullmatch(name):
            raise _fail(
                source, data, ("bench", "agent_env", index), f"bench.agent_env[{index}] must be a variable name"
            )
    return names
