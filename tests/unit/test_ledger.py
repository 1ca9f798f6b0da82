"""The JSON-lines ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillci import ledger


def test_append_writes_one_line_with_redacted_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    path = tmp_path / ".skillci" / "ledger.jsonl"
    ledger.append(
        path,
        command="sync",
        arguments={"store": "postgresql://ci:hunter2@127.0.0.1/db", "slack_webhook": "https://hooks/x", "root": "."},
        ok=False,
        exit_code=3,
        duration_s=0.25,
        counts={"skills": 3},
    )
    text = path.read_text()
    assert "hunter2" not in text and "hooks/x" not in text
    entry = json.loads(text)
    assert entry["arguments"] == {"store": "postgresql://***@127.0.0.1/db", "slack_webhook": "***", "root": "."}
    assert entry["correlation_id"] == "4242"
    assert entry["ok"] is False and entry["exit_code"] == 3 and entry["duration_ms"] == 250.0
    assert entry["counts"] == {"skills": 3}


def test_counts_are_taken_once() -> None:
    ledger.note_counts({"a": 1})
    ledger.note_counts({"b": 2})
    assert ledger.take_counts() == {"a": 1, "b": 2}
    assert ledger.take_counts() == {}


def test_ledger_path_default_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ledger.LEDGER_ENV)
    assert ledger.ledger_path(tmp_path) == tmp_path / ".skillci" / "ledger.jsonl"
    monkeypatch.setenv(ledger.LEDGER_ENV, "off")
    assert ledger.ledger_path(tmp_path) is None


#: Every way libpq (and SQLAlchemy's URL parser) accepts a password, plus API keys in query strings; the
#: secret is always `s3cr` followed by `et`, so the check below finds any piece of it left in clear.
SECRET_FORMS = {
    "userinfo": ("postgresql://ci:s3cret@db.example/ops", "postgresql://***@db.example/ops"),
    "slash in password": ("postgresql://ci:s3/cret@db.example/ops", "postgresql://***@db.example/ops"),
    "space in password": ("postgresql://ci:s3 cret@db.example/ops", "postgresql://***@db.example/ops"),
    "question mark in password": ("postgresql://ci:s3?cret@db.example/ops", "postgresql://***@db.example/ops"),
    "at sign in password": ("postgresql://ci:s3@cret@db.example/ops", "postgresql://***@db.example/ops"),
    "percent-encoded password": ("postgres://ci:s3%2Fcret@db.example/ops", "postgres://***@db.example/ops"),
    "password parameter": (
        "postgresql://db.example/ops?sslmode=require&password=s3cret&application_name=x",
        "postgresql://db.example/ops?sslmode=require&password=***&application_name=x",
    ),
    "password parameter with a space": (
        "postgresql://ci@db.example/ops?password=s3 cret",
        "postgresql://***@db.example/ops?password=***",
    ),
    "sslpassword parameter": (
        "postgresql://db.example/ops?sslpassword=s3cret",
        "postgresql://db.example/ops?sslpassword=***",
    ),
    "socket directory and password": (
        "postgresql:///ops?host=/var/run/postgresql&password=s3cret",
        "postgresql:///ops?host=/var/run/postgresql&password=***",
    ),
    "several hosts": ("postgresql://ci:s3cret@h1:5432,h2:5433/ops", "postgresql://***@h1:5432,h2:5433/ops"),
    "IPv6 host": ("postgresql://ci:s3cret@[::1]:5432/ops", "postgresql://***@[::1]:5432/ops"),
    "driver in the scheme": (
        "postgresql+psycopg://ci:s3cret@db.example/ops",
        "postgresql+psycopg://***@db.example/ops",
    ),
    "keyword/value": ("host=db.example password=s3cret dbname=ops", "host=db.example password=*** dbname=ops"),
    "keyword/value quoted": (
        "host=db.example password='s3 cret' dbname=ops",
        "host=db.example password=*** dbname=ops",
    ),
    "Supabase apikey": ("https://abc.supabase.co?apikey=s3cret", "https://abc.supabase.co?apikey=***"),
}


@pytest.mark.parametrize(("given", "expected"), SECRET_FORMS.values(), ids=SECRET_FORMS.keys())
def test_every_form_of_a_password_is_redacted_by_parsing(given: str, expected: str) -> None:
    shown = ledger.redact("store", given)
    assert shown == expected
    assert "cret" not in str(shown)


def test_an_at_sign_in_the_query_is_not_taken_for_credentials() -> None:
    url = "postgresql://db.example/ops?user=ci@corp&sslmode=require"
    assert ledger.redact_url(url) == url


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("postgresql://ci:s3/cret@db.example/ops", ["s3/cret"]),
        ("postgresql://ci:s3%2Fcret@db.example/ops?password=p4ssword", ["s3%2Fcret", "s3/cret", "p4ssword"]),
        ("postgresql://ci:s3?cret@db.example/ops", ["s3?cret"]),
        ("postgresql://ci@db.example/ops?user=a@b", []),
        ("https://abc.supabase.co?apikey=s3cret", ["s3cret"]),
        ("host=db.example password=s3cret", []),
    ],
)
def test_url_secrets_are_the_values_redact_url_hides(url: str, secrets: list[str]) -> None:
    assert ledger.url_secrets(url) == secrets
    shown = ledger.redact_url(url)
    assert not any(secret in shown for secret in secrets)
