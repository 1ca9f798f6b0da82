"""The Supabase store: supabase-py over PostgREST, schema ops; every multi-row write is one `rpc` call."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from skillci.errors import BadInput, ServiceFailed
from skillci.ledger import redact_url
from skillci.store import tables
from skillci.store.base import (
    BenchContext,
    OpsFunctionStore,
    SyncSession,
    Transient,
    commit_result_from_json,
    commit_results_payload,
)
from skillci.store.runs import RunOutcome, RunReport
from skillci.sync.plan import RegistryState, state_from_json

URL_ENV = "SUPABASE_URL"
KEY_ENV = "SUPABASE_SERVICE_ROLE_KEY"
#: PostgREST error codes and HTTP statuses worth a retry: no database connection, schema cache reloading,
#: gateway trouble, and the Postgres transient states (the functions called are idempotent).
_TRANSIENT = {"PGRST000", "PGRST001", "PGRST002", "502", "503", "504", "520", "40001", "40P01", "57P01"}
_REFUSED = {"PGRST300", "PGRST301", "PGRST302", "401", "403", "42501", "PGRST106"}
_PAGE = 1000
#: Per request: httpx's connect and read timeouts. A call retries for at most RETRY_BUDGET_S, so an API that
#: never answers is given up within RETRY_BUDGET_S + REQUEST_TIMEOUT_S (80 s), not 4 × 60 s.
CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 20.0
RETRY_BUDGET_S = 60.0


class SupabaseStore(OpsFunctionStore):
    """A Supabase project reached with its service-role key."""

    kind = "supabase"
    retry_budget_s = RETRY_BUDGET_S

    def __init__(self, *, url: str, key: str) -> None:
        super().__init__(location=redact_url(url))
        import httpx
        from supabase import create_client
        from supabase.lib.client_options import SyncClientOptions

        self._http = httpx.Client(timeout=httpx.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
        options = SyncClientOptions(
            schema=tables.SCHEMA,
            postgrest_client_retry=False,  # skillci retries itself, and only idempotent calls
            httpx_client=self._http,
            auto_refresh_token=False,
            persist_session=False,
        )
        self._key = key
        self.client = create_client(url, key, options=options)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def describe_failure(self, exc: Exception) -> str:
        """One line about a failed request, without the key."""
        from postgrest import APIError

        if isinstance(exc, APIError):
            text = f"{exc.code}: {exc.message}" if exc.code else str(exc.message)
        else:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"supabase {self.location}: {text.replace(self._key, '***')}"

    @contextmanager
    def _translated(self) -> Iterator[None]:
        import httpx
        from postgrest import APIError

        try:
            yield
        except httpx.TransportError as exc:
            raise Transient() from exc
        except APIError as exc:
            code = str(exc.code or "")
            if code in _TRANSIENT or code.startswith("08"):
                raise Transient() from exc
            message = self.describe_failure(exc)
            if code in ("23514", "23503", "22023", "22P02"):
                raise BadInput(str(exc.message)) from None
            if code in ("PGRST202", "PGRST205", "42883", "42P01"):
                raise BadInput(f"{message} (apply supabase/migrations, e.g. `skillci db migrate`)") from None
            if code in _REFUSED:
                raise ServiceFailed(f"{message} (is SUPABASE_SERVICE_ROLE_KEY the service-role key?)") from None
            raise ServiceFailed(message) from None

    def _rpc(self, name: str, params: Mapping[str, Any], *, read_only: bool = False) -> Any:
        with self._translated():
            return self.client.rpc(name, dict(params), get=read_only).execute().data

    def _call(self, function: str, payload: Mapping[str, Any]) -> Any:
        """One call of ops.<function>(payload jsonb) over `rpc`, retried (these functions are idempotent)."""
        return self._retrying(lambda: self._rpc(function, {"payload": payload}))

    def migrate(self) -> list[str]:
        """PostgREST cannot run DDL: migrations go through the project's direct connection."""
        raise BadInput(
            "the supabase store cannot run migrations over its API: run `supabase db push`, or "
            "`skillci db migrate --store postgresql://…` with the project's direct connection string"
        )

    def has_schema(self) -> bool:
        """Whether skillci's functions answer (a missing function is PostgREST's PGRST202)."""
        try:
            self._retrying(lambda: self._rpc("skillci_registry_state", {}, read_only=True))
        except BadInput:
            return False
        return True

    def ensure_schema(self) -> list[str]:
        """Check the migrations are applied (they are applied with `supabase db push`, not over the API)."""
        if not self.has_schema():
            raise BadInput(
                f"supabase {self.location}: skillci's schema is missing or not exposed: apply supabase/migrations "
                "(`supabase db push`) and add `ops` to the project's exposed schemas"
            )
        return []

    @contextmanager
    def sync_session(self) -> Iterator[SyncSession]:
        """No transaction spans two HTTP calls: the apply function takes the lock and re-checks every row."""
        yield _SupabaseSession(self)

    def record_run(self, report: RunReport) -> RunOutcome:
        """Record a run report through the ops.skillci_record_run function (idempotent, so retried)."""
        return RunOutcome(**self._retrying(lambda: self._rpc("skillci_record_run", {"payload": report.payload})))

    def bench_context(self, skill_ids: Sequence[str], *, branch: str | None, git_sha: str | None) -> BenchContext:
        """Known skills and baselines through the ops.skillci_bench_context function."""
        payload = {"skill_ids": list(skill_ids), "branch": branch, "git_sha": git_sha}
        return BenchContext.from_json(self._retrying(lambda: self._rpc("skillci_bench_context", {"payload": payload})))

    def record_bench(self, runs: Sequence[RunReport], results: Sequence[Mapping[str, Any]]) -> int:
        """Runs and results in one call of ops.skillci_record_bench (idempotent, so retried)."""
        payload = {"runs": [report.payload for report in runs], "results": list(results)}
        return int(self._retrying(lambda: self._rpc("skillci_record_bench", {"payload": payload}))["results"])

    def commit_results(self, git_sha: str, skill_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest result of each skill at git_sha through ops.skillci_commit_results (validated there)."""
        payload = commit_results_payload(git_sha, skill_ids)
        found = self._retrying(lambda: self._rpc("skillci_commit_results", {"payload": payload}))
        return {skill_id: commit_result_from_json(row) for skill_id, row in found.items()}

    def run_stats(
        self, skill_ids: Sequence[str], *, since: datetime, until: datetime | None, source: str
    ) -> dict[str, dict[str, float]]:
        """Per-skill run numbers, aggregated in the database by ops.skillci_run_stats."""
        payload: dict[str, Any] = {"skill_ids": list(skill_ids), "since": since.isoformat(), "source": source}
        payload["until"] = until.isoformat() if until else None
        stats: dict[str, dict[str, float]] = self._retrying(
            lambda: self._rpc("skillci_run_stats", {"payload": payload})
        )
        return stats

    def record_gate(self, record: Mapping[str, Any]) -> tuple[int, bool]:
        """One gate decision through ops.skillci_record_gate (validated there; idempotent, so retried)."""
        payload = dict(record)
        outcome = self._retrying(lambda: self._rpc("skillci_record_gate", {"payload": payload}))
        return int(outcome["id"]), bool(outcome["created"])

    def recent_gates(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` gate decisions, newest first, in one request (order=id.desc, limit)."""
        if limit <= 0:
            return []

        def read() -> list[dict[str, Any]]:
            with self._translated():
                query = self.client.table("gate_results").select("*").order("id", desc=True).limit(limit)
                rows: list[dict[str, Any]] = query.execute().data  # type: ignore[assignment]
                return rows

        return self._retrying(read)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table, ordered by its primary key, a page at a time."""
        definition = tables.metadata.tables[f"{tables.SCHEMA}.{table}"]
        order = [column.name for column in definition.primary_key.columns]
        found: list[dict[str, Any]] = []
        while True:
            rows = self._retrying(lambda: self._page(table, order, len(found)))
            found.extend(rows)
            if len(rows) < _PAGE:
                return found

    def _page(self, table: str, order: list[str], start: int) -> list[dict[str, Any]]:
        with self._translated():
            query = self.client.table(table).select("*")
            for column in order:
                query = query.order(column)
            rows: list[dict[str, Any]] = query.range(start, start + _PAGE - 1).execute().data  # type: ignore[assignment]
            return rows


class _SupabaseSession(SyncSession):
    def __init__(self, store: SupabaseStore) -> None:
        self.store = store

    def registry_state(self) -> RegistryState:
        return state_from_json(self.store._rpc("skillci_registry_state", {}, read_only=True))

    def apply(self, payload: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = self.store._rpc("skillci_apply_sync", {"payload": payload})
        return result


def supabase_store() -> SupabaseStore:
    """A SupabaseStore from SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY."""
    url, key = os.environ.get(URL_ENV, "").strip(), os.environ.get(KEY_ENV, "").strip()
    missing = [name for name, value in ((URL_ENV, url), (KEY_ENV, key)) if not value]
    if missing:
        raise BadInput(f"--store supabase needs {' and '.join(missing)} in the environment")
    if not url.startswith(("https://", "http://")):
        raise BadInput(f"{URL_ENV} must be an http(s) URL such as https://PROJECT.supabase.co")
    return SupabaseStore(url=url.rstrip("/"), key=key)
