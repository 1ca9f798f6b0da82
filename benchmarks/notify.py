#!/usr/bin/env python3
"""Benchmark `Store.weekly_numbers` (the weekly report's aggregation) on SQLite and Postgres at 1,000,000 runs.

Fills a fresh, migrated SQLite file and a fresh, migrated Postgres database (a throwaway server started from
the system's binaries on 127.0.0.1, as tests/helpers/postgres.py does) with the same generated history
(not timed beyond the load figures printed):

* --skills skills (ids `bench-000` onwards) and the registry's failure modes (written directly, as rows);
* the target ISO week (--week) holds --runs runs (1,000,000 by default), the week before it --small runs
  (100,000), spread uniformly over each week: statuses about 80 % succeeded, 12 % failed, 3 % timed out,
  3 % cancelled, 2 % running; durations log-normal; ci_attempts 1 to 3 (retries); tokens and costs; failed
  and timed-out runs carry a failure code (one of the registry's, or one it does not know);
* per skill, bench results with tiers in the weeks before and in the target week (some tiers change);
* gate decisions in both weeks, a tenth of them failed, with run URLs and failing skills.

Rows go in by the fast paths: `executemany` on SQLite (the runs indexes are dropped during the load and
created afterwards), `COPY` on Postgres (then `VACUUM ANALYZE`, which autovacuum does to a table that
received many inserts; the figures without it are printed too).

Each measurement runs in a child process (this script with --measure) that opens the store the way skillci
does, calls `weekly_numbers` for a window --repeat times (best and median seconds), and reports its peak RSS
before the first call and after the last (VmHWM, the process's high-water mark, so the growth is what the calls
added; SQLite's page cache and sorter live in this process, Postgres's work in the server's), and the peak of
Python's allocations during one more call (tracemalloc). The target week
(--runs runs) and the small week (--small runs) are measured alike: the growth must not follow the runs.
The script checks that SQLite and Postgres return the same numbers for each window (floats to 1e-9).

Goals: Postgres under 2 s and SQLite under 5 s at 1,000,000 runs; exits 1 when one is missed. The time a fixed
pure-Python loop takes (cpu_reference_s, before and after) tells how fast the machine was meanwhile.

Usage: python benchmarks/notify.py [--runs N] [--small N] [--skills N] [--repeat R] [--week 2026-W47]
       [--json] [--keep] [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "scripts"))

from measuring import MB, load_average  # noqa: E402

from skillci.sync.plan import ROW_COLUMNS  # noqa: E402

GOALS_S = {"postgres": 2.0, "sqlite": 5.0}
STATUSES = (
    ("succeeded", 0.80),
    ("failed", 0.12),
    ("timed_out", 0.03),
    ("cancelled", 0.03),
    ("running", 0.02),
)
UNKNOWN_CODE = "VENDOR.UNKNOWN_FAILURE"
TIERS = ("A", "B", "C", "F")
RUN_COLUMNS = (
    "id",
    "skill_id",
    "status",
    "source",
    "idempotency_key",
    "duration_s",
    "ci_attempts",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "failure_code",
    "created_at",
    "updated_at",
)
#: The failure_modes columns a registry row carries (as a sync writes them).
MODE_COLUMNS = (*ROW_COLUMNS["failure_modes"], "spec", "content_hash")
RUN_INDEXES = ("runs_skill_created_idx", "runs_created_idx", "runs_window_idx")


def failure_modes() -> list[dict[str, Any]]:
    """The registry's failure modes, as failure_modes rows."""
    from skillci.registry.load import load_registry
    from skillci.sync.plan import desired_state, plan_sync

    plan = plan_sync(desired_state(load_registry(REPO).data), {})
    rows: list[dict[str, Any]] = plan.payload(git_sha=None)["failure_modes"]["upsert"]
    return rows


def skill_ids(count: int) -> list[str]:
    """The generated skills' ids."""
    return [f"bench-{number:03d}" for number in range(count)]


