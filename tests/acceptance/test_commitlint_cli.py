"""`skillci commitlint` and `skillci version` as a user runs them: every mode, the output, the exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from helpers.act import git
from helpers.cli import Completed, run_skillci
from helpers.commitlint_ref import CONFIG, require_commitlint

GOOD = "feat(bench): cache results per skill"
BAD = "Added caching."


def _commitlint(root: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Completed:
    return run_skillci("commitlint", "--root", str(root), *args, stdin=stdin, env=env, timeout=60)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    git("commit", "-q", "--allow-empty", "-m", "chore: start", cwd=root)
    return root


def _commit(root: Path, message: str, *, author: str | None = None) -> str:
    args = ["commit", "-q", "--allow-empty", "--cleanup=verbatim", "-m", message]
    if author:
        args += ["--author", author]
    git(*args, cwd=root)
    return git("rev-parse", "HEAD", cwd=root).strip()


def test_a_message_is_linted_with_commitlints_output(repo: Path) -> None:
    good = _commitlint(repo, "--message", GOOD, "--format", "text")
    assert good.code == 0 and good.stdout.strip() == "skillci commitlint: ok — 1 message; 0 errors, 0 warnings"

    bad = _commitlint(repo, "--message", BAD, "--format", "text")
    assert bad.code == 1
    # Line for line what @commitlint/cli prints for the same message, then skillci's verdict line.
    node, cli = require_commitlint()
    reference = subprocess.run(
        [node, str(cli), "--config", str(CONFIG), "--color=false"],  # it colours its output under CI=true
        input=f"{BAD}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert reference.returncode == 1
    assert bad.stdout.splitlines()[:-1] == reference.stdout.splitlines()
    assert "✖   subject may not end with full stop [subject-full-stop]" in bad.stdout.splitlines()
    assert bad.stdout.splitlines()[-1] == "skillci commitlint: failed — 1 message; 3 errors, 0 warnings"


def test_warnings_pass_unless_strict(repo: Path) -> None:
    message = "feat: add x\nno blank line before the body"
    loose = _commitlint(repo, "--message", message, "--format", "text")
    assert loose.code == 0 and "⚠   body must have leading blank line [body-leading-blank]" in loose.stdout
    strict = _commitlint(repo, "--message", message, "--strict", "--format", "text")
    assert strict.code == 1 and "(strict: warnings fail)" in strict.stdout


def test_stdin_and_the_commit_msg_file(repo: Path) -> None:
    assert _commitlint(repo, "--format", "text", stdin=f"{GOOD}\n").code == 0
    assert _commitlint(repo, "--format", "text", stdin=f"{BAD}\n").code == 1
    edit = repo / ".git" / "COMMIT_EDITMSG"
    edit.write_text(f"{GOOD}\n# Please enter the commit message for your changes.\n#\n", encoding="utf-8")
    assert _commitlint(repo, "--edit", "--format", "text").code == 0  # default file; git's comments ignored
    other = repo.parent / "message.txt"
    other.write_text(BAD, encoding="utf-8")
    assert _commitlint(repo, "--edit", str(other), "--format", "text").code == 1


def test_a_range_in_json_with_hashes_and_rule_names(repo: Path) -> None:
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    first = _commit(repo, GOOD)
    second = _commit(repo, BAD)
    third = _commit(repo, "Merge branch 'feature'")  # ignored, as commitlint ignores merges

    run = _commitlint(repo, "--from", base, "--to", "HEAD", "--format", "json")

    assert run.code == 1
    results = json.loads(run.stdout)["results"]
    assert [result["hash"] for result in results] == [third, second, first]
    assert results[0] == {
        "hash": third,
        "header": "Merge branch 'feature'",
        "valid": True,
        "errors": [],
        "warnings": [],
    }
    assert results[1]["valid"] is False and results[1]["errors"] == ["subject-empty", "subject-full-stop", "type-empty"]
    assert results[2] == {"hash": first, "header": GOOD, "valid": True, "errors": [], "warnings": []}
    last = _commitlint(repo, "--last", "--format", "json")
    assert [result["hash"] for result in json.loads(last.stdout)["results"]] == [third]


def test_messages_holding_any_control_character_are_read_whole(repo: Path) -> None:
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    first = _commit(repo, "feat: a\x1eb\n\nbody\x1f1")
    second = _commit(repo, "fix: c\x1fd\x1e")
    run = _commitlint(repo, "--from", base, "--to", "HEAD", "--format", "json")
    results = json.loads(run.stdout)["results"]
    assert [(result["hash"], result["header"]) for result in results] == [
        (second, "fix: c\x1fd\x1e"),
        (first, "feat: a\x1eb"),
    ], run.output
    last = _commitlint(repo, "--last", "--format", "json")
    assert [result["hash"] for result in json.loads(last.stdout)["results"]] == [second], last.output


def test_the_pull_request_title_and_its_range_together(repo: Path) -> None:
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    _commit(repo, GOOD)
    event = repo.parent / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "title": "WIP stuff"}}), encoding="utf-8")
    env = {"GITHUB_EVENT_PATH": str(event)}
    run = _commitlint(repo, "--from", base, "--pr-title", "--format", "json", env=env)
    results = json.loads(run.stdout)["results"]
    assert run.code == 1 and len(results) == 2
    assert results[1]["hash"] is None and results[1]["header"] == "WIP stuff" and not results[1]["valid"]
    title_only = _commitlint(repo, "--pr-title", "--format", "text", env=env)
    assert title_only.code == 1 and "⧗   input: WIP stuff" in title_only.stdout


def test_github_format_annotates_each_problem_and_writes_a_summary(repo: Path) -> None:
    summary, outputs = repo.parent / "summary.md", repo.parent / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    run = _commitlint(repo, "--message", BAD, env=env)
    assert run.code == 1
    assert f"::error title=commitlint [type-empty]::{BAD}: type may not be empty" in run.stdout
    assert "| ❌ | — | Added caching. | `type-empty` | type may not be empty |" in summary.read_text(encoding="utf-8")
    assert "errors=3" in outputs.read_text(encoding="utf-8").splitlines()


def test_rules_and_bot_authors_come_from_skillci_yaml(repo: Path) -> None:
    (repo / "skillci.yaml").write_text(
        "commitlint:\n"
        "  rules:\n"
        "    type-enum: [2, always, [feat, fix, skill]]\n"
        "    header-max-length: [2, always, 30]\n"
        "  ignore_authors: ['dependabot[bot]']\n",
        encoding="utf-8",
    )
    assert _commitlint(repo, "--message", "skill: add triage", "--format", "text").code == 0
    refused = _commitlint(repo, "--message", "chore: tidy", "--format", "text")
    assert refused.code == 1 and "[type-enum]" in refused.stdout
    long = _commitlint(repo, "--message", "feat: a header that is longer than thirty", "--format", "text")
    assert long.code == 1 and "[header-max-length]" in long.stdout
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    _commit(repo, "Bump click from 8.1.0 to 8.1.7", author="dependabot[bot] <support@github.com>")
    run = _commitlint(repo, "--from", base, "--format", "text")
    assert run.code == 0 and "(1 by ignored authors skipped)" in run.stdout


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("commitlint:\n  rules:\n    no-such-rule: [2, always]\n", "no-such-rule"),
        ("commitlint:\n  rules:\n    type-enum: [3, always, [feat]]\n", "type-enum"),
        ("commitlint:\n  colour: blue\n", "unknown key(s) colour"),
    ],
)
def test_bad_configuration_is_exit_2_naming_skillci_yaml(repo: Path, yaml_text: str, message: str) -> None:
    (repo / "skillci.yaml").write_text(yaml_text, encoding="utf-8")
    run = _commitlint(repo, "--message", GOOD)
    assert run.code == 2 and run.stderr.startswith("skillci: error: skillci.yaml") and message in run.stderr, run.stderr


def test_a_shallow_clone_that_lacks_the_range_is_reported(repo: Path, tmp_path: Path) -> None:
    for index in range(3):
        _commit(repo, f"fix: change {index}")
    base = git("rev-parse", "HEAD~2", cwd=repo).strip()
    shallow = tmp_path / "shallow"
    git("clone", "-q", "--depth", "1", f"file://{repo}", str(shallow), cwd=tmp_path)
    git("remote", "remove", "origin", cwd=shallow)  # nothing to deepen from
    run = _commitlint(shallow, "--from", base, "--format", "text")
    assert run.code == 2 and "shallow clone" in run.stderr and "--from" in run.stderr, run.stderr
    assert _commitlint(shallow, "--last", "--format", "text").code == 0  # the last commit is always there


def test_mixing_modes_is_bad_input(repo: Path) -> None:
    run = _commitlint(repo, "--message", GOOD, "--last")
    assert run.code == 2 and "choose one of --message, --last" in run.stderr


def test_version_bumps_from_the_commits_since_the_last_tag(repo: Path) -> None:
    git("tag", "v1.4.2", cwd=repo)
    fix = _commit(repo, "fix(gate): count cases once")
    version = run_skillci("version", "--root", str(repo), "--format", "json")
    assert json.loads(version.stdout) == {
        "tag": "v1.4.2",
        "current": "1.4.2",
        "next": "1.4.3",
        "bump": "patch",
        "commits": 1,
    }
    feat = _commit(repo, "feat(bench): shards")
    _commit(repo, "docs: typo")
    assert run_skillci("version", "--root", str(repo), "--format", "plain").stdout == "1.5.0\n"
    breaking = _commit(repo, "refactor(store)!: drop the v0 tables\n\nBREAKING CHANGE: migrate before upgrading")
    text = run_skillci("version", "--root", str(repo)).stdout
    assert text == "skillci version: 1.4.2 → 2.0.0 (major; 4 commits since v1.4.2)\n"
    git("remote", "add", "origin", "git@github.com:acme/skills.git", cwd=repo)
    notes = run_skillci("version", "--root", str(repo), "--changelog").stdout
    sections = [line for line in notes.splitlines() if line.startswith("#")]
    assert sections[0].startswith("## 2.0.0 (") and sections[1:] == [
        "### ⚠ BREAKING CHANGES",
        "### Features",
        "### Bug Fixes",
    ]
    url = "https://github.com/acme/skills/commit/"
    assert f"* **store:** migrate before upgrading ([{breaking[:7]}]({url}{breaking}))" in notes
    assert f"* **bench:** shards ([{feat[:7]}]({url}{feat}))" in notes
    assert f"* **gate:** count cases once ([{fix[:7]}]({url}{fix}))" in notes
    assert "typo" not in notes


def test_version_without_a_tag_or_releasable_commits(repo: Path) -> None:
    assert run_skillci("version", "--root", str(repo), "--format", "plain").stdout == "0.0.0\n"
    _commit(repo, "feat: first feature")
    assert run_skillci("version", "--root", str(repo), "--format", "plain").stdout == "0.1.0\n"
    git("tag", "0.1.0", cwd=repo)
    _commit(repo, "chore: tidy")
    assert "0.1.0 → 0.1.0 (none;" in run_skillci("version", "--root", str(repo)).stdout
