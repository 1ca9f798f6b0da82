"""`skillci bench` and `skillci bench plan` as a user runs them, on a copy of the example registry in git."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpers import REPO_ROOT
from helpers.act import commit_all, git
from helpers.cli import Completed, run_skillci
from helpers.processes import alive
from helpers.registry import copy_example, line_of, replace_in
from skillci.registry.load import load_registry
from skillci.sync.plan import desired_state

RESULT_KEYS = [
    "skill_id",
    "composite_score",
    "tier",
    "cases_passed",
    "cases_total",
    "cached",
    "metrics",
    "missing_metrics",
    "baseline_delta",
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "repo")
    (root / ".gitignore").write_text(".skillci/\n")
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "base")
    git("checkout", "-q", "-b", "feature", cwd=root)
    return root


def _bench(root: Path, *args: str, env: dict[str, str] | None = None) -> Completed:
    return run_skillci("bench", "--root", str(root), *args, env=env, timeout=120)


def _json(result: Completed) -> dict[str, Any]:
    assert result.code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _benchmarked(root: Path) -> list[str]:
    skills = desired_state(load_registry(root).data)["skills"]
    return [skill_id for skill_id, spec in skills.items() if "benchmark" in spec]


def _rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(root / ".skillci" / "skillci.db") as conn:
        return conn.execute(sql).fetchall()


def test_a_change_benchmarks_only_the_skill_it_touches_in_the_documented_shape(repo: Path) -> None:
    replace_in(repo / "ssot" / "agents" / "skills.yaml", "max_duration_s: 600", "max_duration_s: 500")
    commit_all(repo, "fix-lint: tighter budget")

    document = _json(_bench(repo, "--base", "main", "--format", "json", "--no-record"))

    assert list(document) == ["selected", "results"]
    assert document["selected"] == ["fix-lint"]
    [result] = document["results"]
    assert list(result) == RESULT_KEYS
    assert result["skill_id"] == "fix-lint" and result["cached"] is False and result["baseline_delta"] is None
    assert 0 <= result["cases_passed"] < result["cases_total"]  # the example keeps a failing case for the gate
    assert 0 <= result["composite_score"] <= 100 and result["tier"] in ("A", "B", "C", "F")
    assert set(result["metrics"]) | set(result["missing_metrics"]) == {
        "ci_attempts",
        "pass_rate",
        "diff_size",
        "time_to_green",
    }


def test_no_change_benchmarks_nothing_and_says_so(repo: Path) -> None:
    result = _bench(repo, "--base", "main", "--no-record")
    assert result.code == 0, result.output
    assert "skillci bench: no skill to benchmark" in result.stdout
    assert _json(_bench(repo, "--base", "main", "--format", "json", "--no-record")) == {"selected": [], "results": []}


def test_an_unchanged_rerun_comes_from_the_cache_until_an_input_changes(repo: Path) -> None:
    first = _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record"))
    second = _bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record")
    again = _json(second)

    assert first["results"][0]["cached"] is False and again["results"][0]["cached"] is True
    assert {k: v for k, v in again["results"][0].items() if k != "cached"} == {
        k: v for k, v in first["results"][0].items() if k != "cached"
    }
    assert "cached fix-lint" in second.stderr and "run 1/1" not in second.stderr

    cases = repo / "ssot" / "benchmarks" / "fix-lint.yaml"
    cases.write_text(cases.read_text(encoding="utf-8") + "\n# a comment does not change the cases\n")
    assert _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record"))["results"][0]["cached"]
    replace_in(repo / "ssot" / "agents" / "skills.yaml", "max_duration_s: 600", "max_duration_s: 601")
    changed = _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record"))
    assert changed["results"][0]["cached"] is False
    no_cache = _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record", "--no-cache"))
    assert no_cache["results"][0]["cached"] is False


def test_registry_files_parsed_once_never_hide_a_later_error(repo: Path) -> None:
    assert _bench(repo, "--skill", "fix-lint", "--no-record").code == 0
    assert (repo / ".skillci" / "cache" / "registry.json").is_file(), "the parse memo was not written"
    skills = repo / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "state_machine: [PLAN, PATCH, VERIFY, PR]\n", "state_machine: [PLAN, VERIFY, PR]\n")
    result = _bench(repo, "--skill", "fix-lint", "--no-record")
    cases = repo / "ssot" / "benchmarks" / "fix-lint.yaml"
    where = f"ssot/benchmarks/fix-lint.yaml:{line_of(cases, 'states: [PLAN, PATCH')}:"
    assert result.code == 2 and result.stderr.startswith(f"skillci: error: {where}"), result.stderr


def test_out_writes_the_same_json_the_json_format_prints(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "results" / "bench.json"
    printed = _json(_bench(repo, "--all", "--format", "json", "--no-record", "--out", str(out)))
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert printed["selected"] == _benchmarked(repo)


def _agent(root: Path, name: str, body: str) -> str:
    path = root / "agents" / f"{name}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text("import json, os, sys\ncase = json.load(sys.stdin)\n" + body, encoding="utf-8")
    return f"agents/{name}.py"


def _use_command(root: Path, skill_line: str, command: str, repeat: int | None = None) -> None:
    skills = root / "ssot" / "agents" / "skills.yaml"
    text = skills.read_text(encoding="utf-8")
    start = text.index(f"  - id: {skill_line}")
    head, tail = text[:start], text[start:]
    old = tail[tail.index("      command:") :].split("\n", 1)[0]
    tail = tail.replace(old, f"      command: {command}", 1)
    if repeat is not None:
        old_repeat = tail[tail.index("      repeat:") :].split("\n", 1)[0]
        tail = tail.replace(old_repeat, f"      repeat: {repeat}", 1)
    skills.write_text(head + tail, encoding="utf-8")


def test_a_skill_that_cannot_start_is_a_failed_run_and_is_not_cached(repo: Path) -> None:
    _use_command(repo, "fix-lint", "[no-such-agent-binary-xyz]")

    first = _bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record")
    document = _json(first)

    [result] = document["results"]
    assert result["cases_passed"] == 0 and result["cases_total"] > 0
    assert result["metrics"]["pass_rate"] == 0.0
    assert "AGENT.CRASH: cannot start no-such-agent-binary-xyz" in first.stderr
    assert (
        _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-record"))["results"][0]["cached"] is False
    )


def test_repeat_reports_each_cases_pass_rate(repo: Path) -> None:
    agent = _agent(
        repo,
        "flaky",
        "counter = os.path.join(os.environ['COUNTER_DIR'], os.environ['SKILLCI_CASE_ID'])\n"
        "runs = int(open(counter).read()) if os.path.exists(counter) else 0\n"
        "open(counter, 'w').write(str(runs + 1))\n"
        "print(json.dumps({'event': 'result', 'output': 'wrong' if runs % 2 else case, 'changed_lines': 1}))\n",
    )
    _use_command(repo, "bump-dependency", f"[python, {agent}]", repeat=2)
    (repo / "ssot" / "benchmarks" / "bump-dependency.yaml").write_text(
        "cases:\n"
        "  - {id: steady, input: {n: 1}, expect: [{equals: {n: 1}}]}\n"
        "  - {id: wobbly, input: {n: 2}, expect: [{equals: {n: 2}}]}\n",
        encoding="utf-8",
    )
    counters = repo.parent / "counters"
    counters.mkdir()
    env = {"COUNTER_DIR": str(counters)}
    (repo / "skillci.yaml").write_text("bench:\n  agent_env: [COUNTER_DIR]\n")  # agents get it on purpose

    markdown = _bench(repo, "--skill", "bump-dependency", "--format", "markdown", "--no-record", "--jobs", "1", env=env)

    assert markdown.code == 0, markdown.output
    assert "| skill | tier | score | Δ baseline | cases passed | cached |" in markdown.stdout
    assert "`bump-dependency/steady` (1/2 runs): run 2: BENCH.ASSERTION_FAILED" in markdown.stdout
    assert "`bump-dependency/wobbly` (1/2 runs): run 2: BENCH.ASSERTION_FAILED" in markdown.stdout
    assert "| 0/2 | no |" in markdown.stdout


def test_runs_and_results_are_recorded_and_a_feature_branch_is_no_baseline(repo: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(repo)).code == 0
    first = _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-cache"))
    second = _json(_bench(repo, "--skill", "fix-lint", "--format", "json", "--no-cache"))

    assert first["results"][0]["baseline_delta"] is None
    assert second["results"][0]["baseline_delta"] is None  # only the default branch (main) makes baselines
    cases = first["results"][0]["cases_total"]
    assert _rows(repo, "select source, count(*) from runs group by source") == [("bench", 2 * cases)]
    results = _rows(repo, "select skill_id, branch, composite_score from agent_benchmark_results")
    assert results == [("fix-lint", "feature", first["results"][0]["composite_score"])] * 2
    failed = _rows(repo, "select distinct failure_code from runs where status = 'failed'")
    assert failed == [("BENCH.ASSERTION_FAILED",)]
    assert _rows(repo, "select count(*) from run_events")[0][0] > 0


def test_the_baseline_comes_from_the_default_branch(repo: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(repo)).code == 0
    git("checkout", "-q", "main", cwd=repo)
    on_main = _json(_bench(repo, "--skill", "fix-lint", "--format", "json"))
    git("checkout", "-q", "feature", cwd=repo)
    _use_command(repo, "fix-lint", "[no-such-agent-binary-xyz]")
    regressed = _json(_bench(repo, "--skill", "fix-lint", "--format", "json"))

    before = on_main["results"][0]["composite_score"]
    after = regressed["results"][0]
    assert after["baseline_delta"] is not None and after["baseline_delta"] < 0
    if after["composite_score"] is not None:
        assert after["baseline_delta"] == round(after["composite_score"] - before, 2)


def test_skills_the_store_does_not_know_are_named_not_silently_dropped(repo: Path) -> None:
    result = _bench(repo, "--skill", "fix-lint")
    assert result.code == 0, result.output
    assert "1 skill not in the store" in result.stdout and "fix-lint" in result.stdout


def test_plan_shards_cover_the_selection_once(repo: Path) -> None:
    plan = run_skillci("bench", "plan", "--root", str(repo), "--all", "--shards", "2", "--shard-size", "1")
    document = _json(plan)
    shards = [entry["shard"] for entry in document["include"]]
    assert shards == ["1/2", "2/2"]

    seen: list[str] = []
    for shard in shards:
        part = _json(_bench(repo, "--all", "--shard", shard, "--format", "json", "--no-record"))
        planned = next(entry for entry in document["include"] if entry["shard"] == shard)
        assert part["selected"] == planned["skills"].split()
        seen += part["selected"]
    assert sorted(seen) == sorted(_benchmarked(repo))


def test_a_small_selection_is_not_split(repo: Path) -> None:
    document = _json(run_skillci("bench", "plan", "--root", str(repo), "--skill", "fix-lint", "--shards", "4"))
    [entry] = document["include"]
    assert entry == {"shard": "1/1", "skills": "fix-lint", "runs": 5, "artifact": "skillci-bench-1-of-1"}


def test_github_format_folds_each_skill_and_writes_the_summary_and_outputs(repo: Path, tmp_path: Path) -> None:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}

    result = _bench(repo, "--skill", "fix-lint", "--no-record", env=env)

    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::group::bench fix-lint: "))
    end = lines.index("::endgroup::", start)
    assert all(line.startswith(("pass ", "FAIL ")) for line in lines[start + 1 : end])
    assert any(line.startswith("::warning title=bench fix-lint/") for line in lines)
    assert "| `fix-lint` |" in summary.read_text(encoding="utf-8")
    written = outputs.read_text(encoding="utf-8")
    assert "selected=fix-lint" in written and "cases_total=" in written


def test_from_store_scores_production_runs_with_the_same_scorer(repo: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(repo)).code == 0
    now = datetime.now(UTC)
    reports = [
        {
            "idempotency_key": f"prod-{index}",
            "skill_id": "fix-lint",
            "status": "succeeded" if index < 3 else "failed",
            "finished_at": (now - timedelta(days=1)).isoformat(),
            "ci_attempts": 1,
            "changed_lines": 10,
            "time_to_green_s": 30,
        }
        for index in range(4)
    ]
    old = {**reports[0], "idempotency_key": "prod-old", "finished_at": (now - timedelta(days=30)).isoformat()}
    recorded = run_skillci("runs", "record", "--root", str(repo), stdin=json.dumps([*reports, old]))
    assert recorded.code == 0, recorded.output

    document = _json(_bench(repo, "--from-store", "--since", "7d", "--skill", "fix-lint", "--format", "json"))

    [result] = document["results"]
    assert (result["cases_passed"], result["cases_total"]) == (3, 4)
    assert result["metrics"]["ci_attempts"] == 1.0 and result["metrics"]["diff_size"] == 0.95
    assert result["missing_metrics"] == [] and result["baseline_delta"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "say what to benchmark"),
        (("--all", "--shard", "3/2"), "--shard '3/2'"),
        (("--all", "--jobs", "0"), "--jobs must be at least 1"),
        (("--skill", "no-such-skill"), "no such skill"),
        (("--from-store", "--since", "yesterday"), "--since 'yesterday'"),
    ],
)
def test_bad_invocations_exit_2_with_one_line(repo: Path, args: tuple[str, ...], message: str) -> None:
    result = _bench(repo, *args)
    assert result.code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_an_explicit_store_without_schema_is_refused(repo: Path, tmp_path: Path) -> None:
    result = _bench(repo, "--all", "--store", f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.code == 2 and "has no schema: run `skillci db migrate` first" in result.stderr


def test_an_invalid_registry_is_bad_input_with_file_and_line(repo: Path) -> None:
    replace_in(repo / "ssot" / "agents" / "skills.yaml", "max_duration_s: 600", "max_duration_s: many")
    result = _bench(repo, "--all")
    assert result.code == 2
    assert (
        result.stderr.startswith("skillci: error: ssot/agents/skills.yaml:") and "nothing benchmarked" in result.stderr
    )


def test_the_documented_wrapper_and_cases_work_as_copied(repo: Path) -> None:
    text = (REPO_ROOT / "docs" / "bench.md").read_text(encoding="utf-8")
    wrapper = text.split("```python\n", 1)[1].split("```", 1)[0]
    cases = text.split("and a cases file for it", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (repo / "agents").mkdir()
    (repo / "agents" / "wrap.py").write_text(wrapper, encoding="utf-8")
    (repo / "ssot" / "benchmarks" / "triage-flaky-test.yaml").write_text(cases, encoding="utf-8")
    _use_command(repo, "triage-flaky-test", "[python, agents/wrap.py]")

    document = _json(_bench(repo, "--skill", "triage-flaky-test", "--format", "json", "--no-record"))

    [result] = document["results"]
    assert (result["cases_passed"], result["cases_total"]) == (2, 2)
    assert result["metrics"]["ci_attempts"] == 1.0 and result["composite_score"] is not None


SLEEPING_AGENT = """
import os, subprocess, sys, time
pids = os.environ["AGENT_PIDS"]
escaped = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
for pid in (os.getpid(), escaped.pid):
    open(os.path.join(pids, str(pid)), "w").close()