def generate_runs(
    since: datetime, count: int, skills: list[str], codes: list[str], seed: int
) -> Iterator[tuple[Any, ...]]:
    """count runs spread over the week from since, in created_at order (tuples in RUN_COLUMNS order)."""
    rng = random.Random(seed)
    weights = [1.0 / (1 + rank) ** 0.6 for rank in range(len(skills))]  # a few busy skills, a long tail
    chosen = rng.choices(skills, weights=weights, k=count)
    offsets = sorted(rng.random() * 7 * 86400 for _ in range(count))
    states = [state for state, _ in STATUSES]
    shares = [share for _, share in STATUSES]
    status_of = rng.choices(states, weights=shares, k=count)
    for number in range(count):
        status = status_of[number]
        finished = status in ("succeeded", "failed", "timed_out")
        duration = round(rng.lognormvariate(3.5, 0.8), 3) if finished and rng.random() < 0.97 else None
        attempts = rng.choices((1, 2, 3), weights=(80, 15, 5))[0] if finished else None
        code = None
        if status in ("failed", "timed_out"):
            code = "AGENT.TIMEOUT" if status == "timed_out" else rng.choice(codes)
        tokens_in = rng.randrange(500, 20000) if finished else None
        tokens_out = rng.randrange(100, 4000) if finished else None
        cost = round((tokens_in or 0) * 3e-6 + (tokens_out or 0) * 15e-6, 6) if finished else None
        created = since + timedelta(seconds=offsets[number])
        key = f"bench/{seed}/{number}"
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            chosen[number],
            status,
            "production",
            key,
            duration,
            attempts,
            tokens_in,
            tokens_out,
            cost,
            code,
            created,
            created,
        )


def bench_rows(since: datetime, skills: list[str], seed: int) -> list[dict[str, Any]]:
    """Bench results: per skill, one in each of the two weeks before since and two in the target week."""
    rng = random.Random(seed)
    rows = []
    for skill in skills:
        tier = rng.choice(TIERS)
        for week, hours in ((-2, 30), (-1, 50), (0, 20), (0, 120)):
            if rng.random() < 0.25:
                tier = rng.choice(TIERS)
            score = {"A": 94.0, "B": 81.0, "C": 60.0, "F": 30.0}[tier]
            rows.append(
                {
                    "skill_id": skill,
                    "cache_key": "0" * 64,
                    "composite_score": score,
                    "tier": tier,
                    "cases_passed": 2,
                    "cases_total": 2,
                    "metrics": "{}",
                    "missing_metrics": "[]",
                    "git_sha": f"{rng.getrandbits(160):040x}",
                    "branch": "main",
                    "bench_id": f"bench/{week}/{hours}",
                    "created_at": since + timedelta(weeks=week, hours=hours + rng.random()),
                }
            )
    return rows


