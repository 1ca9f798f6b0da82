"""The sticky pull-request comment through PyGithub, against an in-memory GitHub (`responses`: no network)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from helpers import REPO_ROOT
from helpers.github_api import NOW, REPO_ID, FakeGitHub, capture_github_log, collect_texts, record_waits, serving
from skillci import github
from skillci.errors import BadInput, ServiceFailed

MARKER = "<!-- skillci:gate -->"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep skillci.github asks for, recorded instead of slept; the clock stands at NOW."""
    return record_waits(monkeypatch)


@pytest.fixture
def fake(waits: list[float]) -> Iterator[FakeGitHub]:
    """The in-memory GitHub at api.github.com; a request it does not answer fails the test."""
    with serving() as stub:
        yield stub


def post(fake: FakeGitHub, body: str = "gate: passed", **options: Any) -> github.CommentOutcome:
    return github.sticky_comment(**fake.arguments({"number": fake.number, "body": body, "marker": MARKER}, options))


def test_first_run_creates_and_second_run_edits_the_same_comment(fake: FakeGitHub) -> None:
    fake.add_comment("LGTM")
    first = post(fake, "gate: 2 skills passed")
    assert first.action == "created"
    [create] = fake.requests("POST", f"{fake.issue_path}/comments")
    assert create.body == {"body": f"{MARKER}\ngate: 2 skills passed"}
    assert create.authorization == f"token {fake.token}"
    ours = fake.comments[-1]
    assert first.url == ours["html_url"]

    fake.calls.clear()
    second = post(fake, "gate: 1 skill failed")
    assert second.action == "updated"
    assert second.url == ours["html_url"]
    assert fake.requests("POST") == []
    [edit] = fake.requests("PATCH")
    assert edit.path == f"/repos/{fake.repository}/issues/comments/{ours['id']}"
    assert edit.body == {"body": f"{MARKER}\ngate: 1 skill failed"}
    assert [comment["body"] for comment in fake.comments] == ["LGTM", f"{MARKER}\ngate: 1 skill failed"]


def test_a_body_that_already_starts_with_the_marker_is_not_marked_twice(fake: FakeGitHub) -> None:
    assert post(fake, f"{MARKER}\nreport").action == "created"
    assert fake.comments[-1]["body"] == f"{MARKER}\nreport"


def test_the_marker_on_the_third_page_is_found_and_edited_not_duplicated(fake: FakeGitHub) -> None:
    for index in range(250):
        fake.add_comment(f"chatter {index}")
    ours = fake.comments[230]
    ours["body"] = f"{MARKER}\nold report"

    outcome = post(fake, "new report")

    assert outcome.action == "updated"
    pages = [call for call in fake.requests("GET") if call.path.endswith("/comments")]
    assert [(call.query.get("page", "1"), call.query["per_page"]) for call in pages] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]
    assert all(f"/repositories/{REPO_ID}/" in call.url for call in pages[1:]), "the Link header was not followed"
    assert fake.requests("POST") == []
    [edit] = fake.requests("PATCH")
    assert edit.path.endswith(f"/issues/comments/{ours['id']}")
    assert len(fake.comments) == 250
    assert ours["body"] == f"{MARKER}\nnew report"


def test_several_marked_comments_edit_the_first_and_leave_the_rest(fake: FakeGitHub) -> None:
    first = fake.add_comment(f"{MARKER}\none")
    second = fake.add_comment(f"{MARKER}\ntwo")
    assert post(fake, "three").action == "updated"
    assert first["body"] == f"{MARKER}\nthree"
    assert second["body"] == f"{MARKER}\ntwo"


def test_the_same_body_again_is_unchanged_and_writes_nothing(fake: FakeGitHub) -> None:
    ours = fake.add_comment(f"{MARKER}\ngate: passed\r\n")
    outcome = post(fake, "gate: passed")
    assert outcome == github.CommentOutcome("unchanged", ours["html_url"])
    assert fake.writes() == []


def test_a_forbidden_create_is_skipped_with_a_reason(fake: FakeGitHub) -> None:
    fake.fail("POST", f"{fake.issue_path}/comments", 403, message="Resource not accessible by integration")
    outcome = post(fake)
    assert outcome.action == "skipped"
    assert outcome.url is None
    assert "cannot write to this pull request (HTTP 403" in outcome.reason
    assert "fork pull requests get the job summary only" in outcome.reason
    assert "\n" not in outcome.reason
    assert len(fake.requests("POST")) == 1, "a plain 403 is not retried"


