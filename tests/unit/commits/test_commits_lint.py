"""Where the messages to lint come from: the options choose one source (a range may go with the PR title)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from skillci.commits.lint import Message, gather
from skillci.errors import BadInput


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


def test_the_commit_msg_file_loses_git_comment_lines(tmp_path: Path) -> None:
    edit = tmp_path / "COMMIT_EDITMSG"
    edit.write_text("feat: z\n# Please enter the commit message\n", encoding="utf-8")
    messages, _ = gather(tmp_path, edit=Path("COMMIT_EDITMSG"), stdin=_Terminal())
    assert messages == [Message(text="feat: z\n")]


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
