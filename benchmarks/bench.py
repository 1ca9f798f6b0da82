#!/usr/bin/env python3
"""Benchmark `skillci bench` on a generated registry of trivial skills: parallel runs, the cache, recording.

Generates, in a temporary directory, a valid registry in the conventional layout: ssot/agents/skills.yaml
with N skills (ids `trivial-000` onwards), each with a cases file ssot/benchmarks/<skill>.yaml of C cases,
a tools registry that allows `git` everywhere, and copies of this repository's failure modes, runbooks and
benchmark.yaml. Every skill's `benchmark.command` is one trivial agent, agents/trivial.py, run by this
interpreter with `-S -I` (no site, no .pth files): it reads the case from stdin, prints two state events and a
result line that echoes the input, and every case's assertions pass. So a run costs skillci's own work plus
the start-up of one small Python process. The script checks that `skillci validate --root TMP` passes,
then times `python -m skillci bench --all --root TMP --format json`, each run as a subprocess, best and
median of --repeat runs:

* cold, --jobs 1 and --jobs 2 (alternating): --no-record, each run with a fresh, empty --cache-dir, so the
  run also writes the N cache entries, as a first run in CI does. The speed-up is jobs-1 / jobs-2 time;
* warm re-run, --jobs 2: the same command on the unchanged registry with the cache the last cold --jobs 2
  run left; the share of results with `"cached": true`, and the speed-up over the cold --jobs 2 run;
* recorded, --jobs 2: cold (--no-cache) with recording on, into the default embedded SQLite store
  (ROOT/.skillci/skillci.db), made afresh before each run by `skillci sync --migrate --root TMP` (not
  timed). The script checks the store then holds N×C runs and N results. The cost of recording is this
  time minus the cold --jobs 2 time (that run writes the cache; this one does not).

CPU time is the child's and its agents' (the rusage os.wait4 returns); peak RSS is the largest process's.

For reference, it also runs the agent N×C times from this process, without `skillci bench`, one and two at a
time: with `subprocess.run`, and with skillci's `run_case` (skillci/bench/runner.py). The difference is the
runner's own cost per run; the CPU time of the children alone is the agent's.

Each bench run's JSON is checked: N results, every case passed, `"cached"` false on cold runs. The script
exits 1 when a goal is missed and says which.

Usage: python benchmarks/bench.py [--skills N] [--cases C] [--repeat R] [--json] [--keep] [--no-alone]
       [--agent-wait-ms MS] [--python EXE] [--site]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from measuring import Run, failed, finish, load_average, quiet_children, run_child, stats

REPO = Path(__file__).resolve().parent.parent

COPIED = (
    "ssot/errors/failure_modes.yaml",
    "ssot/agents/benchmark.yaml",
    "docs/runbooks",
)
AGENT = "agents/trivial.py"
STATES = ("PLAN", "VERIFY")
GOAL_SPEEDUP = 1.8
GOAL_CACHED_SHARE = 0.95
GOAL_WARM_SPEEDUP = 10.0

AGENT_SOURCE = """\
\"\"\"A trivial agent for benchmarks/bench.py: echoes its case through the skillci benchmark protocol.

It does not even parse its input (no json import, which alone costs about 10 ms of start-up): the case
arrives as one line of JSON and goes back as the result's output. An argument N makes it wait N ms first,
as an agent waiting for a model would (benchmarks/bench.py --agent-wait-ms).
\"\"\"
import sys

case = sys.stdin.read().strip() or "null"
if len(sys.argv) > 1:
    import time

    time.sleep(int(sys.argv[1]) / 1000)
