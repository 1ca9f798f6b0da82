"""The pull-request workflow, run end to end under nektos/act."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.act import commit_all, git, project_copy, pull_request_event, run_act
from helpers.registry import replace_in
from skillci import __version__

pytestmark = pytest.mark.act


def test_pr_checks_pass_on_the_valid_example(tmp_path: Path) -> None:
    repo = project_copy(tmp_path / "repo")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    event = pull_request_event(tmp_path, base_sha=head, head_sha=head, title="feat: tune the registry")
    result = run_act(repo, event="pull_request", workflow=".github/workflows/ci.yml", event_path=event)
    assert result.code == 0, result.output[-4000:]
    # validate, commitlint, bench-plan, bench, gate, validate-local
    assert result.output.count("Job succeeded") == 6
    # The jobs share a Python that holds skillci from this very source: actions/setup left it alone in each.
    assert result.output.count(f"skillci {__version__} is already installed from this source") == 6
    assert f"skillci {__version__} installed from " not in result.output
    assert "skillci commitlint: ok — 1 message; 0 errors, 0 warnings" in result.output
    assert "skillci validate: ok — 6 skills" in result.output
    assert "skillci gate: PASS" in result.output
    assert "::set-output:: errors=0" in result.output
    assert "::error" not in result.output


def test_pr_checks_fail_with_an_annotation_on_the_broken_line(tmp_path: Path) -> None:
    repo = project_copy(tmp_path / "repo")
    skills = repo / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "allowed_tools: [git, ruff, github-pr]", "allowed_tools: [git, ruff, github-prr]")
    line, column = next(
        (number, text.index("github-prr") + 1)
        for number, text in enumerate(skills.read_text().splitlines(), 1)
        if "github-prr" in text
    )
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    commit_all(repo, "test: break the registry")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    event = pull_request_event(tmp_path, base_sha=base, head_sha=head)
    result = run_act(repo, event="pull_request", workflow=".github/workflows/ci.yml", event_path=event)

    assert result.code != 0
    assert "Job failed" in result.output
    annotation = f"::error file=ssot/agents/skills.yaml,line={line},col={column},"
    assert annotation in result.output, result.output[-4000:]
    assert "github-prr" in result.output
    assert "::set-output:: errors=1" in result.output
    # The gate still runs (a skipped required check would count as passed) and fails on both counts.
    assert "FAIL  registry valid: 1 error (threshold: 0 errors)" in result.output, result.output[-4000:]
    assert "FAIL  bench results: no results" in result.output
    # Left alone in each of the four jobs that ran (validate, commitlint, gate, validate-local; no bench after a
    # failed validation).
    assert result.output.count(f"skillci {__version__} is already installed from this source") == 4
