#!/usr/bin/env python3
"""Benchmark `skillci sync` into Postgres (and into the embedded SQLite store) on a generated registry.

Generates a valid registry with N skills the way benchmarks/validate.py does (its generator, imported),
validates it once with skillci's own validation and builds the desired state from it (not timed), starts a
throwaway PostgreSQL server (tests/helpers/postgres.py) and then, for each N and each of --repeat runs, in a
freshly created and migrated database (`create database bench_N_I`) and in a fresh SQLite file, times three
calls of `Store.sync(desired, apply=True)`:

* first: every skill, tool and failure mode is created;
* no-op: the same registry again; checks that nothing was applied and that no row of the registry tables
  changed (row counts, max(updated_at) and, on Postgres, max(xmin) of skills, tools, failure_modes and
  skill_versions);
* change: one skill's description changed; checks 1 skill updated and 1 new skill_versions row.

Only the `sync` call is timed. Statements and round trips are counted with SQLAlchemy events on the store's
engine: statements are `before_cursor_execute` events; round trips are statements plus transaction
commits and rollbacks, plus on Postgres the BEGIN psycopg sends before the first statement (on SQLite the
store's BEGIN IMMEDIATE is already a statement). Connects (each is several protocol exchanges: TCP, start-up,
authentication) are counted on their own.

For reference, the end-to-end `skillci sync` command (start-up, validation and sync; schema migrated
beforehand) is timed once per N as a subprocess, into a fresh database. --profile runs the three phases once
more for the largest N into Postgres, each with its time split into steps (exclusive wall-clock time): the
client's planning (normalising, hashing, diffing), payload building and JSON encoding, and each database call;
and times sending the first sync's payload with a statement that only parses it as jsonb.

Usage: python benchmarks/sync.py [--skills N [N ...]] [--repeat R] [--json] [--no-sqlite] [--no-cli] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))

from validate import executable, generate, run_child  # noqa: E402

from helpers.postgres import PostgresServer, start_server  # noqa: E402
from skillci.registry.load import load_registry  # noqa: E402
from skillci.store import open_store  # noqa: E402
from skillci.store.base import Store  # noqa: E402
from skillci.sync.plan import desired_state  # noqa: E402

PHASES = ("first", "no-op", "change")
STORES = ("postgres", "sqlite")
GOAL_FIRST_S = 3.0
GOAL_SKILLS = 10_000
GIT_SHA = "abc1234"
CHANGED_SHA = "def5678"
REGISTRY_TABLES = ("skills", "tools", "failure_modes", "skill_versions")


# --------------------------------------------------------------------------- counting round trips


@dataclass
class Tally:
    statements: int = 0
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0
    connects: int = 0

    def minus(self, other: Tally) -> Tally:
        return Tally(**{name: getattr(self, name) - getattr(other, name) for name in self.__dataclass_fields__})


class Counter:
    """Counts what a store's engine sends to the database, through SQLAlchemy's engine and pool events."""

    def __init__(self, engine: Engine, kind: str) -> None:
        self.kind = kind
        self.tally = Tally()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)
        event.listen(engine, "connect", self._connect)

    def _statement(self, *_: Any) -> None:
        self.tally.statements += 1

    def _begin(self, *_: Any) -> None:
        self.tally.begins += 1

    def _commit(self, *_: Any) -> None:
        self.tally.commits += 1

    def _rollback(self, *_: Any) -> None:
        self.tally.rollbacks += 1

    def _connect(self, *_: Any) -> None:
        self.tally.connects += 1

    def snapshot(self) -> Tally:
        return Tally(**vars(self.tally))

    def round_trips(self, tally: Tally) -> int:
        # psycopg sends BEGIN on its own before a transaction's first statement; the SQLite store's begin
        # listener runs BEGIN IMMEDIATE as a statement, already counted.
        begins = tally.begins if self.kind == "postgres" else 0
        return tally.statements + begins + tally.commits + tally.rollbacks


# --------------------------------------------------------------------------- one store, three phases


def fingerprint(store: Store) -> dict[str, dict[str, Any]]:
    """Row count, latest timestamp and (Postgres) newest row version of each registry table."""
    prefix = "ops." if store.kind == "postgres" else ""
    found = {}
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        for table in REGISTRY_TABLES:
            stamp = "created_at" if table == "skill_versions" else "updated_at"
            xmin = ", max(xmin::text::bigint)" if store.kind == "postgres" else ""
            row = connection.exec_driver_sql(f"select count(*), max({stamp}){xmin} from {prefix}{table}").one()
            found[table] = {"rows": row[0], "max_stamp": str(row[1]), "max_xmin": row[2] if xmin else None}
    return found


@dataclass
class PhaseResult:
    seconds: float
    statements: int
    round_trips: int
    connects: int
    applied: bool
    skills: dict[str, int]
    versions_added: int


def run_phase(store: Store, counter: Counter, desired: Mapping[str, Any], git_sha: str) -> tuple[PhaseResult, dict]:
    before = fingerprint(store)
    start = counter.snapshot()
    started = time.perf_counter()
    outcome = store.sync(desired, git_sha=git_sha, apply=True)
    seconds = time.perf_counter() - started
    tally = counter.snapshot().minus(start)
    after = fingerprint(store)
    result = PhaseResult(
        seconds=seconds,
        statements=tally.statements,
        round_trips=counter.round_trips(tally),
        connects=tally.connects,
        applied=outcome.applied,
        skills=outcome.counts()["skills"],
        versions_added=after["skill_versions"]["rows"] - before["skill_versions"]["rows"],
    )
    return result, {"before": before, "after": after}


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark: {message}")


def one_skill_changed(desired: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    changed = dict(desired)
    changed["skills"] = dict(desired["skills"])
    skill_id = sorted(desired["skills"])[len(desired["skills"]) // 2]
    spec = copy.deepcopy(desired["skills"][skill_id])
    spec["description"] = spec["description"] + " Changed by the benchmark."
    changed["skills"][skill_id] = spec
    return changed, skill_id


def three_phases(store: Store, desired: Mapping[str, Any], label: str) -> dict[str, PhaseResult]:
    """First sync, no-op re-sync and one-skill change against a freshly migrated store; checks each."""
    store.migrate()
    counter = Counter(store.engine, store.kind)  # type: ignore[attr-defined]
    count = len(desired["skills"])
    results = {}

    first, _ = run_phase(store, counter, desired, GIT_SHA)
    check(first.applied and first.skills["created"] == count, f"{label}: first sync created {first.skills}")
    check(first.versions_added == count, f"{label}: first sync wrote {first.versions_added} skill versions")
    results["first"] = first

    noop, seen = run_phase(store, counter, desired, GIT_SHA)
    check(not noop.applied, f"{label}: the no-op sync applied something: {noop.skills}")
    check(seen["before"] == seen["after"], f"{label}: the no-op sync changed rows: {seen}")
    results["no-op"] = noop

    changed, skill_id = one_skill_changed(desired)
    change, seen = run_phase(store, counter, changed, CHANGED_SHA)
    check(
        change.applied and change.skills["updated"] == 1 and change.skills["created"] == 0,
        f"{label}: changing {skill_id} gave {change.skills}",
    )
    check(change.versions_added == 1, f"{label}: changing {skill_id} added {change.versions_added} skill versions")
    results["change"] = change
    return results


# --------------------------------------------------------------------------- Postgres databases


def admin_engine(server: PostgresServer) -> Engine:
    url = sa.engine.make_url(server.url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def database_url(server: PostgresServer, name: str) -> str:
    return server.url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def fresh_database(server: PostgresServer, admin: Engine, name: str) -> Iterator[str]:
    with admin.connect() as connection:
        connection.exec_driver_sql(f"drop database if exists {name} with (force)")
        connection.exec_driver_sql(f"create database {name}")
    try:
        yield database_url(server, name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"drop database if exists {name} with (force)")


@contextmanager
def opened(url: str, root: Path) -> Iterator[Store]:
    store = open_store(url, root=root)
    try:
        yield store
    finally:
        store.close()


# --------------------------------------------------------------------------- reference and profile


def cli_first_sync(server: PostgresServer, admin: Engine, root: Path, count: int) -> dict[str, float]:
    """`skillci sync` as a subprocess (start-up, validation, sync) into a freshly migrated database."""
    skillci = executable("skillci")
    with fresh_database(server, admin, f"bench_cli_{count}") as url:
        migrate = subprocess.run([skillci, "db", "migrate", "--root", str(root), "--store", url], capture_output=True)
        check(migrate.returncode == 0, f"skillci db migrate failed\n{migrate.stdout!r}{migrate.stderr!r}")
        run = run_child(
            [skillci, "sync", "--root", str(root), "--store", url, "--git-sha", GIT_SHA, "--format", "json"]
        )
        check(run.returncode == 0, f"skillci sync failed (exit {run.returncode})\n{run.stdout}{run.stderr[-2000:]}")
        counts = json.loads(run.stdout)
        check(counts["skills"]["created"] == count, f"skillci sync created {counts['skills']}")
        again = run_child(
            [skillci, "sync", "--root", str(root), "--store", url, "--git-sha", GIT_SHA, "--format", "json"]
        )
        check(again.returncode == 0, f"skillci sync (no-op) failed\n{again.stdout}{again.stderr[-2000:]}")
        check(json.loads(again.stdout)["skills"]["unchanged"] == count, "the second skillci sync changed skills")
    return {
        "seconds": run.seconds,
        "peak_rss_mb": run.rss_bytes / 1_000_000,
        "noop_seconds": again.seconds,
        "noop_peak_rss_mb": again.rss_bytes / 1_000_000,
    }


class Split:
    """Exclusive wall-clock time per labelled step (a step's time excludes the labelled steps inside it)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list[Any]] = []
        self._gc_started = 0.0

    def gc_callback(self, phase: str, _info: Mapping[str, int]) -> None:
        """Book the garbage collector's pauses on their own, not on the step they interrupt."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        elapsed = time.perf_counter() - self._gc_started
        self.spent[GC_LABEL] = self.spent.get(GC_LABEL, 0.0) + elapsed
        if self._stack:
            self._stack[-1][2] += elapsed

    def enter(self, label: str) -> None:
        self._stack.append([label, time.perf_counter(), 0.0])

    def leave(self) -> None:
        label, started, inner = self._stack.pop()
        elapsed = time.perf_counter() - started
        self.spent[label] = self.spent.get(label, 0.0) + elapsed - inner
        if self._stack:
            self._stack[-1][2] += elapsed

    def wrap(self, owner: Any, name: str, label: str) -> Callable[[], None]:
        """Time owner.name; the original is put back while it runs, so its recursion is not timed per call."""
        original = getattr(owner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            setattr(owner, name, original)
            self.enter(label)
            try:
                return original(*args, **kwargs)
            finally:
                self.leave()
                setattr(owner, name, call)

        setattr(owner, name, call)
        return lambda: setattr(owner, name, original)


GC_LABEL = "client: garbage collector pauses"
STATEMENT_LABELS = {
    "pg_advisory_xact_lock": "database: the sync advisory lock",
    "skillci_registry_state": "database: run ops.skillci_registry_state()",
    "skillci_apply_sync": "database: send the payload, run ops.skillci_apply_sync(payload)",
}


def split_sync(store: Store, desired: Mapping[str, Any], git_sha: str) -> dict[str, Any]:
    """One Store.sync into Postgres, its time split between the client's steps and the database calls."""
    import skillci.store.base as base
    import skillci.store.sql as sql
    import skillci.sync.plan as plan

    split = Split()
    payloads: list[str] = []

    def dumps(value: Any) -> str:
        split.enter("client: JSON-encode the payload (json.dumps)")
        try:
            text = json.dumps(value)
        finally:
            split.leave()
        payloads.append(text)
        return text

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        split.enter(next((label for key, label in STATEMENT_LABELS.items() if key in statement), "database: other"))

    def after(*_: Any) -> None:
        split.leave()

    engine: Engine = store.engine  # type: ignore[attr-defined]
    restore = [
        split.wrap(base, "plan_sync", "client: plan (diff, sorting, building Change objects)"),
        split.wrap(plan, "normalize", "client: plan: normalize specs (sync_plan.normalize)"),
        split.wrap(plan, "content_hash", "client: plan: content hashes (canonical json.dumps + sha256)"),
        split.wrap(plan.SyncPlan, "payload", "client: build the payload rows"),
        split.wrap(sql._PostgresSession, "registry_state", "client: fetch and decode the registry state"),
        split.wrap(sql, "state_from_json", "client: registry state to Current objects (state_from_json)"),
        split.wrap(sql._PostgresSession, "apply", "client: apply() (SQLAlchemy, fetch the result)"),
    ]
    original_json = sql.json  # json.dumps is timed only where the store calls it: through dumps() above
    sql.json = type("TimedJson", (), {"dumps": staticmethod(dumps), "loads": staticmethod(json.loads)})
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    gc.callbacks.append(split.gc_callback)
    try:
        started = time.perf_counter()
        outcome = store.sync(desired, git_sha=git_sha, apply=True)
        total = time.perf_counter() - started
    finally:
        gc.callbacks.remove(split.gc_callback)
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        sql.json = original_json
        for undo in restore:
            undo()
    parts = dict(split.spent)
    parts["other (connect, BEGIN, COMMIT, SQLAlchemy, the retry wrapper)"] = total - sum(parts.values())
    return {
        "total_s": total,
        "parts_s": parts,
        "written": outcome.counts()["skills"],
        "payload": payloads[-1] if payloads else None,
    }


def profile_syncs(server: PostgresServer, admin: Engine, root: Path, desired: Mapping[str, Any]) -> dict[str, Any]:
    """The three phases once more into Postgres, each split into parts; and the server's cost of the payload."""
    count = len(desired["skills"])
    changed, _ = one_skill_changed(desired)
    phases: dict[str, Any] = {}
    with fresh_database(server, admin, f"bench_profile_{count}") as url, opened(url, root) as store:
        store.migrate()
        for phase, wanted, sha in (
            ("first", desired, GIT_SHA),
            ("no-op", desired, GIT_SHA),
            ("change", changed, CHANGED_SHA),
        ):
            phases[phase] = split_sync(store, wanted, sha)
        payload = phases["first"].pop("payload")
        for phase in phases.values():
            phase.pop("payload", None)
        # The same first-sync payload through a statement that only parses it: transfer plus jsonb parsing.
        engine: Engine = store.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            started = time.perf_counter()
            connection.execute(sa.text("select jsonb_typeof(cast(:payload as jsonb))"), {"payload": payload}).one()
            parse_s = time.perf_counter() - started
    check(phases["first"]["written"]["created"] == count, "the profiled first sync created too little")
    return {
        "skills": count,
        "phases": phases,
        "payload_mb": len(payload.encode("utf-8")) / 1_000_000,
        "send_and_parse_payload_s": parse_s,
    }


# --------------------------------------------------------------------------- main


def machine(server: PostgresServer, admin: Engine) -> dict[str, object]:
    postgres = server.bindir / "postgres"
    binary = subprocess.run([str(postgres), "--version"], capture_output=True, text=True).stdout.strip()
    with admin.connect() as connection:
        server_version = connection.exec_driver_sql("show server_version").scalar_one()
    import psycopg

    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "postgres --version": binary,
        "postgres server_version": server_version,
        "postgres settings": "fsync=off, full_page_writes=off (tests/helpers/postgres.py), TCP on 127.0.0.1",
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sa.__version__,
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
    }


