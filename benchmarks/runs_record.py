"""How long `skillci runs record` takes for a list of N run reports, into PostgreSQL and into SQLite.

Usage:
    python benchmarks/runs_record.py                  # 10,000 reports, best and median of 3 runs per store
    python benchmarks/runs_record.py --reports 1000 --repeat 5
    python benchmarks/runs_record.py --json

Each run syncs the bundled example registry into a fresh store (a new Postgres database on a throwaway server
the script starts from the system's binaries, as the test suite does; a new SQLite file), writes N reports as
one JSON list (finished runs of the example's skills, half of them failed with an error, each with three
events, numbers and an output), and times the `skillci runs record FILE --store URL` command end to end
(start-up, reading, validating and recording). It then checks that the store holds exactly N runs.
Goal (issue 16, item 15): 10,000 reports under 10 s on Postgres.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from measuring import MB, run_child  # noqa: E402

from helpers.postgres import start_server  # noqa: E402


def example_skills() -> list[str]:
    """The ids of the bundled example's skills."""
    import yaml

    document = yaml.safe_load((ROOT / "ssot" / "agents" / "skills.yaml").read_text(encoding="utf-8"))
    return [skill["id"] for skill in document["skills"]]


def reports(count: int) -> list[dict[str, Any]]:
    """N finished run reports spread over the example's skills."""
    skills = example_skills()
    made = []
    for number in range(count):
        failed = number % 2 == 1
        report: dict[str, Any] = {
            "idempotency_key": f"benchmark-run-{number}",
            "skill_id": skills[number % len(skills)],
            "status": "failed" if failed else "succeeded",
            "source": "production",
            "git_sha": f"{number:040x}",
            "branch": "main",
            "started_at": "2026-12-01T10:00:00Z",
            "finished_at": "2026-12-01T10:01:30Z",
            "duration_s": 90.0 + number % 60,
            "ci_attempts": 1 + number % 3,
            "changed_lines": number % 200,
            "tokens_in": 1000 + number,
            "tokens_out": 200 + number % 500,
            "cost_usd": 0.01 * (number % 10),
            "output": {"summary": f"run {number}", "files": ["src/app.py"]},
            "events": [
                {"seq": 1, "event": "state", "state": "queued", "at": "2026-12-01T10:00:00Z"},
                {"seq": 2, "event": "state", "state": "running", "at": "2026-12-01T10:00:05Z"},
                {
                    "seq": 3,
                    "event": "state",
                    "state": "failed" if failed else "succeeded",
                    "at": "2026-12-01T10:01:30Z",
                },
            ],
        }
        if failed:
            report["error"] = {"code": "CI.CHECKS_FAILED", "message": f"3 checks failed on attempt {1 + number % 3}"}
        made.append(report)
    return made


def skillci(*args: str, cwd: Path) -> Any:
    """Run skillci once, measured."""
    return run_child([sys.executable, "-m", "skillci", *args], cwd=cwd)


def one_run(store: str, count: int, work: Path) -> tuple[float, float]:
    """Sync the example into a fresh store, then time recording N reports; (seconds, peak RSS MB)."""
    repo = work / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(".git", ".skillci", "node_modules", "__pycache__"))
    for step in (("db", "migrate"), ("sync",)):
        done = skillci(*step, "--root", str(repo), "--store", store, cwd=repo)
        assert done.returncode == 0, done.stderr
    listed = work / "reports.json"
    listed.write_text(json.dumps(reports(count)), encoding="utf-8")
    run = skillci("runs", "record", str(listed), "--root", str(repo), "--store", store, cwd=repo)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.seconds, run.rss_bytes / MB


def count_runs(store: str) -> int:
    """How many runs the store holds."""
    if store.startswith("sqlite:///"):
        with sqlite3.connect(store.removeprefix("sqlite:///")) as connection:
            return int(connection.execute("select count(*) from runs").fetchone()[0])
    import sqlalchemy as sa

    engine = sa.create_engine(store.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("select count(*) from ops.runs")).scalar_one())
    finally:
        engine.dispose()


def main() -> int:
    """Measure both stores and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="skillci-runs-record-") as scratch:
        base = Path(scratch)
        base.chmod(0o755)
        server = start_server(base / "cluster")
        try:
            for kind in ("postgres", "sqlite"):
                times, peaks = [], []
                for attempt in range(options.repeat):
                    work = base / f"{kind}-{attempt}"
                    work.mkdir()
                    store = server.create_database() if kind == "postgres" else f"sqlite:///{work / 'store.db'}"
                    seconds, peak = one_run(store, options.reports, work)
                    assert count_runs(store) == options.reports, f"{kind}: not every report was recorded"
                    times.append(seconds)
                    peaks.append(peak)
                results.append(
                    {
                        "store": kind,
                        "reports": options.reports,
                        "best_s": round(min(times), 2),
                        "median_s": round(statistics.median(times), 2),
                        "peak_rss_mb": round(max(peaks), 1),
                    }
                )
        finally:
            server.stop()
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| store | reports | best s | median s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in results:
        print(f"| {row['store']} | {row['reports']:,} | {row['best_s']} | {row['median_s']} | {row['peak_rss_mb']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
