"""Install skillci from a source checkout into the running Python, unless that very source is installed there already.

Used by actions/setup (standard library only: skillci is not installed yet). Every skillci action sets itself
up, so a job that composes actions/setup, actions/bench and actions/gate, or a self-hosted runner whose Python
keeps what earlier jobs installed, would otherwise build and install the same skillci again and again. After
an install the source's fingerprint is kept next to the environment; the next run with the same fingerprint
and skillci still installed in this environment skips pip.

Usage: python install.py SOURCE_DIR. Prints what it did; writes `version=` to $GITHUB_OUTPUT when set.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

#: Where the fingerprint of the installed source is kept: in the environment itself, so a new one starts empty.
MARKER = Path(sys.prefix) / "skillci-source.sha256"


def source_fingerprint(source: Path) -> str:
    """SHA-256 over pyproject.toml and every file of the package (names and contents), caches left out."""
    package = source / "scripts" / "skillci"
    files = [source / "pyproject.toml"]
    files += sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def installed_here() -> str | None:
    """The skillci version installed in this environment itself (not one seen through system site-packages)."""
    try:
        distribution = metadata.distribution("skillci")
    except metadata.PackageNotFoundError:
        return None
    location = Path(str(distribution.locate_file(""))).resolve()
    return distribution.version if location.is_relative_to(Path(sys.prefix).resolve()) else None


def install(source: Path) -> str:
    """Install skillci from source unless already installed from identical files; returns the version."""
    fingerprint = source_fingerprint(source)
    version = installed_here()
    if version is not None and MARKER.is_file() and MARKER.read_text(encoding="utf-8").strip() == fingerprint:
        print(f"skillci {version} is already installed from this source ({fingerprint[:12]}); pip not run")
        return version
    MARKER.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", str(source)]
    subprocess.run(command, check=True)
    version = installed_here()
    if version is None:
        raise SystemExit(f"install.py: pip finished but skillci is not installed in {sys.prefix}")
    MARKER.write_text(fingerprint + "\n", encoding="utf-8")
    print(f"skillci {version} installed from {source} ({fingerprint[:12]})")
    return version


def main(argv: list[str]) -> int:
    """Install from the one directory argument and report the version as a step output."""
    if len(argv) != 1:
        print("usage: install.py SOURCE_DIR", file=sys.stderr)
        return 2
    try:
        version = install(Path(argv[0]).resolve())
    except subprocess.CalledProcessError as error:
        print(f"install.py: pip install failed (exit {error.returncode})", file=sys.stderr)
        return 1
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"version={version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