def summarize(runs: list[PhaseResult]) -> dict[str, object]:
    seconds = [run.seconds for run in runs]

    def spread(values: list[int]) -> int | str:
        return values[0] if len(set(values)) == 1 else f"{min(values)}-{max(values)}"

    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "statements": spread([run.statements for run in runs]),
        "round_trips": spread([run.round_trips for run in runs]),
        "connects": spread([run.connects for run in runs]),
        "written": runs[-1].skills,
        "applied": runs[-1].applied,
        "versions_added": runs[-1].versions_added,
    }


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    stores = ("postgres",) if args.no_sqlite else STORES
    tmp = Path(tempfile.mkdtemp(prefix="skillci-bench-sync-"))
    tmp.chmod(0o755)  # the server runs as `postgres` when this runs as root
    server = None
    try:
        print("benchmark: starting PostgreSQL", file=sys.stderr)
        server = start_server(tmp / "cluster")
        admin = admin_engine(server)
        results: list[dict[str, object]] = []
        cli: dict[int, dict[str, float]] = {}
        profile = None
        for count in args.skills:
            root = tmp / f"registry-{count}"
            print(f"benchmark: generating and validating {count} skills in {root}", file=sys.stderr)
            generate(root, count, args.seed)
            validation = load_registry(root)
            check(validation.ok, f"the generated registry of {count} skills has {validation.errors} errors")
            desired = desired_state(validation.data)
            runs: dict[str, dict[str, list[PhaseResult]]] = {kind: {p: [] for p in PHASES} for kind in stores}
            for index in range(args.repeat):
                print(f"benchmark: {count} skills, run {index + 1} of {args.repeat}", file=sys.stderr)
                for kind in stores:
                    if kind == "postgres":
                        with (
                            fresh_database(server, admin, f"bench_{count}_{index}") as url,
                            opened(url, root) as store,
                        ):
                            phases = three_phases(store, desired, f"postgres, {count} skills")
                    else:
                        path = tmp / f"sqlite-{count}-{index}" / "db.sqlite"
                        with opened(f"sqlite:///{path}", root) as store:
                            phases = three_phases(store, desired, f"sqlite, {count} skills")
                        shutil.rmtree(path.parent, ignore_errors=True)
                    for phase, result in phases.items():
                        runs[kind][phase].append(result)
            for kind in stores:
                for phase in PHASES:
                    results.append({"skills": count, "store": kind, "phase": phase, **summarize(runs[kind][phase])})
            if not args.no_cli:
                print(f"benchmark: timing `skillci sync` of {count} skills (one run)", file=sys.stderr)
                cli[count] = cli_first_sync(server, admin, root, count)
            if args.profile and count == max(args.skills):
                print(f"benchmark: profiling a first sync of {count} skills", file=sys.stderr)
                profile = profile_syncs(server, admin, root, desired)
        data = {
            "repeat": args.repeat,
            "seed": args.seed,
            "results": results,
            "cli_first_sync": cli,
            "profile": profile,
            "goals": goals(results, args.skills),
            "machine": machine(server, admin),
        }
        admin.dispose()
        return data
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def goals(results: list[dict[str, object]], counts: list[int]) -> dict[str, bool | None]:
    def find(store: str, phase: str, count: int) -> dict[str, object] | None:
        return next((r for r in results if r["store"] == store and r["phase"] == phase and r["skills"] == count), None)

    target = GOAL_SKILLS if GOAL_SKILLS in counts else max(counts)
    first = find("postgres", "first", target)
    flat: bool | None = None
    if len(set(counts)) > 1:
        flat = all(
            len({str(r["round_trips"]) for r in results if r["store"] == store and r["phase"] == phase}) == 1
            for store in {str(r["store"]) for r in results}
            for phase in PHASES
        )
    noops = [r for r in results if r["phase"] == "no-op"]
    return {
        f"first sync of {target} skills into Postgres under {GOAL_FIRST_S:.0f} s": bool(
            first and float(first["best_s"]) < GOAL_FIRST_S  # type: ignore[arg-type]
        ),
        "no-op sync writes nothing": all(not r["applied"] and r["versions_added"] == 0 for r in noops),
        "round trips do not grow with the number of skills": flat,
    }


