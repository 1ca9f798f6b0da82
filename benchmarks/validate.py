#!/usr/bin/env python3
"""Benchmark `skillci validate` against `check-jsonschema` on a generated registry.

Generates a valid registry with N skills in a temporary directory (the tools registry, failure modes,
benchmark configuration and runbooks are copied from this repository, so every cross-file check runs),
then times, each as a subprocess and best of --repeat runs:

* `skillci validate --root TMP --format json` (schema and cross-file checks of every registry file);
* `check-jsonschema --schemafile DIR/skills.schema.json TMP/ssot/agents/skills.yaml` (schema only,
  skills.yaml only), with the schema written by `skillci schema export`;
* `skillci --help` start-up (20 runs).

Wall-clock is measured around each child; peak RSS is that child's maximum resident set size, from
`/usr/bin/time -v` when it is there, else from the rusage `os.wait4` returns for the child.

Usage: python benchmarks/validate.py [--skills N] [--repeat R] [--json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPIED = (
    "ssot/tools/registry.yaml",
    "ssot/errors/failure_modes.yaml",
    "ssot/agents/benchmark.yaml",
    "docs/runbooks",
)
SKILLS_FILE = "ssot/agents/skills.yaml"
GNU_TIME = Path("/usr/bin/time")
HELP_RUNS = 20
GOAL_HELP_MS = 150.0
MB = 1_000_000

EXECUTORS = ("local", "subprocess", "docker", "github_actions", "codex", "claude_code")
STATES = ("PLAN", "PATCH", "VERIFY", "PR", "MONITOR")
STATUSES = ("active", "active", "active", "experimental", "deprecated")
OWNERS = ("platform-team", "quality-team", "sre-team", "security-team", "data-team", "devex-team", "ml-team")
TAGS = (
    "python",
    "lint",
    "testing",
    "dependencies",
    "ops",
    "security",
    "docs",
    "ci",
    "refactor",
    "release",
    "infra",
    "typescript",
    "go",
    "rust",
    "database",
    "performance",
)
VERBS = ("Fix", "Triage", "Bump", "Summarize", "Refactor", "Document", "Audit", "Migrate", "Review", "Harden")
OBJECTS = (
    "lint errors",
    "a flaky test",
    "a dependency",
    "an incident",
    "a module",
    "the changelog",
    "a Dockerfile",
    "a database migration",
    "a pull request",
    "the CI workflow",
    "a slow query",
    "the release notes",
)
DETAILS = (
    "Reads the failing job's log and patches the offending lines.",
    "Re-runs the failing step, classifies the failure and files the verdict.",
    "Updates the lock file and proves the tests still pass.",
    "Drafts a summary from the alert timeline for a human to review.",
    "Keeps the public interface unchanged and adds a regression test.",
    "Opens a pull request with the change and a short rationale.",
    "Works on the checked-out working copy only; never pushes.",
)


# --------------------------------------------------------------------------- registry generation


def _skill(index: int, rng: random.Random) -> str:
    skill_id = f"skill-{index:05d}"
    verb, obj = rng.choice(VERBS), rng.choice(OBJECTS)
    description = " ".join(rng.sample(DETAILS, rng.randint(1, 3)))
    # An ordered, non-empty subsequence of the configured states.
    machine = [state for state in STATES if rng.random() < 0.6] or [rng.choice(STATES)]
    tags = rng.sample(TAGS, rng.randint(0, 4))
    tools = "[__none__]" if rng.random() < 0.2 else "[git]"
    lines = [
        f"  - id: {skill_id}",
        f"    name: {verb} {obj} ({index})",
        f"    description: {description}",
        f"    executor: {rng.choice(EXECUTORS)}",
        f"    max_duration_s: {rng.choice((60, 120, 300, 600, 900, 1200, 1800, 3600))}",
    ]
    if tags:
        lines.append(f"    tags: [{', '.join(tags)}]")
    lines += [
        f"    state_machine: [{', '.join(machine)}]",
        f"    owner: {rng.choice(OWNERS)}",
        f"    status: {rng.choice(STATUSES)}",
        f"    allowed_tools: {tools}",
        "    security:",
        "      path_traversal_guard: true",
        f"      symlink_guard: {'true' if rng.random() < 0.9 else 'false'}",
        "      metadata_escaping: true",
        f"      max_skill_body_bytes: {rng.choice((16384, 32768, 65536))}",
    ]
    if rng.random() < 0.3:  # a benchmark block without cases: cross-checks run, no cases file needed
        lines += [
            "    benchmark:",
            f"      command: [python, agents/{skill_id}/run.py]",
            f'      paths: ["agents/{skill_id}/**"]',
            f"      repeat: {rng.randint(1, 5)}",
        ]
    return "\n".join(lines)


def generate(root: Path, count: int, seed: int) -> Path:
    """Write a registry with count skills under root; returns the skills file."""
    for relative in COPIED:
        source, target = REPO / relative, root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    rng = random.Random(seed)
    header = (
        "# yaml-language-server: $schema=../schemas/skills.schema.json\n"
        'meta:\n  schema_version: 1\n  updated_at: "2026-11-21"\n\nskills:\n'
    )
    skills = root / SKILLS_FILE
    skills.parent.mkdir(parents=True, exist_ok=True)
    skills.write_text(header + "\n\n".join(_skill(i, rng) for i in range(count)) + "\n", encoding="utf-8")
    return skills


# --------------------------------------------------------------------------- measuring children


def executable(name: str) -> str:
    """The real entry point: next to this interpreter first (skips pyenv-style shims), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"benchmark: {name!r} not found; install the test extras (pip install -e '.[test]')")
    return found


