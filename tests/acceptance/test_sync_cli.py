"""`skillci db migrate`, `skillci sync` and `skillci runs record` as a user runs them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers.cli import run_skillci
from helpers.registry import copy_example, line_of, replace_in

KINDS = ("skills", "tools", "failure_modes")
ACTIONS = ("created", "updated", "deprecated", "unchanged")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


def _count(root: Path, sql: str) -> int:
    with sqlite3.connect(root / ".skillci" / "skillci.db") as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_json_output_has_exactly_the_documented_shape(root: Path) -> None:
    result = run_skillci("sync", "--migrate", "--root", str(root), "--format", "json")

    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["applied", *KINDS]
    assert document["applied"] is True
    assert all(list(document[kind]) == list(ACTIONS) for kind in KINDS)
    assert document["skills"] == {"created": 6, "updated": 0, "deprecated": 0, "unchanged": 0}
    assert document["tools"]["created"] == 6


def test_text_output_shows_the_plan_like_a_diff(root: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(root)).code == 0
    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "max_duration_s: 600", "max_duration_s: 900")

    result = run_skillci("sync", "--root", str(root), "--dry-run")

    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "skills:"
    assert lines[1].startswith("  ~ ")
    assert lines[2] == "      max_duration_s: 600 -> 900"
    assert lines[-1].startswith("skillci sync: dry run, nothing written — skills: 0 created, 1 updated")
    assert _count(root, "select count(*) from skill_versions") == 6


def test_a_deprecation_shows_with_a_minus_and_keeps_the_row(root: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(root)).code == 0
    skills = root / "ssot" / "agents" / "skills.yaml"
    text = skills.read_text(encoding="utf-8")
    start = text.index("  - id: summarize-incident")
    end = text.find("\n  - id:", start + 1)
    skills.write_text(text[:start] + (text[end + 1 :] if end != -1 else ""), encoding="utf-8")

    result = run_skillci("sync", "--root", str(root))

    assert result.code == 0, result.output
    assert "  - summarize-incident (deprecated)" in result.stdout.splitlines()
    assert _count(root, "select count(*) from skills where status = 'deprecated' and removed_at is not null") == 1
    assert _count(root, "select count(*) from skills") == 6


def test_sync_refuses_an_invalid_registry_and_writes_nothing(root: Path) -> None:
    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "allowed_tools: [git, ruff, github-pr]", "allowed_tools: [git, ruff, github-prr]")
    line = line_of(skills, "github-prr")

    result = run_skillci("sync", "--migrate", "--root", str(root))

    assert result.code == 2
    assert result.stdout == ""
    [message] = result.stderr.splitlines()
    assert message.startswith(f"skillci: error: ssot/agents/skills.yaml:{line}: ")
    assert "nothing synced" in message
    assert not (root / ".skillci" / "skillci.db").exists()


@pytest.mark.parametrize(
    ("store", "env", "expected"),
    [
        ("mysql://u:p@h/db", {}, "unsupported store 'mysql'"),
        ("supabase", {}, "needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"),
        ("supabase", {"SUPABASE_URL": "ftp://x", "SUPABASE_SERVICE_ROLE_KEY": "k"}, "must be an http(s) URL"),
    ],
)
def test_a_bad_store_is_exit_2_with_one_line(root: Path, store: str, env: dict[str, str], expected: str) -> None:
    result = run_skillci("sync", "--root", str(root), "--store", store, env=env)
    assert result.code == 2
    assert len(result.stderr.splitlines()) == 1 and expected in result.stderr
    assert ":p@" not in result.stderr


def test_sync_without_a_migrated_store_says_what_to_do(root: Path) -> None:
    result = run_skillci("sync", "--root", str(root))
    assert result.code == 2 and "run `skillci db migrate` first" in result.stderr


def test_the_store_comes_from_the_environment(root: Path, tmp_path: Path) -> None:
    env = {"SKILLCI_STORE": f"sqlite:///{tmp_path / 'elsewhere.db'}"}
    assert run_skillci("db", "migrate", "--root", str(root), env=env).code == 0
    result = run_skillci("sync", "--root", str(root), "--format", "json", env=env)
    assert result.code == 0 and json.loads(result.stdout)["skills"]["created"] == 6
    assert (tmp_path / "elsewhere.db").is_file() and not (root / ".skillci" / "skillci.db").exists()


def test_github_format_writes_the_summary_and_outputs(root: Path, tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}

    result = run_skillci("sync", "--migrate", "--root", str(root), env=env)

    assert result.code == 0, result.output
    assert result.stdout.startswith("::group::skillci sync plan\n")
    assert "| skills | 6 | 0 | 0 | 0 |" in summary.read_text(encoding="utf-8")
    written = outputs.read_text(encoding="utf-8").splitlines()
    assert "applied=true" in written and "skills_created=6" in written


def test_runs_record_from_stdin_and_from_a_file(root: Path, tmp_path: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(root)).code == 0
    report = {"idempotency_key": "gh-1", "skill_id": "fix-lint", "status": "running"}
    first = run_skillci("runs", "record", "--root", str(root), "--format", "json", stdin=json.dumps(report))
    path = tmp_path / "reports.json"
    path.write_text(json.dumps([{**report, "status": "failed", "error": {"code": "AGENT.CRASH", "message": "x"}}]))

    second = run_skillci("runs", "record", str(path), "--root", str(root))

    assert first.code == 0, first.output
    [recorded] = json.loads(first.stdout)["recorded"]
    assert recorded["created"] is True and recorded["status"] == "running"
    assert second.code == 0, second.output
    assert second.stdout.strip() == f"run {recorded['id']}: failed (running -> failed)"
    assert _count(root, "select count(*) from agent_errors") == 1


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('{"idempotency_key": "k",\n "skill_id": "fix-lint",\n "status": "done"}', 3, "status: 'done' is not one of"),
        ('{"idempotency_key": "k", "skill_id": "fix-lint"}', 1, "'status' is a required property"),
        ('{"idempotency_key": "k",\n "status": "running",\n "skill_id": "fix-lint",\n "status": "failed"}', 4, "dup"),
        (
            '{"idempotency_key": "k",\n "skill_id": "fix-lint", "status": "running",\n "started_at": "yesterday"}',
            3,
            "ISO 8601",
        ),
        ("[]", 1, "no run report"),
        ('{"idempotency_key": "k",\n "skill_id": "fix-lint\\n", "status": "running"}', 2, "does not match"),
        ('{"idempotency_key": "k", "skill_id": "fix-lint", "status": "running"', 1, ""),
    ],
)
def test_runs_record_rejects_bad_reports_with_file_and_line(root: Path, text: str, line: int, expected: str) -> None:
    result = run_skillci("runs", "record", "--root", str(root), stdin=text)
    assert result.code == 2
    [message] = result.stderr.splitlines()
    assert message.startswith(f"skillci: error: <stdin>:{line}: ") or (line == 1 and "<stdin>:" in message), message
    assert expected.lower() in message.lower()


def test_runs_record_reads_json_numbers_as_json(root: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(root)).code == 0
    # What json.dumps writes for 0.00001, and an exponent without a dot: numbers in JSON, strings in YAML 1.1.
    text = (
        '{"idempotency_key": "k", "skill_id": "fix-lint", "status": "running", "cost_usd": 1e-05, "duration_s": 2e+1}'
    )
    result = run_skillci("runs", "record", "--root", str(root), stdin=text)
    assert result.code == 0, result.output
    assert _count(root, "select count(*) from runs where cost_usd = 0.00001 and duration_s = 20") == 1


def test_runs_record_refuses_an_illegal_transition_with_exit_2(root: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(root)).code == 0
    done = {"idempotency_key": "k", "skill_id": "fix-lint", "status": "running"}
    assert run_skillci("runs", "record", "--root", str(root), stdin=json.dumps(done)).code == 0
    assert (
        run_skillci("runs", "record", "--root", str(root), stdin=json.dumps({**done, "status": "cancelled"})).code == 0
    )

    result = run_skillci("runs", "record", "--root", str(root), stdin=json.dumps(done))

    assert result.code == 2
    assert "illegal run transition" in result.stderr and "cancelled -> running" in result.stderr


def test_a_dry_run_on_a_store_without_schema_plans_against_an_empty_store(root: Path) -> None:
    result = run_skillci("sync", "--dry-run", "--migrate", "--root", str(root), "--format", "json")

    assert result.code == 0, result.output
    assert json.loads(result.stdout)["skills"]["created"] == 6
    assert "the store has no schema yet" in result.stderr
    assert not (root / ".skillci" / "skillci.db").exists()


def test_inside_actions_the_throwaway_default_store_is_warned_about(root: Path) -> None:
    result = run_skillci("sync", "--migrate", "--root", str(root), "--format", "text", env={"GITHUB_ACTIONS": "true"})
    assert result.code == 0
    assert "skillci: warning: no --store or SKILLCI_STORE" in result.stderr
    quiet = run_skillci("sync", "--root", str(root), "--format", "text")
    assert "warning" not in quiet.stderr
