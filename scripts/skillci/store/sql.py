"""The SQLAlchemy stores: embedded SQLite, and Postgres (schema ops, writes through the migrations' functions)."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import SQLCompiler

from skillci.errors import BadInput, ServiceFailed
from skillci.store import tables
from skillci.store.base import (
    HISTORY_KINDS,
    Baseline,
    BenchContext,
    OpsFunctionStore,
    Store,
    SyncSession,
    Transient,
    as_utc,
    commit_result_from_json,
    commit_results_payload,
    utc_text,
)
from skillci.store.runs import (
    FINISHED_STATES,
    RUN_NUMBERS,
    RunOutcome,
    RunReport,
    illegal_transition,
    transition_allowed,
)
from skillci.store.schema_check import missing_objects, schema_objects
from skillci.sync.plan import KINDS, RegistryState, state_from_json

#: SQLSTATEs worth a retry: connection exceptions, the server shutting down or starting, resource exhaustion,
#: serialization failures and deadlocks.
_TRANSIENT_CLASSES = ("08", "53", "57P01", "57P02", "57P03", "40001", "40P01")
_SYNC_LOCK = "select pg_advisory_xact_lock(hashtextextended('skillci.sync', 0))"
_MIGRATE_LOCK = "select pg_advisory_xact_lock(hashtextextended('skillci.migrate', 0))"
#: SQLite's names for the refusals that mean bad input (as SQLSTATE 23503/23514 do on Postgres).
_SQLITE_BAD_INPUT = {"SQLITE_CONSTRAINT_FOREIGNKEY", "SQLITE_CONSTRAINT_CHECK"}
_KEY_COLUMN = {"skills": "id", "tools": "id", "failure_modes": "code"}


def _refused(message: str) -> bool:
    """Whether a connection failure is the server saying no (FATAL: bad database, role or password), for good."""
    fatal = "FATAL:" in message
    passing = ("starting up", "shutting down", "too many", "in recovery", "terminating connection")
    return fatal and not any(phrase in message for phrase in passing)


def migration_files() -> list[tuple[str, str, str]]:
    """The shipped migrations, oldest first: (version, name, sql)."""
    folder = resources.files("skillci.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append((version, rest.removesuffix(".sql"), entry.read_text(encoding="utf-8")))
    return sorted(found)


class SqlStore(Store):
    """A store reached through SQLAlchemy Core."""

    def __init__(self, *, engine: Engine, location: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(location=location)
        self.engine = engine
        self._secrets = tuple(secret for secret in secrets if secret)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()

    def describe_failure(self, exc: Exception) -> str:
        """One line about a database failure: the driver's first line, with any secret blanked."""
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return f"database {self.location}: {text}"

    def _sqlstate(self, exc: DBAPIError) -> str | None:
        return getattr(exc.orig, "sqlstate", None)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn driver errors into Transient (retried), BadInput or ServiceFailed."""
        try:
            yield
        except DBAPIError as exc:
            state = self._sqlstate(exc)
            lost = exc.connection_invalidated or (state is None and isinstance(exc, sa.exc.OperationalError))
            if lost and not _refused(str(exc.orig)):
                raise Transient() from exc
            if state and state.startswith(_TRANSIENT_CLASSES):
                raise Transient() from exc
            message = self.describe_failure(exc)
            sqlite_refusal = getattr(exc.orig, "sqlite_errorname", "") in _SQLITE_BAD_INPUT
            if state in ("23514", "23503", "22023", "22P02") or sqlite_refusal:
                raise BadInput(message.split(": ", 1)[1]) from None
            if state in ("42P01", "3F000", "42883"):
                raise BadInput(f"{message} (run `skillci db migrate` first)") from None
            raise ServiceFailed(message) from None

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._translated(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A transaction that only reads."""
        with self._transaction() as connection:
            yield connection

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table, ordered by its primary key."""
        definition = tables.metadata.tables[f"{tables.SCHEMA}.{table}"]
        query = sa.select(definition).order_by(*definition.primary_key.columns)

        def read() -> list[dict[str, Any]]:
            with self._transaction() as connection:
                return [dict(row._mapping) for row in connection.execute(query)]

        return self._retrying(read)

    def recent_gates(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The last `limit` gate decisions, newest first: the database reads only those rows (LIMIT)."""
        if limit <= 0:
            return []
        gates = tables.gate_results
        query = sa.select(gates).order_by(gates.c.id.desc()).limit(limit)

        def read() -> list[dict[str, Any]]:
            with self._reading() as connection:
                return [dict(row._mapping) for row in connection.execute(query)]

        return self._retrying(read)


