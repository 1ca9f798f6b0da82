"""ruff and mypy (strict) hold on every commit, not only on a developer's machine."""

from __future__ import annotations

import shutil
import subprocess
import sys

from helpers import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint_and_format() -> None:
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is not installed: pip install -e '.[test]'"
    lint = _run(ruff, "check", "scripts", "tests", "benchmarks", "examples")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    form = _run(ruff, "format", "--check", "scripts", "tests", "benchmarks", "examples")
    assert form.returncode == 0, form.stdout + form.stderr


def test_mypy_strict_on_the_package() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr
