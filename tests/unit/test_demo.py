"""The demo week: seeded into a real SQLite store, its weekly numbers are non-empty and believable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO_ROOT
from skillci.demo import UNKNOWN_CODE, seed_week
from skillci.errors import BadInput
from skillci.store import open_store
from skillci.store.base import Store
from skillci.weekly.report import WeeklyReport, iso_week

WEEK = iso_week("2026-W47")


def _store(path: Path) -> Store:
    store = open_store(f"sqlite:///{path}", root=path.parent)
    store.migrate()
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = _store(tmp_path / "store.db")
    yield opened
    opened.close()


@pytest.fixture
def seeded(store: Store) -> tuple[dict[str, int], dict[str, Any]]:
    counts = seed_week(store, root=REPO_ROOT, window=WEEK)
    return counts, store.weekly_numbers(since=WEEK.since, until=WEEK.until)


def test_the_registry_is_synced_first(store: Store) -> None:
    seed_week(store, root=REPO_ROOT, window=WEEK, runs=10)

    assert {row["id"] for row in store.rows("skills")} >= {"fix-lint", "scan-secrets", "triage-error"}
    assert len(store.rows("failure_modes")) >= 10


def test_a_week_of_runs_across_the_skills(seeded: tuple[dict[str, int], dict[str, Any]]) -> None:
    counts, numbers = seeded

    assert counts == {"skills": 5, "runs": 3000, "bench_results": 9, "gates": 30}
    totals = numbers["totals"]
    assert totals["runs"] == 3000
    skills = {row["skill_id"]: row for row in numbers["skills"]}
    assert len(skills) == 5 and "summarize-incident" not in skills  # deprecated: no new runs
    assert sum(row["runs"] for row in skills.values()) == 3000
    assert skills["fix-lint"]["runs"] == max(row["runs"] for row in skills.values())
    for row in skills.values():
        assert 0.6 < row["succeeded"] / row["finished"] < 0.99, row
        assert 1 < row["p50_s"] < row["p90_s"] <= 1200, row
        assert row["retries"] > 0 and row["tokens_in"] > row["tokens_out"] > 0 and row["cost_usd"] > 0
    assert skills["scan-secrets"]["p50_s"] < skills["fix-lint"]["p50_s"] < skills["bump-dependency"]["p50_s"]
    assert [row["day"] for row in numbers["daily"]] == [day.isoformat() for day in WEEK.days]
    weekday, weekend = numbers["daily"][2]["runs"], numbers["daily"][6]["runs"]
    assert weekday > 1.5 * weekend  # working hours are busier


def test_failures_tier_changes_and_failed_gates(seeded: tuple[dict[str, int], dict[str, Any]]) -> None:
    _, numbers = seeded

    failures = {row["code"]: row for row in numbers["failures"]}
    assert len(failures) == 10
    assert all(row["runbook"] and row["severity"] for code, row in failures.items() if code != UNKNOWN_CODE)
    assert "AGENT.TIMEOUT" in failures
    tiers = numbers["tiers"]
    assert any(row["before"] is None and row["after"] for row in tiers)  # a skill tiered for the first time
    order = "ABCF"
    assert any(row["before"] and order.index(row["after"]) < order.index(row["before"]) for row in tiers)
    assert any(row["before"] and order.index(row["after"]) > order.index(row["before"]) for row in tiers)
    gates = numbers["gates"]
    assert (gates["total"], gates["passed"]) == (30, 22)
    failed = gates["recent_failures"]
    assert len(failed) == 5 and failed == sorted(failed, key=lambda row: row["created_at"], reverse=True)
    assert all(row["run_url"].startswith("https://github.com/") and row["failing_skills"] for row in failed)
    report = WeeklyReport.from_numbers(WEEK, numbers, generated_at=WEEK.until)
    assert not report.empty and report.gates.pass_rate == pytest.approx(22 / 30)


def test_seeding_the_same_week_again_writes_nothing(
    store: Store, seeded: tuple[dict[str, int], dict[str, Any]]
) -> None:
    _, before = seeded

    again = seed_week(store, root=REPO_ROOT, window=WEEK)

    assert again == {"skills": 5, "runs": 0, "bench_results": 0, "gates": 0}
    assert store.weekly_numbers(since=WEEK.since, until=WEEK.until) == before


def test_the_same_seed_gives_the_same_week_and_another_seed_another(tmp_path: Path) -> None:
    found = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        store = _store(tmp_path / f"{name}.db")
        try:
            seed_week(store, root=REPO_ROOT, window=WEEK, runs=400, seed=seed)
            found.append(store.weekly_numbers(since=WEEK.since, until=WEEK.until))
        finally:
            store.close()

    assert found[0] == found[1]
    assert found[0] != found[2]


def test_another_week_does_not_touch_this_one(store: Store, seeded: tuple[dict[str, int], dict[str, Any]]) -> None:
    _, before = seeded
    following = iso_week("2026-W48")

    counts = seed_week(store, root=REPO_ROOT, window=following, runs=500)

    assert counts["runs"] == 500
    after = store.weekly_numbers(since=WEEK.since, until=WEEK.until)
    assert (after["skills"], after["daily"], after["failures"]) == (
        before["skills"],
        before["daily"],
        before["failures"],
    )
    assert store.weekly_numbers(since=following.since, until=following.until)["totals"]["runs"] == 500


def test_a_demo_week_needs_runs(store: Store) -> None:
    with pytest.raises(BadInput, match="at least one run"):
        seed_week(store, root=REPO_ROOT, window=WEEK, runs=0)
