"""Where the messages to lint come from: the options choose one source (a range may go with the PR title)."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from skillci.commits.lint import Message, comment_char, gather, lint_messages
from skillci.commits.parser import SCISSORS
from skillci.errors import BadInput, CheckFailed, ExitCode


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_message_from_an_option_or_from_stdin(tmp_path: Path) -> None:
    messages, settings = gather(tmp_path, message="feat: x", stdin=_Terminal())
    assert messages == [Message(text="feat: x")] and "type-enum" in settings.rules
    messages, _ = gather(tmp_path, stdin=_Pipe("fix: y\n"))
    assert messages == [Message(text="fix: y\n")]


@pytest.mark.parametrize("text", ["", "\n", " \t\r\n\u00a0"])
def test_an_empty_message_given_is_input_required_as_in_commitlint(tmp_path: Path, text: str) -> None:
    with pytest.raises(CheckFailed, match=r"^input is required: stdin is empty$") as raised:
        gather(tmp_path, stdin=_Pipe(text))
    assert raised.value.exit_code == ExitCode.CHECK_FAILED
    with pytest.raises(CheckFailed, match=r"^input is required: --message is empty$"):
        gather(tmp_path, message=text, stdin=_Terminal())


def test_the_commit_msg_file_is_read_whole_and_shown_without_git_comment_lines(tmp_path: Path) -> None:
    edit = tmp_path / "COMMIT_EDITMSG"
    edit.write_bytes(b"feat: z\r\n# Please enter the commit message\n")
    messages, _ = gather(tmp_path, edit=Path("COMMIT_EDITMSG"), stdin=_Terminal())
    # As commitlint reads it: the file's bytes and a newline; the parser leaves the comments out.
    assert messages == [Message(text="feat: z\r\n# Please enter the commit message\n\n", comment_char="#")]
    assert messages[0].shown == "feat: z\r\n"


def _edit_verdicts(root: Path, text: str) -> list[tuple[bool, list[str], list[str]]]:
    edit = root / "message.txt"
    edit.write_text(text, encoding="utf-8")
    messages, settings = gather(root, edit=edit, stdin=_Terminal())
    run = lint_messages(messages, settings, strict=False)
    return [
        (outcome.valid, [p.rule for p in outcome.errors], [p.rule for p in outcome.warnings])
        for _, outcome in run.results
    ]


def test_the_commit_msg_file_has_commitlints_verdicts(tmp_path: Path) -> None:
    """The issue's examples, with what commitlint --edit says on them."""
    assert _edit_verdicts(tmp_path, "# c\n\nfeat: x\n") == [
        (False, ["header-max-length", "subject-empty", "type-empty"], [])
    ]
    assert _edit_verdicts(tmp_path, "feat: x\n# c\n\nbody\n") == [(True, [], ["body-leading-blank"])]
    verbose = f"feat: x\n\n# {SCISSORS}\n# Do not modify the line above.\ndiff --git a/f b/f\n+{'y' * 120}\n"
    assert _edit_verdicts(tmp_path, verbose) == [(True, [], [])]
    assert _edit_verdicts(tmp_path, "") == [] and _edit_verdicts(tmp_path, "\n\n") == []  # nothing to lint: ok


def test_the_comment_char_is_the_checkouts_core_comment_char(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert comment_char(tmp_path) == "#"
    subprocess.run(["git", "-C", str(tmp_path), "config", "core.commentChar", ";"], check=True)
    assert comment_char(tmp_path) == ";"
    assert _edit_verdicts(tmp_path, f"feat: x\n\n; {SCISSORS}\n+{'y' * 120}\n") == [(True, [], [])]
    assert _edit_verdicts(tmp_path, "; c\nfeat: x\n") == [(True, [], [])]


def test_the_pull_request_title_comes_from_the_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"title": "feat: a title"}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    messages, _ = gather(tmp_path, pr_title=True, stdin=_Terminal())
    assert messages == [Message(text="feat: a title")]


def test_two_sources_or_none_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="choose one of --message, --last"):
        gather(tmp_path, message="feat: x", last=True, stdin=_Terminal())
    with pytest.raises(BadInput, match="nothing to lint"):
        gather(tmp_path, stdin=_Terminal())


def _commit(repo: Path, message: str) -> None:
    identity = {
        f"GIT_{who}_{what}": value
        for who in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", "t"), ("EMAIL", "t@example.invalid"))
    }
    command = ["git", "-C", str(repo), "commit", "-q", "--allow-empty", "--allow-empty-message", "--cleanup=verbatim"]
    subprocess.run([*command, "-m", message], env={**os.environ, **identity}, check=True)


@pytest.mark.parametrize(
    ("message", "read"),
    [
        ("feat: x\n\nbody\n", "feat: x\n\nbody"),
        (" feat: x \n\n", "feat: x"),
        ('"feat: x"', "feat: x"),
        ('"fix: y\n\nbody"\n', "fix: y\n\nbody"),
        ('" feat: x"', " feat: x"),  # trimmed before the quotes go, not after
        ("\n\nv1.2.3\n", "v1.2.3"),
    ],
)
def test_the_last_commit_is_read_as_commitlint_last_reads_it(tmp_path: Path, message: str, read: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _commit(tmp_path, message)
    messages, _ = gather(tmp_path, last=True, stdin=_Terminal())
    assert [m.text for m in messages] == [read] and messages[0].hash


@pytest.mark.parametrize("message", ["", "\n", '""', '"', "  \n\t"])
def test_an_empty_last_commit_leaves_nothing_to_lint_as_in_commitlint(tmp_path: Path, message: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _commit(tmp_path, message)
    messages, settings = gather(tmp_path, last=True, stdin=_Terminal())
    assert messages == [] and not lint_messages(messages, settings, strict=True).failed


def test_a_version_as_last_commit_is_ignored(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _commit(tmp_path, '"v1.2.3"\n')
    messages, settings = gather(tmp_path, last=True, stdin=_Terminal())
    ((_, outcome),) = lint_messages(messages, settings, strict=True).results
    assert outcome.ignored and outcome.valid
