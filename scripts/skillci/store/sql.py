"""The SQLAlchemy stores: embedded SQLite, and Postgres (schema ops, writes through the migrations' functions)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from skillci.errors import BadInput, ServiceFailed
from skillci.runs import FINISHED_STATES, RUN_NUMBERS, RunOutcome, RunReport, illegal_transition, transition_allowed
from skillci.store import tables
from skillci.store.base import (
    Baseline,
    BenchContext,
    Store,
    SyncSession,
    Transient,
    commit_result_from_json,
    commit_results_payload,
)
from skillci.sync_plan import KINDS, RegistryState, state_from_json

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

    def rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of one table, ordered by its primary key."""
        definition = tables.metadata.tables[f"{tables.SCHEMA}.{table}"]
        query = sa.select(definition).order_by(*definition.primary_key.columns)

        def read() -> list[dict[str, Any]]:
            with self._transaction() as connection:
                return [dict(row._mapping) for row in connection.execute(query)]

        return self._retrying(read)


class PostgresStore(SqlStore):
    """Postgres: schema ops from the shipped migrations; multi-row writes are one call of a SQL function."""

    kind = "postgres"

    def migrate(self) -> list[str]:
        """Create the Supabase roles and auth helpers when missing, then apply the migrations not yet recorded."""
        bootstrap = (resources.files("skillci.store") / "bootstrap.sql").read_text(encoding="utf-8")

        def attempt() -> list[str]:
            applied = []
            with self._transaction() as connection:
                cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(_MIGRATE_LOCK)
                cursor.execute(bootstrap)
                cursor.execute("select version from supabase_migrations.schema_migrations")
                done = {row[0] for row in cursor.fetchall()}
                for version, name, sql in migration_files():
                    if version in done:
                        continue
                    cursor.execute(sql)
                    cursor.execute(
                        "insert into supabase_migrations.schema_migrations (version, name, statements)"
                        " values (%s, %s, %s)",
                        (version, name, [sql]),
                    )
                    applied.append(f"{version}_{name}")
            return applied

        return self._retrying(attempt)

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
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        super().__init__(engine=engine, location=str(path))
        self.path = path

    def migrate(self) -> list[str]:
        """Create the tables that are missing; return their names."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadInput(f"cannot create {self.path.parent}: {exc.strerror}") from None
        with self._transaction() as connection:
            existing = set(sa.inspect(connection).get_table_names())
            tables.metadata.create_all(connection)
            added = _add_missing_columns(connection, [table for table in tables.ALL_TABLES if table.name in existing])
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
        self._require_file()
        with self._transaction() as connection:
            return _record_run_sqlite(connection, report)

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
