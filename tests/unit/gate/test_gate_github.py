"""The gate command's GitHub side, in process: one sticky comment per pull request, forks, and outages.

The GitHub REST API is the in-memory stand-in of helpers.github_api behind `responses` (no network).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from helpers import REPO_ROOT
from helpers.github_api import FakeGitHub
from skillci import github
from skillci.commands.gate import gate
from skillci.errors import ServiceFailed
from skillci.gate.reporters import COMMENT_MARKER

RESULTS = {
    "selected": ["fix-lint"],
    "results": [
        {
            "skill_id": "fix-lint",
            "composite_score": 83.1,
            "tier": "B",
            "cases_passed": 4,
            "cases_total": 5,
            "cached": False,
            "metrics": {},
            "missing_metrics": [],
            "baseline_delta": -1.5,
        }
    ],
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGitHub]:
    """A pull request in GitHub Actions: the event file, the repository, the token and the API URL."""
    stub = FakeGitHub(api="https://ghe.example.com/api/v3")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": stub.number, "head": {"sha": "a" * 40}}}))
    for name, value in {
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": stub.repository,
        "GITHUB_TOKEN": stub.token,
        "GITHUB_API_URL": stub.api,
        "GITHUB_SERVER_URL": "https://ghe.example.com",
        "GITHUB_RUN_ID": "55",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(github, "_sleep", lambda seconds: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        stub.install(mock)
        yield stub


def _gate(tmp_path: Path, results: dict[str, object] = RESULTS, out: io.StringIO | None = None) -> tuple[int, str]:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    out = out if out is not None else io.StringIO()
    code = gate(
        root=REPO_ROOT,
        results=[path],
        min_pass_pct=None,
        min_tier=None,
        max_regression=None,
        store=None,
        record=False,
        comment="auto",
        output_format="text",
        stream=out,
    )
    return code, out.getvalue()


def test_the_comment_is_created_once_then_edited(fake: FakeGitHub, tmp_path: Path) -> None:
    code, output = _gate(tmp_path)
    assert code == 0 and "pull-request comment created:" in output
    [comment] = fake.comments
    assert comment["body"].startswith(COMMENT_MARKER) and "## ✅ skillci gate: passed" in comment["body"]
    assert "| `fix-lint` | B | 83.1 | -1.5 | 4/5 | ✅ pass |" in comment["body"]
    assert "[Workflow run](https://ghe.example.com/octo/skills/actions/runs/55)" in comment["body"]

    worse = json.loads(json.dumps(RESULTS))
    worse["results"][0]["baseline_delta"] = -9.0
    code, output = _gate(tmp_path, worse)
    assert code == 1 and "pull-request comment updated:" in output
    [comment] = fake.comments  # edited, not repeated
    assert "## ❌ skillci gate: failed" in comment["body"] and "-9.0" in comment["body"]
    assert [call.method for call in fake.writes()] == ["POST", "PATCH"]


def test_a_fork_token_gets_the_summary_only_and_the_verdict_stands(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail("POST", f"{fake.issue_path}/comments", 403, message="Resource not accessible by integration")
    code, output = _gate(tmp_path)
    assert code == 0  # the gate passed; the missing comment does not fail it
    assert "::notice title=skillci gate::no pull-request comment: the token cannot write" in output
    assert fake.comments == []


def test_github_down_is_exit_3_after_the_verdict_was_printed(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.fail("POST", f"{fake.issue_path}/comments", 502, times=10)
    out = io.StringIO()
    with pytest.raises(ServiceFailed, match="GitHub API failed after 3 tries: HTTP 502") as caught:
        _gate(tmp_path, out=out)
    assert caught.value.exit_code == 3
    assert "skillci gate: PASS" in out.getvalue() and fake.token not in str(caught.value)
