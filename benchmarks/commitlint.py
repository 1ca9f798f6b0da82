#!/usr/bin/env python3
"""Benchmark `skillci commitlint` against the reference `@commitlint/cli` on a range of 1,000 commits.

Builds, in a temporary directory, a git repository with a root commit then N commits (default 1,000) whose
messages cycle through tests/data/commitlint/corpus.json (realistic messages, valid and invalid), each made
with `git commit --allow-empty --cleanup=verbatim -F -`, so the stored messages are the corpus's bytes, then
packed with `git gc` as a cloned repository is (both tools read it with `git log`). Then
it times, each run as a subprocess, wall clock with start-up included, best and median of --repeat runs (the
two tools alternate):

* range: `skillci commitlint --root REPO --from BASE --to HEAD --format json` (the console script installed
  beside this Python, as users and the actions run it; `python -m skillci` when there is none) against
  `node node_modules/@commitlint/cli/cli.js --config tests/data/commitlint/commitlint.config.mjs
  --format tests/data/commitlint/json-format.mjs --cwd REPO --from BASE --to HEAD` (config-conventional; the
  parity test's formatter writes every result as JSON to a file, since the CLI's stdout is cut short when it
  exits with an error). Both exit 1, because some messages are invalid: the script checks that both wrote
  N results, exited 1 exactly when a result is invalid, and agree on the number of invalid commits;
* one message: `skillci commitlint --message "feat: x"` against the same commitlint command with the message
  on stdin (no --from). Both exit 0 with one valid result. Start-up dominates here.

CPU time is the child's and its descendants' (the rusage os.wait4 returns; commitlint runs git, as does
skillci); peak RSS is the largest process's.

The goal: skillci at least 5× faster than @commitlint/cli on the range (best times). The script exits 1
when it is missed.

Usage: python benchmarks/commitlint.py [--commits N] [--repeat R] [--json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from measuring import Run, failed, finish, load_average, quiet_children, run_child, stats

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "commitlint"
CORPUS = DATA / "corpus.json"
CONFIG = DATA / "commitlint.config.mjs"
FORMATTER = DATA / "json-format.mjs"
CLI = REPO / "node_modules" / "@commitlint" / "cli" / "cli.js"
GOAL_SPEEDUP = 5.0
SINGLE_MESSAGE = "feat: x"


# --------------------------------------------------------------------------- the repository


def _git(repo: Path, *args: str, input_bytes: bytes | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    result = subprocess.run(["git", *args], cwd=repo, input=input_bytes, capture_output=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"benchmark: git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode()


def build_repository(repo: Path, messages: list[str]) -> str:
    """A git repository with a root commit, then one empty commit per message; the root's hash."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    for key, value in (
        ("user.name", "Benchmark"),
        ("user.email", "benchmark@example.invalid"),
        ("commit.gpgsign", "false"),
    ):
        _git(repo, "config", key, value)
    _git(repo, "commit", "-q", "--allow-empty", "-m", "chore: root")
    root = _git(repo, "rev-parse", "HEAD").strip()
    for message in messages:
        _git(
            repo,
            "commit",
            "-q",
            "--allow-empty",
            "--allow-empty-message",
            "--no-verify",
            "--cleanup=verbatim",
            "-F",
            "-",
            input_bytes=message.encode("utf-8"),
        )
    _git(repo, "gc", "--quiet")  # packed, as a clone is: 1,000 loose objects would make every `git log` 3× slower
    return root


# --------------------------------------------------------------------------- measuring


