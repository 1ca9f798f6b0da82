"""`skillci commitlint` gives @commitlint/cli's verdicts (config-conventional) on every corpus commit.

One temporary repository holds every corpus message as a real commit; @commitlint/cli from the
project's node_modules lints `--from root --to HEAD` with config-conventional, then with every
rule of @commitlint/rules configured (both conditions), and skillci must agree on each commit.
The other sources are held to it too: the commit-msg hook's file (`--edit FILE`, git's comment
lines and `git commit -v`'s scissors and diff) and the last commit (`--last`).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from helpers.act import git
from helpers.cli import run_skillci
from helpers.commitlint_ref import (
    CONFIG,
    RULE_FILES,
    SCISSOR,
    Verdict,
    build_repository,
    commitlint_verdicts,
    load_corpus,
    read_messages,
    require_commitlint,
    run_commitlint,
    start_commitlint,
)
from skillci.commits.parser import js_trim
from skillci.commits.rules import RULE_NAMES, RuleSetting, lint, rules_from_config


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str], list[tuple[str, str]]]:
    """The corpus committed: (repo, root commit, id by hash, (hash, message) as commitlint reads them)."""
    require_commitlint()
    corpus = load_corpus()
    assert len(corpus) >= 500
    repo = tmp_path_factory.mktemp("commitlint") / "repo"
    base, hashes = build_repository(repo, [item["message"] for item in corpus])
    ids = dict(zip(hashes, (item["id"] for item in corpus), strict=True))
    # @commitlint/cli drops messages that are empty once trimmed before linting.
    linted = [(sha, message) for sha, message in read_messages(repo, base) if js_trim(message) != ""]
    return repo, base, ids, linted


def _ours(message: str, rules: Mapping[str, RuleSetting] | None) -> Verdict:
    outcome = lint(message, rules)
    return Verdict(
        valid=outcome.valid,
        errors=tuple((p.rule, p.message) for p in outcome.errors),
        warnings=tuple((p.rule, p.message) for p in outcome.warnings),
    )


def _names(problems: tuple[tuple[str, str], ...]) -> list[str]:
    return sorted(name for name, _ in problems)


def _compare(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
    rules_file: Path | None,
    rules: Mapping[str, RuleSetting] | None,
) -> None:
    repo, base, ids, linted = repository
    theirs = run_commitlint(repo, base, rules_file)
    assert len(theirs) == len(linted), f"commitlint returned {len(theirs)} results for {len(linted)} messages"
    verdict_diffs: list[str] = []
    message_diffs: list[str] = []
    for (sha, message), reference in zip(linted, theirs, strict=True):
        ours = _ours(message, rules)
        same_verdict = (
            ours.valid == reference.valid
            and _names(ours.errors) == _names(reference.errors)
            and _names(ours.warnings) == _names(reference.warnings)
        )
        where = f"{ids[sha]} {message!r}"
        if not same_verdict:
            verdict_diffs.append(
                f"{where}\n    commitlint: valid={reference.valid} errors={_names(reference.errors)} "
                f"warnings={_names(reference.warnings)}\n    skillci:    valid={ours.valid} "
                f"errors={_names(ours.errors)} warnings={_names(ours.warnings)}"
            )
        elif sorted(ours.errors + ours.warnings) != sorted(reference.errors + reference.warnings):
            message_diffs.append(f"{where}\n    commitlint: {reference}\n    skillci:    {ours}")
    assert not verdict_diffs, f"{len(verdict_diffs)} of {len(linted)} commits disagree; first 20:\n" + "\n".join(
        verdict_diffs[:20]
    )
    assert not message_diffs, (
        f"{len(message_diffs)} of {len(linted)} commits have other messages; first 20:\n"
        + "\n".join(message_diffs[:20])
    )


def test_config_conventional_verdicts_match(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
) -> None:
    _compare(repository, None, None)


@pytest.mark.parametrize("rules_file", RULE_FILES, ids=lambda path: path.stem)
def test_every_configurable_rule_matches(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]], rules_file: Path
) -> None:
    data = json.loads(rules_file.read_text(encoding="utf-8"))
    rules = rules_from_config({"rules": data}, source=rules_file.name)
    _compare(repository, rules_file, rules)


def test_the_rule_files_cover_every_rule() -> None:
    covered = set()
    for path in RULE_FILES:
        covered |= set(json.loads(path.read_text(encoding="utf-8")))
    assert covered == RULE_NAMES


def test_the_cli_reads_the_range_as_commitlint_does_and_agrees_on_every_commit(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
) -> None:
    """`skillci commitlint --from --to --format json`, the real CLI, against @commitlint/cli, commit by commit."""
    repo, base, ids, linted = repository
    theirs = dict(zip((sha for sha, _ in linted), run_commitlint(repo, base), strict=True))
    run = run_skillci(
        "commitlint", "--root", str(repo), "--from", base, "--to", "HEAD", "--format", "json", timeout=120
    )
    assert run.code in (0, 1), run.output[-2000:]
    results = json.loads(run.stdout)["results"]
    assert [result["hash"] for result in results] == [sha for sha, _ in linted]
    diffs = []
    for result in results:
        reference = theirs[result["hash"]]
        expected = (reference.valid, _names(reference.errors), _names(reference.warnings))
        if (result["valid"], sorted(result["errors"]), sorted(result["warnings"])) != expected:
            diffs.append(f"{ids[result['hash']]}: commitlint {expected}, skillci {result}")
    assert not diffs, f"{len(diffs)} of {len(results)} commits disagree; first 20:\n" + "\n".join(diffs[:20])
    assert run.code == 1 and any(not result["valid"] for result in results)


# ---------------------------------------------------------------- the commit-msg hook's file (--edit FILE)

_LONG = "x" * 120
#: Files as git hands them to the commit-msg hook, by name: (core.commentChar or None for git's `#`, the file).
EDIT_FILES = {
    "comment-above-the-header": (None, "# c\n\nfeat: x\n"),
    "comment-between-header-and-body": (None, "feat: x\n# c\n\nbody\n"),
    "scissors-then-a-long-diff-line": (None, f"feat: x\n\n# {SCISSOR}\n# Do not modify the line above.\n+{_LONG}\n"),
    "scissors-without-the-comment-char": (None, f"feat: x\n\n{SCISSOR}\n+{_LONG}\n"),
    "comments-only": (None, "# Please enter the commit message for your changes.\n#\n"),
    "empty": (None, ""),
    "crlf-with-a-comment": (None, "fix: y\r\n\r\nbody\r\n# c\r\n"),
    "comment-in-the-footer": (None, "fix: y\n\nbody\n\nCloses #1\n# comment\n"),
    "comment-then-a-long-body-line": (None, f"feat: x\n\n# {_LONG}\nbody\n"),
    "semicolon-scissors": (";", f"feat: x\n\n; {SCISSOR}\n+{_LONG}\n"),
    "semicolon-comment-above-the-header": (";", "; c\n\nfeat: x\n"),
    "semicolon-hash-lines-are-the-message": (";", f"feat: x\n\n# {SCISSOR}\n+{_LONG}\n"),
}
_EditCase = tuple[Path, Path, list[Verdict]]


def _hook_repo(repo: Path, comment_char: str | None) -> Path:
    """A repository whose staged file holds a line over 100 characters."""
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    if comment_char:
        git("config", "core.commentChar", comment_char, cwd=repo)
    (repo / "long.txt").write_text(f"{_LONG}\n", encoding="utf-8")
    git("add", "long.txt", cwd=repo)
    return repo


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with git's default comment character and a staged line over 100 characters."""
    require_commitlint()
    return _hook_repo(tmp_path_factory.mktemp("hook") / "repo", None)


