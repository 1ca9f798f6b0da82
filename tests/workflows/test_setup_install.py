"""actions/setup/install.py: the source fingerprint that decides whether pip runs again."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from helpers import REPO_ROOT
from helpers.act import PreparedPython
from skillci import __version__

INSTALL = REPO_ROOT / "actions" / "setup" / "install.py"


@pytest.fixture(scope="module")
def install() -> ModuleType:
    spec = importlib.util.spec_from_file_location("setup_install", INSTALL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "source"
    shutil.copytree(
        REPO_ROOT / "scripts" / "skillci", root / "scripts" / "skillci", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_fingerprint_is_stable_and_ignores_byte_code(install: ModuleType, source: Path) -> None:
    before = install.source_fingerprint(source)
    cache = source / "scripts" / "skillci" / "__pycache__"
    cache.mkdir()
    (cache / "cli.cpython-311.pyc").write_bytes(b"\0compiled")
    assert install.source_fingerprint(source) == before


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        lambda root: append(root / "scripts" / "skillci" / "cli.py", "# edited\n"),
        lambda root: (root / "scripts" / "skillci" / "store" / "migrations" / "99_new.sql").write_text("select 1;\n"),
        lambda root: (root / "scripts" / "skillci" / "errors.py").rename(root / "scripts" / "skillci" / "errs.py"),
        lambda root: append(root / "pyproject.toml", "\n"),
    ],
    ids=["edited module", "new data file", "renamed module", "edited pyproject"],
)
def test_any_change_to_the_package_changes_the_fingerprint(install: ModuleType, source: Path, change: object) -> None:
    before = install.source_fingerprint(source)
    change(source)  # type: ignore[operator]
    assert install.source_fingerprint(source) != before


def test_nothing_is_installed_in_a_new_environment(tmp_path: Path) -> None:
    """skillci seen through system site-packages does not count as installed in the environment."""
    environment = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(environment)], check=True
    )
    probe = f"import runpy; m = runpy.run_path({str(INSTALL)!r}); print(m['installed_here']())"
    found = subprocess.run([environment / "bin" / "python", "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "None"


def test_it_installs_into_a_new_environment_then_leaves_the_same_source_alone(
    prepared_python: PreparedPython, tmp_path: Path
) -> None:
    """The path every job on a GitHub-hosted runner takes: the act tests' shared environment was built this way."""
    environment, source = prepared_python.environment, prepared_python.source
    assert prepared_python.install_log.startswith(f"skillci {__version__} installed from {source} (")
    python = str(environment / "bin" / "python")
    found = subprocess.run([python, "-c", "import skillci; print(skillci.__file__)"], capture_output=True, text=True)
    assert Path(found.stdout.strip()).is_relative_to(environment)
    version = subprocess.run([environment / "bin" / "skillci", "--version"], capture_output=True, text=True)
    assert version.stdout.split() == ["skillci", __version__]
    assert (environment / "skillci-source.sha256").is_file()

    outputs = tmp_path / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(outputs)}
    again = subprocess.run([python, str(INSTALL), str(source)], capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"skillci {__version__} is already installed from this source (")
    assert "pip not run" in again.stdout
    assert outputs.read_text(encoding="utf-8") == f"version={__version__}\n"


def test_it_wants_exactly_one_source_directory() -> None:
    result = subprocess.run([sys.executable, str(INSTALL)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "usage: install.py SOURCE_DIR"