sys.stdout.write(
    '{"event": "state", "state": "PLAN"}\\n'
    '{"event": "state", "state": "VERIFY"}\\n'
    '{"event": "result", "output": ' + case + ', "changed_lines": 1, "ci_attempts": 1, "time_to_green_s": 1, '
    '"tokens_in": 10, "tokens_out": 5, "cost_usd": 0.0001}\\n'
)
"""


# --------------------------------------------------------------------------- registry generation


def case_input(skill: int, case: int) -> dict[str, Any]:
    return {"skill": skill, "case": case, "text": f"case {case} of skill {skill}"}


def _skill(index: int, command: list[str]) -> str:
    skill_id = f"trivial-{index:03d}"
    return "\n".join(
        [
            f"  - id: {skill_id}",
            f"    name: Trivial skill {index}",
            "    description: Echoes its input; benchmarks/bench.py times skillci bench with it.",
            "    executor: local",
            "    max_duration_s: 60",
            "    tags: [benchmark]",
            f"    state_machine: [{', '.join(STATES)}]",
            "    owner: platform-team",
            "    status: active",
            "    allowed_tools: [git]",
            "    security:",
            "      path_traversal_guard: true",
            "      symlink_guard: true",
            "      metadata_escaping: true",
            "      max_skill_body_bytes: 65536",
            "    benchmark:",
            f"      command: {json.dumps(command)}",
            f"      cases: ssot/benchmarks/{skill_id}.yaml",
            "      repeat: 1",
        ]
    )


def _cases(index: int, count: int) -> str:
    lines = ["# yaml-language-server: $schema=../schemas/cases.schema.json", "cases:"]
    for case in range(count):
        lines += [
            f"  - id: case-{case}",
            f"    input: {json.dumps(case_input(index, case))}",
            "    expect:",
            f"      - states: [{', '.join(STATES)}]",
            f"      - equals: {json.dumps(case_input(index, case))}",
            "      - max_changed_lines: 1",
        ]
    return "\n".join(lines) + "\n"


def generate(root: Path, skills: int, cases: int, command: list[str]) -> None:
    """Write a registry of `skills` trivial skills with `cases` cases each under root."""
    for relative in COPIED:
        source, target = REPO / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    (root / "ssot/tools").mkdir(parents=True, exist_ok=True)
    (root / "ssot/tools/registry.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/tools.schema.json\nmeta:\n  schema_version: 1\n\ntools:\n"
        "  - id: git\n    description: Local git operations on the working copy (no push).\n"
        '    allowed_in_skills: ["*"]\n',
        encoding="utf-8",
    )
    (root / "agents").mkdir()
    (root / AGENT).write_text(AGENT_SOURCE, encoding="utf-8")
    (root / "ssot/benchmarks").mkdir(parents=True)
    for index in range(skills):
        (root / f"ssot/benchmarks/trivial-{index:03d}.yaml").write_text(_cases(index, cases), encoding="utf-8")
    header = (
        "# yaml-language-server: $schema=../schemas/skills.schema.json\n"
        'meta:\n  schema_version: 1\n  updated_at: "2026-11-21"\n\nskills:\n'
    )
    (root / "ssot/agents/skills.yaml").write_text(
        header + "\n\n".join(_skill(index, command) for index in range(skills)) + "\n", encoding="utf-8"
    )


# --------------------------------------------------------------------------- measuring


def skillci(*args: str) -> list[str]:
    return [sys.executable, "-m", "skillci", *args]


def check_bench(run: Run, *, skills: int, cases: int, cached: bool | None) -> dict[str, Any]:
    """The bench run's JSON, after checking it benchmarked every skill and every case passed."""
    try:
        payload: Any = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise failed("skillci bench (no JSON on stdout)", run) from None
    if not isinstance(payload, dict):
        raise failed("skillci bench (the JSON is not an object)", run)
    results = payload.get("results")
    if run.returncode != 0 or not isinstance(results, list) or len(results) != skills:
        raise failed(f"skillci bench (expected {skills} results)", run)
    short = [r["skill_id"] for r in results if r["cases_passed"] != cases or r["cases_total"] != cases]
    if short:
        raise failed(f"skillci bench ({len(short)} skills did not pass all {cases} cases: {short[:3]})", run)
    if cached is not None and any(r["cached"] != cached for r in results):
        raise failed(f"skillci bench (expected every result cached={cached})", run)
    return payload


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_calls(call: Callable[[], None], repeat: int) -> dict[str, float]:
    """Best and median wall time of call(), and the median CPU time of this process and of its children."""
    seconds, own, children = [], [], []
    for _ in range(repeat):
        before = (_cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN))
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
        own.append(_cpu(resource.RUSAGE_SELF) - before[0])
        children.append(_cpu(resource.RUSAGE_CHILDREN) - before[1])
    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "cpu_s": statistics.median(a + b for a, b in zip(own, children, strict=True)),
        "agents_cpu_s": statistics.median(children),
    }


