"""`skillci notify weekly` as a scheduled job runs it: the real CLI, a SQLite store with a week of runs, and a
Slack webhook on 127.0.0.1 (tests/helpers/slack.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import Completed, run_skillci
from helpers.registry import copy_example
from helpers.slack import Reply, SlackWebhook
from skillci.weekly.report import week_of

#: The real CLI with every retry wait of skillci.weekly.slack and skillci.github skipped (a failing delivery would
#: otherwise sleep for seconds between its tries).
NO_WAITS = (
    "import skillci.github, skillci.weekly.slack\n"
    "skillci.weekly.slack._sleep = skillci.github._sleep = lambda seconds: None\n"
    "from skillci.cli import main\n"
    "main(prog_name='skillci')\n"
)
SECRET_PART = "s3cretW3bhookT0ken"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite store holding the example registry and a few runs recorded now (made once)."""
    work = tmp_path_factory.mktemp("notify-seed")
    repo = copy_example(work / "repo")
    store = f"sqlite:///{work / 'seed.db'}"
    assert run_skillci("db", "migrate", "--store", store).code == 0
    synced = run_skillci("sync", "--root", str(repo), "--store", store, "--format", "text")
    assert synced.code == 0, synced.output
    reports = [
        {"idempotency_key": "n-1", "skill_id": "fix-lint", "status": "succeeded", "duration_s": 40, "tokens_in": 900},
        {"idempotency_key": "n-2", "skill_id": "fix-lint", "status": "succeeded", "duration_s": 55, "cost_usd": 0.25},
        {
            "idempotency_key": "n-3",
            "skill_id": "scan-secrets",
            "status": "failed",
            "duration_s": 12,
            "error": {"code": "AGENT.PATCH_FAILED", "message": "the patch did not apply"},
        },
    ]
    source = work / "runs.json"
    source.write_text(json.dumps(reports), encoding="utf-8")
    recorded = run_skillci("runs", "record", str(source), "--store", store)
    assert recorded.code == 0, recorded.output
    return work / "seed.db"


@pytest.fixture
def root(tmp_path: Path, seeded: Path) -> Path:
    """A checkout whose default store is a copy of the seeded one."""
    checkout = tmp_path / "repo"
    (checkout / ".skillci").mkdir(parents=True)
    shutil.copyfile(seeded, checkout / ".skillci" / "skillci.db")
    return checkout


@pytest.fixture
def hook() -> Iterator[SlackWebhook]:
    with SlackWebhook() as webhook:
        yield webhook


def window_args() -> tuple[str, ...]:
    """A window around now that holds the seeded runs whatever the day of the week."""
    today = datetime.now(UTC).date()
    return ("--since", (today - timedelta(days=1)).isoformat(), "--until", (today + timedelta(days=2)).isoformat())


def window_label() -> str:
    _, since, _, until = window_args()
    return f"{since}..{until}"


def notify(root: Path, *args: str, env: dict[str, str] | None = None, waits: bool = True) -> Completed:
    """`skillci notify weekly --root ROOT ARGS`; waits=False skips the retry waits."""
    if waits:
        return run_skillci("notify", "weekly", "--root", str(root), *args, env=env, timeout=60)
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    environment.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", NO_WAITS, "notify", "weekly", "--root", str(root), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


