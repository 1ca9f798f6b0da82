"""The weekly report's numbers: one window of time (an ISO week by default) aggregated from a store.

The store computes the numbers (SQL aggregates, `Store.weekly_numbers`) and returns them in the JSON
shape below; `WeeklyReport.from_numbers` turns that shape into the typed report the renderers read.
Nothing here talks to a store, to Slack or to GitHub.

The JSON shape of `Store.weekly_numbers(since=, until=, top_failures=, recent_gates=)`:

    {
      "skills":   [{"skill_id", "runs", "finished", "succeeded", "p50_s", "p90_s",
                    "retries", "tokens_in", "tokens_out", "cost_usd"}, ...],   # by skill_id
      "totals":   {"runs", "finished", "succeeded", "p50_s", "p90_s",
                   "retries", "tokens_in", "tokens_out", "cost_usd"},
      "daily":    [{"day": "YYYY-MM-DD", "runs", "finished", "succeeded"}, ...], # days with runs, in order
      "failures": [{"code", "count", "runbook", "severity"}, ...],             # top N, count desc then code
      "tiers":    [{"skill_id", "before", "after"}, ...],                      # changed tiers, by skill_id
      "gates":    {"total", "passed",
                   "recent_failures": [{"created_at", "commit_sha", "pr_number", "run_url",
                                        "failing_skills"}, ...]}              # newest first, at most M
    }

Definitions (the same on every store):

* a run belongs to the window when its `created_at` is in [since, until);
* `finished` counts runs in FINISHED_STATES (succeeded, failed, timed_out); `succeeded` those succeeded;
  the success rate is succeeded / finished (None when nothing finished);
* p50 / p90 are percentiles of `duration_s` over finished runs that reported one, by linear
  interpolation between closest ranks (PostgreSQL's `percentile_cont`); None when there is none;
* retries: the sum over runs of `ci_attempts - 1` where ci_attempts > 1;
* tokens_in, tokens_out, cost_usd: sums over the window's runs (0 when none reported);
* failures: runs of the window with a `failure_code`, counted per code, with the failure mode's
  runbook and severity from `failure_modes` (None when the code is unknown there);
* tiers: for each skill, the tier of its latest `agent_benchmark_results` row created before `until`
  against the latest created before `since` (the previous week's end); listed when they differ,
  `before` None for a skill first tiered in the window;
* gates: `gate_results` created in the window; recent_failures are the newest failed ones;
  failing_skills comes from the row's numbers (`numbers.failing_skills`, else []);
* daily: buckets by the UTC calendar day of `created_at`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from skillci.errors import BadInput

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Window:
    """A span of time [since, until) in UTC and its label: an ISO week (2026-W47) or since..until dates."""

    since: datetime
    until: datetime
    label: str

    @property
    def previous_since(self) -> datetime:
        """The start of the window of the same length just before this one."""
        return self.since - (self.until - self.since)

    @property
    def days(self) -> list[date]:
        """Every UTC calendar day the window touches, in order."""
        first, last = self.since.date(), (self.until - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def iso_week(text: str) -> Window:
    """The ISO week named like 2026-W47: Monday 00:00 UTC to the next Monday."""
    match = _ISO_WEEK.match(text.strip())
    if not match:
        raise BadInput(f"--week {text!r}: expected an ISO week like 2026-W47, `last` or `current`")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise BadInput(f"--week {text!r}: {year} has no week {week}") from None
    since = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return Window(since, since + timedelta(days=7), f"{year}-W{week:02d}")


def week_of(moment: datetime) -> Window:
    """The ISO week holding moment (a naive moment is taken as UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    year, week, _ = moment.isocalendar()
    return iso_week(f"{year}-W{week:02d}")


def choose_week(text: str | None, *, now: datetime) -> Window:
    """--week: an ISO week (2026-W47), `last` (the week before now's), or `current` / None (now's week)."""
    value = (text or "").strip().lower()
    if value in ("", "current"):
        return week_of(now)
    if value == "last":
        return week_of(now - timedelta(days=7))
    return iso_week(text or "")


def _day(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{option} {text!r}: expected a date (2026-11-16) or an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_between(since: str, until: str) -> Window:
    """The window [since, until) from two dates or ISO 8601 times (UTC unless they say otherwise)."""
    start, end = _day(since, "--since"), _day(until, "--until")
    if end <= start:
        raise BadInput(f"--until {until!r} must be after --since {since!r}")
    if end - start > timedelta(days=366):
        raise BadInput("--since/--until: a window is at most 366 days")
    return Window(start, end, f"{since.strip()}..{until.strip()}")


@dataclass(frozen=True)
class RunNumbers:
    """Run numbers of one skill, or of all skills together (skill_id None)."""

    skill_id: str | None
    runs: int
    finished: int
    succeeded: int
    p50_s: float | None
    p90_s: float | None
    retries: int
    tokens_in: int
    tokens_out: int
    cost_usd: float

    @property
    def success_rate(self) -> float | None:
        """succeeded / finished; None when nothing finished."""
        return self.succeeded / self.finished if self.finished else None

    @classmethod
    def from_json(cls, row: Mapping[str, Any], *, skill_id: str | None = None) -> RunNumbers:
        """From one element of `skills` (or `totals`) of the numbers' JSON shape."""

        def number(name: str) -> float | None:
            value = row.get(name)
            return None if value is None else float(value)

        return cls(
            skill_id=row.get("skill_id", skill_id),
            runs=int(row.get("runs") or 0),
            finished=int(row.get("finished") or 0),
            succeeded=int(row.get("succeeded") or 0),
            p50_s=number("p50_s"),
            p90_s=number("p90_s"),
            retries=int(row.get("retries") or 0),
            tokens_in=int(row.get("tokens_in") or 0),
            tokens_out=int(row.get("tokens_out") or 0),
            cost_usd=float(row.get("cost_usd") or 0.0),
        )


@dataclass(frozen=True)
class DayNumbers:
    """Runs of one UTC day."""

    day: date
    runs: int
    finished: int
    succeeded: int

    @property
    def success_rate(self) -> float | None:
        """succeeded / finished; None when nothing finished."""
        return self.succeeded / self.finished if self.finished else None


@dataclass(frozen=True)
class FailureCount:
    """One failure code's runs in the window, and where to read what to do about it."""

    code: str
    count: int
    runbook: str | None
    severity: str | None


@dataclass(frozen=True)
class TierChange:
    """A skill whose tier differs from the previous window's end (before None: first tiered now)."""

    skill_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class FailedGate:
    """One failed gate decision."""

    created_at: str
    commit_sha: str | None
    pr_number: int | None
    run_url: str | None
    failing_skills: tuple[str, ...]


@dataclass(frozen=True)
class GateNumbers:
    """Gate decisions in the window."""

    total: int
    passed: int
    recent_failures: tuple[FailedGate, ...]

    @property
    def pass_rate(self) -> float | None:
        """passed / total; None when no gate ran."""
        return self.passed / self.total if self.total else None


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the weekly report says, for one window."""

    window: Window
    generated_at: datetime
    skills: tuple[RunNumbers, ...]
    totals: RunNumbers
    daily: tuple[DayNumbers, ...]
    failures: tuple[FailureCount, ...]
    tier_changes: tuple[TierChange, ...]
    gates: GateNumbers

    @property
    def empty(self) -> bool:
        """True when the window holds no run and no gate decision."""
        return self.totals.runs == 0 and self.gates.total == 0

    @classmethod
    def from_numbers(cls, window: Window, numbers: Mapping[str, Any], *, generated_at: datetime) -> WeeklyReport:
        """The report from `Store.weekly_numbers`' JSON shape; daily is filled with every day of the window."""
        by_day = {str(row["day"]): row for row in numbers.get("daily") or []}
        daily = tuple(
            DayNumbers(
                day,
                int(by_day.get(day.isoformat(), {}).get("runs") or 0),
                int(by_day.get(day.isoformat(), {}).get("finished") or 0),
                int(by_day.get(day.isoformat(), {}).get("succeeded") or 0),
            )
            for day in window.days
        )
        gates = numbers.get("gates") or {}
        return cls(
            window=window,
            generated_at=generated_at,
            skills=tuple(RunNumbers.from_json(row) for row in numbers.get("skills") or []),
            totals=RunNumbers.from_json(numbers.get("totals") or {}, skill_id=None),
            daily=daily,
            failures=tuple(
                FailureCount(str(row["code"]), int(row["count"]), row.get("runbook"), row.get("severity"))
                for row in numbers.get("failures") or []
            ),
            tier_changes=tuple(
                TierChange(str(row["skill_id"]), row.get("before"), row.get("after"))
                for row in numbers.get("tiers") or []
            ),
            gates=GateNumbers(
                total=int(gates.get("total") or 0),
                passed=int(gates.get("passed") or 0),
                recent_failures=tuple(_failed_gate(row) for row in gates.get("recent_failures") or []),
            ),
        )


def _failed_gate(row: Mapping[str, Any]) -> FailedGate:
    failing: Sequence[Any] = row.get("failing_skills") or []
    number = row.get("pr_number")
    return FailedGate(
        created_at=str(row["created_at"]),
        commit_sha=row.get("commit_sha"),
        pr_number=None if number is None else int(number),
        run_url=row.get("run_url"),
        failing_skills=tuple(str(skill) for skill in failing),
    )
