"""`skillci gate` as a user (and pr-checks) runs it: real bench results of the example registry, real CLI."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from helpers.act import commit_all, git
from helpers.cli import Completed, run_skillci
from helpers.registry import copy_example


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example registry's bench results, as `skillci bench --all --out` writes them (run once)."""
    root = _repo(tmp_path_factory.mktemp("gate-bench") / "repo")
    out = root.parent / "bench.json"
    result = run_skillci(
        "bench", "--root", str(root), "--all", "--no-record", "--format", "text", "--out", str(out), timeout=180
    )
    assert result.code == 0, result.output
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def _repo(root: Path) -> Path:
    copy_example(root)
    (root / ".gitignore").write_text(".skillci/\n")
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "base")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _repo(tmp_path / "repo")


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def _gate(root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    return run_skillci("gate", "--root", str(root), *args, env=env, timeout=120)


def _regressed(document: dict[str, Any], skill_id: str, delta: float) -> dict[str, Any]:
    changed = json.loads(json.dumps(document))
    for result in changed["results"]:
        result["baseline_delta"] = 0.5
        if result["skill_id"] == skill_id:
            result["baseline_delta"] = delta
    return changed


def test_the_example_passes_and_every_check_shows_its_number(repo: Path, bench_results: dict[str, Any]) -> None:
    results = _write(repo.parent / "bench.json", bench_results)
    passed = sum(result["cases_passed"] for result in bench_results["results"])
    total = sum(result["cases_total"] for result in bench_results["results"])

    run = _gate(repo, "--results", str(results), "--no-record", "--format", "text")

    assert run.code == 0, run.output
    pct = f"{round(passed * 100 / total, 1):g}"
    assert f"PASS  cases passed: {pct} % ({passed}/{total}) (threshold: ≥ 70 %)" in run.stdout
    assert "PASS  registry valid: 0 errors (threshold: 0 errors)" in run.stdout
    assert "PASS  tier: all 4 at B or better (threshold: B or better)" in run.stdout
    assert re.search(r"triage-flaky-test .* not held  status experimental", run.stdout), run.stdout
    assert "no baseline yet (not compared)" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("skillci gate: PASS — 5 checks held")


def test_a_regressing_skill_fails_the_gate_which_names_it_and_its_numbers(
    repo: Path, bench_results: dict[str, Any]
) -> None:
    results = _write(repo.parent / "bench.json", _regressed(bench_results, "scan-secrets", -8.25))

    run = _gate(repo, "--results", str(results), "--no-record", "--format", "text")

    assert run.code == 1, run.output
    assert (
        "FAIL  regression: 1 regressed; largest change -8.2 (scan-secrets) (threshold: a drop of at most 5 points)"
        in run.stdout
    )
    assert re.search(r"scan-secrets .* fail  composite -8\.2 against the baseline", run.stdout), run.stdout
    assert "skillci gate: FAIL — regression: 1 regressed" in run.stdout
    # A stricter threshold from the environment, as actions/gate passes it.
    stricter = _gate(repo, "--results", str(results), "--no-record", env={"GATE_MAX_REGRESSION": "10"})
    assert stricter.code == 0, stricter.output


def test_the_pass_percentage_threshold_comes_from_the_option_or_the_environment(
    repo: Path, bench_results: dict[str, Any]
) -> None:
    results = _write(repo.parent / "bench.json", bench_results)
    assert _gate(repo, "--results", str(results), "--no-record", env={"GATE_MIN_PASS_PCT": "95"}).code == 1
    run = _gate(repo, "--results", str(results), "--no-record", "--min-pass-pct", "95", "--format", "text")
    assert run.code == 1 and "FAIL  cases passed:" in run.stdout and "(threshold: ≥ 95 %)" in run.stdout


def test_no_results_never_pass(repo: Path, tmp_path: Path) -> None:
    run = _gate(repo, "--no-record", "--format", "text")
    assert (
        run.code == 1 and "FAIL  bench results: no results (threshold: results of `skillci bench --out`)" in run.stdout
    )
    empty_dir = tmp_path / "downloaded"
    empty_dir.mkdir()
    assert _gate(repo, "--results", str(empty_dir), "--no-record").code == 1


def test_a_change_without_benchmarked_skills_passes_and_says_so(repo: Path) -> None:
    results = _write(repo.parent / "bench.json", {"selected": [], "results": []})
    run = _gate(repo, "--results", str(results), "--no-record", "--format", "text")
    assert run.code == 0 and "PASS  bench results: no benchmarked skill changed" in run.stdout


def test_shards_in_a_directory_are_judged_together(repo: Path, bench_results: dict[str, Any]) -> None:
    downloaded = repo.parent / "skillci-bench"
    downloaded.mkdir()
    halves = (bench_results["results"][:2], bench_results["results"][2:])
    for index, half in enumerate(halves, start=1):
        ids = [result["skill_id"] for result in half]
        _write(downloaded / f"skillci-bench-{index}-of-2.json", {"selected": ids, "results": half})
    run = _gate(repo, "--results", str(downloaded), "--no-record", "--format", "json")
    document = json.loads(run.stdout)
    assert run.code == 0 and document["passed"] is True
    assert [skill["skill_id"] for skill in document["skills"]] == [r["skill_id"] for r in bench_results["results"]]
    assert [check["name"] for check in document["checks"]] == [
        "registry valid",
        "bench results",
        "cases passed",
        "tier",
        "regression",
    ]
    assert document["thresholds"] == {"min_pass_pct": 70.0, "min_tier": "B", "max_regression": 5.0}


def test_in_actions_it_writes_the_summary_outputs_and_annotations(repo: Path, bench_results: dict[str, Any]) -> None:
    results = _write(repo.parent / "bench.json", _regressed(bench_results, "fix-lint", -12.0))
    summary, outputs = repo.parent / "summary.md", repo.parent / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}

    run = _gate(repo, "--results", str(results), "--no-record", env=env)

    assert run.code == 1
    assert "::error title=gate%3A regression::1 regressed; largest change -12.0 (fix-lint)" in run.stdout
    text = summary.read_text(encoding="utf-8")
    assert "## ❌ skillci gate: failed" in text
    assert "| skill | tier | score | Δ baseline | cases passed | verdict |" in text
    assert re.search(
        r"\| `fix-lint` \| [AB] \| \d+\.\d \| -12\.0 \| 4/5 \| ❌ fail \(composite -12\.0 against the baseline\) \|",
        text,
    ), text
    lines = outputs.read_text(encoding="utf-8").splitlines()
    assert "passed=false" in lines and any(re.fullmatch(r"pass_pct=\d+(\.\d)?", line) for line in lines)