time.sleep(120)
"""


@pytest.mark.parametrize(
    ("signum", "jobs", "code"),
    [
        (signal.SIGTERM, "2", 143),
        (signal.SIGTERM, "1", 143),
        (signal.SIGHUP, "1", 129),
        (signal.SIGINT, "1", 130),
        (signal.SIGINT, "2", 130),
    ],
)
def test_a_signal_kills_every_agent_records_nothing_and_exits_128_plus_it(
    repo: Path, tmp_path: Path, signum: signal.Signals, jobs: str, code: int
) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(repo)).code == 0
    (repo / "examples" / "agents" / "example_agent.py").write_text(SLEEPING_AGENT)
    (repo / "skillci.yaml").write_text("bench:\n  agent_env: [AGENT_PIDS]\n")
    pids = tmp_path / "pids"
    pids.mkdir()
    environment = {**os.environ, "AGENT_PIDS": str(pids)}
    args = ["bench", "--root", str(repo), "--skill", "bump-dependency", "--no-cache", "--jobs", jobs]
    bench = subprocess.Popen(
        [sys.executable, "-m", "skillci", *args], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while len(list(pids.iterdir())) < 2 * int(jobs) and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        bench.send_signal(signum)
        stdout, stderr = bench.communicate(timeout=20)
    finally:
        bench.kill()
    assert time.monotonic() - started < 10
    assert bench.returncode == code, stderr
    assert stderr.decode().splitlines()[-1:] == [
        f"skillci: error: interrupted by {signum.name}: agents stopped, nothing recorded"
    ]
    assert "FAIL" not in stdout.decode() + stderr.decode()
    agents = [int(path.name) for path in pids.iterdir()]
    assert len(agents) >= 2 * int(jobs)
    assert not [pid for pid in agents if alive(pid)]
    assert _rows(repo, "select count(*) from runs") == [(0,)]


LEAKING_AGENT = """
import json, os, sys
names = ["SKILLCI_STORE", "SUPABASE_SERVICE_ROLE_KEY", "PGPASSWORD", "GITHUB_TOKEN", "SLACK_WEBHOOK_URL"]
with open(f"/proc/{os.getppid()}/environ", "rb") as parent:
    inherited = [entry.decode() for entry in parent.read().split(b"\\0") if entry.split(b"=")[0].decode() in names]
