"""What the benchmark scripts share: running a child once and measuring it, and summing up repeated runs."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1_000_000


@dataclass
class Run:
    """One run of a child: wall-clock and CPU seconds, peak RSS, exit code and output."""

    seconds: float
    cpu_s: float
    rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


def run_child(
    argv: list[str], *, stdin: bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run argv once: wall-clock seconds, CPU seconds and peak RSS of the child and its descendants, output.

    The rusage that `os.wait4` returns covers the child and every descendant it waited for: CPU time is
    added up, the maximum resident set size is the largest of them.
    """
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        given.write(stdin)
        given.seek(0)
        started = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, stdin=given, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            usage.ru_utime + usage.ru_stime,
            rss,
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def failed(what: str, run: Run) -> SystemExit:
    """The exit of a benchmark whose child failed, with the tail of its output."""
    return SystemExit(f"benchmark: {what} failed (exit {run.returncode})\n{run.stdout[-2000:]}{run.stderr[-2000:]}")


def stats(runs: list[Run]) -> dict[str, float]:
    """Best and median seconds, median CPU seconds and the largest peak RSS of repeated runs."""
    seconds = [run.seconds for run in runs]
    return {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "cpu_s": statistics.median(run.cpu_s for run in runs),
        "peak_rss_mb": max(run.rss_bytes for run in runs) / MB,
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def quiet_children(*unset: str) -> None:
    """Make the skillci children this process starts write no ledger and ignore the CI they run in."""
    os.environ["SKILLCI_LEDGER"] = "off"
    for name in unset:
        os.environ.pop(name, None)


def finish(data: dict[str, Any], *, as_json: bool, print_table: Callable[[dict[str, Any]], None]) -> int:
    """Print the figures (JSON, or the table, goals and machine), then each missed goal on stderr; 1 if one is."""
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
        print()
        for goal, met in data["goals"].items():
            print(f"goal: {goal}: {'PASS' if met else 'MISS'}")
        print()
        if "load_average" in data:
            print(
                f"load average: {data['load_average']['start']} at the start, {data['load_average']['end']} at the end"
            )
        for name, value in data["machine"].items():
            print(f"machine: {name}: {value}")
    missed = [goal for goal, met in data["goals"].items() if not met]
    for goal in missed:
        print(f"benchmark: goal missed: {goal}", file=sys.stderr)
    return 1 if missed else 0