class PostgresStore(SqlStore, OpsFunctionStore):
    """Postgres: schema ops from the shipped migrations; multi-row writes are one call of a SQL function."""

    kind = "postgres"

    def migrate(self) -> list[str]:
        """Create the Supabase roles and auth helpers when missing, apply the migrations not yet recorded, then
        repair: when an object the migrations create is gone, apply them all again (`repaired` says what was gone)."""
        bootstrap = (resources.files("skillci.store") / "bootstrap.sql").read_text(encoding="utf-8")
        migrations = migration_files()

        def attempt() -> list[str]:
            applied = []
            with self._transaction() as connection:
                cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                with self._migrating("the bootstrap (roles, schema auth, the migrations table)"):
                    cursor.execute(_MIGRATE_LOCK)
                    cursor.execute(bootstrap)
                    cursor.execute("select version from supabase_migrations.schema_migrations")
                done = {row[0] for row in cursor.fetchall()}
                for version, name, sql in migrations:
                    if version in done:
                        continue
                    with self._migrating(f"migration {version}_{name}"):
                        cursor.execute(sql)
                        cursor.execute(
                            "insert into supabase_migrations.schema_migrations (version, name, statements)"
                            " values (%s, %s, %s)",
                            (version, name, [sql]),
                        )
                    applied.append(f"{version}_{name}")
                self.repaired = self._repair(cursor, migrations)
            return applied

        return self._retrying(attempt)

    def _repair(self, cursor: Any, migrations: list[tuple[str, str, str]]) -> list[str]:
        """Check that every object the migrations create is there; when some are gone (a dropped function, say),
        apply every migration again (each is safe to re-run) and return what was missing."""
        objects = schema_objects([sql for _, _, sql in migrations])
        with self._migrating("the check of skillci's objects"):
            missing = missing_objects(cursor, objects)
        if not missing:
            return []
        for version, name, sql in migrations:
            with self._migrating(f"the repair, migration {version}_{name}"):
                cursor.execute(sql)
        with self._migrating("the check of skillci's objects"):
            left = missing_objects(cursor, objects)
        if left:
            raise BadInput(f"database {self.location}: re-applying the migrations did not restore {', '.join(left)}")
        return missing

    @contextmanager
    def _migrating(self, step: str) -> Iterator[None]:
        """Turn the driver's errors of one migration step into Transient (retried), BadInput or ServiceFailed:
        a refused permission or an existing object in the way is the database's configuration (exit 2)."""
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            state = exc.sqlstate or ""
            if not state or state.startswith(_TRANSIENT_CLASSES):
                raise Transient() from exc
            where = f"{self.describe_failure(exc)} (in {step})"
            if state == "42501":
                raise BadInput(
                    f"{where}: db migrate needs a role that may create schemas, roles and functions "
                    "(the database owner, or a superuser)"
                ) from None
            if state.startswith(("42", "23", "22", "2B")):
                raise BadInput(f"{where}: an object already in the database conflicts with skillci's schema") from None
            raise ServiceFailed(where) from None

    def has_schema(self) -> bool:
        """Whether the migrations' tables and functions are there."""
        query = "select to_regclass('ops.skills') is not null and to_regprocedure('ops.skillci_apply_sync(jsonb)') is not null"

        def attempt() -> bool:
            with self._transaction() as connection:
                return bool(connection.exec_driver_sql(query).scalar_one())

        return self._retrying(attempt)

    @contextmanager
    def sync_session(self) -> Iterator[SyncSession]:
        """One transaction holding the sync advisory lock."""
        with self._transaction() as connection:
            connection.exec_driver_sql(_SYNC_LOCK)
            yield _PostgresSession(connection)

    def _call(self, function: str, payload: Mapping[str, Any]) -> Any:
        """One call of an ops function taking a jsonb payload, in its own transaction (they are idempotent)."""
        query = sa.text(f"select ops.{function}(cast(:payload as jsonb))")
        data = json.dumps(payload)

        def attempt() -> Any:
            with self._transaction() as connection:
                return connection.execute(query, {"payload": data}).scalar_one()

        return self._retrying(attempt)

    def record_run(self, report: RunReport) -> RunOutcome:
        """Record a run report through ops.skillci_record_run (one transaction, idempotent, retried)."""
        return RunOutcome(**self._call("skillci_record_run", report.payload))

    def bench_context(self, skill_ids: Sequence[str], *, branch: str | None, git_sha: str | None) -> BenchContext:
        """Known skills and baselines through ops.skillci_bench_context."""
        payload = {"skill_ids": list(skill_ids), "branch": branch, "git_sha": git_sha}
        return BenchContext.from_json(self._call("skillci_bench_context", payload))

    def record_bench(self, runs: Sequence[RunReport], results: Sequence[Mapping[str, Any]]) -> int:
        """Runs and results through ops.skillci_record_bench: one transaction, idempotent, retried."""
        payload = {"runs": [report.payload for report in runs], "results": list(results)}
        return int(self._call("skillci_record_bench", payload)["results"])

    def commit_results(self, git_sha: str, skill_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest result of each skill at git_sha through ops.skillci_commit_results (validated there)."""
        found = self._call("skillci_commit_results", commit_results_payload(git_sha, skill_ids))
        return {skill_id: commit_result_from_json(row) for skill_id, row in found.items()}

    def run_stats(
        self, skill_ids: Sequence[str], *, since: datetime, until: datetime | None, source: str
    ) -> dict[str, dict[str, float]]:
        """Per-skill run numbers through ops.skillci_run_stats (aggregated in the database)."""
        payload: dict[str, Any] = {"skill_ids": list(skill_ids), "since": since.isoformat(), "source": source}
        payload["until"] = until.isoformat() if until else None
        stats: dict[str, dict[str, float]] = self._call("skillci_run_stats", payload)
        return stats

    def record_gate(self, record: Mapping[str, Any]) -> tuple[int, bool]:
        """One gate decision through ops.skillci_record_gate (validated there; idempotent, so retried)."""
        outcome = self._call("skillci_record_gate", dict(record))
        return int(outcome["id"]), bool(outcome["created"])


class _PostgresSession(SyncSession):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def registry_state(self) -> RegistryState:
        document = self.connection.exec_driver_sql("select ops.skillci_registry_state()").scalar_one()
        return state_from_json(document)

    def apply(self, payload: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        query = sa.text("select ops.skillci_apply_sync(cast(:payload as jsonb))")
        result: dict[str, dict[str, int]] = self.connection.execute(
            query, {"payload": json.dumps(payload)}
        ).scalar_one()
        return result


class SqliteStore(SqlStore):
    """The embedded store: one SQLite file; writers serialize with BEGIN IMMEDIATE."""

    kind = "sqlite"

    def __init__(self, *, path: Path) -> None:
        engine = sa.create_engine(
            f"sqlite:///{path}",
            poolclass=NullPool,
            connect_args={"timeout": 60},
            execution_options={"schema_translate_map": {tables.SCHEMA: None}},
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        super().__init__(engine=engine, location=str(path))
        self.path = path

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A deferred transaction: it takes no write lock, and reads one snapshot of the file (WAL)."""
        self._require_file()
        with self._translated(), self.engine.connect() as connection:
            connection.execution_options(skillci_read=True)
            with connection.begin():
                yield connection

    def migrate(self) -> list[str]:
        """Create the tables that are missing; return their names."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create {self.path.parent}: {exc.strerror}") from None
        with self._transaction() as connection:
            existing = set(sa.inspect(connection).get_table_names())
            tables.metadata.create_all(connection)
            older = [table for table in tables.ALL_TABLES if table.name in existing]
            added = _add_missing_columns(connection, older)
            added += _add_missing_indexes(connection, older)
        return [f"table {table.name}" for table in tables.ALL_TABLES if table.name not in existing] + added

    def has_schema(self) -> bool:
        """Whether the database file exists and holds the tables."""
        if not self.path.is_file():
            return False
        with self._translated(), self.engine.connect() as connection:
            return {table.name for table in tables.ALL_TABLES} <= set(sa.inspect(connection).get_table_names())

    @contextmanager
    def sync_session(self) -> Iterator[SyncSession]:
        """One IMMEDIATE transaction: it holds SQLite's write lock from the first read."""
        if not self.path.is_file():
            raise BadInput(f"no store at {self.path} (run `skillci db migrate` first)")
        with self._transaction() as connection:
            yield _SqliteSession(connection)

    def _require_file(self) -> None:
        if not self.path.is_file():
            raise BadInput(f"no store at {self.path} (run `skillci db migrate` first)")

    def record_run(self, report: RunReport) -> RunOutcome:
        """Record a run report in one transaction, refusing illegal transitions."""
        return self.record_runs([report])[0]

    def record_runs(self, reports: Sequence[RunReport]) -> list[RunOutcome]:
        """Record the reports in one IMMEDIATE transaction: the first refused one rolls back them all."""
        self._require_file()
        with self._transaction() as connection:
            outcomes = []
            for report in reports:
                try:
                    with self._translated():
                        outcomes.append(_record_run_sqlite(connection, report))
                except BadInput as exc:
                    raise report.rejected(exc.message) from None
            return outcomes

    def bench_context(self, skill_ids: Sequence[str], *, branch: str | None, git_sha: str | None) -> BenchContext:
        """Known skills, and per skill its result at git_sha, else its latest on branch."""
        self._require_file()
        results, skills = tables.agent_benchmark_results, tables.skills
        position = (
            sa.func.row_number()
            .over(
                partition_by=results.c.skill_id,
                order_by=[
                    sa.case((results.c.git_sha == git_sha, 0), else_=1),
                    results.c.created_at.desc(),
                    results.c.id.desc(),
                ],
            )
            .label("position")
        )
        ranked = (
            sa.select(results.c.skill_id, results.c.composite_score, results.c.tier, results.c.git_sha)
            .add_columns(results.c.branch, position)
            .where(results.c.skill_id.in_(skill_ids))
            .where(sa.or_(results.c.git_sha == git_sha, results.c.branch == branch))
            .subquery()
        )
        with self._transaction() as connection:
            known = connection.execute(sa.select(skills.c.id).where(skills.c.id.in_(skill_ids))).scalars().all()
            latest = connection.execute(sa.select(ranked).where(ranked.c.position == 1)).all()
        baseline = {row.skill_id: Baseline(row.composite_score, row.tier, row.git_sha, row.branch) for row in latest}
        return BenchContext(frozenset(known), baseline)

    def record_bench(self, runs: Sequence[RunReport], results: Sequence[Mapping[str, Any]]) -> int:
        """Runs and results in one IMMEDIATE transaction; results already there (same bench) are kept."""
        self._require_file()
        at = _now()
        with self._transaction() as connection:
            for report in runs:
                _record_run_sqlite(connection, report)
            if not results:
                return 0
            statement = sqlite_insert(tables.agent_benchmark_results).on_conflict_do_nothing(
                index_elements=["bench_id", "skill_id"]
            )
            return int(connection.execute(statement, [{**row, "created_at": at} for row in results]).rowcount)

    def commit_results(self, git_sha: str, skill_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The latest result of each skill at git_sha, checked as ops.skillci_commit_results checks its payload."""
        sha, wanted = _commit_query(commit_results_payload(git_sha, skill_ids))
        self._require_file()
        if not wanted:
            return {}
        results = tables.agent_benchmark_results
        position = (
            sa.func.row_number()
            .over(partition_by=results.c.skill_id, order_by=[results.c.created_at.desc(), results.c.id.desc()])
            .label("position")
        )
        columns = [results.c[name] for name in _COMMIT_RESULT_COLUMNS]
        ranked = (
            sa.select(*columns, position)
            .where(results.c.skill_id.in_(wanted), sa.func.lower(results.c.git_sha) == sha)
            .subquery()
        )
        query = sa.select(*(ranked.c[name] for name in _COMMIT_RESULT_COLUMNS)).where(ranked.c.position == 1)

        def attempt() -> dict[str, dict[str, Any]]:
            with self._transaction() as connection:
                rows = connection.execute(query).all()
            return {row.skill_id: commit_result_from_json(dict(row._mapping)) for row in rows}

        return self._retrying(attempt)

    def run_stats(
        self, skill_ids: Sequence[str], *, since: datetime, until: datetime | None, source: str
    ) -> dict[str, dict[str, float]]:
        """Per-skill run numbers, aggregated by SQLite (averages skip the runs that did not report a number)."""
        self._require_file()
        runs = tables.runs
        when = sa.func.coalesce(runs.c.finished_at, runs.c.created_at)
        numbers = [sa.func.avg(runs.c[name]).label(name) for name in RUN_NUMBERS]
        query = (
            sa.select(runs.c.skill_id, sa.func.count().label("runs"))
            .add_columns(sa.func.sum(sa.case((runs.c.status == "succeeded", 1), else_=0)).label("passed"), *numbers)
            .where(runs.c.skill_id.in_(skill_ids), runs.c.source == source)
            .where(runs.c.status.in_(FINISHED_STATES), when >= since.astimezone(UTC))
            .group_by(runs.c.skill_id)
        )
        if until is not None:
            query = query.where(when < until.astimezone(UTC))
        with self._transaction() as connection:
            rows = connection.execute(query).all()
        return {
            row.skill_id: {
                name: value for name, value in row._mapping.items() if name != "skill_id" and value is not None
            }
            for row in rows
        }

    def record_gate(self, record: Mapping[str, Any]) -> tuple[int, bool]:
        """One gate decision, checked as ops.skillci_record_gate checks it; a stored idempotency key writes nothing."""
        row = _gate_row(record)
        self._require_file()
        gates = tables.gate_results
        statement = (
            sqlite_insert(gates)
            .values({**row, "created_at": _now()})
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        stored = sa.select(gates.c.id).where(gates.c.idempotency_key == row["idempotency_key"])

        def attempt() -> tuple[int, bool]:
            with self._transaction() as connection:
                inserted = connection.execute(statement)
                if inserted.rowcount:
                    return int(inserted.lastrowid), True
                return int(connection.execute(stored).scalar_one()), False

        return self._retrying(attempt)

    def _weekly_report(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """The weekly numbers, aggregated by SQLite in one read transaction (percentiles by window functions,
        interpolated as percentile_cont does)."""
        since, until = datetime.fromisoformat(payload["since"]), datetime.fromisoformat(payload["until"])
        queries = _WeeklyQueries(
            since, until, top_failures=payload["top_failures"], recent_gates=payload["recent_gates"]
        )

        def attempt() -> dict[str, Any]:
            with self._reading() as connection:
                connection.exec_driver_sql(f"pragma threads = {_SORTER_THREADS}")  # helpers for the big sort
                return queries.run(connection)

        return self._retrying(attempt)

    def _notification_status(self, idempotency_key: str) -> Any:
        """The status recorded under the key, or None."""
        notifications = tables.notifications
        query = sa.select(notifications.c.status).where(notifications.c.idempotency_key == idempotency_key)

        def attempt() -> Any:
            with self._reading() as connection:
                return connection.execute(query).scalar_one_or_none()

        return self._retrying(attempt)

    def _record_notification(self, row: Mapping[str, Any]) -> None:
        """Upsert a delivery attempt, checked as ops.skillci_record_notification checks it."""
        self._require_file()
        notifications, at = tables.notifications, _now()
        values = {
            **row,
            "payload": sa.null() if row["payload"] is None else row["payload"],
            "sent_at": at if row["status"] == "sent" else None,
            "created_at": at,
        }
        statement = sqlite_insert(notifications).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["idempotency_key"],
            set_={name: statement.excluded[name] for name in ("channel", "period", "status", "payload", "sent_at")},
        )

        def attempt() -> None:
            with self._transaction() as connection:
                connection.execute(statement)

        self._retrying(attempt)

    def _record_snapshot(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        """Insert the day's snapshot, or replace the metrics of the one recorded earlier (same row)."""
        self._require_file()
        snapshots, at, the_day = tables.metrics_snapshots, _now(), date.fromisoformat(row["day"])
        insert = (
            sqlite_insert(snapshots)
            .values(day=the_day, metrics=row["metrics"], created_at=at, updated_at=at)
            .on_conflict_do_nothing(index_elements=["day"])
        )
        replace = sa.update(snapshots).where(snapshots.c.day == the_day).values(metrics=row["metrics"], updated_at=at)
        stored = sa.select(snapshots.c.id).where(snapshots.c.day == the_day)

        def attempt() -> dict[str, Any]:
            with self._transaction() as connection:
                inserted = connection.execute(insert)
                if inserted.rowcount:
                    return {"id": inserted.lastrowid, "created": True}
                connection.execute(replace)
                return {"id": connection.execute(stored).scalar_one(), "created": False}

        return self._retrying(attempt)

    def _record_history(self, payload: Mapping[str, Sequence[Mapping[str, Any]]]) -> Mapping[str, int]:
        """Rows with their own created_at, in one IMMEDIATE transaction; rows whose key is stored are kept."""
        self._require_file()

        def attempt() -> dict[str, int]:
            written = {}
            with self._transaction() as connection:
                for kind, (name, key, _) in HISTORY_KINDS.items():
                    written[kind] = _import_rows(connection, name, key, payload[kind])
            return written

        return self._retrying(attempt)


#: The columns of agent_benchmark_results that Store.commit_results answers with.
_COMMIT_RESULT_COLUMNS = (
    "skill_id",
    "composite_score",
    "tier",
    "cases_passed",
    "cases_total",
    "metrics",
    "missing_metrics",
    "branch",
    "created_at",
)
_COMMIT_SHA = re.compile(r"[0-9a-fA-F]{4,64}")


def _commit_query(payload: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The lower-cased sha and the distinct skill ids of a commit_results payload, or BadInput with the message
    ops.skillci_commit_results gives."""
    git_sha, skill_ids = payload["git_sha"], payload["skill_ids"]
    if not isinstance(git_sha, str) or not _COMMIT_SHA.fullmatch(git_sha):
        raise BadInput("commit results: git_sha must be a string of 4 to 64 hex characters")
    if not isinstance(skill_ids, list) or not all(isinstance(skill_id, str) for skill_id in skill_ids):
        raise BadInput("commit results: skill_ids must be a list of strings")
    return git_sha.lower(), list(dict.fromkeys(skill_ids))


#: The keys of a gate record (ops.skillci_record_gate accepts these and no others).
GATE_KEYS = ("passed", "thresholds", "numbers", "commit_sha", "pr_number", "run_url", "idempotency_key")
_MAX_INT4 = 2**31 - 1


def _gate_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The gate_results row for a record, or BadInput with the message ops.skillci_record_gate gives."""

    def refuse(message: str) -> BadInput:
        return BadInput(f"gate record: {message}")

    if not isinstance(record, Mapping):
        raise refuse("expected a JSON object")
    unknown = sorted(str(key) for key in record if key not in GATE_KEYS)
    if unknown:
        raise refuse(f"unknown key(s) {', '.join(unknown)}")
    if not isinstance(record.get("passed"), bool):
        raise refuse("passed must be true or false")
    for name in ("thresholds", "numbers"):
        if not isinstance(record.get(name), Mapping):
            raise refuse(f"{name} must be a JSON object")
    key = record.get("idempotency_key")
    if not isinstance(key, str) or not 1 <= len(key) <= 200:
        raise refuse("idempotency_key must be a string of 1 to 200 characters")
    commit_sha = record.get("commit_sha")
    if commit_sha is not None and (not isinstance(commit_sha, str) or len(commit_sha) > 64):
        raise refuse("commit_sha must be a string of at most 64 characters or null")
    pr_number = record.get("pr_number")
    if pr_number is not None:
        integral = isinstance(pr_number, int) or (isinstance(pr_number, float) and pr_number.is_integer())
        if isinstance(pr_number, bool) or not integral or not 1 <= pr_number <= _MAX_INT4:
            raise refuse("pr_number must be a positive integer or null")
        pr_number = int(pr_number)
    run_url = record.get("run_url")
    if run_url is not None and not isinstance(run_url, str):
        raise refuse("run_url must be a string or null")
    return {
        "passed": record["passed"],
        "thresholds": dict(record["thresholds"]),
        "numbers": dict(record["numbers"]),
        "commit_sha": commit_sha,
        "pr_number": pr_number,
        "run_url": run_url,
        "idempotency_key": key,
    }


def _import_rows(connection: Connection, name: str, key: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert history rows into one table (their timestamps parsed), keeping rows whose key is stored; count
    the rows written. Rows are inserted in groups of the same columns (one executemany each)."""
    table = tables.metadata.tables[f"{tables.SCHEMA}.{name}"]
    times = {column.name for column in table.columns if isinstance(column.type, sa.DateTime)}
    conflict = ["bench_id", "skill_id"] if key == "bench_id" else [key]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        values = {
            column: as_utc(datetime.fromisoformat(value)) if column in times and isinstance(value, str) else value
            for column, value in row.items()
        }
        if name == "runs":
            values.setdefault("source", "production")
            values["updated_at"] = values["created_at"]
        groups.setdefault(tuple(values), []).append(values)
    written = 0
    for group in groups.values():
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=conflict)
        written += int(connection.execute(statement, group).rowcount)
    return written


#: Helper threads SQLite's sorter may use for the weekly numbers' one big sort (of every measured run).
_SORTER_THREADS = 2
#: The percentiles of the weekly numbers: their names and where they fall (0 to 1).
PERCENTILES = (("p50_s", 0.5), ("p90_s", 0.9))


class _CrossJoin(sa.sql.selectable.Join):
    """An inner join SQLite must run with its left side as the outer loop (`CROSS JOIN … ON`)."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _compile_cross_join(join: _CrossJoin, compiler: SQLCompiler, **kw: Any) -> str:
    linter = kw.get("from_linter")
    if linter is not None:  # as visit_join does: the two sides are joined, not a cartesian product
        linter.edges.update(itertools.product(join.left._from_objects, join.right._from_objects))
    left = compiler.process(join.left, **{**kw, "asfrom": True})
    right = compiler.process(join.right, **{**kw, "asfrom": True})
    assert join.onclause is not None, "a CROSS JOIN … ON has a condition"
    return f"{left} CROSS JOIN {right} ON {compiler.process(join.onclause, **kw)}"


def _percentile_position(fraction: float, count: int) -> tuple[int, int, float]:
    """Where percentile_cont(fraction) falls among count sorted values: the 1-based ranks of the values below
    and above it, and how far between them (the same double arithmetic as PostgreSQL's)."""
    exact = fraction * (count - 1)
    lower = math.floor(exact)
    return lower + 1, math.ceil(exact) + 1, exact - lower


class _WeeklyQueries:
    """The weekly numbers on SQLite, every number computed by SQLite.

    SQLite sorts the rows of every GROUP BY whose input is not in order, so each query reads a window skill by
    skill (skills CROSS JOIN runs: one range of runs_window_idx per skill, in skill order) and groups nothing
    else over the runs: per-skill aggregates come in order, and each UTC day is a range of its own. A
    percentile is interpolated, in SQL as percentile_cont does, between the values at two ranks: for one
    skill, read by ORDER BY … LIMIT 2 OFFSET rank (a bounded sort of that skill's runs); for all runs, by one
    sort of them all (row_number). The ranks come from the counts of the first query. Only one row per skill,
    day, failure code, tier change or failed gate comes back; SQLite's sorts spill to its temporary files past
    its cache, so memory does not follow the number of runs."""

    def __init__(self, since: datetime, until: datetime, *, top_failures: int, recent_gates: int) -> None:
        self.since, self.until = since, until
        self.top_failures, self.recent_gates = top_failures, recent_gates
        runs, skills = tables.runs, tables.skills
        self.finished = runs.c.status.in_(FINISHED_STATES)
        self.succeeded = runs.c.status == "succeeded"
        self.start, self.end = sa.bindparam("start", type_=sa.DateTime()), sa.bindparam("end", type_=sa.DateTime())
        in_range = sa.and_(
            runs.c.skill_id == skills.c.id, runs.c.created_at >= self.start, runs.c.created_at < self.end
        )
        #: the runs of [start, end), skill by skill
        self.skill_by_skill = _CrossJoin(skills, runs, in_range)
        self.per_skill_percentiles = self.skill_percentiles()
        self.whole_percentiles = self.all_percentiles()

    def run(self, connection: Connection) -> dict[str, Any]:
        """The numbers in the JSON shape of `skillci.weekly.report` (before `weekly_from_json`)."""
        window = {"start": self.since, "end": self.until}
        skills, totals = [], {}
        for row in connection.execute(self.numbers(), window):
            numbers = dict(row._mapping)
            measured, whole = numbers.pop("measured"), numbers.pop("whole")
            numbers.update(self.percentiles(connection, None if whole else row.skill_id, measured))
            if whole:
                numbers.pop("skill_id")
                totals = numbers
            else:
                skills.append(numbers)
        return {
            "skills": skills,
            "totals": totals,
            "daily": self.daily(connection),
            "failures": [dict(row._mapping) for row in connection.execute(self.failures(), window)],
            "tiers": [dict(row._mapping) for row in connection.execute(self.tiers())],
            "gates": self.gates(connection),
        }

    def numbers(self) -> sa.Executable:
        """Counts and sums per skill (in skill order: nothing to sort), and their totals; `measured` counts
        the finished runs that reported a duration (the percentiles' runs)."""
        runs, skills, count, total = tables.runs, tables.skills, sa.func.count, sa.func.sum
        per_skill = (
            sa.select(
                skills.c.id.label("skill_id"),
                count().label("runs"),
                count().filter(self.finished).label("finished"),
                count().filter(self.succeeded).label("succeeded"),
                sa.func.coalesce(total(runs.c.ci_attempts - 1).filter(runs.c.ci_attempts > 1), 0).label("retries"),
                sa.func.coalesce(total(runs.c.tokens_in), 0).label("tokens_in"),
                sa.func.coalesce(total(runs.c.tokens_out), 0).label("tokens_out"),
                sa.func.coalesce(total(runs.c.cost_usd), 0.0).label("cost_usd"),
                count(runs.c.duration_s).filter(self.finished).label("measured"),
            )
            .select_from(self.skill_by_skill)
            .group_by(skills.c.id)
            .cte("per_skill")
        )
        names = ("runs", "finished", "succeeded", "retries", "tokens_in", "tokens_out", "cost_usd", "measured")
        each = sa.select(sa.literal(False).label("whole"), per_skill)
        whole = sa.select(
            sa.literal(True), sa.null(), *(sa.func.coalesce(total(per_skill.c[name]), 0) for name in names)
        )
        return sa.union_all(each, whole).order_by(sa.literal_column("whole"), sa.literal_column("skill_id"))

    def skill_percentiles(self) -> sa.Executable:
        """Every percentile of the durations of one skill's measured runs (bind `skill`): for each, the values
        at its two ranks, read by a bounded sort of that skill's runs from the low end or the high end,
        whichever is nearer (bind take_, skip_), and interpolated in SQL (bind between_) as float8_lerp does."""
        runs, skills = tables.runs, tables.skills
        values = []
        for name, fraction in PERCENTILES:
            ranked = (
                sa.select(runs.c.duration_s.label("value"))
                .select_from(self.skill_by_skill)
                .where(skills.c.id == sa.bindparam("skill", type_=sa.String()))
                .where(self.finished, runs.c.duration_s.is_not(None))
                .order_by(runs.c.duration_s if fraction <= 0.5 else runs.c.duration_s.desc())
                .limit(sa.bindparam(f"take_{name}", type_=sa.Integer()))
                .offset(sa.bindparam(f"skip_{name}", type_=sa.Integer()))
                .subquery(f"ranked_{name}")
            )
            low, high = sa.func.min(ranked.c.value), sa.func.max(ranked.c.value)
            between = sa.bindparam(f"between_{name}", type_=sa.Float())
            values.append(sa.select(low + between * (high - low)).scalar_subquery().label(name))
        return sa.select(*values)

    def all_percentiles(self) -> sa.Executable:
        """Every percentile of the durations of all measured runs: one sort of them all (row_number), the
        values at the ranks the percentiles need (bind lower_, upper_), interpolated (bind between_)."""
        runs = tables.runs
        rank = sa.func.row_number().over(order_by=runs.c.duration_s).label("rank")
        ranked = (
            sa.select(runs.c.duration_s.label("value"), rank)
            .select_from(self.skill_by_skill)
            .where(self.finished, runs.c.duration_s.is_not(None))
            .subquery("ranked")
        )
        values, wanted = [], []
        for name, _ in PERCENTILES:
            lower, upper = (
                sa.bindparam(f"lower_{name}", type_=sa.Integer()),
                sa.bindparam(f"upper_{name}", type_=sa.Integer()),
            )
            low = sa.func.max(sa.case((ranked.c.rank == lower, ranked.c.value)))
            high = sa.func.max(sa.case((ranked.c.rank == upper, ranked.c.value)))
            between = sa.bindparam(f"between_{name}", type_=sa.Float())
            values.append((low + between * (high - low)).label(name))
            wanted += [lower, upper]
        return sa.select(*values).where(ranked.c.rank.in_(wanted))

    def percentiles(self, connection: Connection, skill_id: str | None, count: int) -> dict[str, Any]:
        """The percentiles of one skill (of all skills, for None) whose measured runs number count."""
        if count == 0:
            return {name: None for name, _ in PERCENTILES}
        parameters: dict[str, Any] = {"start": self.since, "end": self.until, "skill": skill_id}
        for name, fraction in PERCENTILES:
            lower, upper, between = _percentile_position(fraction, count)
            parameters.update({f"lower_{name}": lower, f"upper_{name}": upper, f"between_{name}": between})
            parameters[f"take_{name}"] = 1 + (upper > lower)
            parameters[f"skip_{name}"] = lower - 1 if fraction <= 0.5 else count - upper
        query = self.per_skill_percentiles if skill_id is not None else self.whole_percentiles
        return dict(connection.execute(query, parameters).one()._mapping)

    def daily(self, connection: Connection) -> list[dict[str, Any]]:
        """Runs per UTC day the window touches: each day is a range of created_at; days without runs are left
        out."""
        count = sa.func.count
        query = sa.select(
            count().label("runs"),
            count().filter(self.finished).label("finished"),
            count().filter(self.succeeded).label("succeeded"),
        ).select_from(self.skill_by_skill)
        found = []
        day = self.since.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < self.until:
            after = day + timedelta(days=1)
            bounds = {"start": max(day, self.since), "end": min(after, self.until)}
            row = connection.execute(query, bounds).one()
            if row.runs:
                found.append({"day": day.date().isoformat(), **row._mapping})
            day = after
        return found

    def failures(self) -> sa.Executable:
        """The most frequent failure codes of the window with their runbook and severity."""
        runs, modes = tables.runs, tables.failure_modes
        number = sa.func.count().label("count")
        counted = (
            sa.select(runs.c.failure_code.label("code"), number)
            .select_from(self.skill_by_skill)
            .where(runs.c.failure_code.is_not(None))
            .group_by(runs.c.failure_code)
            .order_by(number.desc(), runs.c.failure_code)
            .limit(self.top_failures)
            .subquery("counted")
        )
        return (
            sa.select(counted.c.code, counted.c["count"], modes.c.runbook, modes.c.severity)
            .select_from(counted.outerjoin(modes, modes.c.code == counted.c.code))
            .order_by(counted.c["count"].desc(), counted.c.code)
        )

    def tiers(self) -> sa.Executable:
        """Skills whose latest tier before until differs from their latest tier before since."""
        after, before = _latest_tiers(self.until, "after"), _latest_tiers(self.since, "before")
        return (
            sa.select(after.c.skill_id, before.c.tier.label("before"), after.c.tier.label("after"))
            .select_from(after.outerjoin(before, before.c.skill_id == after.c.skill_id))
            .where(before.c.tier.is_distinct_from(after.c.tier))
            .order_by(after.c.skill_id)
        )

    def gates(self, connection: Connection) -> dict[str, Any]:
        """Gate decisions of the window: how many, how many passed, and the newest failed ones."""
        gates, count = tables.gate_results, sa.func.count
        in_window = sa.and_(gates.c.created_at >= self.since, gates.c.created_at < self.until)
        total, passed = connection.execute(sa.select(count(), count().filter(gates.c.passed)).where(in_window)).one()
        is_list = sa.func.json_type(gates.c.numbers, "$.failing_skills", type_=sa.String) == "array"
        failing = sa.case(
            (is_list, sa.func.json_extract(gates.c.numbers, "$.failing_skills", type_=sa.String)), else_="[]"
        )
        recent = (
            sa.select(
                gates.c.created_at, gates.c.commit_sha, gates.c.pr_number, gates.c.run_url, failing.label("failing")
            )
            .where(in_window, sa.not_(gates.c.passed))
            .order_by(gates.c.created_at.desc(), gates.c.id.desc())
            .limit(self.recent_gates)
        )
        failures = [
            {
                "created_at": utc_text(row.created_at),
                "commit_sha": row.commit_sha,
                "pr_number": row.pr_number,
                "run_url": row.run_url,
                "failing_skills": json.loads(row.failing),
            }
            for row in connection.execute(recent)
        ]
        return {"total": total, "passed": passed, "recent_failures": failures}


def _latest_tiers(before: datetime, name: str) -> sa.Subquery:
    """Each skill's tier in its latest bench result created before a moment (greatest created_at, then id)."""
    results = tables.agent_benchmark_results
    position = sa.func.row_number().over(
        partition_by=results.c.skill_id, order_by=[results.c.created_at.desc(), results.c.id.desc()]
    )
    ranked = (
        sa.select(results.c.skill_id, results.c.tier, position.label("position"))
        .where(results.c.created_at < before)
        .subquery(f"{name}_ranked")
    )
    return sa.select(ranked.c.skill_id, ranked.c.tier).where(ranked.c.position == 1).subquery(name)


def _add_missing_columns(connection: Connection, existing: Sequence[sa.Table]) -> list[str]:
    """Bring tables an older skillci created up to date: add the (nullable) columns added since, with their
    unique constraints as unique indexes (SQLite cannot add a constraint to a table); name what was added."""
    inspector = sa.inspect(connection)
    added = []
    for table in existing:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column for column in table.columns if column.name not in present]
        for column in missing:
            if not column.nullable or column.server_default is not None:
                raise BadInput(
                    f"{table.name} in the SQLite store lacks column {column.name}, which SQLite cannot add: "
                    "move the store file away and run `skillci db migrate`"
                )
            kind = column.type.compile(dialect=connection.dialect)
            connection.exec_driver_sql(f'alter table "{table.name}" add column "{column.name}" {kind}')
            added.append(f"column {table.name}.{column.name}")
        names = {column.name for column in missing}
        for constraint in table.constraints:
            if not isinstance(constraint, sa.UniqueConstraint):
                continue
            columns = list(constraint.columns.keys())
            if names & set(columns):
                unique = constraint.name or f"{table.name}_{'_'.join(columns)}_key"
                listed = ", ".join(f'"{name}"' for name in columns)
                connection.exec_driver_sql(f'create unique index if not exists "{unique}" on "{table.name}" ({listed})')
        for index in table.indexes:
            if names & {column.name for column in index.columns}:
                index.create(connection, checkfirst=True)
    return added


def _add_missing_indexes(connection: Connection, existing: Sequence[sa.Table]) -> list[str]:
    """Create the indexes added to tables an older skillci created (runs_window_idx, say); name them."""
    inspector = sa.inspect(connection)
    added = []
    for table in existing:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            if index.name not in present:
                index.create(connection)
                added.append(f"index {index.name}")
    return added


def _sqlite_begin(connection: Connection) -> None:
    """Writers take SQLite's write lock at once (BEGIN IMMEDIATE); reads (skillci_read) take none."""
    read = connection.get_execution_options().get("skillci_read")
    connection.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN IMMEDIATE itself
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma foreign_keys = on")
    cursor.execute("pragma journal_mode = wal")
    cursor.close()


def _now() -> datetime:
    return datetime.now(UTC)


class _SqliteSession(SyncSession):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def registry_state(self) -> RegistryState:
        document = {}
        for kind, key in _KEY_COLUMN.items():
            table = tables.metadata.tables[f"{tables.SCHEMA}.{kind}"]
            query = sa.select(table.c[key], table.c.spec, table.c.content_hash, table.c.removed_at)
            document[kind] = [
                {"key": row[0], "spec": row[1], "content_hash": row[2], "removed": row[3] is not None}
                for row in self.connection.execute(query)
            ]
        return state_from_json(document)

    def apply(self, payload: Mapping[str, Any]) -> dict[str, dict[str, int]]:
        at = _now()
        written: dict[str, dict[str, int]] = {}
        for kind in KINDS:
            table = tables.metadata.tables[f"{tables.SCHEMA}.{kind}"]
            key = table.c[_KEY_COLUMN[kind]]
            upsert, deprecate = payload[kind]["upsert"], payload[kind]["deprecate"]
            version_column = table.c.version if kind == "skills" else sa.literal(0)
            versions = {row[0]: row[1] for row in self.connection.execute(sa.select(key, version_column))}
            created = [row for row in upsert if row[key.name] not in versions]
            updated = [row for row in upsert if row[key.name] in versions]
            stamped = {"removed_at": None, "updated_at": at}
            if kind == "skills":
                for row in upsert:
                    row["version"] = versions.get(row["id"], 0) + 1
            if created:
                self.connection.execute(sa.insert(table), [{**row, **stamped, "created_at": at} for row in created])
            if updated:
                names = [name for name in updated[0] if name != key.name]
                statement = (
                    sa.update(table)
                    .where(key == sa.bindparam("_key"))
                    .values({name: sa.bindparam(name) for name in [*names, *stamped]})
                )
                self.connection.execute(statement, [{**row, **stamped, "_key": row[key.name]} for row in updated])
            gone = 0
            if deprecate:
                values: dict[str, Any] = {"removed_at": at, "updated_at": at}
                if kind == "skills":
                    values["status"] = "deprecated"
                result = self.connection.execute(
                    sa.update(table).where(key.in_(deprecate), table.c.removed_at.is_(None)).values(values)
                )
                gone = result.rowcount
            if kind == "skills" and upsert:
                self.connection.execute(
                    sa.insert(tables.skill_versions),
                    [
                        {
                            "skill_id": row["id"],
                            "version": row["version"],
                            "content_hash": row["content_hash"],
                            "spec": row["spec"],
                            "git_sha": payload.get("git_sha"),
                            "created_at": at,
                        }
                        for row in upsert
                    ],
                )
            written[kind] = {"created": len(created), "updated": len(updated), "deprecated": gone}
        return written


def _record_run_sqlite(connection: Connection, report: RunReport) -> RunOutcome:
    runs, at = tables.runs, _now()
    incoming = report.run
    for key in ("started_at", "finished_at"):
        if incoming.get(key):
            incoming = {**incoming, key: datetime.fromisoformat(incoming[key]).astimezone(UTC)}
    stored = connection.execute(sa.select(runs).where(runs.c.idempotency_key == incoming["idempotency_key"])).first()
    if stored is None:
        skill = connection.execute(sa.select(tables.skills.c.id).where(tables.skills.c.id == incoming["skill_id"]))
        if skill.first() is None:
            raise BadInput(f"skill {incoming['skill_id']} is not in the store (run `skillci sync` first)")
        connection.execute(sa.insert(runs).values({**incoming, "created_at": at, "updated_at": at}))
        previous, fingerprint, created = None, None, True
    else:
        previous, fingerprint, created = stored.status, stored.error_fingerprint, False
        if stored.skill_id != incoming["skill_id"]:
            raise BadInput(f"run {stored.id} belongs to skill {stored.skill_id}, not {incoming['skill_id']}")
        if not transition_allowed(stored.status, incoming["status"]):
            raise illegal_transition(stored.id, stored.status, incoming["status"])
        changes = {name: value for name, value in incoming.items() if value is not None and name != "id"}
        connection.execute(sa.update(runs).where(runs.c.id == stored.id).values({**changes, "updated_at": at}))
    run_id = incoming["id"] if stored is None else stored.id
    if report.events:
        seen = set(connection.execute(sa.select(tables.run_events.c.seq).where(tables.run_events.c.run_id == run_id)))
        fresh = [event for event in report.events if (event["seq"],) not in seen]
        if fresh:
            rows = [
                {**event, "run_id": run_id, "created_at": datetime.fromisoformat(event["created_at"]).astimezone(UTC)}
                if event.get("created_at")
                else {**event, "run_id": run_id, "created_at": at}
                for event in fresh
            ]
            connection.execute(sa.insert(tables.run_events), rows)
    error = report.error
    if error and fingerprint != error["fingerprint"]:
        errors = tables.agent_errors
        existing = connection.execute(sa.select(errors.c.id).where(errors.c.fingerprint == error["fingerprint"]))
        if existing.first() is None:
            connection.execute(
                sa.insert(errors).values(**error, count=1, first_seen=at, last_seen=at, last_run_id=run_id)
            )
        else:
            connection.execute(
                sa.update(errors)
                .where(errors.c.fingerprint == error["fingerprint"])
                .values(count=errors.c.count + 1, last_seen=at, last_run_id=run_id, message=error["message"])
            )
        connection.execute(sa.update(runs).where(runs.c.id == run_id).values(error_fingerprint=error["fingerprint"]))
    return RunOutcome(id=run_id, status=incoming["status"], previous=previous, created=created)


def postgres_store(url: str) -> PostgresStore:
    """A PostgresStore for a postgresql:// URL (psycopg 3 underneath)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise BadInput("--store: not a valid postgresql:// URL") from None
    except ValueError:  # the port is not a number, or an IPv6 [host] is not closed
        raise BadInput(
            "--store: the port of the postgresql:// URL is not a number (or an IPv6 [host] is unclosed)"
        ) from None
    _check_connection_options(parsed)
    parsed = parsed.set(drivername="postgresql+psycopg")
    secret = parsed.password or parsed.query.get("password")
    engine = sa.create_engine(
        parsed,
        poolclass=NullPool,
        connect_args={"connect_timeout": 10, "application_name": "skillci"},
    )
    shown = parsed.difference_update_query(["password"]).set(drivername="postgresql")
    location = shown.render_as_string(hide_password=True)
    return PostgresStore(engine=engine, location=location, secrets=(str(secret) if secret else "",))


#: The libpq connection options whose values are one of a few words: a wrong one is a configuration error,
#: which no retry mends (libpq would only refuse it when connecting).
_LIBPQ_CHOICES = {
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "gssencmode": ("disable", "prefer", "require"),
    "channel_binding": ("disable", "prefer", "require"),
    "target_session_attrs": ("any", "read-write", "read-only", "primary", "standby", "prefer-standby"),
    "load_balance_hosts": ("disable", "random"),
    "sslnegotiation": ("postgres", "direct"),
}


def _check_connection_options(parsed: sa.engine.URL) -> None:
    """Refuse a postgresql:// URL that cannot work whatever the server does: a port that is not a number, an
    unclosed IPv6 bracket, an option value libpq does not know (exit 2, one line, never retried)."""
    port = parsed.port
    if port is not None and not 0 < port < 65536:
        raise BadInput(f"--store: port {port} of the postgresql:// URL is out of range (1-65535)")
    if parsed.host and (parsed.host.count("[") != parsed.host.count("]")):
        raise BadInput("--store: an IPv6 [host] in the postgresql:// URL is not closed")
    for name, choices in _LIBPQ_CHOICES.items():
        given = parsed.query.get(name)
        for value in (given,) if isinstance(given, str) else given or ():
            if value not in choices:
                raise BadInput(f"--store: {name}={value!r} is not one of {', '.join(choices)}")
    timeout = parsed.query.get("connect_timeout")
    if isinstance(timeout, str) and not timeout.strip().lstrip("-").isdigit():
        raise BadInput(f"--store: connect_timeout={timeout!r} is not a whole number of seconds")
