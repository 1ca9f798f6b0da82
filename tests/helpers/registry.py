"""Copies of the example registry to break in a test."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import REPO_ROOT

EXAMPLE_PARTS = ("ssot", "docs/runbooks", "examples")


def copy_example(target: Path) -> Path:
    """Copy this repository's example registry (ssot/, runbooks, example agents) into target."""
    for part in EXAMPLE_PARTS:
        shutil.copytree(REPO_ROOT / part, target / part)
    return target


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a file, failing loudly when the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    """The 1-based number of the first line of path containing fragment."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fragment in text:
            return number
    raise AssertionError(f"{fragment!r} not in {path}")