def test_a_pull_request_the_token_cannot_see_is_skipped(fake: FakeGitHub) -> None:
    fake.fail("GET", fake.issue_path, 404, message="Not Found")
    outcome = post(fake)
    assert outcome.action == "skipped"
    assert f"HTTP 404 on GET {fake.issue_path}" in outcome.reason
    assert fake.writes() == []


def test_502_every_time_fails_after_exactly_the_attempts(fake: FakeGitHub, waits: list[float]) -> None:
    path = f"{fake.issue_path}/comments"
    fake.fail("POST", path, 502, times=99)
    with pytest.raises(ServiceFailed) as caught:
        post(fake, attempts=3)
    assert len(fake.requests("POST")) == 3
    assert caught.value.message == f"GitHub API failed after 3 tries: HTTP 502 on POST {path}"
    assert caught.value.exit_code == 3
    assert waits == [1.0, 2.0]


def test_502_then_201_creates_after_one_back_off(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("POST", f"{fake.issue_path}/comments", 502)
    assert post(fake).action == "created"
    assert len(fake.requests("POST")) == 2
    assert waits == [1.0]
    assert len(fake.comments) == 1


def test_a_create_that_landed_behind_a_502_is_not_repeated(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("POST", f"{fake.issue_path}/comments", 502, landed=True)
    outcome = post(fake, "report")
    assert outcome == github.CommentOutcome("created", fake.comments[0]["html_url"])
    assert [comment["body"] for comment in fake.comments] == [f"{MARKER}\nreport"]
    assert len(fake.requests("POST")) == 1
    assert waits == [1.0]


def test_a_failing_page_is_retried_without_losing_the_pages_before_it(fake: FakeGitHub, waits: list[float]) -> None:
    for index in range(150):
        fake.add_comment(f"chatter {index}")
    fake.comments[120]["body"] = f"{MARKER}\nold"
    fake.fail("GET", f"{fake.issue_path}/comments", 503, page=2)
    assert post(fake).action == "updated"
    assert [call.query.get("page", "1") for call in fake.requests("GET") if call.path.endswith("/comments")] == [
        "1",
        "2",
        "2",
    ]
    assert waits == [1.0]


def test_a_dropped_connection_is_retried_then_reported(fake: FakeGitHub, waits: list[float]) -> None:
    fake.drop_connection("GET", f"/repos/{fake.repository}", times=5)
    with pytest.raises(ServiceFailed) as caught:
        post(fake, attempts=2)
    assert caught.value.message == (
        f"GitHub API failed after 2 tries: connection error (ConnectionError) on GET /repos/{fake.repository}"
    )
    assert waits == [1.0]


def test_a_primary_rate_limit_waits_until_the_reset(fake: FakeGitHub, waits: list[float]) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 2)}
    message = "API rate limit exceeded for installation ID 1."
    fake.fail("POST", f"{fake.issue_path}/comments", 403, headers=headers, message=message)
    assert post(fake).action == "created"
    assert waits == [pytest.approx(2.0)]
    assert len(fake.requests("POST")) == 2


def test_a_429_with_retry_after_waits_that_long(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("GET", f"/repos/{fake.repository}", 429, headers={"Retry-After": "3"}, message="Too many requests")
    assert post(fake).action == "created"
    assert waits == [3.0]


def test_a_secondary_rate_limit_without_headers_waits_a_minute(fake: FakeGitHub, waits: list[float]) -> None:
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    fake.fail("POST", f"{fake.issue_path}/comments", 403, message=message)
    assert post(fake, max_wait_s=60).action == "created"
    assert waits == [60.0]


def test_a_rate_limit_resetting_beyond_max_wait_fails_and_says_when(fake: FakeGitHub, waits: list[float]) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)}
    fake.fail("GET", fake.issue_path, 403, headers=headers, message="API rate limit exceeded", times=9)
    with pytest.raises(ServiceFailed) as caught:
        post(fake, max_wait_s=60)
    assert "resets at 2023-11-14T23:13:20Z" in caught.value.message
    assert "beyond the 60 s" in caught.value.message
    assert waits == []
    assert fake.writes() == []


