"""The bench cache: a skill's result keyed by a hash of everything that can change it.

The key covers the skillci version, the skill's normalised spec (its command, repeat, states, budget),
its cases, benchmark.yaml, skillci.yaml, the files its command names inside the repository, and every
file matching its `benchmark.paths` globs. Entries are JSON files, written atomically, so the directory
can be saved and restored by `actions/cache` and shared by parallel jobs.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from skillci import __version__
from skillci.bench.selection import matches
from skillci.diskcache import JsonStore

#: Bump when the shape of a cache entry changes; older entries then miss.
ENTRY_VERSION = 1
#: Directories never hashed when the checkout is not a git repository.
_SKIPPED_DIRS = {".git", ".skillci", "node_modules", "__pycache__", ".venv", ".tox", ".mypy_cache", ".ruff_cache"}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: Any) -> str:
    """sha256 of a value's canonical JSON: layout, comments and key order do not count."""
    return _digest(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


@dataclass
class RepositoryFiles:
    """The files of a checkout (git's view when it is a repository: tracked and untracked, not ignored)."""

    root: Path
    _hashes: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _inside: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def resolved_root(self) -> Path:
        """The root with symlinks resolved."""
        return self.root.resolve()

    @cached_property
    def paths(self) -> list[str]:
        """Every file as a repository-relative POSIX path, sorted."""
        listed = subprocess.run(
            ["git", "-C", str(self.root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
        if listed.returncode == 0:
            names = {name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name}
            return sorted(name for name in names if (self.root / name).is_file())
        found: list[str] = []
        for directory, subdirs, files in os.walk(self.root):
            subdirs[:] = [name for name in subdirs if name not in _SKIPPED_DIRS]
            base = Path(directory).relative_to(self.root)
            found.extend((base / name).as_posix() for name in files)
        return sorted(found)

    def file_hash(self, relative: str) -> str:
        """sha256 of one file's bytes, streamed; each file is read once, and never outside the checkout.

        A symlink whose target leaves the repository counts by where it points ("outside: PATH"), never by
        what it holds; anything that is not a regular file once resolved (a FIFO, a device) by its kind;
        a file that cannot be read is "missing".
        """
        if relative not in self._hashes:
            self._hashes[relative] = self._hash_inside(self.root / relative)
        return self._hashes[relative]

    def _hash_inside(self, path: Path) -> str:
        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(self.resolved_root):
                return f"outside: {resolved}"
            if not stat.S_ISREG(resolved.stat().st_mode):
                return "not a regular file"
            with open(resolved, "rb") as handle:
                return hashlib.file_digest(handle, "sha256").hexdigest()
        except (OSError, RuntimeError):  # unreadable, vanished, or a loop of symlinks
            return "missing"

    def matching(self, globs: Iterable[str]) -> list[str]:
        """The files matching any of the globs."""
        patterns = list(globs)
        if not patterns:
            return []
        return [path for path in self.paths if any(matches(glob, path) for glob in patterns)]

    def inside(self, argument: str) -> str | None:
        """The repository-relative path a command argument names, when it is a file inside the checkout."""
        if argument not in self._inside:
            self._inside[argument] = self._find_inside(argument)
        return self._inside[argument]

    def _find_inside(self, argument: str) -> str | None:
        if not argument or argument.startswith("-"):
            return None
        try:
            path = (self.root / argument).resolve()
            relative = path.relative_to(self.resolved_root)
        except (ValueError, OSError):
            return None
        return relative.as_posix() if path.is_file() else None


def cache_key(
    *,
    files: RepositoryFiles,
    spec: Mapping[str, Any],
    cases: Any,
    benchmark: Any,
    config: Mapping[str, Any],
) -> str:
    """The key of a skill's result: a hash over the skillci version, spec, cases, scoring and the files it uses."""
    bench = spec.get("benchmark") or {}
    command: Sequence[str] = [arg for arg in bench.get("command") or [] if isinstance(arg, str)]
    globs = [glob for glob in bench.get("paths") or [] if isinstance(glob, str)]
    used = sorted({*filter(None, (files.inside(arg) for arg in command)), *files.matching(globs)})
    parts = {
        "entry": ENTRY_VERSION,
        "skillci": __version__,
        "spec": canonical_hash(spec),
        "cases": canonical_hash(cases),
        "benchmark": canonical_hash(benchmark),
        "config": canonical_hash(config),
        "files": {path: files.file_hash(path) for path in used},
    }
    return canonical_hash(parts)


class ResultCache:
    """Results on disk under DIR/bench/<key[:2]>/<key>.json."""

    def __init__(self, directory: Path) -> None:
        self.store = JsonStore(directory / "bench")

    def get(self, key: str, skill_id: str) -> dict[str, Any] | None:
        """The cached result for key, or None (a missing, unreadable or foreign entry is a miss)."""
        entry = self.store.get(key)
        if entry is None or entry.get("skill_id") != skill_id:
            return None
        result = entry.get("result")
        return result if isinstance(result, dict) else None

    def put(self, key: str, skill_id: str, result: Mapping[str, Any]) -> None:
        """Store a result atomically (a concurrent reader sees the old entry or the new one, never half)."""
        self.store.put(key, {"skill_id": skill_id, "result": dict(result)})
