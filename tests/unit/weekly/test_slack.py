"""Posting to a Slack incoming webhook: retries, Retry-After, timeouts, refusals, and the URL kept secret.

Every request goes to a real HTTP server on 127.0.0.1 (tests/helpers/slack.py); the waits between tries are
recorded instead of slept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from helpers.slack import Reply, SlackWebhook
from skillci.errors import BadInput, ServiceFailed, SkillciError
from skillci.weekly import slack

MESSAGE = {
    "text": "skillci weekly 2026-W47",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
}
#: Timeouts are tenths of seconds here: a slow answer is 0.5 s late at most.
FAST = 0.2
SLOW = 0.6


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait skillci.weekly.slack asks for, recorded instead of slept; jitter pinned to its middle."""
    recorded: list[float] = []
    monkeypatch.setattr(slack, "_sleep", recorded.append)
    monkeypatch.setattr(slack, "_random", lambda: 0.5)
    return recorded


@pytest.fixture
def hook(waits: list[float]) -> Iterator[SlackWebhook]:
    with SlackWebhook() as webhook:
        yield webhook


def test_a_message_is_posted_as_json(hook: SlackWebhook, waits: list[float]) -> None:
    outcome = slack.post_webhook(hook.url, MESSAGE)
    assert outcome == slack.SlackOutcome(200, "ok", 1, 0.0)
    [request] = hook.requests
    assert (request.method, request.path) == ("POST", SlackWebhook.PATH)
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["user-agent"].startswith("skillci/")
    assert request.json == MESSAGE
    assert waits == []


def test_429_with_retry_after_waits_that_long_then_delivers_once(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(429, "rate_limited", headers={"Retry-After": "7"}), Reply(200))
    outcome = slack.post_webhook(hook.url, MESSAGE)
    assert (outcome.status, outcome.attempts, outcome.waited_s) == (200, 2, 7.0)
    assert waits == [7.0]
    assert hook.accepted == [MESSAGE]
    assert len(hook.requests) == 2


def test_a_retry_after_beyond_max_wait_gives_up_at_once(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(429, "rate_limited", headers={"Retry-After": "120"}))
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE, max_wait_s=60)
    assert caught.value.message == (
        "Slack rate limit: it asked to wait 120 s (HTTP 429 Retry-After), beyond the 60 s skillci waits; "
        "gave up after 1 try"
    )
    assert waits == [] and len(hook.requests) == 1


def test_a_429_without_retry_after_backs_off(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(429, "rate_limited"))
    assert slack.post_webhook(hook.url, MESSAGE).attempts == 2
    assert waits == [1.25]


def test_500_every_time_fails_after_exactly_the_attempts(hook: SlackWebhook, waits: list[float]) -> None:
    hook.default = Reply(500, "internal_error")
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE, attempts=4)
    assert len(hook.requests) == 4
    assert caught.value.exit_code == 3
    assert caught.value.message == "Slack webhook failed after 4 tries: HTTP 500 internal_error"
    assert waits == [1.25, 2.5, 5.0], "exponential back-off, jitter pinned at +25 %"


def test_back_off_has_jitter_within_half_again(
    hook: SlackWebhook, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack, "_random", __import__("random").random)
    hook.default = Reply(503, "")
    with pytest.raises(ServiceFailed):
        slack.post_webhook(hook.url, MESSAGE, attempts=5)
    assert [1.0 <= waits[0] < 1.5, 2.0 <= waits[1] < 3.0, 4.0 <= waits[2] < 6.0, 8.0 <= waits[3] < 12.0] == [True] * 4


def test_the_waits_stay_within_max_wait(hook: SlackWebhook, waits: list[float]) -> None:
    hook.default = Reply(502, "")
    with pytest.raises(ServiceFailed):
        slack.post_webhook(hook.url, MESSAGE, attempts=6, max_wait_s=5)
    assert sum(waits) == pytest.approx(5.0)


def test_5xx_then_200_delivers(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(503, "service unavailable"), Reply(502, ""), Reply(200))
    outcome = slack.post_webhook(hook.url, MESSAGE)
    assert outcome.attempts == 3 and len(waits) == 2
    assert hook.accepted == [MESSAGE]


def test_a_slow_answer_is_a_timeout_and_is_retried(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(200, delay_s=SLOW), Reply(200))
    outcome = slack.post_webhook(hook.url, MESSAGE, timeout_s=FAST)
    assert outcome.attempts == 2
    assert len(hook.requests) == 2 and waits == [1.25]
    assert hook.accepted == [MESSAGE]


def test_always_slow_fails_with_exit_3(hook: SlackWebhook, waits: list[float]) -> None:
    hook.default = Reply(200, delay_s=SLOW)
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE, attempts=2, timeout_s=FAST)
    assert caught.value.exit_code == 3
    assert caught.value.message == "Slack webhook failed after 2 tries: no answer within 0.2 s (ReadTimeout)"
    assert len(hook.requests) == 2


def test_an_answer_dripping_in_is_cut_at_the_attempt_deadline(hook: SlackWebhook, waits: list[float]) -> None:
    """A byte every 0.1 s never trips a 0.2 s read timeout; the attempt still ends at twice that."""
    hook.default = Reply(200, drip_s=0.1)
    started = time.monotonic()
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE, attempts=2, timeout_s=FAST)
    elapsed = time.monotonic() - started
    assert caught.value.message == (
        "Slack webhook failed after 2 tries: no complete answer within 0.4 s (it came in too slowly)"
    )
    assert len(hook.requests) == 2
    assert elapsed < 2 * slack.ATTEMPT_DEADLINE_FACTOR * FAST + 1.0


