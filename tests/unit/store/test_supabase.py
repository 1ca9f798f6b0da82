"""The Supabase store's own description never carries a key given in its URL."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from skillci.errors import ServiceFailed
from skillci.store import supabase
from skillci.store.supabase import SupabaseStore


def test_an_apikey_in_supabase_url_is_never_shown() -> None:
    store = SupabaseStore(url="https://abc.supabase.co?apikey=s3cret", key="service-key")
    try:
        assert store.location == "https://abc.supabase.co?apikey=***"
        shown = store.describe_failure(RuntimeError("boom"))
    finally:
        store.close()
    assert shown == "supabase https://abc.supabase.co?apikey=***: boom"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_an_api_that_never_answers_is_given_up_within_the_budget(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scaled down: 0.3 s per request, 1 s of retrying (in use: 20 s and 60 s, so 80 s rather than 4 × 60 s)."""
    monkeypatch.setattr(supabase, "REQUEST_TIMEOUT_S", 0.3)
    store = supabase.SupabaseStore(url=silent_server, key="service-key")
    store.retry_budget_s = 1.0
    started = time.monotonic()
    try:
        with pytest.raises(ServiceFailed) as caught:
            store.has_schema()
    finally:
        store.close()
    elapsed = time.monotonic() - started
    assert re.fullmatch(
        r"supabase http://127\.0\.0\.1:\d+: .+ \(gave up after [12] attempts? in [01]\.\d s\)", caught.value.message
    )
    assert elapsed < 1.0 + 0.3 + 0.5, f"gave up after {elapsed:.2f} s"
