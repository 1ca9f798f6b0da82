"""Every table of the store, defined once (SQLAlchemy Core). Schema `ops` on Postgres, none on SQLite."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from skillci.store.runs import RUN_STATES

#: The schema name the Postgres migrations use; SQLite maps it away (schema_translate_map).
SCHEMA = "ops"

#: The columns of runs the weekly report aggregates, in the order of the index that covers them: a skill's
#: runs of a window are one range of it, so per-skill aggregates need no sort.
WINDOW_COLUMNS = (
    "skill_id",
    "created_at",
    "status",
    "duration_s",
    "ci_attempts",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "failure_code",
)


metadata = MetaData(schema=SCHEMA)
Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _timestamps() -> list[Column[object]]:
    return [
        _created_at(),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


def _synced() -> list[Column[object]]:
    """Columns every entity synced from the registry carries: its spec, content hash and soft deletion."""
    return [
        Column("spec", Json, nullable=False),
        Column("content_hash", String(64), nullable=False),
        Column("removed_at", DateTime(timezone=True)),
        *_timestamps(),
    ]


skills = Table(
    "skills",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("executor", String(64), nullable=False),
    Column("max_duration_s", Integer, nullable=False),
    Column("owner", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    *_synced(),
    CheckConstraint("max_duration_s between 1 and 3600", name="skills_max_duration_s_range"),
    CheckConstraint("version >= 1", name="skills_version_positive"),
)

skill_versions = Table(
    "skill_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("skill_id", String(64), ForeignKey(f"{SCHEMA}.skills.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("spec", Json, nullable=False),
    Column("git_sha", String(64)),
    _created_at(),
    UniqueConstraint("skill_id", "version", name="skill_versions_skill_version_key"),
)

tools = Table(
    "tools",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("description", Text, nullable=False),
    Column("allowed_in_skills", Json, nullable=False),
    *_synced(),
)

failure_modes = Table(
    "failure_modes",
    metadata,
    Column("code", String(128), primary_key=True),
    Column("category", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("runbook", Text, nullable=False),
    Column("http_status", Integer),
    Column("retryable", Boolean, nullable=False),
    Column("ci_behavior", String(32)),
    *_synced(),
    CheckConstraint("severity in ('critical', 'high', 'medium', 'low')", name="failure_modes_severity_check"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("skill_id", String(64), ForeignKey(f"{SCHEMA}.skills.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("case_id", String(64)),
    Column("git_sha", String(64)),
    Column("branch", Text),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("duration_s", Float),
    Column("ci_attempts", Integer),
    Column("changed_lines", Integer),
    Column("time_to_green_s", Float),
    Column("tokens_in", BigInteger),
    Column("tokens_out", BigInteger),
    Column("cost_usd", Float),
    Column("output", Json),
    Column("failure_code", String(128)),
    Column("error_message", Text),
    Column("error_fingerprint", String(64)),
    *_timestamps(),
    CheckConstraint(f"status in ({', '.join(repr(s) for s in RUN_STATES)})", name="runs_status_check"),
    CheckConstraint("source in ('bench', 'production')", name="runs_source_check"),
    Index("runs_skill_created_idx", "skill_id", "created_at"),
    Index("runs_created_idx", "created_at"),
    # the weekly report reads a window of runs skill by skill from this index alone
    Index("runs_window_idx", *WINDOW_COLUMNS),
)

run_events = Table(
    "run_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey(f"{SCHEMA}.runs.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event", String(32), nullable=False),
    Column("state", String(64)),
    Column("detail", Json),
    _created_at(),
    UniqueConstraint("run_id", "seq", name="run_events_run_seq_key"),
)

agent_errors = Table(
    "agent_errors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("failure_code", String(128), nullable=False),
    Column("skill_id", String(64)),
    Column("message", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("last_run_id", String(36)),
    CheckConstraint("count >= 1", name="agent_errors_count_positive"),
    Index("agent_errors_code_last_seen_idx", "failure_code", "last_seen"),
)

agent_benchmark_results = Table(
    "agent_benchmark_results",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("skill_id", String(64), ForeignKey(f"{SCHEMA}.skills.id"), nullable=False),
    Column("cache_key", String(64), nullable=False),
    Column("composite_score", Float),
    Column("tier", String(16)),
    Column("cases_passed", Integer, nullable=False),
    Column("cases_total", Integer, nullable=False),
    Column("metrics", Json, nullable=False),
    Column("missing_metrics", Json, nullable=False),
    Column("git_sha", String(64)),
    Column("branch", Text),
    _created_at(),
    Column("bench_id", Text),  # added by the bench migration, hence after created_at
    CheckConstraint("cases_passed between 0 and cases_total", name="agent_benchmark_results_cases_check"),
    UniqueConstraint("bench_id", "skill_id", name="agent_benchmark_results_bench_skill_key"),
    Index("agent_benchmark_results_skill_branch_idx", "skill_id", "branch", "created_at"),
)

gate_results = Table(
    "gate_results",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("passed", Boolean, nullable=False),
    Column("thresholds", Json, nullable=False),
    Column("numbers", Json, nullable=False),
    Column("commit_sha", String(64)),
    Column("pr_number", Integer),
    Column("run_url", Text),
    _created_at(),
    Column("idempotency_key", String(200)),  # added by the gate migration, hence after created_at
    UniqueConstraint("idempotency_key", name="gate_results_idempotency_key_key"),
    Index("gate_results_created_idx", "created_at"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("period", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("payload", Json),
    Column("sent_at", DateTime(timezone=True)),
    _created_at(),
    CheckConstraint("status in ('sent', 'failed')", name="notifications_status_check"),
)

metrics_snapshots = Table(
    "metrics_snapshots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("metrics", Json, nullable=False),
    *_timestamps(),
    UniqueConstraint("day", name="metrics_snapshots_day_key"),
)

memory_entries = Table(
    "memory_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_id", String(64), nullable=False),
    Column("key", Text, nullable=False),
    Column("value", Json, nullable=False),
    *_timestamps(),
    UniqueConstraint("owner_id", "key", name="memory_entries_owner_key_key"),
)

#: Every table, in the order of their foreign keys.
ALL_TABLES = tuple(metadata.sorted_tables)
