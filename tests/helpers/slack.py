"""A stand-in for a Slack incoming webhook: a real HTTP server on 127.0.0.1 with scripted answers.

    with SlackWebhook() as slack:
        slack.script(Reply(429, headers={"Retry-After": "3"}), Reply(200))
        post_webhook(slack.url, {"text": "hi"})
        assert len(slack.requests) == 2

Each request takes the next scripted Reply (status, headers, body, delay before answering); when the script
is used up, `default` answers (200 "ok", as Slack does). Every request is recorded with its headers and JSON body.
A delayed answer waits on an event that closing the server sets, so no handler thread outlives the test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, headers, body, seconds to wait before answering, and seconds between bytes."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    #: When set, the whole answer (status line, headers, body) is sent one byte at a time, this far apart.
    drip_s: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close joins the handler threads
    webhook: SlackWebhook

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) closes its end: not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        webhook = self.server.webhook
        reply = webhook._take(Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if reply.delay_s and webhook._closing.wait(reply.delay_s):
            return
        payload = reply.body.encode("utf-8")
        if reply.drip_s:
            self._drip(reply, payload, webhook)
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client stopped waiting

    def _drip(self, reply: Reply, payload: bytes, webhook: SlackWebhook) -> None:
        head = f"HTTP/1.1 {reply.status} OK\r\nContent-Type: text/plain\r\nContent-Length: {len(payload)}\r\n\r\n"
        try:
            for byte in head.encode("ascii") + payload:
                if webhook._closing.wait(reply.drip_s):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except OSError:
            pass  # the client stopped waiting
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `requests` instead."""


class SlackWebhook:
    """The loopback webhook; a context manager that starts and stops the server thread."""

    #: The path a real webhook has: /services/TEAM/BOT/SECRET.
    PATH = "/services/T0000TEAM/B0000HOOK/s3cretW3bhookT0ken0000000"

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.requests: list[Received] = []
        #: The reply each request got, in step with `requests`.
        self.replies: list[Reply] = []
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.webhook = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.PATH}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def accepted(self) -> list[Any]:
        """The JSON bodies of the requests answered 2xx without delay (messages the client saw accepted)."""
        return [
            received.json
            for received, reply in zip(self.requests, self.replies, strict=True)
            if 200 <= reply.status < 300 and not reply.delay_s
        ]

    def _take(self, received: Received) -> Reply:
        with self._lock:
            reply = self._queue.pop(0) if self._queue else self.default
            self.requests.append(received)
            self.replies.append(reply)
            return reply

    def __enter__(self) -> SlackWebhook:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def slack_webhook() -> Iterator[SlackWebhook]:
    """A running loopback webhook, closed after the test."""
    with SlackWebhook() as webhook:
        yield webhook
