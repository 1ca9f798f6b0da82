"""What the benchmark scripts share: running a child once and measuring it, and summing up repeated runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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
