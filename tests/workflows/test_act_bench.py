"""actions/bench and actions/gate in the pr-checks and main-sync reusable workflows, end to end under act.

Three act runs, each shared by the tests that read it: a clean pull request touching one skill with no store
(the gate passes); a push to main that syncs and records the baselines into Postgres; then a pull request
touching two skills, one of which regresses, spread over two bench jobs, that compares with those baselines
(the gate fails and names the skill and its numbers).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from helpers.act import commit_all, git, project_copy, pull_request_event, run_act
from helpers.cli import Completed
from helpers.postgres import PostgresServer

pytestmark = pytest.mark.act

PASSWORD = "B3nchS3cretPw"
PR_CALLER = ".github/workflows/test-bench-pr-caller.yml"
SYNC_CALLER = ".github/workflows/test-bench-sync-caller.yml"
#: A repository's pull_request workflow calling pr-checks, as docs/actions.md shows it; the store secret
#: is empty unless the test passes one (as for a pull request from a fork).
PR_CALLER_YAML = """\
name: pull request
on: pull_request
permissions: {}
jobs:
  skillci:
    uses: ./.github/workflows/pr-checks.yml
    permissions:
      contents: read
      pull-requests: write
    with:
      max_shards: 2
      shard_size: %(shard_size)d
    secrets:
      SKILLCI_STORE: ${{ secrets.SKILLCI_STORE }}
  report:
    needs: skillci
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - name: Report the workflow's outputs
        env:
          SELECTED: ${{ needs.skillci.outputs.bench-selected }}
          SHARDS: ${{ needs.skillci.outputs.bench-shards }}
          GATE: ${{ needs.skillci.outputs.gate-passed }}
          PCT: ${{ needs.skillci.outputs.gate-pass-pct }}
        run: echo "pr-checks outputs bench-selected=$SELECTED bench-shards=$SHARDS gate-passed=$GATE gate-pass-pct=$PCT"
"""
#: A repository's push-to-main workflow calling main-sync, shaped like the example in main-sync.yml's header.
SYNC_CALLER_YAML = """\
name: sync the registry
on:
  push:
    branches: [main]
permissions: {}
jobs:
  sync:
    uses: ./.github/workflows/main-sync.yml
    permissions:
      contents: read
    secrets:
      SKILLCI_STORE: ${{ secrets.SKILLCI_STORE }}
  report:
    needs: sync
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - name: Report the workflow's outputs
        env:
          SELECTED: ${{ needs.sync.outputs.bench-selected }}
          PASSED: ${{ needs.sync.outputs.bench-cases-passed }}
          TOTAL: ${{ needs.sync.outputs.bench-cases-total }}
        run: echo "main-sync outputs bench-selected=$SELECTED bench-cases=$PASSED/$TOTAL"
"""
RESULT_KEYS = {
    "skill_id",
    "composite_score",
    "tier",
    "cases_passed",
    "cases_total",
    "cached",
    "metrics",
    "missing_metrics",
    "baseline_delta",
}


@dataclass
class PullRequest:
    """One act run of a pull request's checks and what it left behind."""

    repo: Path
    result: Completed
    artifacts: Path
    changed: tuple[str, ...]

    def artifact(self, name: str) -> dict[str, object]:
        """The JSON results file inside the uploaded artifact `name`."""
        files = sorted((self.artifacts / name).iterdir())
        assert [path.name for path in files] == [f"{name}.json"], files
        document: dict[str, object] = json.loads(files[0].read_text(encoding="utf-8"))
        return document


def repository(target: Path, *, shard_size: int = 50) -> Path:
    """A project copy with the two caller workflows, committed on main."""
    repo = project_copy(target)
    (repo / PR_CALLER).write_text(PR_CALLER_YAML % {"shard_size": shard_size}, encoding="utf-8")
    (repo / SYNC_CALLER).write_text(SYNC_CALLER_YAML, encoding="utf-8")
    commit_all(repo, "test: call pr-checks and main-sync")
    return repo