class Tools:
    """The two command lines, and the checks of what each run printed."""

    def __init__(self, repo: Path, work: Path, node: str) -> None:
        self.repo = repo
        self.node = node
        self.out = work / "commitlint.json"
        self.env = {**os.environ, "COMMITLINT_JSON_OUT": str(self.out)}

    def skillci(self, *args: str) -> list[str]:
        script = Path(sys.executable).with_name("skillci")
        command = [str(script)] if script.is_file() else [sys.executable, "-m", "skillci"]
        return [*command, "commitlint", "--root", str(self.repo), "--format", "json", *args]

    def commitlint(self, *args: str) -> list[str]:
        return [
            self.node,
            str(CLI),
            "--config",
            str(CONFIG),
            "--format",
            str(FORMATTER),
            "--cwd",
            str(self.repo),
            *args,
        ]

    def run_skillci(self, args: list[str], *, expect_results: int) -> tuple[Run, int]:
        """One skillci run, checked; (run, invalid results)."""
        run = run_child(self.skillci(*args), cwd=REPO, env=self.env)
        try:
            results = json.loads(run.stdout)["results"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise failed("skillci commitlint (no JSON results on stdout)", run) from None
        bad = sum(1 for result in results if not result["valid"])
        if run.returncode != (1 if bad else 0) or len(results) != expect_results:
            raise failed(f"skillci commitlint (expected {expect_results} results, exit 1 if any is invalid)", run)
        return run, bad

    def run_commitlint(self, args: list[str], *, stdin: bytes = b"", expect_results: int) -> tuple[Run, int]:
        """One @commitlint/cli run, checked; (run, invalid results)."""
        self.out.unlink(missing_ok=True)
        run = run_child(self.commitlint(*args), stdin=stdin, cwd=REPO, env=self.env)
        try:
            results = json.loads(self.out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise failed("@commitlint/cli (no JSON results written)", run) from None
        bad = sum(1 for result in results if not result["valid"])
        if run.returncode != (1 if bad else 0) or len(results) != expect_results:
            raise failed(f"@commitlint/cli (expected {expect_results} results, exit 1 if any is invalid)", run)
        return run, bad


def measure(tools: Tools, base: str, commits: int, repeat: int) -> dict[str, Any]:
    """Both tools on the range and on one message, alternating; the statistics and the invalid counts."""
    span = ["--from", base, "--to", "HEAD"]
    one = SINGLE_MESSAGE.encode() + b"\n"
    runs: dict[str, list[Run]] = {
        name: [] for name in ("range skillci", "range commitlint", "one skillci", "one commitlint")
    }
    invalid: dict[str, set[int]] = {"skillci": set(), "commitlint": set()}
    for _ in range(repeat):
        run, bad = tools.run_skillci(span, expect_results=commits)
        runs["range skillci"].append(run)
        invalid["skillci"].add(bad)
        run, bad = tools.run_commitlint(span, expect_results=commits)
        runs["range commitlint"].append(run)
        invalid["commitlint"].add(bad)
    for _ in range(repeat):
        run, bad = tools.run_skillci(["--message", SINGLE_MESSAGE], expect_results=1)
        runs["one skillci"].append(run)
        run, bad2 = tools.run_commitlint([], stdin=one, expect_results=1)
        runs["one commitlint"].append(run)
        if bad or bad2:
            raise SystemExit(f"benchmark: {SINGLE_MESSAGE!r} was reported invalid")
    if len(invalid["skillci"]) != 1 or invalid["skillci"] != invalid["commitlint"]:
        raise SystemExit(f"benchmark: the tools disagree on the number of invalid commits: {invalid}")
    return {"runs": {name: stats(group) for name, group in runs.items()}, "invalid": invalid["skillci"].pop()}


# --------------------------------------------------------------------------- reporting


def _version(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


def machine(node: str) -> dict[str, object]:
    import skillci

    cli_package = json.loads((CLI.parent / "package.json").read_text(encoding="utf-8"))
    conventional = REPO / "node_modules" / "@commitlint" / "config-conventional" / "package.json"
    return {
        "cpus (sched_getaffinity)": len(os.sched_getaffinity(0)),
        "nproc": os.cpu_count(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "system": f"{platform.system()} {platform.release()}",
        "skillci": skillci.__version__,
        "node": _version([node, "--version"]),
        "@commitlint/cli": cli_package["version"],
        "@commitlint/config-conventional": json.loads(conventional.read_text(encoding="utf-8"))["version"],
        "git": _version(["git", "--version"]),
    }


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("benchmark: node is not installed (it runs the reference @commitlint/cli)")
    if not CLI.is_file():
        raise SystemExit(f"benchmark: {CLI.relative_to(REPO)} is missing: run npm ci at the repository root")
    corpus = [item["message"] for item in json.loads(CORPUS.read_text(encoding="utf-8"))]
    messages = [corpus[index % len(corpus)] for index in range(args.commits)]
    tmp = Path(tempfile.mkdtemp(prefix="skillci-commitlint-bench-"))
    repo = tmp / "repo"
    started_load = load_average()
    if os.getloadavg()[0] >= 1:
        print(
            f"benchmark: warning: load average {started_load}; times are only fair on an idle machine", file=sys.stderr
        )
    try:
        print(f"benchmark: building {args.commits} commits in {repo}", file=sys.stderr)
        started = time.perf_counter()
        base = build_repository(repo, messages)
        built_s = time.perf_counter() - started
        measured = measure(Tools(repo, tmp, node), base, args.commits, args.repeat)
    finally:
        if args.keep:
            print(f"benchmark: kept {tmp} (repository in {repo})", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    runs = measured["runs"]
    speedup = runs["range commitlint"]["best_s"] / runs["range skillci"]["best_s"]
    return {
        "commits": args.commits,
        "corpus_messages": len(corpus),
        "invalid_commits": measured["invalid"],
        "repeat": args.repeat,
        "build_s": built_s,
        "results": runs,
        "ratios": {
            "speed-up on the range (commitlint / skillci, best)": speedup,
            "speed-up on the range (commitlint / skillci, median)": runs["range commitlint"]["median_s"]
            / runs["range skillci"]["median_s"],
            "speed-up on one message (commitlint / skillci, best)": runs["one commitlint"]["best_s"]
            / runs["one skillci"]["best_s"],
        },
        "goals": {f"skillci at least {GOAL_SPEEDUP:g}× faster than @commitlint/cli": speedup >= GOAL_SPEEDUP},
        "load_average": {"start": started_load, "end": load_average()},
        "machine": machine(node),
    }


def _table(title: str, rows: dict[str, dict[str, float]]) -> None:
    header = f"| {title:<40} | {'best s':>7} | {'median s':>8} | {'CPU s':>6} | {'peak RSS MB':>11} |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for name, row in rows.items():
        print(
            f"| {name:<40} | {row['best_s']:>7.3f} | {row['median_s']:>8.3f} | {row['cpu_s']:>6.3f} | "
            f"{row['peak_rss_mb']:>11.1f} |"
        )
    print()


def print_table(data: dict[str, Any]) -> None:
    runs = data["results"]
    print(
        f"{data['commits']} commits (messages cycled from {data['corpus_messages']} corpus messages), "
        f"{data['invalid_commits']} invalid by both tools; best/median of {data['repeat']} runs; "
        f"repository built in {data['build_s']:.1f} s"
    )
    print()
    _table(
        f"{data['commits']} commits, --from BASE --to HEAD",
        {"skillci commitlint": runs["range skillci"], "@commitlint/cli": runs["range commitlint"]},
    )
    _table(
        f"one message ({SINGLE_MESSAGE!r})",
        {"skillci commitlint --message": runs["one skillci"], "@commitlint/cli, stdin": runs["one commitlint"]},
    )
    for name, value in data["ratios"].items():
        print(f"{name}: {value:.2f}×")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=1000, help="commits in the range (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; best and median kept (default 5)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the generated repository and print where it is")
    args = parser.parse_args(argv)
    if args.commits < 1 or args.repeat < 1:
        parser.error("--commits and --repeat must be at least 1")
    # The children write no ledger and print JSON whatever CI they are in.
    quiet_children("SKILLCI_STORE", "GITHUB_SHA", "GITHUB_ACTIONS", "GITHUB_EVENT_PATH")
    return finish(benchmark(args), as_json=args.json, print_table=print_table)


if __name__ == "__main__":
    sys.exit(main())