detail = {"own": {name: os.environ.get(name) for name in names}, "parent": inherited}
print(json.dumps({"event": "log", "detail": detail}), flush=True)
print(f"leaked {os.environ['GITHUB_TOKEN']} and {' '.join(inherited)}", file=sys.stderr)
sys.exit(1)
"""


def test_agents_never_see_skillci_secrets_and_what_leaks_is_redacted(repo: Path) -> None:
    assert run_skillci("sync", "--migrate", "--root", str(repo)).code == 0
    (repo / "examples" / "agents" / "example_agent.py").write_text(LEAKING_AGENT)
    (repo / "skillci.yaml").write_text("bench:\n  agent_env: [GITHUB_TOKEN]\n")  # passed on purpose
    secrets = {
        "SKILLCI_STORE": "sqlite:///.skillci/skillci.db",
        "SUPABASE_SERVICE_ROLE_KEY": "service-role-key-value",
        "PGPASSWORD": "pg-password-value",
        "GITHUB_TOKEN": "ghp_token_value",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.test/T0/B0/xyz",
    }
    result = _bench(repo, "--skill", "bump-dependency", "--no-cache", "--jobs", "1", env=secrets)
    assert "FAIL bump-dependency" in result.output and "leaked *** and" in result.output
    stored = _rows(repo, "select error_message from runs") + _rows(repo, "select detail from run_events")
    assert len(stored) == 4
    for value in secrets.values():
        assert value not in result.output and value not in json.dumps(stored)
    [detail, *_] = [json.loads(row[0]) for row in _rows(repo, "select detail from run_events")]
    assert detail["own"] == {**dict.fromkeys(secrets), "GITHUB_TOKEN": "***"}
    assert all(entry.endswith("*" * 6) for entry in detail["parent"]) and len(detail["parent"]) == len(secrets)
