"""Slack: post one message to an incoming webhook, with retries, and never let the webhook URL out.

A Slack incoming-webhook URL is a credential: whoever holds it can post to the channel. So the whole URL is
treated as a secret here: it is never part of an exception text, of a message, or of a log record of httpx or
httpcore while a post is under way (httpx logs every request's URL at INFO, and its exception texts hold it too).

httpx is imported inside `post_webhook`, so that importing this module stays cheap.
"""

from __future__ import annotations

import ipaddress
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from skillci.errors import BadInput, ServiceFailed

if TYPE_CHECKING:
    import logging

    import httpx

#: Every wait (back-off and Retry-After) goes through this, so tests can record the waits instead of sleeping.
_sleep: Callable[[float], None] = time.sleep
#: The jitter source: a number in [0, 1) (tests may pin it).
_random: Callable[[], float] = random.random

#: An attempt ends within this many times `timeout_s` whatever the server does (httpx's timeouts are per read).
ATTEMPT_DEADLINE_FACTOR = 2
_BACKOFF_FIRST_S = 1.0
_BACKOFF_CAP_S = 8.0
#: Loggers whose records may name the request's URL or host while a post is under way.
_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
#: What Slack's error answers mean (the answer body is one of these words).
_SLACK_ERRORS = {
    "invalid_payload": "the message is not one Slack accepts",
    "no_text": "the message has no text",
    "no_service": "the webhook was removed or its URL is wrong",
    "no_service_id": "the webhook URL is incomplete",
    "no_team": "the Slack workspace is gone",
    "team_disabled": "the Slack workspace is disabled",
    "invalid_token": "the webhook URL is not valid",
    "channel_not_found": "the webhook's channel is gone",
    "channel_is_archived": "the webhook's channel is archived",
    "action_prohibited": "an admin restricted posting to the channel",
    "posting_to_general_channel_denied": "only admins may post to the channel",
    "user_not_found": "the webhook's owner is gone",
    "no_active_hooks": "the webhook is disabled",
    "too_many_attachments": "the message has too many attachments",
}


@dataclass(frozen=True)
class SlackOutcome:
    """A message Slack accepted: its answer, after how many tries and how long waiting in between."""

    status: int
    answer: str
    attempts: int
    waited_s: float


@dataclass
class _Secret:
    """The webhook URL and the pieces of it that must never be printed."""

    url: str = field(repr=False)

    def parts(self) -> list[str]:
        split = urlsplit(self.url)
        pieces = [self.url, self.url.rstrip("/")]
        path = split.path.rstrip("/")
        if len(path) > 1:
            pieces.append(path)
        if split.query:
            pieces.append(split.query)
        return sorted({piece for piece in pieces if piece}, key=len, reverse=True)

    def clean(self, text: str) -> str:
        """Text with the URL (and its path, the secret part) blanked out."""
        for piece in self.parts():
            text = text.replace(piece, "***")
        return text


class _Redactor:
    """A logging filter (by duck typing) that blanks the webhook URL out of httpx's and httpcore's records."""

    def __init__(self, secret: _Secret) -> None:
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = self.secret.clean(text)
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


def check_url(url: str) -> str:
    """The webhook URL, stripped, when it is an absolute http(s) URL; else BadInput (which never repeats it)."""
    text = url.strip()
    if not text:
        raise BadInput("no Slack webhook URL given (--slack-webhook or SLACK_WEBHOOK_URL)")
    if any(char.isspace() or not char.isprintable() for char in text):
        raise BadInput("the Slack webhook URL contains spaces or control characters")
    try:
        split = urlsplit(text)
        _ = split.port  # a port that is no number raises here
    except ValueError:
        raise BadInput("the Slack webhook URL is not a valid URL") from None
    if split.scheme not in ("https", "http") or not split.hostname:
        raise BadInput("the Slack webhook URL must be an absolute https:// URL (https://hooks.slack.com/services/…)")
    if split.username or split.password:
        raise BadInput("the Slack webhook URL must not carry a user name or password")
    return text


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _plural(count: int) -> str:
    return f"{count} try" if count == 1 else f"{count} tries"


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds (Slack sends seconds; an HTTP date is understood too); None when unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _backoff_s(failures: int) -> float:
    """Exponential back-off with jitter: 1, 2, 4, 8 s (capped), each stretched by up to half again."""
    base = min(_BACKOFF_CAP_S, _BACKOFF_FIRST_S * 2 ** (failures - 1))
    return float(base * (1 + _random() / 2))


def _refusal(status: int, answer: str) -> str:
    word = answer.strip()
    meaning = _SLACK_ERRORS.get(word)
    said = f" {word}" if word else ""
    hint = f" ({meaning})" if meaning else ""
    if not meaning and status in (403, 404, 410):
        hint = " (check the webhook URL: it may have been revoked)"
    return f"Slack refused the message: HTTP {status}{said}{hint}"