@pytest.fixture(scope="module")
def edit_cases(hook_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, _EditCase]:
    """Every EDIT_FILES file written, and commitlint's verdicts on it (all linted at once): name → (repo, file,
    verdicts)."""
    semicolon = _hook_repo(tmp_path_factory.mktemp("hook") / "repo", ";")
    pending = {}
    for name, (comment_char, text) in EDIT_FILES.items():
        repo = semicolon if comment_char else hook_repo
        message_file = repo.parent / f"{name}.msg"
        message_file.write_bytes(text.encode("utf-8"))
        out = repo.parent / f"{name}.commitlint.json"
        pending[name] = (repo, message_file, start_commitlint(repo, "--edit", str(message_file), out=out))
    return {name: (repo, file, run.verdicts()) for name, (repo, file, run) in pending.items()}


def _skillci_agrees_on_the_file(repo: Path, message_file: Path, theirs: list[Verdict]) -> None:
    """skillci --edit FILE in repo gives commitlint's verdicts, and exits 1 exactly when one is invalid."""
    run = run_skillci("commitlint", "--root", str(repo), "--edit", str(message_file), "--format", "json")
    assert run.code in (0, 1), run.output
    ours = [(r["valid"], sorted(r["errors"]), sorted(r["warnings"])) for r in json.loads(run.stdout)["results"]]
    expected = [(v.valid, _names(v.errors), _names(v.warnings)) for v in theirs]
    assert ours == expected, f"{message_file.read_bytes()!r}: commitlint {expected}, skillci {ours}"
    assert run.code == (0 if all(v.valid for v in theirs) else 1)


@pytest.mark.parametrize("name", EDIT_FILES)
def test_the_commit_msg_file_is_read_as_commitlint_reads_it(edit_cases: dict[str, _EditCase], name: str) -> None:
    _skillci_agrees_on_the_file(*edit_cases[name])


def test_the_issue_examples_have_commitlints_verdicts(edit_cases: dict[str, _EditCase]) -> None:
    """What commitlint says on the files the issue names: a guard on the reference itself."""
    assert not edit_cases["comment-above-the-header"][2][0].valid
    assert _names(edit_cases["comment-between-header-and-body"][2][0].warnings) == ["body-leading-blank"]
    assert edit_cases["scissors-then-a-long-diff-line"][2][0].valid
    assert edit_cases["empty"][2] == [] and edit_cases["comments-only"][2][0].valid


