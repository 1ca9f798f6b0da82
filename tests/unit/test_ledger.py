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
