"""The hooks in .pre-commit-hooks.yaml work under the real pre-commit, from a repository other projects point at.

This project's files are committed into a temporary repository that serves as the hooks' `repo:` (its HEAD is
the `rev:`); each test then sets up a separate "user" repository whose .pre-commit-config.yaml uses one hook.
pre-commit builds the hooks' environment (a virtualenv with this project pip-installed from that repository,
which needs PyPI) once per module: every run shares one PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.act import git, project_copy
from helpers.cli import Completed
from helpers.registry import copy_example, line_of, replace_in

#: Building the hook environment pip-installs this project and its dependencies.
BUILD_TIMEOUT = 900
#: A run once the environment exists.
RUN_TIMEOUT = 180


class HookSource:
    """This project committed into a repository pre-commit can clone, and one PRE_COMMIT_HOME for every run."""

    def __init__(self, repo: Path, rev: str, home: Path, git_config: Path) -> None:
        self.repo = repo
        self.rev = rev
        self.home = home
        self.git_config = git_config

    def config(self, hook: str) -> str:
        """A .pre-commit-config.yaml using one of this project's hooks."""
        return f"repos:\n  - repo: {self.repo}\n    rev: {self.rev}\n    hooks:\n      - id: {hook}\n"

    def env(self) -> dict[str, str]:
        """The environment for pre-commit and git: no runner or outer-git state, an empty global git config."""
        dropped = ("GITHUB_", "SKILLCI_STORE", "SUPABASE_", "GIT_", "PRE_COMMIT")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        environment.update(
            PRE_COMMIT_HOME=str(self.home),
            PRE_COMMIT_COLOR="never",
            PIP_NO_COMPILE="1",  # the hook environment is used a few times: compiling 48 packages costs more
            GIT_CONFIG_GLOBAL=str(self.git_config),  # no user-wide core.hooksPath, signing or templates
            GIT_CONFIG_NOSYSTEM="1",
        )
        return environment

    def run(self, *args: str, cwd: Path, timeout: float = RUN_TIMEOUT) -> Completed:
        """Run a command (pre-commit or git) in cwd with env(); output is captured, never checked."""
        proc = subprocess.run(
            list(args), cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        return Completed(proc.returncode, proc.stdout, proc.stderr)

    def pre_commit(self, *args: str, cwd: Path, timeout: float = RUN_TIMEOUT) -> Completed:
        return self.run(sys.executable, "-m", "pre_commit", *args, cwd=cwd, timeout=timeout)

    def user_repo(self, root: Path, hook: str) -> Path:
        """A git repository (own identity, unsigned commits) whose committed pre-commit config uses hook."""
        root.mkdir(parents=True, exist_ok=True)
        for args in (
            ("init", "-q", "-b", "main"),
            ("config", "user.name", "skillci tests"),
            ("config", "user.email", "tests@skillci.invalid"),
            ("config", "commit.gpgsign", "false"),
        ):
            self._git(root, *args)
        (root / ".pre-commit-config.yaml").write_text(self.config(hook), encoding="utf-8")
        self._git(root, "add", "-A")
        self._git(root, "commit", "-q", "--no-verify", "-m", "chore: use skillci's pre-commit hooks")
        return root

    def _git(self, cwd: Path, *args: str) -> None:
        result = self.run("git", *args, cwd=cwd)
        assert result.code == 0, f"git {' '.join(args)}: {result.output}"


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> HookSource:
    """This project as a hook repository, with the hook environment already built in a module-wide PRE_COMMIT_HOME."""
    base = tmp_path_factory.mktemp("pre-commit")
    repo = project_copy(base / "hooks")
    rev = git("rev-parse", "HEAD", cwd=repo).strip()
    git_config = base / "gitconfig"
    git_config.write_text("", encoding="utf-8")
    source = HookSource(repo, rev, base / "home", git_config)
    # Build the environment once, here, so the tests time only their own runs.
    scratch = source.user_repo(base / "build", "skillci-validate")
    built = source.pre_commit("install-hooks", cwd=scratch, timeout=BUILD_TIMEOUT)
    assert built.code == 0, built.output
    return source


def test_commitlint_hook_refuses_a_bad_message_and_accepts_a_conventional_one(
    hooks: HookSource, tmp_path: Path
) -> None:
    root = hooks.user_repo(tmp_path / "user", "skillci-commitlint")
    installed = hooks.pre_commit("install", "--hook-type", "commit-msg", cwd=root)
    assert installed.code == 0, installed.output
    assert (root / ".git" / "hooks" / "commit-msg").is_file()
    (root / "notes.txt").write_text("one\n", encoding="utf-8")
    assert hooks.run("git", "add", "notes.txt", cwd=root).code == 0

    refused = hooks.run("git", "commit", "-m", "bad message", cwd=root)
    assert refused.code != 0, refused.output
    assert "- hook id: skillci-commitlint" in refused.output
    assert "input: bad message" in refused.output  # the message file pre-commit passed after --edit
    assert "[type-empty]" in refused.output
    assert "[subject-empty]" in refused.output
    assert hooks.run("git", "rev-list", "--count", "HEAD", cwd=root).stdout.strip() == "1"

    accepted = hooks.run("git", "commit", "-m", "feat: add a thing", cwd=root)
    assert accepted.code == 0, accepted.output
    assert "skillci commitlint" in accepted.output
    assert "Passed" in accepted.output
    log = hooks.run("git", "log", "-1", "--format=%s", cwd=root)
    assert log.stdout.strip() == "feat: add a thing"


def test_validate_hook_passes_the_example_registry_and_fails_a_broken_one(hooks: HookSource, tmp_path: Path) -> None:
    root = hooks.user_repo(tmp_path / "user", "skillci-validate")
    copy_example(root)
    assert hooks.run("git", "add", "-A", cwd=root).code == 0

    passed = hooks.pre_commit("run", "--all-files", cwd=root)
    assert passed.code == 0, passed.output
    assert "skillci validate" in passed.output
    assert "Passed" in passed.output

    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "allowed_tools: [git, ruff, github-pr]", "allowed_tools: [git, ruff, github-prr]")
    failed = hooks.pre_commit("run", "--all-files", cwd=root)
    assert failed.code == 1, failed.output
    assert "- hook id: skillci-validate" in failed.output
    line = line_of(skills, "github-prr")
    assert f"ssot/agents/skills.yaml:{line}:" in failed.output
    assert "error[unknown-tool]" in failed.output
    assert "'github-prr'" in failed.output