def gate_rows(since: datetime, count: int, skills: list[str], seed: int) -> list[dict[str, Any]]:
    """count gate decisions over the week from since, a tenth of them failed."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        passed = rng.random() >= 0.1
        failing = [] if passed else rng.sample(skills, k=rng.randint(1, 3))
        rows.append(
            {
                "passed": passed,
                "thresholds": json.dumps({"min_composite": 70}),
                "numbers": json.dumps({"failing_skills": failing, "skills": 6}),
                "commit_sha": f"{rng.getrandbits(160):040x}",
                "pr_number": rng.randint(1, 5000),
                "run_url": f"https://github.com/acme/skills/actions/runs/{rng.randint(10**9, 10**10)}",
                "idempotency_key": f"gate/{seed}/{number}",
                "created_at": since + timedelta(seconds=rng.random() * 7 * 86400),
            }
        )
    return rows


def skill_row(skill: str) -> dict[str, Any]:
    """One skills row."""
    return {
        "id": skill,
        "name": skill,
        "description": "generated",
        "executor": "local",
        "max_duration_s": 600,
        "owner": "bench",
        "status": "active",
        "version": 1,
        "spec": "{}",
        "content_hash": "0" * 64,
    }


class Dataset:
    """What gets loaded: the skills, the failure modes, and two weeks of runs, results and gates."""

    def __init__(self, *, week: str, runs: int, small: int, skills: int) -> None:
        from skillci.weekly.report import iso_week

        self.window = iso_week(week)
        self.previous = self.window.previous_since
        self.runs, self.small = runs, small
        self.skills = skill_ids(skills)
        self.modes = failure_modes()
        self.codes = [mode["code"] for mode in self.modes] + [UNKNOWN_CODE]
        self.results = bench_rows(self.window.since, self.skills, seed=3)
        self.gates = gate_rows(self.window.since, 1500, self.skills, seed=4) + gate_rows(
            self.previous, 150, self.skills, seed=5
        )

    def run_batches(self) -> Iterator[Iterator[tuple[Any, ...]]]:
        """The runs of the small week, then of the target week."""
        yield generate_runs(self.previous, self.small, self.skills, self.codes, seed=1)
        yield generate_runs(self.window.since, self.runs, self.skills, self.codes, seed=2)


def sqlite_text(moment: datetime) -> str:
    """A timestamp as SQLAlchemy stores it in SQLite (UTC, no offset)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: Path, data: Dataset) -> dict[str, float]:
    """Migrate a fresh SQLite file and fill it; the seconds each part took."""
    from skillci.store import open_store

    store = open_store(f"sqlite:///{path}", root=path.parent)
    store.migrate()
    store.close()
    timings: dict[str, float] = {}
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma synchronous = off")
    db.execute("begin")
    db.executemany(
        "insert into skills (id, name, description, executor, max_duration_s, owner, status, version, spec,"
        " content_hash, created_at, updated_at) values (:id, :name, :description, :executor, :max_duration_s,"
        " :owner, :status, :version, :spec, :content_hash, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
        [skill_row(skill) for skill in data.skills],
    )
    db.executemany(
        "insert into failure_modes (code, category, severity, description, runbook, http_status, retryable,"
        " ci_behavior, spec, content_hash, created_at, updated_at) values (:code, :category, :severity,"
        " :description, :runbook, :http_status, :retryable, :ci_behavior, :spec, :content_hash,"
        " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
        [{**mode, "spec": json.dumps(mode["spec"])} for mode in data.modes],
    )
    for index in RUN_INDEXES:
        db.execute(f"drop index {index}")
    started = time.perf_counter()
    columns = ", ".join(RUN_COLUMNS)
    marks = ", ".join("?" for _ in RUN_COLUMNS)
    for batch in data.run_batches():
        db.executemany(
            f"insert into runs ({columns}) values ({marks})",
            ((*row[:-2], sqlite_text(row[-2]), sqlite_text(row[-1])) for row in batch),
        )
    timings["runs_insert_s"] = time.perf_counter() - started
    started = time.perf_counter()
    db.execute("create index runs_skill_created_idx on runs (skill_id, created_at)")
    db.execute("create index runs_created_idx on runs (created_at)")
    db.execute(f"create index runs_window_idx on runs ({', '.join(_window_columns())})")
    timings["runs_index_s"] = time.perf_counter() - started
    db.executemany(
        "insert into agent_benchmark_results (skill_id, cache_key, composite_score, tier, cases_passed, cases_total,"
        " metrics, missing_metrics, git_sha, branch, bench_id, created_at) values (:skill_id, :cache_key,"
        " :composite_score, :tier, :cases_passed, :cases_total, :metrics, :missing_metrics, :git_sha, :branch,"
        " :bench_id, :created_at)",
        [{**row, "created_at": sqlite_text(row["created_at"])} for row in data.results],
    )
    db.executemany(
        "insert into gate_results (passed, thresholds, numbers, commit_sha, pr_number, run_url, idempotency_key,"
        " created_at) values (:passed, :thresholds, :numbers, :commit_sha, :pr_number, :run_url,"
        " :idempotency_key, :created_at)",
        [{**row, "created_at": sqlite_text(row["created_at"])} for row in data.gates],
    )
    db.execute("commit")
    db.close()
    return timings


def _window_columns() -> tuple[str, ...]:
    from skillci.store.tables import WINDOW_COLUMNS

    return WINDOW_COLUMNS


