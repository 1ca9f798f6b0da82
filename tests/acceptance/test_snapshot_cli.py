"""`skillci snapshot` and `skillci demo seed` through the real CLI, on temporary SQLite stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers.cli import run_skillci
from helpers.registry import copy_example

WEEK = "2026-W46"  # Monday 2026-11-09 to Sunday 2026-11-15


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example registry and a store seeded with a demo week (made once): (repo, database file)."""
    work = tmp_path_factory.mktemp("demo")
    repo = copy_example(work / "repo")
    database = work / "demo.db"
    seeded = run_skillci("demo", "seed", "--root", str(repo), "--store", f"sqlite:///{database}", "--week", WEEK)
    assert seeded.code == 0, seeded.output
    assert f"skillci demo seed: {WEEK}" in seeded.stdout and "3000 runs" in seeded.stdout
    return repo, database


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute(sql).fetchone()[0])


def test_demo_seed_fills_a_week_and_adds_nothing_when_run_again(demo: tuple[Path, Path]) -> None:
    repo, database = demo
    runs = _count(database, "select count(*) from runs")
    assert runs == 3000
    days = _count(database, "select count(distinct substr(created_at, 1, 10)) from runs")
    assert days == 7
    assert _count(database, "select count(*) from runs where failure_code is not null") > 0
    assert _count(database, "select count(*) from gate_results where passed = 0") > 0

    again = run_skillci("demo", "seed", "--root", str(repo), "--store", f"sqlite:///{database}", "--week", WEEK)

    assert again.code == 0, again.output
    assert _count(database, "select count(*) from runs") == runs


def test_snapshot_writes_the_day_as_a_file_and_one_row_replaced_on_rerun(
    demo: tuple[Path, Path], tmp_path: Path
) -> None:
    repo, seeded = demo
    database = tmp_path / "copy.db"
    database.write_bytes(seeded.read_bytes())
    store = f"sqlite:///{database}"
    day_runs = _count(database, "select count(*) from runs where substr(created_at, 1, 10) = '2026-11-11'")

    first = run_skillci("snapshot", "--root", str(repo), "--store", store, "--day", "2026-11-11", "--format", "text")

    assert first.code == 0, first.output
    snapshot = repo / ".skillci" / "snapshots" / "2026-11-11.json"
    document = json.loads(snapshot.read_text(encoding="utf-8"))
    assert document["kind"] == "skillci.snapshot" and document["day"] == "2026-11-11"
    assert document["totals"]["runs"] == day_runs > 0
    assert f"{day_runs} runs" in first.stdout and "recorded row" in first.stdout
    with sqlite3.connect(database) as connection:
        (stored,) = connection.execute("select metrics from metrics_snapshots where day = '2026-11-11'").fetchone()
    assert json.loads(stored)["totals"]["runs"] == day_runs

    out = tmp_path / "elsewhere.json"
    second = run_skillci(
        "snapshot", "--root", str(repo), "--store", store, "--day", "2026-11-11", "--out", str(out), "--format", "json"
    )

    assert second.code == 0, second.output
    answer = json.loads(second.stdout)
    assert answer["created"] is False and answer["file"] == str(out)
    assert json.loads(out.read_text(encoding="utf-8"))["totals"]["runs"] == day_runs
    assert _count(database, "select count(*) from metrics_snapshots") == 1


def test_snapshot_of_a_day_without_runs_says_so(demo: tuple[Path, Path], tmp_path: Path) -> None:
    repo, seeded = demo
    database = tmp_path / "copy.db"
    database.write_bytes(seeded.read_bytes())

    result = run_skillci("snapshot", "--root", str(repo), "--store", f"sqlite:///{database}", "--day", "2026-10-01")

    assert result.code == 0, result.output
    assert "2026-10-01 — 0 runs, n/a succeeded, 0 gate decisions" in result.stdout


def test_snapshot_refuses_a_bad_day_and_a_store_without_schema(demo: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _ = demo

    bad_day = run_skillci("snapshot", "--root", str(repo), "--day", "2026-13-01")

    assert bad_day.code == 2
    assert "--day '2026-13-01': expected a date like 2026-11-20" in bad_day.stderr
    assert len(bad_day.stderr.strip().splitlines()) == 1

    empty = tmp_path / "empty.db"
    no_schema = run_skillci("snapshot", "--root", str(repo), "--store", f"sqlite:///{empty}", "--day", "2026-11-12")

    assert no_schema.code == 2
    assert "has no schema" in no_schema.stderr and "skillci db migrate" in no_schema.stderr
    assert not (repo / ".skillci" / "snapshots" / "2026-11-12.json").exists()