def post_webhook(
    url: str,
    payload: Mapping[str, Any],
    *,
    attempts: int = 4,
    timeout_s: float = 10.0,
    max_wait_s: float = 60.0,
) -> SlackOutcome:
    """POST payload (a Slack message: text, blocks) as JSON to an incoming webhook.

    5xx answers, timeouts and connection errors are retried with exponential back-off and jitter; a 429 waits
    what its Retry-After says, as long as all the waits together stay within max_wait_s. Any other answer but 2xx
    fails at once, and so does a 2xx whose body is one of Slack's error words (`invalid_payload`). Each attempt
    ends within twice timeout_s even when the answer drips in. Every request counts as one of the `attempts`.
    Failures raise ServiceFailed (exit 3) with a one-line message that never holds the URL.
    """
    url = check_url(url)
    if attempts < 1:
        raise BadInput(f"attempts must be at least 1, not {attempts}")
    if not timeout_s > 0:
        raise BadInput(f"timeout_s must be positive, not {timeout_s}")
    if max_wait_s < 0:
        raise BadInput(f"max_wait_s must not be negative, not {max_wait_s}")
    try:
        content = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise BadInput(f"the Slack message is not JSON: {type(exc).__name__}") from None

    import logging

    import httpx

    secret = _Secret(url)
    redactor = _Redactor(secret)
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    for logger in loggers:
        logger.addFilter(redactor)
    client = httpx.Client(
        timeout=httpx.Timeout(timeout_s),
        follow_redirects=False,
        trust_env=not _loopback(url),  # never send a loopback request through a proxy
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": _user_agent()},
    )
    abandoned: list[threading.Thread] = []
    try:
        return _deliver(
            client,
            url,
            content,
            secret=secret,
            attempts=attempts,
            timeout_s=timeout_s,
            max_wait_s=max_wait_s,
            abandoned=abandoned,
        )
    finally:
        client.close()
        if not any(thread.is_alive() for thread in abandoned):  # a late request may still log its URL
            for logger in loggers:
                logger.removeFilter(redactor)


def _user_agent() -> str:
    from skillci import __version__

    return f"skillci/{__version__}"


class _Exchange:
    """One request and its whole answer, in a thread of its own so that the attempt has a deadline.

    httpx's timeouts bound each phase (connect, each read), so an answer dripping in a byte every few seconds
    would hold one attempt for minutes; the thread is left behind (a daemon) when the deadline passes.
    """

    def __init__(self, client: httpx.Client, url: str, content: bytes) -> None:
        self.status = 0
        self.answer = ""
        self.retry_after: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(client, url, content), name="skillci-slack-post", daemon=True
        )

    def _run(self, client: httpx.Client, url: str, content: bytes) -> None:
        try:
            response = client.post(url, content=content)
            self.status, self.answer = response.status_code, response.text
            self.retry_after = response.headers.get("retry-after")
        except BaseException as error:  # handed to the caller's thread, which decides
            self.error = error

    def finished_within(self, seconds: float) -> bool:
        """Start the request and wait for it at most seconds; False when it is still under way."""
        self.thread.start()
        self.thread.join(seconds)
        return not self.thread.is_alive()


def _slack_error(answer: str) -> str | None:
    """The error word of a Slack answer (`invalid_payload`, ...): Slack sends some with a 200."""
    word = answer.strip()
    return word if word in _SLACK_ERRORS else None


def _deliver(
    client: httpx.Client,
    url: str,
    content: bytes,
    *,
    secret: _Secret,
    attempts: int,
    timeout_s: float,
    max_wait_s: float,
    abandoned: list[threading.Thread],
) -> SlackOutcome:
    """The retry loop. Errors are raised outside `except` blocks, so no httpx exception (whose text holds the
    URL) rides along as `__context__`."""
    import httpx

    waited = 0.0
    problem = ""
    for attempt in range(1, attempts + 1):
        retry_after: float | None = None
        exchange = _Exchange(client, url, content)
        if not exchange.finished_within(ATTEMPT_DEADLINE_FACTOR * timeout_s):
            abandoned.append(exchange.thread)
            problem = f"no complete answer within {ATTEMPT_DEADLINE_FACTOR * timeout_s:g} s (it came in too slowly)"
        elif isinstance(exchange.error, httpx.TimeoutException):
            problem = f"no answer within {timeout_s:g} s ({type(exchange.error).__name__})"
        elif isinstance(exchange.error, httpx.TransportError):  # connection refused, reset, protocol errors
            problem = f"connection error ({type(exchange.error).__name__})"
        elif isinstance(exchange.error, httpx.HTTPError):
            raise ServiceFailed(f"Slack webhook failed: {type(exchange.error).__name__}")
        elif exchange.error is not None:
            raise exchange.error
        else:
            status, answer = exchange.status, exchange.answer
            said = _one_line(secret.clean(answer), 80)
            if 200 <= status < 300 and _slack_error(answer) is None:
                return SlackOutcome(status, _one_line(secret.clean(answer)), attempt, waited)
            if status == 429:
                retry_after = _retry_after_s(exchange.retry_after)
                problem = "HTTP 429 rate limited"
            elif status >= 500:
                problem = f"HTTP {status}" + (f" {said}" if said and len(said) < 60 else "")
            else:
                raise ServiceFailed(_refusal(status, said))
        if attempt == attempts:
            break
        wait = _backoff_s(attempt) if retry_after is None else retry_after
        if waited + wait > max_wait_s:
            if retry_after is not None:
                raise ServiceFailed(
                    f"Slack rate limit: it asked to wait {wait:.0f} s (HTTP 429 Retry-After), beyond the "
                    f"{max_wait_s:.0f} s skillci waits; gave up after {_plural(attempt)}"
                )
            wait = max(0.0, max_wait_s - waited)
        waited += wait
        _sleep(wait)
    raise ServiceFailed(f"Slack webhook failed after {_plural(attempts)}: {secret.clean(problem)}")