def load_postgres(url: str, data: Dataset) -> dict[str, float]:
    """Migrate a fresh Postgres database and fill it with COPY; the seconds each part took."""
    import psycopg

    from skillci.store import open_store

    store = open_store(url, root=REPO)
    store.migrate()
    store.close()
    timings: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor:
            with cursor.copy(
                "copy ops.skills (id, name, description, executor, max_duration_s, owner, status, version, spec,"
                " content_hash) from stdin"
            ) as copy:
                for skill in data.skills:
                    copy.write_row(tuple(skill_row(skill).values()))
            with cursor.copy(f"copy ops.failure_modes ({', '.join(MODE_COLUMNS)}) from stdin") as copy:
                for mode in data.modes:
                    row = {**mode, "spec": json.dumps(mode["spec"])}
                    copy.write_row(tuple(row[name] for name in MODE_COLUMNS))
            started = time.perf_counter()
            with cursor.copy(f"copy ops.runs ({', '.join(RUN_COLUMNS)}) from stdin") as copy:
                for batch in data.run_batches():
                    for row in batch:
                        copy.write_row(row)
            timings["runs_copy_s"] = time.perf_counter() - started
            names = list(data.results[0])
            with cursor.copy(f"copy ops.agent_benchmark_results ({', '.join(names)}) from stdin") as copy:
                for result in data.results:
                    copy.write_row(tuple(result[name] for name in names))
            names = list(data.gates[0])
            with cursor.copy(f"copy ops.gate_results ({', '.join(names)}) from stdin") as copy:
                for gate in data.gates:
                    copy.write_row(tuple(gate[name] for name in names))
        conn.commit()
    return timings


def vacuum(url: str) -> float:
    """VACUUM ANALYZE the loaded tables (as autovacuum would); its seconds."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("runs", "agent_benchmark_results", "gate_results", "failure_modes", "skills"):
            conn.execute(f"vacuum analyze ops.{table}")  # type: ignore[arg-type]
    return time.perf_counter() - started


def measure(url: str, since: str, until: str, repeat: int) -> dict[str, Any]:
    """In this (child) process: time weekly_numbers `repeat` times and watch the memory it takes."""
    from skillci.store import open_store

    def peak_rss() -> int:
        """The process's peak resident set: VmHWM on Linux (ru_maxrss there survives execve, so a child
        would report its parent's peak), else ru_maxrss."""
        status = Path("/proc/self/status")
        if status.is_file():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

    start, end = datetime.fromisoformat(since), datetime.fromisoformat(until)
    store = open_store(url, root=REPO)
    try:
        store.has_schema()  # connects, and loads what the first call would otherwise load
        before = peak_rss()
        seconds, numbers = [], {}
        for _ in range(repeat):
            started = time.perf_counter()
            numbers = store.weekly_numbers(since=start, until=end)
            seconds.append(time.perf_counter() - started)
        after = peak_rss()
        tracemalloc.start()
        store.weekly_numbers(since=start, until=end)
        _, python_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        store.close()
    return {
        "seconds": seconds,
        "rss_before_mb": before / MB,
        "rss_after_mb": after / MB,
        "python_peak_mb": python_peak / MB,
        "numbers": numbers,
    }