def test_git_commit_verbose_writes_a_diff_below_the_scissors_that_neither_lints(hook_repo: Path) -> None:
    """The file real `git commit -v` hands the hook: the staged 120-character line sits below the scissors."""
    captured = hook_repo.parent / "COMMIT_EDITMSG.captured"
    hook = hook_repo / ".git" / "hooks" / "commit-msg"
    hook.write_text(f'#!/bin/sh\ncp "$1" "{captured}"\nexit 1\n', encoding="utf-8")
    hook.chmod(0o755)
    identity = {
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "t"), ("EMAIL", "t@example.invalid"))
    }
    env = {**os.environ, "GIT_EDITOR": "true", **identity}
    command = ["git", "commit", "-q", "-v", "-e", "-m", "feat: add a long line"]
    subprocess.run(command, cwd=hook_repo, env=env, capture_output=True, check=False)  # the hook refuses it
    text = captured.read_text(encoding="utf-8")
    assert f"# {SCISSOR}\n" in text and f"+{_LONG}\n" in text
    theirs = commitlint_verdicts(hook_repo, "--edit", str(captured), out=hook_repo.parent / "verbose.json")
    assert theirs == [Verdict(valid=True, errors=(), warnings=())]
    _skillci_agrees_on_the_file(hook_repo, captured, theirs)


# ---------------------------------------------------------------- the last commit (--last)

#: Last commits' messages, by name, stored verbatim.
LAST_MESSAGES = {
    "quoted-empty": '""',
    "quoted-header": '"feat: x"',
    "quoted-bad-type": '"Feat: x"',
    "quoted-with-a-body": '"fix: y\n\nbody"',
    "surrounding-spaces": " feat: x \n",
    "version-after-blank-lines": "\n\nv1.2.3\n",
    "quoted-version": '"v1.2.3"',
    "revert-after-a-space": " Revert x",
    "empty": "",
    "newline": "\n",
}
_LastCase = tuple[Path, list[Verdict]]


@pytest.fixture(scope="module")
def last_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, _LastCase]:
    """A repository per LAST_MESSAGES message, HEAD holding it, and commitlint --last's verdicts there (all linted at
    once): name → (repo, verdicts)."""
    require_commitlint()
    pending = {}
    for name, message in LAST_MESSAGES.items():
        repo = tmp_path_factory.mktemp("last") / "repo"
        build_repository(repo, [message])
        pending[name] = (repo, start_commitlint(repo, "--last", out=repo.parent / "last.commitlint.json"))
    return {name: (repo, run.verdicts()) for name, (repo, run) in pending.items()}


@pytest.mark.parametrize("name", LAST_MESSAGES)
def test_the_last_commit_is_read_as_commitlint_reads_it(last_cases: dict[str, _LastCase], name: str) -> None:
    repo, theirs = last_cases[name]
    run = run_skillci("commitlint", "--root", str(repo), "--last", "--format", "json")
    assert run.code in (0, 1), run.output
    results = json.loads(run.stdout)["results"]
    ours = [(r["valid"], sorted(r["errors"]), sorted(r["warnings"])) for r in results]
    expected = [(v.valid, _names(v.errors), _names(v.warnings)) for v in theirs]
    assert ours == expected, f"{LAST_MESSAGES[name]!r}: commitlint {expected}, skillci {ours}"
    assert run.code == (0 if all(v.valid for v in theirs) else 1)


def test_the_last_commit_examples_have_commitlints_verdicts(last_cases: dict[str, _LastCase]) -> None:
    """What commitlint --last says on the issue's examples: a guard on the reference itself."""
    for name in ("quoted-empty", "empty", "newline"):
        assert last_cases[name][1] == [], name  # nothing to lint, and it exits 0
    for name in ("quoted-header", "surrounding-spaces", "version-after-blank-lines", "quoted-version"):
        assert last_cases[name][1] == [Verdict(valid=True, errors=(), warnings=())], name


# ---------------------------------------------------------------- an empty message given (stdin, --message)


@pytest.mark.parametrize("text", ["", "\n", " \t\n"], ids=["empty", "newline", "white-space"])
def test_an_empty_message_on_stdin_is_input_required_as_in_commitlint(tmp_path: Path, text: str) -> None:
    node, cli = require_commitlint()
    theirs = subprocess.run(
        [node, str(cli), "--config", str(CONFIG), "--color=false"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert theirs.returncode == 1 and "[input] is required" in theirs.stdout
    for args, stdin in ((("--format", "text"), text), (("--message", text), None)):
        ours = run_skillci("commitlint", "--root", str(tmp_path), *args, stdin=stdin)
        assert ours.code == 1 and ours.stdout == "", ours.output
        assert ours.stderr.startswith("skillci: error: input is required: "), ours.output
