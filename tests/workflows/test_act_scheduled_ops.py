"""The scheduled-ops reusable workflow (actions/notify, actions/snapshot) under act, posting to a loopback Slack."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helpers.act import project_calling, run_act
from helpers.cli import run_skillci
from helpers.slack import Reply, SlackWebhook

pytestmark = pytest.mark.act

WEEK = "2026-W46"
CALLER = ".github/workflows/test-ops-caller.yml"
#: A repository's own workflow calling scheduled-ops, shaped like the example in its header (dispatch only here).
CALLER_YAML = """\
name: scheduled ops
on:
  workflow_dispatch:
    inputs:
      week:
        description: ISO week to report.
        type: string
        default: ""
      dry_run:
        description: Print what would be sent.
        type: boolean
        default: false
      force:
        description: Send again.
        type: boolean
        default: false
permissions: {}
jobs:
  ops:
    uses: ./.github/workflows/scheduled-ops.yml
    permissions:
      contents: read
      issues: write
    with:
      snapshot: true
      report: true
      week: ${{ inputs.week || 'last' }}
      dry_run: ${{ inputs.dry_run == true }}
      force: ${{ inputs.force == true }}
    secrets:
      SKILLCI_STORE: ${{ secrets.SKILLCI_STORE }}
      SLACK_WEBHOOK_URL: ${{ secrets.SLACK_WEBHOOK_URL }}
  outputs:
    needs: ops
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - name: Report the workflow's outputs
        env:
          SENT: ${{ needs.ops.outputs.sent }}
          FAILED: ${{ needs.ops.outputs.failed }}
          DAY: ${{ needs.ops.outputs.snapshot-day }}
        run: echo "scheduled-ops outputs sent=[$SENT] failed=[$FAILED] snapshot-day=[$DAY]"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project copy with a caller workflow of scheduled-ops."""
    return project_calling(tmp_path / "repo", CALLER, CALLER_YAML, workflow="scheduled-ops")


@pytest.fixture
def store(repo: Path, tmp_path: Path) -> str:
    """A SQLite store outside the checkout (act runs on this host), filled with a demo week."""
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    seeded = run_skillci("demo", "seed", "--store", url, "--week", WEEK, "--runs", "400", cwd=repo)
    assert seeded.code == 0, seeded.output
    return url


def ops(repo: Path, store: str, slack: SlackWebhook, **inputs: str) -> str:
    result = run_act(
        repo,
        event="workflow_dispatch",
        workflow=CALLER,
        secrets={"SKILLCI_STORE": store, "SLACK_WEBHOOK_URL": slack.url},
        inputs=inputs,
    )
    assert slack.PATH not in result.output, "the webhook's secret path reached the log"
    assert result.code == 0, result.output[-5000:]
    return result.output


def notifications(store: str) -> list[tuple[str, str]]:
    with sqlite3.connect(store.removeprefix("sqlite:///")) as connection:
        return list(connection.execute("select idempotency_key, status from notifications order by id"))


def test_scheduled_ops_reports_once_then_skips_and_keeps_a_snapshot(repo: Path, store: str) -> None:
    with SlackWebhook() as slack:
        first = ops(repo, store, slack, week=WEEK)

        assert len(slack.accepted) == 1
        message = slack.accepted[0]
        assert WEEK in message["text"]
        assert any(block["type"] == "header" for block in message["blocks"])
        assert "scheduled-ops outputs sent=[slack] failed=[]" in first
        assert notifications(store) == [(f"weekly:{WEEK}:slack", "sent")]
        with sqlite3.connect(store.removeprefix("sqlite:///")) as connection:
            assert connection.execute("select count(*) from metrics_snapshots").fetchone() == (1,)

        second = ops(repo, store, slack, week=WEEK)

        assert len(slack.requests) == 1, "a second run for the same week sent again"
        assert "already sent" in second
        assert "scheduled-ops outputs sent=[] failed=[]" in second

        ops(repo, store, slack, week=WEEK, force="true")

        assert len(slack.accepted) == 2


def test_scheduled_ops_dry_run_sends_nothing_and_a_failing_slack_fails_the_job(repo: Path, store: str) -> None:
    with SlackWebhook(default=Reply(500, body="internal_error")) as slack:
        dry = ops(repo, store, slack, week=WEEK, dry_run="true")

        assert slack.requests == []
        assert '"blocks"' in dry  # the payload it would send is printed
        assert notifications(store) == []

        result = run_act(
            repo,
            event="workflow_dispatch",
            workflow=CALLER,
            secrets={"SKILLCI_STORE": store, "SLACK_WEBHOOK_URL": slack.url},
            inputs={"week": WEEK},
        )

        assert result.code != 0
        assert slack.PATH not in result.output
        assert len(slack.requests) >= 1
        assert notifications(store) == [(f"weekly:{WEEK}:slack", "failed")]
        assert "weekly-2026-W46.md" in result.output
