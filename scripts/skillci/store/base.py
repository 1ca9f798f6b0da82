"""The Store interface every implementation provides, and the retry policy they share."""

from __future__ import annotations

import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from skillci.errors import BadInput, ServiceFailed
from skillci.store.runs import RunOutcome, RunReport, run_id_for
from skillci.sync.plan import RegistryState, SyncPlan, plan_sync

T = TypeVar("T")

#: Attempts for an operation that failed transiently, and the first back-off delay (doubled each time).
ATTEMPTS = 4
FIRST_DELAY_S = 0.5


class Transient(Exception):
    """A failure worth retrying (connection lost, server restarting, serialization conflict)."""


def with_retries(
    operation: Callable[[], T],
    *,
    describe: Callable[[Exception], str],
    attempts: int = ATTEMPTS,
    budget_s: float | None = None,
) -> T:
    """Run operation, retrying Transient failures with exponential back-off and jitter; then exit 3.

    With budget_s, no attempt starts once that long has passed since the first began (nor a wait that would
    end past it), so the whole call takes at most budget_s plus one attempt.
    """
    delay = FIRST_DELAY_S
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except Transient as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            pause = delay * (1 + random.random() / 2)
            elapsed = time.monotonic() - started
            if attempt == attempts:
                raise ServiceFailed(f"{describe(cause)} (gave up after {attempts} attempts)") from None
            if budget_s is not None and elapsed + pause >= budget_s:
                raise ServiceFailed(
                    f"{describe(cause)} (gave up after {attempt} attempt{'s' if attempt > 1 else ''} in "
                    f"{elapsed:.1f} s)"
                ) from None
            time.sleep(pause)
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


def as_utc(moment: datetime) -> datetime:
    """The same moment in UTC (a naive one is taken as UTC, as SQLite stores it)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """A timestamp as ISO 8601 text in UTC with microseconds (a naive one is taken as UTC, as SQLite stores it)."""
    return as_utc(moment).isoformat(timespec="microseconds")


#: The most failure codes and failed gates one weekly report lists.
WEEKLY_LIST_MAX = 1000
#: The integer numbers of a `skills` element (or of `totals`) of the weekly numbers, and all of them in order.
_WEEKLY_COUNTS = ("runs", "finished", "succeeded")
_WEEKLY_SUMS = ("retries", "tokens_in", "tokens_out")


def weekly_payload(*, since: datetime, until: datetime, top_failures: int, recent_gates: int) -> dict[str, Any]:
    """The payload of ops.skillci_weekly_report, checked as that function checks it (BadInput otherwise)."""
    if not isinstance(since, datetime) or not isinstance(until, datetime):
        raise BadInput("weekly report: since and until must be ISO 8601 times")
    if as_utc(until) <= as_utc(since):
        raise BadInput("weekly report: until must be after since")
    for name, value in (("top_failures", top_failures), ("recent_gates", recent_gates)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= WEEKLY_LIST_MAX:
            raise BadInput(f"weekly report: {name} must be an integer from 0 to {WEEKLY_LIST_MAX}")
    return {
        "since": utc_text(since),
        "until": utc_text(until),
        "top_failures": top_failures,
        "recent_gates": recent_gates,
    }


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _run_numbers(row: Mapping[str, Any]) -> dict[str, Any]:
    """One `skills` element or `totals` of the weekly numbers, with Python types every store agrees on."""
    numbers: dict[str, Any] = {name: int(row.get(name) or 0) for name in _WEEKLY_COUNTS}
    numbers["p50_s"] = _float_or_none(row.get("p50_s"))
    numbers["p90_s"] = _float_or_none(row.get("p90_s"))
    numbers.update({name: int(row.get(name) or 0) for name in _WEEKLY_SUMS})
    numbers["cost_usd"] = float(row.get("cost_usd") or 0.0)
    return numbers


def weekly_from_json(document: Mapping[str, Any]) -> dict[str, Any]:
    """The weekly numbers (the JSON shape in `skillci.weekly.report`) with the same Python types from every store."""
    gates = document.get("gates") or {}
    return {
        "skills": [{"skill_id": str(row["skill_id"]), **_run_numbers(row)} for row in document.get("skills") or []],
        "totals": _run_numbers(document.get("totals") or {}),
        "daily": [
            {"day": str(row["day"]), **{name: int(row.get(name) or 0) for name in _WEEKLY_COUNTS}}
            for row in document.get("daily") or []
        ],
        "failures": [
            {
                "code": str(row["code"]),
                "count": int(row["count"]),
                "runbook": row.get("runbook"),
                "severity": row.get("severity"),
            }
            for row in document.get("failures") or []
        ],
        "tiers": [
            {"skill_id": str(row["skill_id"]), "before": row.get("before"), "after": row.get("after")}
            for row in document.get("tiers") or []
        ],
        "gates": {
            "total": int(gates.get("total") or 0),
            "passed": int(gates.get("passed") or 0),
            "recent_failures": [
                {
                    "created_at": str(row["created_at"]),
                    "commit_sha": row.get("commit_sha"),
                    "pr_number": None if row.get("pr_number") is None else int(row["pr_number"]),
                    "run_url": row.get("run_url"),
                    "failing_skills": list(row.get("failing_skills") or []),
                }
                for row in gates.get("recent_failures") or []
            ],
        },
    }


#: What a notification's status may be.
NOTIFICATION_STATUSES = ("sent", "failed")


def _text_of(value: Any, name: str, longest: int, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise BadInput(f"{what}: {name} must be a string of 1 to {longest} characters")
    return value


def notification_key(idempotency_key: Any) -> str:
    """A notification's idempotency key, checked as ops.skillci_notification_status checks it."""
    return _text_of(idempotency_key, "idempotency_key", 200, "notification")


