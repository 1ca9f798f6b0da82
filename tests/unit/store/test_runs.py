"""Run reports: fingerprints, the state machine, and checking reports before any store sees them."""

from __future__ import annotations

import itertools

import pytest

from skillci.errors import BadInput
from skillci.store.runs import (
    RUN_STATES,
    TRANSITIONS,
    build_report,
    error_fingerprint,
    normalize_message,
    read_reports,
    run_id_for,
    transition_allowed,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("worker 4711 crashed", "worker 12 crashed"),
        ("run 0b8e9c52-3f4a-4c1e-9d7e-2a1b3c4d5e6f failed", "run 7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910 failed"),
        ("no such file /tmp/a/b.py", "no such file /var/lib/x/y/z.py"),
        ("commit deadbeefcafe is gone", "commit 0123456789ab is gone"),
        ("key 'alpha' missing", 'key "beta" missing'),
        ("at 2026-11-20T10:00:00Z timeout", "at 2026-01-01 09:30:15+01:00 timeout"),
        ("too   many\nspaces", "too many spaces"),
    ],
)
def test_volatile_parts_do_not_change_the_fingerprint(a: str, b: str) -> None:
    assert normalize_message(a) == normalize_message(b)
    assert error_fingerprint("AGENT.CRASH", a, "fix-lint") == error_fingerprint("AGENT.CRASH", b, "fix-lint")


def test_code_message_and_skill_each_change_the_fingerprint() -> None:
    base = error_fingerprint("AGENT.CRASH", "worker crashed", "fix-lint")
    assert base != error_fingerprint("AGENT.TIMEOUT", "worker crashed", "fix-lint")
    assert base != error_fingerprint("AGENT.CRASH", "worker hung", "fix-lint")
    assert base != error_fingerprint("AGENT.CRASH", "worker crashed", "bump-dependency")
    assert base != error_fingerprint("AGENT.CRASH", "worker crashed", None)


def test_the_state_machine() -> None:
    assert set(TRANSITIONS) == set(RUN_STATES)
    allowed = {
        (old, new)
        for old, new in itertools.product(RUN_STATES, repeat=2)
        if old != new and transition_allowed(old, new)
    }
    assert allowed == {
        ("queued", "running"),
        ("queued", "cancelled"),
        ("running", "succeeded"),
        ("running", "failed"),
        ("running", "cancelled"),
        ("running", "timed_out"),
    }
    assert all(transition_allowed(state, state) for state in RUN_STATES)


def test_a_report_names_its_run_by_its_idempotency_key() -> None:
    one = build_report({"idempotency_key": "gh-1", "skill_id": "fix-lint", "status": "queued"})
    again = build_report({"idempotency_key": "gh-1", "skill_id": "fix-lint", "status": "running"})
    other = build_report({"idempotency_key": "gh-2", "skill_id": "fix-lint", "status": "queued"})
    assert one.run["id"] == again.run["id"] == run_id_for("gh-1") != other.run["id"]
    assert one.run["source"] == "production" and one.error is None and one.events == []


def test_events_are_numbered_and_errors_fingerprinted() -> None:
    report = build_report(
        {
            "idempotency_key": "k",
            "skill_id": "fix-lint",
            "status": "failed",
            "started_at": "2026-11-20T10:00:00Z",
            "events": [{"event": "state", "state": "PLAN"}, {"event": "log", "at": "2026-11-20T10:00:01+00:00"}],
            "error": {"code": "AGENT.CRASH", "message": "boom 42"},
        }
    )
    assert [event["seq"] for event in report.events] == [1, 2]
    assert report.events[1]["created_at"] == "2026-11-20T10:00:01+00:00"
    assert report.run["started_at"] == "2026-11-20T10:00:00+00:00"
    assert report.error is not None and report.error["fingerprint"] == error_fingerprint(
        "AGENT.CRASH", "boom 7", "fix-lint"
    )
    assert report.run["failure_code"] == "AGENT.CRASH"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"started_at": "2026-11-20 10:00"}, "no time zone"),
        ({"finished_at": "soon"}, "not an ISO 8601"),
        ({"events": [{"event": "a", "seq": 1}, {"event": "b", "seq": 1}]}, "share one seq"),
    ],
)
def test_bad_report_values_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        build_report({"idempotency_key": "k", "skill_id": "fix-lint", "status": "running", **fields})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"output": {"log": ["ok", "a\\u0000"]}', r"output\.log\.1: text must not contain NUL"),
        ('"events": [{"event": "e", "detail": {"k": "a\\u0000"}}]', r"events\.0\.detail\.k: text must not contain NUL"),
        ('"output": {"x": 1e400}', r"output\.x: inf is beyond the range of a double"),
        ('"finished_at": "9999-12-31T23:59:59-00:01"', "outside the years 1 to 9999 in UTC"),
    ],
)
def test_a_report_no_store_can_hold_is_refused_before_any_store(text: str, expected: str) -> None:
    report = '{"idempotency_key": "k", "skill_id": "fix-lint", "status": "failed", ' + text + "}"
    with pytest.raises(BadInput, match=expected) as refused:
        read_reports(report, source="report.json")
    assert refused.value.file == "report.json" and refused.value.line == 1


def test_what_the_bench_records_is_made_storable_instead() -> None:
    """Agent output is not refused: NUL and lone surrogates become U+FFFD, non-finite numbers null (item 6)."""
    report = build_report(
        {
            "idempotency_key": "k",
            "skill_id": "fix-lint",
            "status": "failed",
            "output": {"log": ["a\x00", "\ud800"], "x": float("inf")},
        }
    )
    assert report.run["output"] == {"log": ["a\ufffd", "\ufffd"], "x": None}


REPORT = '{"idempotency_key": "k%d", "skill_id": "fix-lint", "status": "succeeded"}'


def test_a_json_list_is_read_report_by_report_with_the_line_each_starts_on() -> None:
    text = "[\n  " + ",\n\n  ".join(REPORT % number for number in range(3)) + "\n]\n"
    reports = read_reports(text, source="runs.json")
    assert [report.origin for report in reports] == [("runs.json", 2), ("runs.json", 4), ("runs.json", 6)]
    assert [report.run["idempotency_key"] for report in reports] == ["k0", "k1", "k2"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '[\n{"idempotency_key": "k", "skill_id": "fix-lint",\n "status": "queued", "status": "failed"}]',
            3,
            "duplicate key",
        ),
        ("[\n" + REPORT % 1 + ",\n" + '{"output": ' + "[" * 150 + "]" * 150 + "}]", 3, "deeper than 100"),
        ('{"idempotency_key": "k", "skill_id": "fix-lint", "status": "done"}', 1, "status: 'done' is not one of"),
        ('- {"idempotency_key": "k", "skill_id": "fix-lint", "status": "queued"}\n- {"skill_id": "x"}\n', 2, ""),
    ],
    ids=["duplicate key", "too deep", "schema", "YAML list"],
)
def test_what_plain_json_cannot_settle_is_explained_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(BadInput) as refused:
        read_reports(text, source="runs.json")
    assert (refused.value.file, refused.value.line) == ("runs.json", line)
    assert message in refused.value.message