def benchmarked_skills(repo: Path) -> list[str]:
    """The ids of the registry's skills that have a benchmark, in registry order."""
    document = yaml.safe_load((repo / "ssot" / "agents" / "skills.yaml").read_text(encoding="utf-8"))
    return [skill["id"] for skill in document["skills"] if skill.get("benchmark")]


def touch_skill(repo: Path, skill_id: str) -> None:
    """Change one skill's spec (its name), nothing else."""
    path = repo / "ssot" / "agents" / "skills.yaml"
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"^  - id: {re.escape(skill_id)}\n    name: [^\n]*", text, flags=re.MULTILINE)
    assert found is not None, f"no skill {skill_id} in {path}"
    path.write_text(text[: found.end()] + " (tuned)" + text[found.end() :], encoding="utf-8")


def regress_bump_dependency(repo: Path) -> None:
    """Make bump-dependency's only case expect another package, so it fails and the skill's score drops."""
    path = repo / "ssot" / "benchmarks" / "bump-dependency.yaml"
    text = path.read_text(encoding="utf-8")
    assert "package: {const: click}" in text
    path.write_text(text.replace("package: {const: click}", "package: {const: flask}"), encoding="utf-8")


def open_pull_request(
    repo: Path,
    directory: Path,
    changed: tuple[str, ...],
    *,
    store: str | None = None,
    regress: bool = False,
    title: str = "feat: tune skills",
) -> PullRequest:
    """Branch feature off main, change the given skills, and run the pull request's workflow under act."""
    base = git("rev-parse", "HEAD", cwd=repo).strip()
    git("checkout", "-q", "-b", "feature", cwd=repo)
    for skill_id in changed:
        touch_skill(repo, skill_id)
    if regress:
        regress_bump_dependency(repo)
    commit_all(repo, f"feat: tune {', '.join(changed)}")
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = directory / "artifacts"
    result = run_act(
        repo,
        event="pull_request",
        workflow=PR_CALLER,
        event_path=pull_request_event(directory, base_sha=base, head_sha=head, title=title),
        env={"STANDIN_ARTIFACTS_DIR": str(artifacts)},
        secrets={"SKILLCI_STORE": store} if store else None,
    )
    assert PASSWORD not in result.output, "the store's password reached the log"
    return PullRequest(repo, result, artifacts, changed)


def bench_lines(output: str) -> list[str]:
    """The skill/case of every case run the log shows (`pass x/y run …` or `FAIL x/y run …`)."""
    return re.findall(r"\| (?:pass|FAIL) ([\w-]+)/[\w-]+ run \d+/\d+", output)


# --- a pull request that changes one skill, with no store -------------------------------------------------


@pytest.fixture(scope="module")
def one_skill(tmp_path_factory: pytest.TempPathFactory) -> PullRequest:
    directory = tmp_path_factory.mktemp("bench-pr")
    repo = repository(directory / "repo")
    changed = benchmarked_skills(repo)[1]
    return open_pull_request(repo, directory, (changed,))


def test_pr_checks_benchmark_only_the_changed_skill(one_skill: PullRequest) -> None:
    result, (changed,) = one_skill.result, one_skill.changed

    assert result.code == 0, result.output[-4000:]
    # validate, commitlint, bench-plan, one bench shard, the gate, the caller's report
    assert result.output.count("Job succeeded") == 6
    assert "skillci commitlint: ok — 2 messages; 0 errors, 0 warnings" in result.output  # the commit and the title
    plan = json.dumps({"include": [{"shard": "1/1", "skills": changed}]})[:-3]  # up to the runs
    assert f"::set-output:: matrix={plan}" in result.output
    assert f"::set-output:: selected={changed}" in result.output
    assert f"pr-checks outputs bench-selected={changed} bench-shards=1 gate-passed=true gate-pass-pct=" in result.output
    ran = bench_lines(result.output)
    assert ran and set(ran) == {changed}, ran
    assert re.search(r"skillci bench: 1 skills? scored", result.output)