def notification_payload(
    *, channel: Any, period: Any, idempotency_key: Any, status: Any, payload: Any
) -> dict[str, Any]:
    """The payload of ops.skillci_record_notification, checked as that function checks it (BadInput otherwise)."""
    checked = {
        "channel": _text_of(channel, "channel", 32, "notification"),
        "period": _text_of(period, "period", 16, "notification"),
        "idempotency_key": notification_key(idempotency_key),
    }
    if not isinstance(status, str) or status not in NOTIFICATION_STATUSES:
        raise BadInput("notification: status must be sent or failed")
    if payload is not None and not isinstance(payload, Mapping):
        raise BadInput("notification: payload must be a JSON object or null")
    return {**checked, "status": status, "payload": None if payload is None else dict(payload)}


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def snapshot_payload(*, day: Any, metrics: Any) -> dict[str, Any]:
    """The payload of ops.skillci_record_snapshot, checked as that function checks it (BadInput otherwise)."""
    try:
        valid = isinstance(day, str) and _DAY.fullmatch(day) is not None and bool(date.fromisoformat(day))
    except ValueError:
        valid = False
    if not valid:
        raise BadInput("snapshot: day must be a date like 2026-11-20")
    if not isinstance(metrics, Mapping):
        raise BadInput("snapshot: metrics must be a JSON object")
    return {"day": day, "metrics": dict(metrics)}


#: For each kind of history row: its table, the key that makes importing it idempotent, and the columns it may
#: not set (the database numbers those rows itself; a run's updated_at is its created_at).
HISTORY_KINDS: dict[str, tuple[str, str, frozenset[str]]] = {
    "runs": ("runs", "idempotency_key", frozenset({"updated_at"})),
    "bench_results": ("agent_benchmark_results", "bench_id", frozenset({"id"})),
    "gates": ("gate_results", "idempotency_key", frozenset({"id"})),
}