def test_each_decision_is_recorded_once_with_its_run_link(repo: Path, bench_results: dict[str, Any]) -> None:
    results = _write(repo.parent / "bench.json", bench_results)
    event = _write(repo.parent / "event.json", {"pull_request": {"number": 42, "head": {"sha": "c0ffee" * 6 + "abcd"}}})
    env = {
        "GITHUB_SERVER_URL": "https://github.example.com",
        "GITHUB_REPOSITORY": "acme/agents",
        "GITHUB_RUN_ID": "987654",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_EVENT_PATH": str(event),
    }
    for _ in range(2):  # a re-run of the same step records nothing twice
        run = _gate(repo, "--results", str(results), "--format", "text", env=env)
        assert run.code == 0, run.output
    with sqlite3.connect(repo / ".skillci" / "skillci.db") as conn:
        rows = conn.execute(
            "select passed, thresholds, numbers, commit_sha, pr_number, run_url from gate_results"
        ).fetchall()
    assert len(rows) == 1
    passed, thresholds, numbers, commit, pr_number, run_url = rows[0]
    assert passed in (1, True) and pr_number == 42 and commit == "c0ffee" * 6 + "abcd"
    assert run_url == "https://github.example.com/acme/agents/actions/runs/987654"
    assert json.loads(thresholds) == {"min_pass_pct": 70.0, "min_tier": "B", "max_regression": 5.0}
    recorded = json.loads(numbers)
    assert recorded["cases_total"] == sum(r["cases_total"] for r in bench_results["results"])
    assert recorded["failing_skills"] == [] and recorded["failed_checks"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--min-tier", "S"), "--min-tier 'S' is not a tier of benchmark.yaml (A, B, C, F)"),
        (("--min-pass-pct", "150"), "--min-pass-pct must be between 0 and 100"),
        (
            ("--comment", "always"),
            "--comment always needs a pull request (GITHUB_EVENT_PATH), GITHUB_REPOSITORY, GITHUB_TOKEN",
        ),
    ],
)
def test_bad_invocations_exit_2_with_one_line(
    repo: Path, bench_results: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    results = _write(repo.parent / "bench.json", bench_results)
    run = _gate(repo, "--results", str(results), "--no-record", *args)
    assert run.code == 2, run.output
    assert message in run.stderr and "Traceback" not in run.output


def test_malformed_results_name_the_file_and_line(repo: Path) -> None:
    broken = repo.parent / "bench.json"
    broken.write_text('{"selected": [],\n "results": [,]}\n', encoding="utf-8")
    run = _gate(repo, "--results", str(broken), "--no-record")
    assert run.code == 2 and run.stderr.startswith(f"skillci: error: {broken}:2: not JSON"), run.stderr


def test_from_store_judges_what_the_bench_recorded_for_this_commit(repo: Path) -> None:
    assert run_skillci("sync", "--root", str(repo), "--migrate", "--format", "text").code == 0
    benched = run_skillci("bench", "--root", str(repo), "--all", "--format", "text", timeout=180)
    assert benched.code == 0, benched.output

    run = _gate(repo, "--from-store", "--no-record", "--format", "text")

    assert run.code == 0, run.output
    assert "PASS  bench results: 5 of 5 skills" in run.stdout
    assert "skillci gate: PASS" in run.stdout
    # A new commit nothing was benchmarked at: no result for any skill, and the gate says so.
    (repo / "notes.txt").write_text("a change\n")
    commit_all(repo, "docs: a note")
    later = _gate(repo, "--from-store", "--no-record", "--format", "text")
    assert later.code == 1 and "FAIL  bench results: 0 of 5 skills; none for fix-lint" in later.stdout
    both = _gate(repo, "--from-store", "--results", str(repo), "--no-record")
    assert both.code == 2 and "either --results files or --from-store" in both.stderr