@dataclass
class Run:
    seconds: float
    rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


def run_child(argv: list[str], *, measure_rss: bool = True) -> Run:
    """Run argv once: wall-clock seconds, peak RSS of the child, exit code and output."""
    use_time = measure_rss and GNU_TIME.is_file()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as report:
        command = [str(GNU_TIME), "-v", "-o", report.name, *argv] if use_time else argv
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        # ru_maxrss covers the waited-for child and its reaped descendants: KiB on Linux, bytes on macOS.
        rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        if use_time:
            for line in Path(report.name).read_text(encoding="utf-8", errors="replace").splitlines():
                if "Maximum resident set size" in line:
                    rss = int(line.rsplit(":", 1)[1]) * 1024
        out.seek(0)
        err.seek(0)
        return Run(seconds, rss, child.returncode, out.read().decode(errors="replace"), err.read().decode())


def _check_skillci(run: Run) -> None:
    try:
        payload = json.loads(run.stdout)
    except json.JSONDecodeError:
        payload = None
    if run.returncode != 0 or not isinstance(payload, dict) or payload.get("errors") != 0:
        findings = payload.get("findings", [])[:5] if isinstance(payload, dict) else []
        raise SystemExit(
            f"benchmark: skillci validate did not pass the generated registry (exit {run.returncode})\n"
            f"{json.dumps(findings, indent=2)}\n{run.stdout[:2000]}{run.stderr[-2000:]}"
        )


def _check_plain(name: str, run: Run) -> None:
    if run.returncode != 0:
        raise SystemExit(f"benchmark: {name} failed (exit {run.returncode})\n{run.stdout[-2000:]}{run.stderr[-2000:]}")


def measure(argv: list[str], repeat: int, check: Callable[[Run], None]) -> tuple[dict[str, float], Run]:
    runs = []
    for _ in range(repeat):
        run = run_child(argv)
        check(run)
        runs.append(run)
    seconds = [run.seconds for run in runs]
    stats = {
        "best_s": min(seconds),
        "median_s": statistics.median(seconds),
        "peak_rss_mb": max(run.rss_bytes for run in runs) / MB,
    }
    return stats, runs[-1]


# --------------------------------------------------------------------------- main