def history_payload(
    *,
    runs: Sequence[Mapping[str, Any]],
    bench_results: Sequence[Mapping[str, Any]],
    gates: Sequence[Mapping[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """The payload of ops.skillci_record_history: known columns only, created_at and each row's key present;
    datetimes as ISO 8601 text in UTC; a run without an id gets the one its idempotency key names."""
    from skillci.store import tables

    payload: dict[str, list[dict[str, Any]]] = {}
    for kind, rows in (("runs", runs), ("bench_results", bench_results), ("gates", gates)):
        table, key, refused = HISTORY_KINDS[kind]
        allowed = set(tables.metadata.tables[f"{tables.SCHEMA}.{table}"].columns.keys()) - refused
        checked = []
        for row in rows:
            if not isinstance(row, Mapping):
                raise BadInput(f"history: every element of {kind} must be a JSON object")
            unknown = sorted(str(name) for name in row if name not in allowed)
            if unknown:
                raise BadInput(f"history: {kind} rows have unknown column(s) {', '.join(unknown)}")
            if not isinstance(row.get(key), str) or not isinstance(row.get("created_at"), str | datetime):
                raise BadInput(
                    "history: every row needs created_at and its key (idempotency_key, or bench_id for results)"
                )
            values = {name: utc_text(value) if isinstance(value, datetime) else value for name, value in row.items()}
            if kind == "runs":
                values.setdefault("id", run_id_for(values["idempotency_key"]))
            checked.append(values)
        payload[kind] = checked
    return payload


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
        #: What the last migrate found gone and restored (objects the migrations create; Postgres only).
        self.repaired: list[str] = []

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
    def record_runs(self, reports: Sequence[RunReport]) -> list[RunOutcome]:
        """Record reports all or nothing, in order, in one transaction; a refused one names its file and line."""

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

    def weekly_numbers(
        self, *, since: datetime, until: datetime, top_failures: int = 10, recent_gates: int = 5
    ) -> dict[str, Any]:
        """The weekly report's numbers for [since, until), aggregated in the database.

        The JSON shape and every definition are in `skillci.weekly.report`'s module docstring; identical on every
        store for the same rows (the same keys and Python types; floats may differ in the last bits, as sums
        are added up in another order). Memory does not grow with the number of runs. A naive since or until
        is taken as UTC; until must be after since and top_failures and recent_gates integers from 0 to 1000,
        else BadInput.
        """
        payload = weekly_payload(since=since, until=until, top_failures=top_failures, recent_gates=recent_gates)
        return weekly_from_json(self._weekly_report(payload))

    @abstractmethod
    def _weekly_report(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """The weekly numbers' JSON document for a checked `weekly_payload` (before `weekly_from_json`)."""

    def notification_status(self, idempotency_key: str) -> str | None:
        """The status recorded for a notification ("sent" or "failed"), or None when there is none."""
        status = self._notification_status(notification_key(idempotency_key))
        return None if status is None else str(status)

    @abstractmethod
    def _notification_status(self, idempotency_key: str) -> Any:
        """The status stored under a checked idempotency key, or None."""

    def record_notification(
        self, *, channel: str, period: str, idempotency_key: str, status: str, payload: Mapping[str, Any] | None
    ) -> None:
        """Record a delivery attempt (upsert on idempotency_key); sent_at is set when status is "sent"."""
        self._record_notification(
            notification_payload(
                channel=channel, period=period, idempotency_key=idempotency_key, status=status, payload=payload
            )
        )

    @abstractmethod
    def _record_notification(self, row: Mapping[str, Any]) -> None:
        """Upsert a checked `notification_payload`."""

    def record_snapshot(self, *, day: str, metrics: Mapping[str, Any]) -> tuple[int, bool]:
        """Record the nightly metrics snapshot of one UTC day (YYYY-MM-DD), replacing that day's earlier one;
        returns (id, created)."""
        outcome = self._record_snapshot(snapshot_payload(day=day, metrics=metrics))
        return int(outcome["id"]), bool(outcome["created"])

    @abstractmethod
    def _record_snapshot(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """Insert or replace a checked `snapshot_payload`; returns {"id", "created"}."""

    def record_history(
        self,
        *,
        runs: Sequence[Mapping[str, Any]] = (),
        bench_results: Sequence[Mapping[str, Any]] = (),
        gates: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, int]:
        """Import rows that carry their own created_at (demo data, backfills) in one transaction.

        runs, bench_results and gates are rows of runs, agent_benchmark_results and gate_results (see
        `history_payload`). Idempotent: rows whose key (idempotency_key; bench_id and skill_id for results) is
        stored already are kept as they are. Returns the rows written now: {"runs", "bench_results", "gates"}.
        """
        written = self._record_history(history_payload(runs=runs, bench_results=bench_results, gates=gates))
        return {kind: int(written[kind]) for kind in HISTORY_KINDS}

    @abstractmethod
    def _record_history(self, payload: Mapping[str, Sequence[Mapping[str, Any]]]) -> Mapping[str, int]:
        """Write a checked `history_payload` in one transaction; returns the rows written per kind."""

    @abstractmethod
    def recent_gates(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` gate decisions, newest first (the greatest ids), as `rows` gives them."""

    @abstractmethod
    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table, ordered by its primary key."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    #: How long a call may keep retrying (None: only the attempt count bounds it).
    retry_budget_s: float | None = None

    def _retrying(self, operation: Callable[[], T]) -> T:
        return with_retries(operation, describe=self.describe_failure, budget_s=self.retry_budget_s)

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


#: How ops.skillci_record_runs names the report it refused (0-based).
_REFUSED_REPORT = re.compile(r"report (\d+): (.*)", re.DOTALL)


class OpsFunctionStore(Store):
    """The weekly report's Store methods as calls of the migrations' ops functions (Postgres, Supabase)."""

    @abstractmethod
    def _call(self, function: str, payload: Mapping[str, Any]) -> Any:
        """One call of ops.<function>(payload jsonb), retried (these functions are idempotent)."""

    def record_runs(self, reports: Sequence[RunReport]) -> list[RunOutcome]:
        """In one call of ops.skillci_record_runs (one transaction); its refusals say `report N: …`."""
        try:
            outcomes = self._call("skillci_record_runs", {"runs": [report.payload for report in reports]})
        except BadInput as exc:
            found = _REFUSED_REPORT.match(exc.message)
            if found is None or int(found[1]) >= len(reports):
                raise
            raise reports[int(found[1])].rejected(found[2]) from None
        return [RunOutcome(**outcome) for outcome in outcomes]

    def _weekly_report(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """One call of ops.skillci_weekly_report (aggregated in the database)."""
        document: Mapping[str, Any] = self._call("skillci_weekly_report", payload)
        return document

    def _notification_status(self, idempotency_key: str) -> Any:
        """Through ops.skillci_notification_status."""
        return self._call("skillci_notification_status", {"idempotency_key": idempotency_key})

    def _record_notification(self, row: Mapping[str, Any]) -> None:
        """Through ops.skillci_record_notification (an upsert, so retried)."""
        self._call("skillci_record_notification", row)

    def _record_snapshot(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """Through ops.skillci_record_snapshot (replacing an earlier one of the day)."""
        outcome: Mapping[str, Any] = self._call("skillci_record_snapshot", row)
        return outcome

    def _record_history(self, payload: Mapping[str, Sequence[Mapping[str, Any]]]) -> Mapping[str, int]:
        """In one call of ops.skillci_record_history (one transaction, idempotent)."""
        written: Mapping[str, int] = self._call("skillci_record_history", payload)
        return written
