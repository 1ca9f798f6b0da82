"""Selecting the skills a change affects, on real git repositories (shallow clones included)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from helpers.act import commit_all, git
from helpers.registry import copy_example, replace_in
from skillci.bench.selection import matches, select_all, select_changed, select_named
from skillci.config import load_config
from skillci.errors import BadInput
from skillci.registry.load import load_registry
from skillci.sync.plan import desired_state

SKILLS = Path("ssot/agents/skills.yaml")


def _current(root: Path) -> dict[str, Any]:
    result = load_registry(root)
    assert result.ok, result.findings[:3]
    return desired_state(result.data)["skills"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "repo")
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "base")
    git("checkout", "-q", "-b", "feature", cwd=root)
    return root


def _select(root: Path, base: str = "main", head: str = "HEAD") -> dict[str, tuple[str, ...]]:
    selection = select_changed(load_config(root), base=base, head=head, current=_current(root))
    return dict(selection.reasons)


def test_nothing_changed_selects_nothing(repo: Path) -> None:
    commit_all(repo, "empty")
    assert _select(repo) == {}


def test_a_changed_spec_selects_only_that_skill(repo: Path) -> None:
    replace_in(repo / SKILLS, "max_duration_s: 600", "max_duration_s: 700")
    commit_all(repo, "change fix-lint")
    assert _select(repo) == {"fix-lint": ("spec changed",)}


def test_a_changed_cases_file_selects_its_skill(repo: Path) -> None:
    cases = repo / "ssot" / "benchmarks" / "bump-dependency.yaml"
    cases.write_text(cases.read_text() + "\n# touched\n")
    commit_all(repo, "touch cases")
    assert _select(repo) == {"bump-dependency": ("cases changed: ssot/benchmarks/bump-dependency.yaml",)}


def test_a_file_under_benchmark_paths_selects_the_skill(repo: Path) -> None:
    agent = repo / "examples" / "skills" / "fix_lint" / "agent.py"
    agent.write_text(agent.read_text() + "\n# touched\n")
    commit_all(repo, "touch agent")
    assert _select(repo) == {"fix-lint": ("examples/skills/fix_lint/agent.py matches examples/skills/fix_lint/**",)}


def test_a_file_under_no_benchmark_paths_selects_nothing(repo: Path) -> None:
    agent = repo / "examples" / "agents" / "example_agent.py"
    agent.write_text(agent.read_text() + "\n# touched\n")
    commit_all(repo, "touch agent")
    assert _select(repo) == {}  # bump-dependency and triage-flaky-test run it but declare no paths


def test_a_changed_benchmark_yaml_selects_every_benchmarked_skill(repo: Path) -> None:
    replace_in(repo / "ssot" / "agents" / "benchmark.yaml", "min_benchmark_runs: 3", "min_benchmark_runs: 4")
    commit_all(repo, "bar")
    reasons = _select(repo)
    benchmarked = {"fix-lint", "bump-dependency", "triage-flaky-test", "triage-error", "scan-secrets"}
    assert set(reasons) == benchmarked  # summarize-incident has none
    assert all(why == ("ssot/agents/benchmark.yaml changed",) for why in reasons.values())


def test_uncommitted_work_is_not_a_change_between_commits(repo: Path) -> None:
    replace_in(repo / SKILLS, "max_duration_s: 600", "max_duration_s: 700")
    assert _select(repo, head="HEAD") == {"fix-lint": ("spec changed",)}  # the spec compared is the checkout's
    assert _select(repo, base="HEAD", head="HEAD") == {"fix-lint": ("spec changed",)}


def test_the_comparison_is_with_the_merge_base(repo: Path) -> None:
    git("checkout", "-q", "main", cwd=repo)
    replace_in(repo / SKILLS, "max_duration_s: 600", "max_duration_s: 650")
    commit_all(repo, "main moves on")
    git("checkout", "-q", "feature", cwd=repo)
    cases = repo / "ssot" / "benchmarks" / "triage-flaky-test.yaml"
    cases.write_text(cases.read_text() + "\n# touched\n")
    commit_all(repo, "feature work")
    assert _select(repo) == {"triage-flaky-test": ("cases changed: ssot/benchmarks/triage-flaky-test.yaml",)}


def test_a_shallow_clone_is_deepened_to_find_the_base(repo: Path, tmp_path: Path) -> None:
    for number in range(3):
        (repo / "notes.txt").write_text(f"{number}\n")
        commit_all(repo, f"note {number}")
    replace_in(repo / SKILLS, "max_duration_s: 600", "max_duration_s: 700")
    commit_all(repo, "change fix-lint")
    clone = tmp_path / "clone"
    git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo}", str(clone), cwd=tmp_path)
    assert git("rev-parse", "--is-shallow-repository", cwd=clone).strip() == "true"

    assert _select(clone, base="main") == {"fix-lint": ("spec changed",)}
    assert git("rev-parse", "--verify", "origin/main", cwd=clone).strip()


def test_a_base_that_cannot_be_found_fails_clearly(repo: Path) -> None:
    with pytest.raises(BadInput, match="--base 'no-such-branch' is not in this clone"):
        _select(repo, base="no-such-branch")


def test_not_a_git_checkout_fails_clearly(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "plain")
    if subprocess.run(["git", "-C", str(root), "rev-parse"], capture_output=True).returncode == 0:
        pytest.fail("the temporary directory is inside a git checkout")
    with pytest.raises(BadInput, match="not a git checkout"):
        _select(root)


def test_named_and_all(repo: Path) -> None:
    current = _current(repo)
    assert select_named(current, ["fix-lint", "fix-lint"]).skills == ("fix-lint",)
    assert select_all(current).skills == (
        "fix-lint",
        "bump-dependency",
        "triage-flaky-test",
        "triage-error",
        "scan-secrets",
    )
    with pytest.raises(BadInput, match="no such skill"):
        select_named(current, ["nope"])
    with pytest.raises(BadInput, match="has no benchmark"):
        select_named(current, ["summarize-incident"])


@pytest.mark.parametrize(
    ("glob", "path", "hit"),
    [
        ("examples/agents/**", "examples/agents/a.py", True),
        ("examples/agents/**", "examples/agents/deep/b.py", True),
        ("examples/agents/**", "examples/agentsx/a.py", False),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("**/*.md", "README.md", True),
        ("**/*.md", "docs/x/y.md", True),
        ("./tools/?.sh", "tools/a.sh", True),
        ("tools/?.sh", "tools/ab.sh", False),
    ],
)
def test_benchmark_path_globs(glob: str, path: str, hit: bool) -> None:
    assert matches(glob, path) is hit