def run_measure(url: str, since: datetime, until: datetime, repeat: int) -> dict[str, Any]:
    """One measurement in a fresh child process."""
    argv = [sys.executable, __file__, "--measure", url, since.isoformat(), until.isoformat(), str(repeat)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark: measuring {url} failed\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def same_numbers(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two weekly numbers differ (floats compared to 1e-9, relative or absolute)."""
    if isinstance(left, float) or isinstance(right, float):
        ok = isinstance(left, int | float) and isinstance(right, int | float)
        return [] if ok and math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9) else [f"{path}: {left} != {right}"]
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return [f"{path}: keys {sorted(left)} != {sorted(right)}"]
        return [found for key in left for found in same_numbers(left[key], right[key], f"{path}.{key}")]
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} != {len(right)} elements"]
        return [
            found
            for n, (a, b) in enumerate(zip(left, right, strict=True))
            for found in same_numbers(a, b, f"{path}[{n}]")
        ]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Best and median seconds and the memory figures of one measurement."""
    seconds = result["seconds"]
    return {
        "runs": result["numbers"]["totals"]["runs"],
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "rss_before_mb": result["rss_before_mb"],
        "rss_growth_mb": result["rss_after_mb"] - result["rss_before_mb"],
        "python_peak_mb": result["python_peak_mb"],
    }


def cpu_reference() -> float:
    """Seconds a fixed pure-Python loop takes here: how fast this machine is right now (a shared VM varies)."""
    started, total = time.perf_counter(), 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 3)


def main() -> int:
    """Load, measure, compare and print."""
    if len(sys.argv) == 6 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--skills", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--week", default="2026-W47")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and the server's directory")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()

    data = Dataset(week=args.week, runs=args.runs, small=args.small, skills=args.skills)
    windows = {
        "target": (data.window.since, data.window.until),
        "small": (data.previous, data.window.since),
    }
    tmp = Path(tempfile.mkdtemp(prefix="skillci-notify-bench-"))
    tmp.chmod(0o755)  # the server runs as `postgres` when this runs as root
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_before": load_average(),
        "cpu_reference_s_before": cpu_reference(),
        "runs": {"target week": args.runs, "week before": args.small},
        "skills": args.skills,
        "repeat": args.repeat,
        "stores": {},
    }
    answers: dict[str, dict[str, Any]] = {}
    server = None
    try:
        if not args.no_sqlite:
            path = tmp / "store.db"
            started = time.perf_counter()
            loading = load_sqlite(path, data)
            loading["total_s"] = time.perf_counter() - started
            loading["file_mb"] = path.stat().st_size / MB
            measured = {
                name: run_measure(f"sqlite:///{path}", *window, args.repeat) for name, window in windows.items()
            }
            answers["sqlite"] = {name: result["numbers"] for name, result in measured.items()}
            report["stores"]["sqlite"] = {
                "load": loading,
                **{name: summary(result) for name, result in measured.items()},
            }
        if not args.no_postgres:
            from helpers.postgres import start_server

            server = start_server(tmp / "cluster")
            version = server.psql("show server_version")
            url = server.create_database("notify_bench")
            started = time.perf_counter()
            loading = load_postgres(url, data)
            loading["total_s"] = time.perf_counter() - started
            fresh = run_measure(url, *windows["target"], args.repeat)
            loading["vacuum_analyze_s"] = vacuum(url)
            measured = {name: run_measure(url, *window, args.repeat) for name, window in windows.items()}
            answers["postgres"] = {name: result["numbers"] for name, result in measured.items()}
            report["stores"]["postgres"] = {
                "server_version": version,
                "settings": "fsync=off, full_page_writes=off (tests/helpers/postgres.py), TCP on 127.0.0.1",
                "load": loading,
                "target, before VACUUM ANALYZE": summary(fresh),
                **{name: summary(result) for name, result in measured.items()},
            }
    finally:
        if server is not None and not args.keep:
            server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(answers) == 2:
        report["parity"] = {
            name: same_numbers(answers["sqlite"][name], answers["postgres"][name])[:5] or "identical"
            for name in windows
        }
    report["load_average_after"] = load_average()
    report["cpu_reference_s_after"] = cpu_reference()
    missed = [
        f"{kind}: median {stats['target']['median_s']:.2f} s over the goal of {GOALS_S[kind]} s"
        for kind, stats in report["stores"].items()
        if stats["target"]["median_s"] > GOALS_S[kind]
    ]
    if any(value != "identical" for value in report.get("parity", {}).values()):
        missed.append("SQLite and Postgres disagree")
    report["missed"] = missed
    out = io.StringIO()
    if args.json:
        json.dump(report, out, indent=2)
    else:
        for key, value in report.items():
            if key == "stores":
                for kind, stats in value.items():
                    for name, numbers in stats.items():
                        shown = (
                            {k: round(v, 3) if isinstance(v, float) else v for k, v in numbers.items()}
                            if isinstance(numbers, dict)
                            else numbers
                        )
                        out.write(f"{kind:8} {name}: {shown}\n")
            else:
                out.write(f"{key}: {value}\n")
    print(out.getvalue())
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