def test_pr_checks_upload_the_results_for_the_gate(one_skill: PullRequest) -> None:
    (changed,) = one_skill.changed

    document = one_skill.artifact("skillci-bench-1-of-1")

    assert set(document) == {"selected", "results"}
    assert document["selected"] == [changed]
    results = document["results"]
    assert isinstance(results, list) and len(results) == 1
    (result,) = results
    assert set(result) >= RESULT_KEYS, result
    assert result["skill_id"] == changed
    assert result["cases_total"] >= 1 and 0 <= result["cases_passed"] <= result["cases_total"]
    assert isinstance(result["composite_score"], float) and result["tier"]
    assert result["baseline_delta"] is None  # no store, no baseline
    assert "upload-artifact stand-in: stored skillci-bench-1-of-1 (1 paths)" in one_skill.result.output


def test_pr_checks_write_the_bench_table_to_the_step_summary(one_skill: PullRequest) -> None:
    (changed,) = one_skill.changed
    output = one_skill.result.output

    summary = output[output.index("Summary - ## skillci bench") :]

    assert "| skill | tier | score | Δ baseline | cases passed | cached |" in summary
    row = rf"\| `{re.escape(changed)}` \| [ABCF] \| \d+\.\d\d \| — \| \d+/\d+ \| no \|"
    assert re.search(row, summary), summary[:2000]


def test_pr_checks_key_the_bench_cache_on_the_hashed_inputs(one_skill: PullRequest) -> None:
    keys = re.findall(r"cache stand-in: miss for key (skillci-bench-\S+)", one_skill.result.output)

    assert len(keys) == 1, keys
    assert re.fullmatch(r"skillci-bench-Linux-\d+\.\d+\.\d+\S*-[0-9a-f]{64}", keys[0]), keys[0]


def test_the_gate_passes_a_clean_pull_request_and_says_why(one_skill: PullRequest) -> None:
    (changed,) = one_skill.changed
    output = one_skill.result.output

    assert "download-artifact stand-in: downloaded skillci-bench-1-of-1" in output
    assert re.search(r"PASS  cases passed: 100 % \(\d+/\d+\) \(threshold: ≥ 70 %\)", output), output[-4000:]
    assert "skillci gate: PASS — 5 checks held" in output
    summary = output[output.index("Summary - ## ✅ skillci gate: passed") :]
    assert "| check | measured | threshold | result |" in summary
    assert re.search(rf"\| `{re.escape(changed)}` \| [AB] \| \d+\.\d \| — \| \d+/\d+ \| ✅ pass \|", summary), summary[
        :3000
    ]
    assert "no pull-request comment" not in output  # no token under act: auto posts nothing, quietly


def test_pr_checks_without_a_store_record_nothing(one_skill: PullRequest) -> None:
    output = one_skill.result.output

    # record is off without a store secret: no embedded store is opened (it would note the skills it lacks)
    assert "not in the store" not in output


# --- main-sync records the baselines, then a sharded pull request compares with them ----------------------


@pytest.fixture(scope="module")
def store(postgres: PostgresServer) -> str:
    """A fresh, empty database; its URL carries a password (the test server trusts every local connection)."""
    url = postgres.create_database("bench")
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


def rows(postgres: PostgresServer, store: str, sql: str) -> list[list[str]]:
    output = postgres.psql(sql, url=store.replace(f":{PASSWORD}@", "@"))
    return [line.split("|") for line in output.splitlines() if line]


@dataclass
class Baseline:
    repo: Path
    result: Completed
    head: str


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, store: str) -> Baseline:
    repo = repository(tmp_path_factory.mktemp("bench-main") / "repo", shard_size=1)
    result = run_act(repo, event="push", workflow=SYNC_CALLER, secrets={"SKILLCI_STORE": store})
    assert PASSWORD not in result.output, "the store's password reached the log"
    return Baseline(repo, result, git("rev-parse", "HEAD", cwd=repo).strip())