def agent_alone(root: Path, command: list[str], skills: int, cases: int, repeat: int) -> dict[str, dict[str, float]]:
    """The agent's N×C runs from this process, 1 and 2 at a time: with plain subprocess.run, and with skillci's run_case."""
    from skillci.bench.runner import run_case

    inputs = [case_input(skill, case) for skill in range(skills) for case in range(cases)]

    def plain(data: dict[str, Any]) -> None:
        done = subprocess.run(command, cwd=root, input=json.dumps(data).encode(), capture_output=True, check=False)
        if done.returncode != 0 or done.stdout.count(b"\n") != 3:
            raise SystemExit(f"benchmark: the trivial agent failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def runner(data: dict[str, Any]) -> None:
        run = run_case(
            command,
            case_input=data,
            skill_id="trivial",
            case_id="case",
            run_id="run",
            timeout_s=60,
            states=STATES,
            cwd=root,
        )
        if run.status != "succeeded":
            raise SystemExit(f"benchmark: run_case of the trivial agent failed: {run.error_message}")

    def at_a_time(one: Callable[[dict[str, Any]], None], workers: int) -> Callable[[], None]:
        def run_all() -> None:
            if workers == 1:
                for data in inputs:
                    one(data)
                return
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, inputs))

        return run_all

    results = {}
    for name, one in (("subprocess.run", plain), ("skillci run_case", runner)):
        for workers in (1, 2):
            results[f"{name}, {workers} at a time"] = time_calls(at_a_time(one, workers), repeat)
    return results


def store_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {
            table: connection.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("runs", "agent_benchmark_results")
        }


