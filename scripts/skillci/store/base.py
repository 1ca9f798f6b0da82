"""The Store interface every implementation provides, and the retry policy they share."""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from skillci.errors import ServiceFailed
from skillci.runs import RunOutcome, RunReport
from skillci.sync_plan import RegistryState, SyncPlan, plan_sync

T = TypeVar("T")

#: Attempts for an operation that failed transiently, and the first back-off delay (doubled each time).
ATTEMPTS = 4
FIRST_DELAY_S = 0.5


class Transient(Exception):
    """A failure worth retrying (connection lost, server restarting, serialization conflict)."""


def with_retries(operation: Callable[[], T], *, describe: Callable[[Exception], str], attempts: int = ATTEMPTS) -> T:
    """Run operation, retrying Transient failures with exponential back-off and jitter; then exit 3."""
    delay = FIRST_DELAY_S
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except Transient as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            if attempt == attempts:
                raise ServiceFailed(f"{describe(cause)} (gave up after {attempts} attempts)") from None
            time.sleep(delay * (1 + random.random() / 2))
            delay *= 2
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class SyncOutcome:
    """A sync: its plan, whether anything was written, and what was written (per kind, when applied)."""

    plan: SyncPlan
    applied: bool
    written: Mapping[str, Mapping[str, int]] | None = None
    #: True when a dry run planned against a store that has no schema yet (so against an empty store).
    no_schema: bool = False

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per kind; when applied, the rows actually written (a concurrent sync may have done some)."""
        counts = self.plan.counts()
        if self.written:
            for kind, written in self.written.items():
                total = sum(counts[kind].values())
                counts[kind].update({name: int(written.get(name, 0)) for name in ("created", "updated", "deprecated")})
                counts[kind]["unchanged"] = total - sum(counts[kind][n] for n in ("created", "updated", "deprecated"))
        return counts


@dataclass(frozen=True)
class Baseline:
    """A skill's earlier result that a new one is compared with."""

    composite_score: float | None
    tier: str | None
    git_sha: str | None
    branch: str | None


@dataclass(frozen=True)
class BenchContext:
    """What a bench learns from the store first: the skills it knows, and each skill's baseline."""

    known: frozenset[str]
    baseline: Mapping[str, Baseline]

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> BenchContext:
        """The context from the JSON shape of ops.skillci_bench_context."""
        baseline = {
            skill_id: Baseline(row.get("composite_score"), row.get("tier"), row.get("git_sha"), row.get("branch"))
            for skill_id, row in (document.get("baseline") or {}).items()
        }
        return cls(frozenset(document.get("known") or ()), baseline)