def test_rate_limit_waits_share_one_budget(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("GET", f"/repos/{fake.repository}", 429, headers={"Retry-After": "40"}, message="slow down", times=9)
    with pytest.raises(ServiceFailed, match="beyond the 60 s"):
        post(fake, max_wait_s=60)
    assert waits == [40.0]


def test_a_rejected_token_is_bad_input(fake: FakeGitHub) -> None:
    with pytest.raises(BadInput) as caught:
        post(fake, token="ghs_not_the_right_one")
    assert caught.value.message == "GitHub rejected the token (HTTP 401)"
    assert caught.value.exit_code == 2
    assert len(fake.calls) == 1, "a 401 is not retried"


def test_a_github_enterprise_api_url_is_used_for_every_request(waits: list[float]) -> None:
    stub = FakeGitHub(api="https://ghe.example.com/api/v3")
    stub.add_comment(f"{MARKER}\nold")
    for index in range(120):
        stub.add_comment(f"chatter {index}")
    with serving(stub):
        first = post(stub, "new")
        second = post(stub, "newer")
    assert (first.action, second.action) == ("updated", "updated")
    assert stub.calls, "no request reached the enterprise URL"
    for call in stub.calls:
        where = urlsplit(call.url)
        assert (where.scheme, where.hostname, where.path[:8]) == ("https", "ghe.example.com", "/api/v3/"), call.url
    assert {call.method for call in stub.calls} == {"GET", "PATCH"}


def test_the_token_never_appears_in_messages_logs_or_output(
    fake: FakeGitHub, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = fake.token
    texts: list[str] = []
    capture_github_log(caplog)
    attempt = collect_texts(
        lambda **options: post(fake, **options), texts, lambda outcome: [outcome.reason, repr(outcome)]
    )

    comments = f"{fake.issue_path}/comments"
    fake.fail("POST", comments, 502, times=3)
    attempt()
    fake.fail("POST", comments, 422, message=f"Validation Failed: body mentions {secret}")
    attempt()
    fake.fail("POST", comments, 403, message="Resource not accessible by integration")
    attempt()
    fake.fail("GET", fake.issue_path, 429, headers={"Retry-After": "999"}, message="slow down")
    attempt()
    attempt(token=secret + "\n")  # stripped, then accepted
    attempt(token=f"{secret} extra")  # refused before any request
    fake.token = "ghs_the_server_wants_another"
    attempt(token=secret)

    assert any("HTTP 422" in text and "***" in text for text in texts)
    captured = capsys.readouterr()
    everything = "\n".join([*texts, caplog.text, captured.out, captured.err])
    assert "github" in caplog.text.lower(), "PyGithub's debug log was not captured"
    assert secret not in everything


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"repository": "octo"}, "owner/name"),
        ({"number": 0}, "not a pull request number"),
        ({"marker": ""}, "marker"),
        ({"marker": "a\nb"}, "marker"),
        ({"token": ""}, "no GitHub token"),
        ({"api_url": "ghe.example.com"}, "https://"),
        ({"attempts": 0}, "attempts"),
    ],
)
def test_bad_arguments_are_bad_input_before_any_request(
    fake: FakeGitHub, options: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(BadInput, match=complaint):
        post(fake, **options)
    assert fake.calls == []


def test_a_body_over_the_limit_is_cut_to_fit(fake: FakeGitHub) -> None:
    assert post(fake, "x" * 70_000).action == "created"
    written = fake.comments[-1]["body"]
    assert len(written) == github.COMMENT_LIMIT
    assert written.startswith(f"{MARKER}\nxxx")
    assert written.endswith("characters)")


def test_importing_skillci_github_does_not_import_pygithub() -> None:
    code = "import sys, skillci.cli, skillci.github; print('github' in sys.modules, 'requests' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def write_event(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("payload", "number"),
    [
        ({"action": "opened", "number": 12, "pull_request": {"number": 12, "head": {"sha": "abc"}}}, 12),
        ({"action": "synchronize", "pull_request": {"number": 5}}, 5),
        ({"action": "created", "issue": {"number": 9, "pull_request": {"url": "…"}}, "comment": {}}, 9),
        ({"action": "created", "issue": {"number": 9}, "comment": {}}, None),
        ({"ref": "refs/heads/main", "before": "0" * 40, "after": "1" * 40, "commits": []}, None),
        ({"pull_request": {"number": True}}, None),
        ([1, 2, 3], None),
    ],
    ids=["pull_request", "pull_request_target", "issue_comment_on_pr", "issue_comment", "push", "bool", "list"],
)
def test_pull_request_number_reads_the_event_file(tmp_path: Path, payload: object, number: int | None) -> None:
    assert github.pull_request_number(write_event(tmp_path, payload)) == number


def test_pull_request_number_without_a_readable_event_is_none(tmp_path: Path) -> None:
    assert github.pull_request_number(None) is None
    assert github.pull_request_number("") is None
    assert github.pull_request_number(str(tmp_path / "missing.json")) is None
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert github.pull_request_number(str(broken)) is None