def machine() -> dict[str, object]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def benchmark(count: int, repeat: int, seed: int, keep: bool) -> dict[str, object]:
    skillci, checker = executable("skillci"), executable("check-jsonschema")
    tmp = Path(tempfile.mkdtemp(prefix="skillci-bench-"))
    try:
        print(f"benchmark: generating {count} skills in {tmp}", file=sys.stderr)
        skills = generate(tmp, count, seed)
        schemas = tmp / "exported-schemas"
        exported = run_child([skillci, "schema", "export", str(schemas), "--root", str(tmp)], measure_rss=False)
        _check_plain("skillci schema export", exported)

        print(f"benchmark: timing skillci validate ({repeat} runs)", file=sys.stderr)
        skillci_argv = [skillci, "validate", "--root", str(tmp), "--format", "json"]
        skillci_stats, last = measure(skillci_argv, repeat, _check_skillci)
        report = json.loads(last.stdout)
        print(f"benchmark: timing check-jsonschema ({repeat} runs)", file=sys.stderr)
        checker_argv = [checker, "--schemafile", str(schemas / "skills.schema.json"), str(skills)]
        checker_stats, _ = measure(checker_argv, repeat, lambda run: _check_plain("check-jsonschema", run))

        print(f"benchmark: timing skillci --help ({HELP_RUNS} runs)", file=sys.stderr)
        help_ms = []
        for _ in range(HELP_RUNS):
            run = run_child([skillci, "--help"], measure_rss=False)
            _check_plain("skillci --help", run)
            help_ms.append(run.seconds * 1000)

        ratio = skillci_stats["best_s"] / checker_stats["best_s"]
        size = skills.stat().st_size
        return {
            "skills": count,
            "repeat": repeat,
            "seed": seed,
            "file_mb": size / MB,
            "file_bytes": size,
            "skillci_findings": {"errors": report["errors"], "warnings": report["warnings"]},
            "rss_source": "/usr/bin/time -v" if GNU_TIME.is_file() else "os.wait4 rusage",
            "results": {"skillci validate": skillci_stats, "check-jsonschema": checker_stats},
            "ratio_skillci_over_check_jsonschema": ratio,
            "help_ms": {"best": min(help_ms), "median": statistics.median(help_ms), "runs": HELP_RUNS},
            "goals": {
                "skillci no slower than check-jsonschema": ratio <= 1.0,
                f"skillci --help under {GOAL_HELP_MS:.0f} ms": min(help_ms) < GOAL_HELP_MS,
            },
            "machine": machine(),
        }
    finally:
        if keep:
            print(f"benchmark: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def print_table(data: dict[str, object]) -> None:
    results: dict[str, dict[str, float]] = data["results"]  # type: ignore[assignment]
    findings: dict[str, int] = data["skillci_findings"]  # type: ignore[assignment]
    help_ms: dict[str, float] = data["help_ms"]  # type: ignore[assignment]
    goals: dict[str, bool] = data["goals"]  # type: ignore[assignment]
    print(
        f"{data['skills']} skills, skills.yaml {data['file_mb']:.2f} MB, best/median of {data['repeat']} runs, "
        f"peak RSS via {data['rss_source']}"
    )
    print(f"skillci validate: {findings['errors']} errors, {findings['warnings']} warnings")
    print()
    header = f"| {'tool':<18} | {'best s':>7} | {'median s':>8} | {'peak RSS MB':>11} | {'file MB':>7} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for name, stats in results.items():
        print(
            f"| {name:<18} | {stats['best_s']:>7.2f} | {stats['median_s']:>8.2f} | "
            f"{stats['peak_rss_mb']:>11.1f} | {data['file_mb']:>7.2f} |"
        )
    print()
    print(f"ratio skillci / check-jsonschema (best): {data['ratio_skillci_over_check_jsonschema']:.2f}")
    print(f"skillci --help: best {help_ms['best']:.0f} ms, median {help_ms['median']:.0f} ms ({help_ms['runs']} runs)")
    for goal, met in goals.items():
        print(f"goal: {goal}: {'PASS' if met else 'MISS'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skills", type=int, default=10_000, help="number of skills to generate (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best and median are kept (default 3)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated registry (default 42)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the generated registry and print where it is")
    args = parser.parse_args(argv)
    if args.skills < 1 or args.repeat < 1:
        parser.error("--skills and --repeat must be at least 1")
    data = benchmark(args.skills, args.repeat, args.seed, args.keep)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_table(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