def print_table(data: dict[str, Any]) -> None:
    print(f"best/median of {data['repeat']} runs; each run a fresh database; only Store.sync() timed")
    print()
    header = (
        f"| {'skills':>6} | {'store':<8} | {'phase':<6} | {'best s':>7} | {'median s':>8} | "
        f"{'statements':>10} | {'round trips':>11} | {'connects':>8} | {'skills written':<22} |"
    )
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for r in data["results"]:
        written = ", ".join(f"{n} {r['written'][n]}" for n in ("created", "updated") if r["written"][n]) or "none"
        if r["phase"] == "no-op":
            written = "none (not applied)" if not r["applied"] else written
        print(
            f"| {r['skills']:>6} | {r['store']:<8} | {r['phase']:<6} | {r['best_s']:>7.3f} | {r['median_s']:>8.3f} | "
            f"{r['statements']!s:>10} | {r['round_trips']!s:>11} | {r['connects']!s:>8} | {written:<22} |"
        )
    print()
    for count, run in data["cli_first_sync"].items():
        print(
            f"`skillci sync` end to end, first sync of {count} skills into Postgres (start-up, validation, sync; "
            f"one run): {run['seconds']:.2f} s, peak RSS {run['peak_rss_mb']:.0f} MB; then the same again, "
            f"nothing to do: {run['noop_seconds']:.2f} s, peak RSS {run['noop_peak_rss_mb']:.0f} MB"
        )
    profile = data["profile"]
    if profile:
        print()
        print(
            f"split of one run of each phase, {profile['skills']} skills into Postgres "
            f"(exclusive time per step; first-sync payload {profile['payload_mb']:.1f} MB of JSON):"
        )
        for phase, split in profile["phases"].items():
            print(f"  {phase}: {split['total_s']:.3f} s")
            for name, seconds in sorted(split["parts_s"].items(), key=lambda item: -item[1]):
                print(f"    {seconds:>7.3f} s  {100 * seconds / split['total_s']:>5.1f}%  {name}")
        print(
            "  sending the first-sync payload and only parsing it as jsonb: "
            f"{profile['send_and_parse_payload_s']:.3f} s"
        )
    print()
    for goal, met in data["goals"].items():
        print(f"goal: {goal}: {'n/a (one --skills value)' if met is None else 'PASS' if met else 'MISS'}")
    print()
    for name, value in data["machine"].items():
        print(f"machine: {name}: {value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skills",
        type=int,
        nargs="+",
        default=[1000, 10_000],
        help="numbers of skills to generate (default 1000 10000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; best and median kept (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated registry (default 42)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the embedded SQLite store")
    parser.add_argument("--no-cli", action="store_true", help="skip timing the `skillci sync` command")
    parser.add_argument("--profile", action="store_true", help="split a first sync of the largest N into parts")
    args = parser.parse_args(argv)
    if min(args.skills) < 1 or args.repeat < 1:
        parser.error("--skills and --repeat must be at least 1")
    args.skills = sorted(set(args.skills))
    # The children (and this process) write no ledger and take the store only from --store.
    os.environ["SKILLCI_LEDGER"] = "off"
    for name in ("SKILLCI_STORE", "GITHUB_SHA"):
        os.environ.pop(name, None)
    data = benchmark(args)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