def notifications(root: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(root / ".skillci" / "skillci.db") as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute("select * from notifications order by id").fetchall()
    return [{**dict(row), "payload": None if row["payload"] is None else json.loads(row["payload"])} for row in rows]


def ledger_text() -> str:
    path = Path(os.environ["SKILLCI_LEDGER"])
    return path.read_text(encoding="utf-8") if path.exists() else ""


def same_but_generated(sent: Any, first: Any) -> bool:
    """Whether two rendered messages are the same once their "Generated <minute> UTC" stamps are set aside."""
    stamp = re.compile(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    return stamp.sub("Generated", json.dumps(sent)) == stamp.sub("Generated", json.dumps(first))


def assert_secret_kept(hook: SlackWebhook, *texts: str) -> None:
    """Neither the webhook URL nor its secret path in any text (an ::add-mask:: command aside)."""
    for text in texts:
        shown = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
        assert hook.url not in shown and hook.PATH not in shown and SECRET_PART not in shown, shown


def test_delivers_once_a_rerun_sends_nothing_and_force_sends_again(root: Path, hook: SlackWebhook) -> None:
    label = window_label()

    first = notify(root, *window_args(), "--slack-webhook", hook.url)

    assert first.code == 0, first.output
    [message] = hook.accepted
    assert set(message) == {"text", "blocks"} and label in message["text"]
    assert "fix-lint" in json.dumps(message)
    assert "Slack: sent (1 try)" in first.stdout
    assert first.stdout.rstrip().splitlines()[-1] == f"skillci notify weekly: {label}: sent slack"
    [row] = notifications(root)
    assert (row["channel"], row["status"], row["idempotency_key"]) == ("slack", "sent", f"weekly:{label}:slack")
    assert row["sent_at"] is not None and row["payload"]["message"] == message

    again = notify(root, *window_args(), "--slack-webhook", hook.url)

    assert again.code == 0, again.output
    assert f"Slack: skipped: already sent for {label}; --force to send again" in again.stdout
    assert len(hook.requests) == 1

    forced = notify(root, *window_args(), "--force", env={"SLACK_WEBHOOK_URL": hook.url})

    assert forced.code == 0, forced.output
    # A forced send renders the report again: only its "Generated" minute may differ (a run can straddle one).
    assert len(hook.accepted) == 2 and same_but_generated(hook.accepted[1], message)
    assert [row["status"] for row in notifications(root)] == ["sent"]
    assert_secret_kept(hook, first.output, again.output, forced.output, ledger_text(), json.dumps(notifications(root)))
    assert '"slack_webhook": "***"' in ledger_text()


def test_a_failing_webhook_keeps_the_report_exits_3_and_a_later_run_sends(root: Path, hook: SlackWebhook) -> None:
    label = window_label()
    hook.default = Reply(500, "internal_error")

    failed = notify(root, *window_args(), "--slack-webhook", hook.url, waits=False)

    assert failed.code == 3, failed.output
    assert len(hook.requests) == 4, "every try was made"
    [error] = failed.stderr.splitlines()
    assert error == "skillci: error: Slack: Slack webhook failed after 4 tries: HTTP 500 internal_error"
    kept = root / ".skillci" / "reports" / f"weekly-{label}.md"
    assert kept.is_file(), sorted(p.name for p in (root / ".skillci").rglob("*"))
    assert f"the report is kept in {kept.relative_to(root)}" in failed.stdout
    assert "fix-lint" in kept.read_text(encoding="utf-8")
    payload = json.loads(kept.with_name(kept.name.replace(".md", ".slack.json")).read_text(encoding="utf-8"))
    assert payload == hook.requests[0].json
    [row] = notifications(root)
    assert (row["status"], row["sent_at"]) == ("failed", None)
    assert "HTTP 500" in row["payload"]["error"] and row["payload"]["kept"] == str(kept)
    assert failed.stdout.rstrip().splitlines()[-1] == f"skillci notify weekly: {label}: failed slack"
    assert '"exit_code": 3' in ledger_text()

    hook.default = Reply(200)
    later = notify(root, *window_args(), "--slack-webhook", hook.url)

    assert later.code == 0, later.output
    assert len(hook.accepted) == 1
    assert [row["status"] for row in notifications(root)] == ["sent"]
    assert_secret_kept(hook, failed.output, later.output, ledger_text(), json.dumps(notifications(root)))


def test_a_kept_report_goes_where_keep_dir_says(root: Path, hook: SlackWebhook, tmp_path: Path) -> None:
    hook.default = Reply(404, "no_service")
    run = notify(root, *window_args(), "--slack-webhook", hook.url, "--keep-dir", str(tmp_path / "kept"))
    assert run.code == 3, run.output
    assert "Slack refused the message: HTTP 404 no_service (the webhook was removed or its URL is wrong)" in run.stderr
    assert len(hook.requests) == 1, "a refusal is not retried"
    assert sorted(path.name for path in (tmp_path / "kept").iterdir()) == [
        f"weekly-{window_label()}.md",
        f"weekly-{window_label()}.slack.json",
    ]


def test_dry_run_prints_the_payload_and_sends_and_records_nothing(root: Path, hook: SlackWebhook) -> None:
    run = notify(root, *window_args(), "--slack-webhook", hook.url, "--github-repo", "octo/skills", "--dry-run")

    assert run.code == 0, run.output
    assert hook.requests == [] and notifications(root) == []
    lines = run.stdout.splitlines()
    slack_at = lines.index("--- Slack: would send (dry run: nothing sent, nothing recorded) ---")
    issue_at = lines.index("--- GitHub issue in octo/skills: would send (dry run: nothing sent, nothing recorded) ---")
    assert issue_at < slack_at
    payload = json.loads("\n".join(lines[slack_at + 1 : -1]))
    assert set(payload) == {"text", "blocks"}
    assert lines[issue_at + 1] == "(GITHUB_TOKEN is not set: a real run would refuse to start)"
    assert lines[issue_at + 2].startswith("title: skillci weekly report — ")
    assert lines[issue_at + 4 : issue_at + 6] == ["body:", f"<!-- skillci:weekly:{window_label()} -->"]
    assert (
        lines[-1]
        == f"skillci notify weekly: {window_label()}: dry run: nothing sent, nothing recorded; would send github, slack"
    )

    # The real run sends exactly what the dry run printed; a dry run after it says it would skip.
    assert notify(root, *window_args(), "--slack-webhook", hook.url).code == 0
    assert hook.accepted == [payload]
    after = notify(root, *window_args(), "--slack-webhook", hook.url, "--dry-run")
    assert f"Slack: would skip: already sent for {window_label()}; --force to send again" in after.stdout
    assert len(hook.requests) == 1
    assert_secret_kept(hook, run.output, after.output, ledger_text())


def test_in_actions_the_url_is_masked_first_and_outputs_and_summary_are_written(
    root: Path, hook: SlackWebhook, tmp_path: Path
) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "SLACK_WEBHOOK_URL": hook.url,
        "GITHUB_SERVER_URL": "https://github.example.com",
        "GITHUB_REPOSITORY": "acme/agents",
        "GITHUB_RUN_ID": "4711",
    }

    run = notify(root, *window_args(), env=env)

    assert run.code == 0, run.output
    assert run.stdout.splitlines()[0] == f"::add-mask::{hook.url}"
    assert "fix-lint" in summary.read_text(encoding="utf-8")
    assert outputs.read_text(encoding="utf-8").splitlines() == ["sent=slack", "skipped=", "failed=", "report-path="]
    assert "https://github.example.com/acme/agents/actions/runs/4711" in json.dumps(hook.accepted[0])

    hook.default = Reply(503, "")
    outputs.write_text("")
    failed = notify(root, *window_args(), "--force", env=env, waits=False)
    assert failed.code == 3
    assert "::error title=skillci notify weekly::Slack: Slack webhook failed after 4 tries: HTTP 503" in failed.stdout
    assert "Slack: the earlier delivery for " in failed.stdout
    assert [row["status"] for row in notifications(root)] == ["sent"], "a failed re-send does not undo the first"
    kept = root / ".skillci" / "reports" / f"weekly-{window_label()}.md"
    assert outputs.read_text(encoding="utf-8").splitlines() == [
        "sent=",
        "skipped=",
        "failed=slack",
        f"report-path={kept}",
    ]
    assert_secret_kept(hook, run.output, failed.output, ledger_text(), summary.read_text(encoding="utf-8"))


def test_a_failing_channel_does_not_stop_the_others(root: Path, hook: SlackWebhook) -> None:
    with SlackWebhook(default=Reply(502, "bad gateway")) as broken_github:
        env = {"GITHUB_TOKEN": "ghs_notify_token_123456", "GITHUB_API_URL": broken_github.url.split("/services")[0]}
        run = notify(
            root, *window_args(), "--slack-webhook", hook.url, "--github-repo", "octo/skills", env=env, waits=False
        )
    assert run.code == 3, run.output
    assert (
        "GitHub issue in octo/skills: GitHub API failed after 3 tries: HTTP 502 on GET /repos/octo/skills" in run.stderr
    )
    assert len(hook.accepted) == 1
    statuses = {row["channel"]: row["status"] for row in notifications(root)}
    assert statuses == {"github": "failed", "slack": "sent"}
    assert run.stdout.rstrip().splitlines()[-1] == f"skillci notify weekly: {window_label()}: sent slack; failed github"
    assert "ghs_notify_token_123456" not in run.output + ledger_text()


def test_without_a_channel_the_report_is_printed_in_the_format(root: Path) -> None:
    markdown = notify(root, *window_args())
    assert markdown.code == 0, markdown.output
    assert markdown.stdout.startswith("## skillci weekly report — ")
    assert "`fix-lint`" in markdown.stdout and "AGENT.PATCH_FAILED" in markdown.stdout

    document = json.loads(notify(root, *window_args(), "--format", "json").stdout)
    assert document["window"]["label"] == window_label()
    assert document["totals"]["runs"] == 3

    slack = json.loads(notify(root, *window_args(), "--format", "slack").stdout)
    assert set(slack) == {"text", "blocks"}
    assert notifications(root) == []


def test_the_default_window_is_the_current_iso_week(root: Path) -> None:
    before = week_of(datetime.now(UTC)).label
    run = notify(root, "--format", "json")
    after = week_of(datetime.now(UTC)).label
    assert run.code == 0, run.output
    assert json.loads(run.stdout)["window"]["label"] in (before, after)


def test_an_empty_week_says_so(root: Path, hook: SlackWebhook) -> None:
    printed = notify(root, "--week", "2020-W01")
    assert printed.code == 0, printed.output
    assert "No runs and no gate decisions were recorded in 2020-W01." in printed.stdout

    sent = notify(root, "--week", "2020-W01", "--slack-webhook", hook.url)
    assert sent.code == 0, sent.output
    assert sent.stdout.rstrip().splitlines()[-1] == (
        "skillci notify weekly: 2020-W01: sent slack; no runs and no gate decisions in the window"
    )
    assert "No runs and no gate decisions were recorded in 2020-W01." in hook.accepted[0]["text"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--week", "2026-W99"), "--week '2026-W99': 2026 has no week 99"),
        (("--week", "soon"), "--week 'soon': expected an ISO week like 2026-W47"),
        (("--week", "2026-W47", "--since", "2026-11-01", "--until", "2026-11-08"), "--week and --since/--until"),
        (("--since", "2026-11-01"), "--since and --until go together"),
        (("--since", "2026-11-08", "--until", "2026-11-01"), "must be after --since"),
        (("--github-repo", "octo"), "not a GitHub repository name (owner/name): 'octo'"),
        (("--github-repo", "octo/skills"), "--github-repo needs a token that may write issues in GITHUB_TOKEN"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(root: Path, args: tuple[str, ...], message: str) -> None:
    run = notify(root, *args)
    assert run.code == 2, run.output
    [line] = run.stderr.splitlines()
    assert line.startswith("skillci: error: ") and message in line, line
    assert run.stdout == "" and notifications(root) == []


@pytest.mark.parametrize("bad", ["ftp://hooks.example/services/{secret}", "https://hooks.example/services/{secret} x"])
def test_a_bad_webhook_url_is_bad_input_and_not_repeated(root: Path, bad: str) -> None:
    url = bad.format(secret=SECRET_PART)
    run = notify(root, *window_args(), "--slack-webhook", url)
    assert run.code == 2, run.output
    [line] = run.stderr.splitlines()
    assert line.startswith("skillci: error: the Slack webhook URL ")
    assert SECRET_PART not in run.output + ledger_text()


def test_a_store_without_schema_is_exit_2_with_the_hint(tmp_path: Path) -> None:
    run = notify(tmp_path, "--store", f"sqlite:///{tmp_path / 'empty.db'}")
    assert run.code == 2, run.output
    assert "has no schema: run `skillci db migrate` first" in run.stderr


def test_the_format_choices_are_the_renderers() -> None:
    from skillci.cli import FORMATS_NOTIFY
    from skillci.weekly.render import RENDERERS

    assert tuple(RENDERERS) == FORMATS_NOTIFY
