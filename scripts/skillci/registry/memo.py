"""Registry files already known to parse cleanly and match their schema, remembered by content.

Parsing YAML with positions and checking JSON Schema is most of what an unchanged re-run of `skillci bench`
costs. A file whose exact bytes were seen before, under the same schema and the same parser, gets its parsed
data back from a JSON entry instead, without positions. Only clean files are remembered, and a finding in a
remembered file makes validation start again without the memo, so every finding is found and placed by a
real parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

from skillci import __version__
from skillci.diskcache import read_json, write_atomic
from skillci.registry import yamlpos

#: Bump when the shape of an entry changes; older entries then miss.
ENTRY_VERSION = 1


class ParseMemo:
    """The data of clean registry files, in one JSON file read once and written once per validation.

    Only the entries a validation used or added are written back, so files that left the registry, or
    changed, drop out by themselves.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._salt: bytes | None = None
        self._loaded: dict[str, Any] | None = None
        self._kept: dict[str, Any] = {}

    def key(self, schema: dict[str, Any], raw: bytes) -> str:
        """The key of a file's exact bytes under schema, this skillci, its parser and its schema checker."""
        digest = hashlib.sha256(self.salt())
        digest.update(json.dumps(schema, sort_keys=True).encode("utf-8"))
        digest.update(b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def salt(self) -> bytes:
        """What every key shares: the entry format, skillci's version and parser source, PyYAML and jsonschema."""
        if self._salt is None:
            parts = [
                str(ENTRY_VERSION),
                __version__,
                hashlib.sha256(Path(yamlpos.__file__).read_bytes()).hexdigest(),
                metadata.version("PyYAML"),
                metadata.version("jsonschema"),
            ]
            self._salt = "\0".join(parts).encode("utf-8") + b"\0"
        return self._salt

    def tree(self, key: str) -> Any | None:
        """The remembered tree for key (positions NOWHERE), or None (a missing or damaged memo is a miss)."""
        if self._loaded is None:
            document = read_json(self.path)
            entries = document.get("entries") if isinstance(document, dict) else None
            self._loaded = entries if isinstance(entries, dict) else {}
        if key not in self._loaded:
            return None
        self._kept[key] = self._loaded[key]
        return yamlpos.bare_tree(self._kept[key])

    def remember(self, key: str, tree: Any) -> None:
        """Remember a clean file's data (written by save)."""
        with contextlib.suppress(TypeError):
            self._kept[key] = yamlpos.plain_tree(tree)

    def save(self) -> None:
        """Write the entries used or added, when they differ from what was read; a memo that cannot be written
        is only a slower next run."""
        if self._kept == (self._loaded or {}):
            return
        with contextlib.suppress(OSError, ValueError):
            write_atomic(self.path, json.dumps({"entries": self._kept}, sort_keys=True))
