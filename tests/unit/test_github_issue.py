"""The weekly-report issue through PyGithub, against an in-memory GitHub (`responses`: no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpers.github_api import REPO_ID, FakeGitHub, capture_github_log, collect_texts, record_waits, serving
from skillci import github
from skillci.errors import BadInput, ServiceFailed

MARKER = "<!-- skillci:weekly:2026-W47 -->"
TITLE = "skillci weekly report 2026-W47"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep skillci.github asks for, recorded instead of slept; the clock stands at NOW."""
    return record_waits(monkeypatch)


@pytest.fixture
def fake(waits: list[float]) -> Iterator[FakeGitHub]:
    with serving() as stub:
        yield stub


def publish(fake: FakeGitHub, body: str = "# Weekly\n\n12 runs", **options: Any) -> github.IssueOutcome:
    return github.weekly_issue(**fake.arguments({"title": TITLE, "body": body, "marker": MARKER}, options))


def issue_listings(fake: FakeGitHub) -> list[Any]:
    return [call for call in fake.requests("GET") if call.path == f"/repos/{fake.repository}/issues"]


def test_created_once_with_the_label_then_edited_on_a_rerun(fake: FakeGitHub) -> None:
    first = publish(fake, "12 runs")
    assert first.action == "created"
    [create] = fake.requests("POST", f"/repos/{fake.repository}/issues")
    assert create.body == {"title": TITLE, "body": f"{MARKER}\n12 runs", "labels": ["weekly-report"]}
    assert create.authorization == f"token {fake.token}"
    [issue] = fake.issues
    assert (first.url, first.number) == (issue["html_url"], issue["number"])
    [listing] = issue_listings(fake)
    assert listing.query["labels"] == "weekly-report" and listing.query["state"] == "all"

    fake.calls.clear()
    second = publish(fake, "13 runs")
    assert second == github.IssueOutcome("updated", issue["html_url"], issue["number"])
    assert fake.requests("POST") == []
    [edit] = fake.requests("PATCH")
    assert edit.path == f"/repos/{fake.repository}/issues/{issue['number']}"
    assert edit.body == {"title": TITLE, "body": f"{MARKER}\n13 runs"}
    assert len(fake.issues) == 1 and issue["body"] == f"{MARKER}\n13 runs"


def test_the_same_report_again_is_unchanged_and_writes_nothing(fake: FakeGitHub) -> None:
    ours = fake.add_issue(TITLE, f"{MARKER}\n12 runs\r\n")
    assert publish(fake, "12 runs") == github.IssueOutcome("unchanged", ours["html_url"], ours["number"])
    assert fake.writes() == []


def test_a_new_title_alone_is_an_edit(fake: FakeGitHub) -> None:
    ours = fake.add_issue("old title", f"{MARKER}\n12 runs")
    assert publish(fake, "12 runs").action == "updated"
    assert ours["title"] == TITLE


def test_a_closed_issue_of_the_week_is_edited_not_duplicated(fake: FakeGitHub) -> None:
    ours = fake.add_issue(TITLE, f"{MARKER}\nold", state="closed")
    assert publish(fake, "new").action == "updated"
    assert len(fake.issues) == 1 and ours["body"] == f"{MARKER}\nnew" and ours["state"] == "closed"


def test_another_weeks_issue_and_unlabelled_issues_are_left_alone(fake: FakeGitHub) -> None:
    other_week = fake.add_issue("skillci weekly report 2026-W46", "<!-- skillci:weekly:2026-W46 -->\nlast week")
    unlabelled = fake.add_issue("copy", f"{MARKER}\npasted by hand", labels=())
    assert publish(fake).action == "created"
    assert len(fake.issues) == 3
    assert other_week["body"].endswith("last week") and unlabelled["body"].endswith("pasted by hand")
    assert fake.issues[-1]["labels"][0]["name"] == "weekly-report"


def test_the_weeks_issue_on_a_later_page_is_found_and_edited(fake: FakeGitHub) -> None:
    ours = fake.add_issue(TITLE, f"{MARKER}\nold")  # the oldest: the last page, newest first
    for index in range(230):
        fake.add_issue(f"week {index}", f"<!-- skillci:weekly:{index} -->\nother")

    outcome = publish(fake, "new")

    assert outcome == github.IssueOutcome("updated", ours["html_url"], ours["number"])
    pages = issue_listings(fake)
    assert [call.query.get("page", "1") for call in pages] == ["1", "2", "3"]
    assert all(call.query["labels"] == "weekly-report" for call in pages)
    assert all(f"/repositories/{REPO_ID}/issues" in call.url for call in pages[1:]), "the Link header was not followed"
    assert fake.requests("POST") == []
    assert ours["body"] == f"{MARKER}\nnew"


def test_a_custom_label(fake: FakeGitHub) -> None:
    fake.add_issue(TITLE, f"{MARKER}\nold")  # weekly-report, not ops-report
    assert publish(fake, label="ops-report").action == "created"
    assert fake.issues[-1]["labels"][0]["name"] == "ops-report"


