"""`skillci runs record` on SQLite and Postgres: a list is recorded all or nothing, and out-of-range values are
refused before any store sees them, with the same exit code and line on both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.cli import run_skillci
from helpers.postgres import PostgresServer
from helpers.registry import copy_example
from skillci.store import open_store

STORE_KINDS = ("sqlite", "postgres")


@pytest.fixture(params=STORE_KINDS)
def synced(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer) -> tuple[Path, str]:
    """A copy of the example repository and the URL of a migrated store holding its registry."""
    root = copy_example(tmp_path / "repo")
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else postgres.create_database("runs")
    result = run_skillci("sync", "--migrate", "--root", str(root), "--store", url)
    assert result.code == 0, result.output
    return root, url


def _runs(root: Path, url: str) -> list[dict[str, Any]]:
    store = open_store(url, root=root)
    try:
        return store.rows("runs")
    finally:
        store.close()


def _record(root: Path, url: str, *sources: str, stdin: str | None = None) -> Any:
    return run_skillci("runs", "record", *sources, "--root", str(root), "--store", url, stdin=stdin)


def _report(key: str, status: str, skill: str = "fix-lint") -> dict[str, Any]:
    return {"idempotency_key": key, "skill_id": skill, "status": status}


def _one_per_line(reports: list[dict[str, Any]]) -> str:
    """A JSON list with report i on line i + 2."""
    return "[\n" + ",\n".join(json.dumps(report) for report in reports) + "\n]\n"


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (_report("k-0", "queued"), "illegal run transition"),  # k-0 succeeded earlier in the list
        (_report("k-new", "running", skill="no-such-skill"), "skill no-such-skill is not in the store"),
    ],
)
def test_a_list_is_recorded_all_or_nothing_and_the_refused_report_is_named(
    synced: tuple[Path, str], tmp_path: Path, last: dict[str, Any], expected: str
) -> None:
    root, url = synced
    reports = [_report(f"k-{index}", "running") for index in range(20)]
    reports.insert(1, _report("k-0", "succeeded"))  # the same run moves on within one list
    reports.append(last)
    path = tmp_path / "reports.json"
    path.write_text(_one_per_line(reports), encoding="utf-8")

    result = _record(root, url, str(path))

    assert result.code == 2, result.output
    [message] = result.stderr.splitlines()
    assert message.startswith(f"skillci: error: {path}:{len(reports) + 1}: "), message
    assert expected in message
    assert _runs(root, url) == []


def test_a_valid_list_is_recorded_in_order(synced: tuple[Path, str]) -> None:
    root, url = synced
    reports = [_report("k-1", "queued"), _report("k-1", "running"), _report("k-2", "succeeded")]

    result = _record(root, url, stdin=_one_per_line(reports))

    assert result.code == 0, result.output
    assert [line.split(": ", 1)[1] for line in result.stdout.splitlines()] == [
        "queued (created)",
        "running (queued -> running)",
        "succeeded (created)",
    ]
    assert sorted((run["idempotency_key"], run["status"]) for run in _runs(root, url)) == [
        ("k-1", "running"),
        ("k-2", "succeeded"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ('"tokens_in"', "1e30", "is greater than the maximum of 9223372036854775807"),
        ('"tokens_out"', "9223372036854775808", "is greater than the maximum of 9223372036854775807"),
        ('"ci_attempts"', "2147483648", "is greater than the maximum of 2147483647"),
        ('"duration_s"', "1e400", "is greater than the maximum"),
        ('"events"', '[{"event": "e", "seq": 1e20}]', "is greater than the maximum of 2147483647"),
        ('"error"', '{"code": "AGENT.X", "message": "a\\u0000b"}', "error.message: text must not contain NUL"),
        ('"branch"', '"main\\u0000"', "branch: text must not contain NUL"),
        ('"output"', '{"k\\u0000": 1}', "output: text must not contain NUL"),
        ('"output"', '{"k": ["\\ud800"]}', "invalid Unicode character"),
        ('"events"', '[{"event": "e", "detail": {"n": 1e400}}]', "beyond the range of a double"),
        ('"finished_at"', '"9999-12-31T23:00:00-05:00"', "outside the years 1 to 9999 in UTC"),
        ('"started_at"', '"0001-01-01T00:30:00+01:00"', "outside the years 1 to 9999 in UTC"),
        ('"error"', '{"code": "A.' + "B" * 127 + '", "message": "m"}', "is too long"),
    ],
)
def test_out_of_range_values_are_bad_input_on_every_store(
    synced: tuple[Path, str], field: str, value: str, expected: str
) -> None:
    root, url = synced
    text = '{"idempotency_key": "k", "skill_id": "fix-lint",\n "status": "failed",\n ' + f"{field}: {value}}}"

    result = _record(root, url, stdin=text)

    assert result.code == 2, result.output
    [message] = result.stderr.splitlines()
    assert message.startswith("skillci: error: <stdin>:3: "), message
    assert expected in message
    assert _runs(root, url) == []


def test_integral_numbers_written_as_floats_are_stored_as_integers(synced: tuple[Path, str]) -> None:
    root, url = synced
    text = json.dumps({**_report("k", "running"), "tokens_in": 1e3, "events": [{"event": "e", "seq": 2.0}]})

    result = _record(root, url, stdin=text)

    assert result.code == 0, result.output
    [run] = _runs(root, url)
    assert run["tokens_in"] == 1000 and isinstance(run["tokens_in"], int)
