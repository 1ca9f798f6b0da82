"""JSON on disk, written atomically, so parallel jobs and `actions/cache` can share it."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that a concurrent reader sees the old content or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_json(path: Path) -> Any | None:
    """The JSON in path, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class JsonStore:
    """Entries under DIR/<key[:2]>/<key>.json; each records its own key, so a foreign or torn file is a miss."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under key, or None (a missing, unreadable or foreign entry is a miss)."""
        entry = read_json(self._path(key))
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry (it gains "key") atomically."""
        write_atomic(self._path(key), json.dumps({**entry, "key": key}, sort_keys=True))  # dumps is C; dump is not