def test_a_5xx_is_retried_with_back_off(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("POST", f"/repos/{fake.repository}/issues", 502)
    fake.fail("GET", f"/repos/{fake.repository}/issues", 503)
    assert publish(fake).action == "created"
    assert waits == [1.0, 1.0]
    assert len(fake.issues) == 1


def test_a_create_that_landed_behind_a_502_is_not_repeated(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("POST", f"/repos/{fake.repository}/issues", 502, landed=True)
    outcome = publish(fake, "report")
    assert outcome.action == "created"
    assert [issue["body"] for issue in fake.issues] == [f"{MARKER}\nreport"]
    assert len(fake.requests("POST")) == 1
    assert waits == [1.0]


def test_5xx_every_time_fails_after_the_attempts(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("PATCH", f"/repos/{fake.repository}/issues/101", 500, times=9)
    fake.add_issue(TITLE, f"{MARKER}\nold")
    with pytest.raises(ServiceFailed) as caught:
        publish(fake, attempts=3)
    assert (
        caught.value.message
        == f"GitHub API failed after 3 tries: HTTP 500 on PATCH /repos/{fake.repository}/issues/101"
    )
    assert caught.value.exit_code == 3
    assert waits == [1.0, 2.0]


def test_a_429_with_retry_after_waits_that_long(fake: FakeGitHub, waits: list[float]) -> None:
    fake.fail("GET", f"/repos/{fake.repository}/issues", 429, headers={"Retry-After": "4"}, message="slow down")
    assert publish(fake).action == "created"
    assert waits == [4.0]


def test_a_token_without_issue_rights_fails_and_says_what_it_needs(fake: FakeGitHub) -> None:
    path = f"/repos/{fake.repository}/issues"
    fake.fail("POST", path, 403, message="Resource not accessible by integration")
    with pytest.raises(ServiceFailed) as caught:
        publish(fake)
    assert caught.value.message == (
        f"the token cannot write the issues of {fake.repository} (HTTP 403 on POST {path}); "
        "the job needs `issues: write`"
    )
    assert len(fake.requests("POST")) == 1, "a plain 403 is not retried"


def test_a_repository_the_token_cannot_see(fake: FakeGitHub) -> None:
    fake.fail("GET", f"/repos/{fake.repository}", 404, message="Not Found")
    with pytest.raises(ServiceFailed, match="does not exist or the token cannot see it"):
        publish(fake)
    assert fake.writes() == []


def test_a_rejected_token_is_bad_input(fake: FakeGitHub) -> None:
    with pytest.raises(BadInput, match=r"GitHub rejected the token \(HTTP 401\)"):
        publish(fake, token="ghs_not_the_right_one")


def test_the_token_never_appears_in_messages_or_logs(
    fake: FakeGitHub, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = fake.token
    texts: list[str] = []
    capture_github_log(caplog)
    attempt = collect_texts(lambda **options: publish(fake, **options), texts, lambda outcome: [repr(outcome)])

    path = f"/repos/{fake.repository}/issues"
    fake.fail("POST", path, 502, times=3)
    attempt()
    fake.fail("POST", path, 422, message=f"Validation Failed: body mentions {secret}")
    attempt()
    fake.fail("POST", path, 403, message=f"Resource not accessible by {secret}")
    attempt()
    attempt(body=f"the report quotes {secret}")  # created: GitHub holds what it was sent
    fake.token = "ghs_the_server_wants_another"
    attempt(token=secret)

    assert any("HTTP 422" in text and "***" in text for text in texts)
    captured = capsys.readouterr()
    everything = "\n".join([*texts, caplog.text.replace(f"the report quotes {secret}", ""), captured.out])
    assert "github" in caplog.text.lower()
    assert secret not in everything + captured.err


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"repository": "octo"}, "owner/name"),
        ({"title": ""}, "title"),
        ({"title": "a\nb"}, "title"),
        ({"title": "x" * 257}, "title"),
        ({"label": "a,b"}, "label"),
        ({"label": ""}, "label"),
        ({"marker": ""}, "issue marker"),
        ({"token": ""}, "no GitHub token"),
        ({"api_url": "api.github.com"}, "https://"),
        ({"attempts": 0}, "attempts"),
    ],
)
def test_bad_arguments_are_bad_input_before_any_request(
    fake: FakeGitHub, options: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(BadInput, match=complaint):
        publish(fake, **options)
    assert fake.calls == []


def test_a_body_over_the_limit_is_cut_to_fit(fake: FakeGitHub) -> None:
    assert publish(fake, "x" * 70_000).action == "created"
    written = fake.issues[-1]["body"]
    assert len(written) == github.COMMENT_LIMIT
    assert written.startswith(f"{MARKER}\nxxx")
    assert written.endswith("GitHub issues hold at most 65536 characters)")
    # Cut the same way again: unchanged, not edited.
    fake.calls.clear()
    assert publish(fake, "x" * 70_000).action == "unchanged"
    assert fake.writes() == []