def utc_text(moment: datetime) -> str:
    """A timestamp as ISO 8601 text in UTC with microseconds (a naive one is taken as UTC, as SQLite stores it)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def commit_results_payload(git_sha: str, skill_ids: Sequence[str]) -> dict[str, Any]:
    """The payload of ops.skillci_commit_results (a bare string for skill_ids is sent as is, and refused there)."""
    return {"git_sha": git_sha, "skill_ids": skill_ids if isinstance(skill_ids, str) else list(skill_ids)}


def commit_result_from_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """One value of Store.commit_results from a row or its JSON shape (numbers and created_at normalised)."""
    score, created_at = row.get("composite_score"), row["created_at"]
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    return {
        "skill_id": row["skill_id"],
        "composite_score": None if score is None else float(score),
        "tier": row.get("tier"),
        "cases_passed": int(row["cases_passed"]),
        "cases_total": int(row["cases_total"]),
        "metrics": dict(row.get("metrics") or {}),
        "missing_metrics": list(row.get("missing_metrics") or []),
        "branch": row.get("branch"),
        "created_at": utc_text(created_at),
    }


class SyncSession(ABC):
    """One sync's view of the store: read the registry state, then apply a payload (inside one transaction)."""

    @abstractmethod
    def registry_state(self) -> RegistryState:
        """What the registry tables hold."""

    @abstractmethod
    def apply(self, payload: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        """Apply a sync payload; return the rows written per kind (created, updated, deprecated)."""


class Store(ABC):
    """Where the registry, runs, results and reports live."""

    #: A short name for messages: sqlite, postgres or supabase.
    kind: str = ""

    def __init__(self, *, location: str) -> None:
        #: Where the store is, fit for printing (no password, no key).
        self.location = location

    @abstractmethod
    def migrate(self) -> list[str]:
        """Bring the schema up to date; return the names of the migrations applied now."""

    @abstractmethod
    def has_schema(self) -> bool:
        """Whether the store's tables and functions exist (a dry run plans against an empty store otherwise)."""

    def ensure_schema(self) -> list[str]:
        """Make sure the schema is there before a sync: migrate where skillci can; return what was applied."""
        return self.migrate()

    @abstractmethod
    def sync_session(self) -> AbstractContextManager[SyncSession]:
        """A session holding the sync lock, committed on a clean exit and rolled back otherwise."""

    @abstractmethod
    def record_run(self, report: RunReport) -> RunOutcome:
        """Record one run report atomically and idempotently (its idempotency key names the run)."""

    @abstractmethod
    def bench_context(self, skill_ids: Sequence[str], *, branch: str | None, git_sha: str | None) -> BenchContext:
        """Which of the skills the store has, and each one's baseline: its result at git_sha, else latest on branch."""

    @abstractmethod
    def record_bench(self, runs: Sequence[RunReport], results: Sequence[Mapping[str, Any]]) -> int:
        """Record a bench's runs and its per-skill results in one transaction; return the results written now."""

    @abstractmethod
    def commit_results(self, git_sha: str, skill_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest recorded bench result of each of skill_ids at commit git_sha (skills without one are absent).

        Each value: skill_id, composite_score (float or None), tier (str or None), cases_passed and cases_total
        (int), metrics (dict), missing_metrics (list), branch, and created_at (ISO 8601 text in UTC, with
        microseconds). The latest is the one recorded last (greatest created_at, then greatest id). git_sha must
        be 4 to 64 hex characters (compared ignoring case) and skill_ids a list of strings, else BadInput; no
        skill ids give {}.
        """

    @abstractmethod
    def run_stats(
        self, skill_ids: Sequence[str], *, since: datetime, until: datetime | None, source: str
    ) -> dict[str, dict[str, float]]:
        """Per skill: finished runs in [since, until), how many succeeded, and the mean of each reported number."""

    @abstractmethod
    def record_gate(self, record: Mapping[str, Any]) -> tuple[int, bool]:
        """Record one gate decision; returns (id, created). Idempotent on record['idempotency_key'].

        record: passed (bool), thresholds and numbers (JSON objects) and idempotency_key (1 to 200 characters)
        are required; commit_sha (at most 64 characters), pr_number (a positive integer) and run_url may be
        absent or None; no other keys. Anything else is BadInput. A key already stored writes nothing and
        returns that row's id with created False.
        """

    @abstractmethod
    def weekly_numbers(
        self, *, since: datetime, until: datetime, top_failures: int = 10, recent_gates: int = 5
    ) -> dict[str, Any]:
        """The weekly report's numbers for [since, until), aggregated in the database.

        The JSON shape and every definition are in `skillci.weekly`'s module docstring; identical on every
        store for the same rows. Memory does not grow with the number of runs.
        """

    @abstractmethod
    def notification_status(self, idempotency_key: str) -> str | None:
        """The status recorded for a notification ("sent" or "failed"), or None when there is none."""

    @abstractmethod
    def record_notification(
        self, *, channel: str, period: str, idempotency_key: str, status: str, payload: Mapping[str, Any] | None
    ) -> None:
        """Record a delivery attempt (upsert on idempotency_key); sent_at is set when status is "sent"."""

    @abstractmethod
    def record_snapshot(self, *, day: str, metrics: Mapping[str, Any]) -> tuple[int, bool]:
        """Record the nightly metrics snapshot of one UTC day (YYYY-MM-DD), replacing that day's earlier one;
        returns (id, created)."""

    def recent_gates(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` gate decisions, newest first (reads the whole gate_results table)."""
        if limit <= 0:
            return []
        gates = self.rows("gate_results")
        return gates[: -limit - 1 : -1]

    @abstractmethod
    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table, ordered by its primary key."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def _retrying(self, operation: Callable[[], T]) -> T:
        return with_retries(operation, describe=self.describe_failure)

    def describe_failure(self, exc: Exception) -> str:
        """One line about a failure of this store, without secrets."""
        return f"{self.kind} store {self.location}: {exc}"

    def sync(self, desired: Mapping[str, Mapping[str, Any]], *, git_sha: str | None, apply: bool) -> SyncOutcome:
        """Plan the registry against the store and, when apply is true, write the plan in one transaction."""

        if not apply and not self.has_schema():
            return SyncOutcome(plan_sync(desired, {}), applied=False, no_schema=True)

        def attempt() -> SyncOutcome:
            with self.sync_session() as session:
                plan = plan_sync(desired, session.registry_state())
                if not (apply and plan.writes):
                    return SyncOutcome(plan, applied=False)
                written = session.apply(plan.payload(git_sha=git_sha))
            wrote = any(any(counts.values()) for counts in written.values())
            return SyncOutcome(plan, applied=wrote, written=written)

        return self._retrying(attempt)