def test_a_dripping_first_answer_is_retried_and_the_second_delivers(hook: SlackWebhook, waits: list[float]) -> None:
    hook.script(Reply(200, drip_s=0.1), Reply(200))
    outcome = slack.post_webhook(hook.url, MESSAGE, timeout_s=FAST)
    assert outcome.attempts == 2 and outcome.answer == "ok"


@pytest.mark.parametrize("word", ["invalid_payload", "no_text", "channel_is_archived"])
def test_slacks_error_words_fail_even_with_a_200(hook: SlackWebhook, waits: list[float], word: str) -> None:
    hook.default = Reply(200, body=word)
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE)
    assert caught.value.message.startswith(f"Slack refused the message: HTTP 200 {word} (")
    assert len(hook.requests) == 1 and waits == []


def test_a_refused_connection_is_retried_then_reported(waits: list[float]) -> None:
    with SlackWebhook() as gone:
        url = gone.url
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(url, MESSAGE, attempts=3)
    assert caught.value.message == "Slack webhook failed after 3 tries: connection error (ConnectError)"
    assert len(waits) == 2


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (400, "invalid_payload", "HTTP 400 invalid_payload (the message is not one Slack accepts)"),
        (403, "action_prohibited", "HTTP 403 action_prohibited (an admin restricted posting to the channel)"),
        (404, "no_service", "HTTP 404 no_service (the webhook was removed or its URL is wrong)"),
        (410, "channel_is_archived", "HTTP 410 channel_is_archived (the webhook's channel is archived)"),
        (404, "", "HTTP 404 (check the webhook URL: it may have been revoked)"),
        (301, "", "HTTP 301"),
    ],
)
def test_a_refusal_is_not_retried_and_says_what_slack_answered(
    hook: SlackWebhook, waits: list[float], status: int, body: str, said: str
) -> None:
    hook.script(Reply(status, body))
    with pytest.raises(ServiceFailed) as caught:
        slack.post_webhook(hook.url, MESSAGE)
    assert caught.value.message == f"Slack refused the message: {said}"
    assert len(hook.requests) == 1 and waits == []


def test_the_url_never_appears_in_errors_or_logs(
    hook: SlackWebhook, waits: list[float], caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def attempt(url: str, **options: float) -> None:
        try:
            outcome = slack.post_webhook(url, MESSAGE, **options)  # type: ignore[arg-type]
        except SkillciError as error:
            texts.extend([str(error), repr(error), error.format(), repr(error.__cause__), repr(error.__context__)])
            assert error.__cause__ is None and error.__context__ is None
        else:
            texts.append(repr(outcome))

    hook.script(Reply(200, f"ok {hook.url}"))  # an answer that echoes the URL
    attempt(hook.url)
    hook.script(Reply(500, hook.PATH), Reply(500, hook.PATH))
    attempt(hook.url, attempts=2)
    hook.script(Reply(400, f"invalid_payload at {hook.url}"))
    attempt(hook.url)
    hook.script(Reply(200, delay_s=SLOW))
    attempt(hook.url, attempts=1, timeout_s=FAST)
    hook.script(Reply(429, "", headers={"Retry-After": "999"}))
    attempt(hook.url)
    attempt(hook.url.replace("http://", "ftp://"))
    attempt(hook.url + " x")
    with SlackWebhook() as gone:
        closed = gone.url
    attempt(closed, attempts=1)

    assert any("500" in text for text in texts) and any("ReadTimeout" in text for text in texts)
    assert "HTTP Request" in caplog.text, "httpx's request log was not captured"
    captured = capsys.readouterr()
    everything = "\n".join([*texts, caplog.text, captured.out, captured.err])
    for secret in (hook.url, hook.PATH, closed, "s3cretW3bhookT0ken"):
        assert secret not in everything


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "no Slack webhook URL"),
        ("   ", "no Slack webhook URL"),
        ("hooks.slack.com/services/T/B/X", "absolute https://"),
        ("ftp://hooks.slack.com/services/T/B/X", "absolute https://"),
        ("https:///services/T/B/X", "absolute https://"),
        ("https://hooks.slack.com/services/T/B/X Y", "spaces or control characters"),
        ("https://hooks.slack.com/services/T/B/X\n", None),  # stripped, accepted
        ("https://user:pw@hooks.slack.com/services/T/B/X", "user name or password"),
        ("https://hooks.slack.com:notaport/services/T/B/X", "not a valid URL"),
    ],
)
def test_bad_urls_are_bad_input_and_not_repeated(url: str, complaint: str | None) -> None:
    if complaint is None:
        assert slack.check_url(url) == url.strip()
        return
    with pytest.raises(BadInput, match=complaint) as caught:
        slack.check_url(url)
    assert caught.value.exit_code == 2
    if url.strip():
        assert "services/T/B/X" not in caught.value.message


def test_bad_settings_are_bad_input(hook: SlackWebhook) -> None:
    for options, complaint in (
        ({"attempts": 0}, "attempts"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"max_wait_s": -1}, "max_wait_s"),
    ):
        with pytest.raises(BadInput, match=complaint):
            slack.post_webhook(hook.url, MESSAGE, **options)  # type: ignore[arg-type]
    assert hook.requests == []


def test_importing_skillci_slack_does_not_import_httpx() -> None:
    import subprocess
    import sys

    from helpers import REPO_ROOT

    code = "import sys, skillci.weekly.slack; print('httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