def machine() -> dict[str, object]:
    import skillci

    return {
        "cpus (sched_getaffinity)": len(os.sched_getaffinity(0)),
        "nproc": os.cpu_count(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "system": f"{platform.system()} {platform.release()}",
        "skillci": skillci.__version__,
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="skillci-bench-"))
    root = tmp / "repo"
    root.mkdir()
    command = [args.python, *([] if args.site else ["-S"]), "-I", AGENT]
    if args.agent_wait_ms:
        command.append(str(args.agent_wait_ms))
    total = args.skills * args.cases
    started_load = load_average()
    if os.getloadavg()[0] >= 0.5:
        print(
            f"benchmark: warning: load average {started_load}; times are only fair on an idle machine", file=sys.stderr
        )
    try:
        print(f"benchmark: generating {args.skills} skills × {args.cases} cases in {root}", file=sys.stderr)
        generate(root, args.skills, args.cases, command)
        checked = run_child(skillci("validate", "--root", str(root), "--format", "json"))
        report = json.loads(checked.stdout or "{}")
        if checked.returncode != 0 or report.get("errors") != 0:
            raise failed("skillci validate of the generated registry", checked)

        base = ["bench", "--all", "--root", str(root), "--format", "json"]
        caches = iter(range(1_000_000))

        def fresh_cache() -> str:
            return str(tmp / "caches" / str(next(caches)))

        def cold_runs() -> str:
            """Cold runs at --jobs 1 and 2, alternating; returns the cache directory of the last one."""
            cold: dict[int, list[Run]] = {1: [], 2: []}
            cache = ""
            for _ in range(args.repeat):
                for jobs in (1, 2):
                    cache = fresh_cache()
                    argv = ["--no-record", "--jobs", str(jobs), "--cache-dir", cache]
                    run = run_child(skillci(*base, *argv))
                    check_bench(run, skills=args.skills, cases=args.cases, cached=False)
                    cold[jobs].append(run)
            for jobs, runs in cold.items():
                results[f"cold, --jobs {jobs}"] = stats(runs)
            return cache

        results: dict[str, dict[str, float]] = {}
        print(f"benchmark: cold runs at --jobs 1 and --jobs 2, alternating ({args.repeat} each)", file=sys.stderr)
        last_cold_cache = cold_runs()

        print(f"benchmark: warm re-runs at --jobs 2 ({args.repeat} runs)", file=sys.stderr)
        runs, shares = [], []
        for _ in range(args.repeat):
            run = run_child(skillci(*base, "--no-record", "--jobs", "2", "--cache-dir", last_cold_cache))
            payload = check_bench(run, skills=args.skills, cases=args.cases, cached=None)
            shares.append(sum(1 for result in payload["results"] if result["cached"]) / args.skills)
            runs.append(run)
        results["warm re-run, --jobs 2"] = stats(runs)

        print(f"benchmark: recorded cold runs at --jobs 2 ({args.repeat} runs)", file=sys.stderr)
        database = root / ".skillci" / "skillci.db"
        runs, counts = [], []
        for _ in range(args.repeat):
            for leftover in database.parent.glob("skillci.db*"):
                leftover.unlink()
            synced = run_child(skillci("sync", "--migrate", "--root", str(root), "--format", "json"))
            if synced.returncode != 0:
                raise failed("skillci sync", synced)
            run = run_child(skillci(*base, "--no-cache", "--jobs", "2"))
            check_bench(run, skills=args.skills, cases=args.cases, cached=False)
            counts.append(store_counts(database))
            runs.append(run)
        expected = {"runs": total, "agent_benchmark_results": args.skills}
        if any(count != expected for count in counts):
            raise SystemExit(f"benchmark: the store holds {counts}, expected {expected} after each recorded run")
        results["recorded, --jobs 2, --no-cache"] = stats(runs)

        alone: dict[str, dict[str, float]] = {}
        if not args.no_alone:
            print(f"benchmark: the agent alone, {total} runs ({args.repeat} times each)", file=sys.stderr)
            alone = agent_alone(root, command, args.skills, args.cases, args.repeat)

        cold1, cold2 = results["cold, --jobs 1"], results["cold, --jobs 2"]
        warm, recorded = results["warm re-run, --jobs 2"], results["recorded, --jobs 2, --no-cache"]
        per_run1 = 1000 * (cold1["best_s"] - warm["best_s"]) / total
        per_run2 = 1000 * (cold2["best_s"] - warm["best_s"]) / total
        cpu_per_run = 1000 * (cold2["cpu_s"] - warm["cpu_s"]) / total
        ratios = {
            "speed-up of --jobs 2 over --jobs 1 (best)": cold1["best_s"] / cold2["best_s"],
            "speed-up of --jobs 2 over --jobs 1 (median)": cold1["median_s"] / cold2["median_s"],
            "share of results from the cache on the re-run (lowest)": min(shares),
            "speed-up of the re-run over cold --jobs 2 (best)": cold2["best_s"] / warm["best_s"],
            "speed-up of the re-run over cold --jobs 2 (median)": cold2["median_s"] / warm["median_s"],
            "recording cost, s (recorded minus cold --jobs 2, best)": recorded["best_s"] - cold2["best_s"],
            "recording cost, s (median)": recorded["median_s"] - cold2["median_s"],
            "fixed cost, s (the re-run, best)": warm["best_s"],
            "wall time per run at --jobs 1, ms (cold minus re-run, best)": per_run1,
            "wall time per run at --jobs 2, ms (cold minus re-run, best)": per_run2,
            "speed-up of --jobs 2 over --jobs 1 per run (fixed cost left out)": per_run1 / per_run2,
            "CPU per run at --jobs 2, ms (skillci and agent; cold minus re-run)": cpu_per_run,
        }
        if alone:
            agent_ms = 1000 * alone["subprocess.run, 1 at a time"]["agents_cpu_s"] / total
            ratios["of which the agent, ms (its CPU under subprocess.run)"] = agent_ms
            ratios["of which skillci, ms"] = cpu_per_run - agent_ms
        speedup = ratios["speed-up of --jobs 2 over --jobs 1 (best)"]
        warm_speedup = ratios["speed-up of the re-run over cold --jobs 2 (best)"]
        goals = {
            f"--jobs 2 at least {GOAL_SPEEDUP}× faster than --jobs 1 (best)": speedup >= GOAL_SPEEDUP,
            f"at least {GOAL_CACHED_SHARE:.0%} of results from the cache on an unchanged re-run": min(shares)
            >= GOAL_CACHED_SHARE,
            f"the unchanged re-run at least {GOAL_WARM_SPEEDUP:.0f}× faster than cold --jobs 2 (best)": warm_speedup
            >= GOAL_WARM_SPEEDUP,
        }
        return {
            "skills": args.skills,
            "cases": args.cases,
            "runs_per_bench": total,
            "repeat": args.repeat,
            "agent_command": command,
            "validate": {"errors": report["errors"], "warnings": report["warnings"]},
            "results": results,
            "agent_alone": alone,
            "ratios": ratios,
            "goals": goals,
            "machine": {**machine(), "load average at the start (1, 5, 15 min)": started_load},
        }
    finally:
        if args.keep:
            print(f"benchmark: kept {tmp} (registry in {root})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def print_table(data: dict[str, Any]) -> None:
    print(
        f"{data['skills']} skills × {data['cases']} cases = {data['runs_per_bench']} runs per bench; "
        f"best/median of {data['repeat']} runs; agent: {' '.join(data['agent_command'])}"
    )
    print(f"skillci validate: {data['validate']['errors']} errors, {data['validate']['warnings']} warnings")
    print()
    header = f"| {'skillci bench --all':<32} | {'best s':>7} | {'median s':>8} | {'CPU s':>6} | {'peak RSS MB':>11} |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for name, row in data["results"].items():
        print(
            f"| {name:<32} | {row['best_s']:>7.2f} | {row['median_s']:>8.2f} | {row['cpu_s']:>6.2f} | "
            f"{row['peak_rss_mb']:>11.1f} |"
        )
    print()
    if data["agent_alone"]:
        title = f"the agent alone, {data['runs_per_bench']} runs"
        header = (
            f"| {title:<42} | {'best s':>7} | {'median s':>8} | {'ms per run':>10} | {'CPU s':>6} | "
            f"{'agents CPU s':>12} |"
        )
        print(header)
        print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
        for name, row in data["agent_alone"].items():
            per_run = 1000 * row["best_s"] / data["runs_per_bench"]
            print(
                f"| {name:<42} | {row['best_s']:>7.2f} | {row['median_s']:>8.2f} | {per_run:>10.2f} | "
                f"{row['cpu_s']:>6.2f} | {row['agents_cpu_s']:>12.2f} |"
            )
        print()
    for name, value in data["ratios"].items():
        shown = f"{value:.1%}" if "share" in name else f"{value:.2f}"
        print(f"{name}: {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skills", type=int, default=200, help="number of skills to generate (default 200)")
    parser.add_argument("--cases", type=int, default=5, help="cases per skill (default 5)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; best and median kept (default 5)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the generated registry and print where it is")
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the trivial agent (default: this one; `python` goes through PATH, shims included)",
    )
    parser.add_argument("--site", action="store_true", help="run the agent without -S (site and .pth files imported)")
    parser.add_argument(
        "--agent-wait-ms",
        type=int,
        default=0,
        help="the agent sleeps this long in every run, like one that waits for a model (default 0)",
    )
    parser.add_argument("--no-alone", action="store_true", help="skip timing the agent alone (without skillci bench)")
    args = parser.parse_args(argv)
    if args.skills < 1 or args.cases < 1 or args.repeat < 1:
        parser.error("--skills, --cases and --repeat must be at least 1")
    if args.agent_wait_ms < 0:
        parser.error("--agent-wait-ms must not be negative")
    # The children write no ledger, take the store only from the default, and print JSON whatever CI they are in.
    quiet_children("SKILLCI_STORE", "GITHUB_SHA", "GITHUB_ACTIONS")
    return finish(benchmark(args), as_json=args.json, print_table=print_table)


if __name__ == "__main__":
    sys.exit(main())