@pytest.fixture(scope="module")
def sharded(baseline: Baseline, tmp_path_factory: pytest.TempPathFactory, store: str) -> PullRequest:
    assert baseline.result.code == 0, baseline.result.output[-4000:]
    skills = benchmarked_skills(baseline.repo)
    changed = (skills[1], skills[2])
    assert skills[1] == "bump-dependency"
    directory = tmp_path_factory.mktemp("bench-sharded")
    return open_pull_request(baseline.repo, directory, changed, store=store, regress=True, title="Tune two skills")


def test_main_sync_records_baseline_results_for_the_default_branch(
    baseline: Baseline, store: str, postgres: PostgresServer
) -> None:
    result = baseline.result
    skills = benchmarked_skills(baseline.repo)

    assert result.code == 0, result.output[-4000:]
    assert "::set-output:: applied=true" in result.output
    assert f"main-sync outputs bench-selected={' '.join(skills)} bench-cases=" in result.output
    recorded = rows(
        postgres, store, "select skill_id, branch, git_sha, cases_total from ops.agent_benchmark_results order by id"
    )
    assert sorted(row[0] for row in recorded) == sorted(skills)
    assert {(row[1], row[2]) for row in recorded} == {("main", baseline.head)}
    assert all(int(row[3]) >= 1 for row in recorded)
    runs = rows(postgres, store, "select count(*) from ops.runs")
    assert int(runs[0][0]) >= len(skills)


def test_pr_checks_spread_the_bench_over_shards_and_compare_with_the_baseline(
    sharded: PullRequest, store: str, postgres: PostgresServer
) -> None:
    result = sharded.result

    assert result.output.count("Job succeeded") == 4, result.output[-4000:]  # validate, bench-plan, two shards
    assert "Job failed" in result.output  # the gate (bump-dependency regressed) and commitlint (the title)
    assert set(bench_lines(result.output)) == set(sharded.changed)
    documents = [sharded.artifact(f"skillci-bench-{index}-of-2") for index in (1, 2)]
    shard_skills = [document["selected"] for document in documents]
    assert sorted(skill for selected in shard_skills for skill in selected) == sorted(sharded.changed)
    assert all(len(selected) == 1 for selected in shard_skills), shard_skills
    for document in documents:
        (found,) = document["results"]
        assert isinstance(found["baseline_delta"], float), found  # compared with main's baseline
    recorded = rows(
        postgres, store, "select skill_id from ops.agent_benchmark_results where branch = 'feature' order by skill_id"
    )
    assert sorted(row[0] for row in recorded) == sorted(sharded.changed)


def test_the_gate_fails_a_regressing_pull_request_and_names_the_skill_and_numbers(
    sharded: PullRequest, store: str, postgres: PostgresServer
) -> None:
    result = sharded.result
    output = result.output

    assert result.code != 0
    found = re.search(r"FAIL  regression: 1 regressed; largest change (-\d+\.\d) \(bump-dependency\)", output)
    assert found, output[-6000:]
    assert float(found.group(1)) < -5
    assert "(threshold: a drop of at most 5 points)" in output
    assert "::error title=gate%3A regression::1 regressed" in output
    summary = output[output.index("Summary - ## ❌ skillci gate: failed") :]
    row = re.search(r"\| `bump-dependency` \| [A-F—] \| [\d.]+ \| (-[\d.]+) \| 0/1 \| ❌ fail \(([^)]*)\) \|", summary)
    assert row, summary[:3000]
    assert f"composite {found.group(1)} against the baseline" in row.group(2)
    recorded = rows(postgres, store, "select passed, pr_number, numbers->>'failing_skills' from ops.gate_results")
    assert recorded == [["f", "7", '["bump-dependency"]']], recorded


def test_commitlint_fails_a_pull_request_whose_title_breaks_the_convention(sharded: PullRequest) -> None:
    output = sharded.result.output

    assert "::error title=commitlint [type-empty]::Tune two skills: type may not be empty" in output, output[-4000:]
    assert "skillci commitlint: failed — 2 messages; 2 errors, 0 warnings" in output
    assert "Summary - ## skillci commitlint: failed" in output
