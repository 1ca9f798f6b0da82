"""The real `skillci` command: exit codes, formats, errors, ledger."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import REPO_ROOT
from helpers.act import commit_all, git
from helpers.cli import run_skillci
from helpers.registry import copy_example, line_of, replace_in
from skillci import __version__
from skillci.cli import main


def test_version_and_module_entry_point() -> None:
    result = run_skillci("--version")
    assert (result.code, result.stdout.strip()) == (0, f"skillci {__version__}")
    assert "validate" in run_skillci("--help").stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\nfrom skillci.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('yaml', 'jsonschema', 'sqlalchemy', 'psycopg', 'skillci.registry.validation', 'supabase', 'httpx') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_validate_the_bundled_example() -> None:
    result = run_skillci("validate", cwd=REPO_ROOT)
    assert result.code == 0, result.output
    assert "skillci validate: ok" in result.stdout


def test_validate_json_and_exit_1_on_findings(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace_in(root / "ssot" / "agents" / "skills.yaml", "executor: local", "executor: lokal")
    result = run_skillci("validate", "--root", str(root), "--format", "json")
    assert result.code == 1
    payload = json.loads(result.stdout)
    line = line_of(root / "ssot" / "agents" / "skills.yaml", "executor: lokal")
    assert [(f["code"], f["file"], f["line"]) for f in payload["findings"]] == [
        ("schema-enum", "ssot/agents/skills.yaml", line)
    ]


def test_github_format_is_the_default_in_actions(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    replace_in(root / "ssot" / "agents" / "skills.yaml", "executor: local", "executor: lokal")
    outputs = tmp_path / "out"
    result = run_skillci("validate", "--root", str(root), env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)})
    assert result.code == 1
    line = line_of(root / "ssot" / "agents" / "skills.yaml", "executor: lokal")
    assert result.stdout.startswith(f"::error file=ssot/agents/skills.yaml,line={line},col=15,")
    assert outputs.read_text() == "errors=1\nwarnings=0\n"


def test_sarif_format(tmp_path: Path) -> None:
    result = run_skillci("validate", "--root", str(REPO_ROOT), "--format", "sarif")
    assert result.code == 0
    assert json.loads(result.stdout)["runs"][0]["results"] == []


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("validate", "--root", "/nonexistent/dir"), "is not a directory"),
        (("validate", "--format", "xml"), "Invalid value for '--format'"),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_invocation_is_exit_2_without_traceback(args: tuple[str, ...], fragment: str) -> None:
    result = run_skillci(*args, cwd=REPO_ROOT)
    assert result.code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_bad_config_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    (root / "skillci.yaml").write_text("paths:\n  skills: /etc/passwd\n")
    result = run_skillci("validate", "--root", str(root))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "skillci: error: skillci.yaml:2: paths.skills must be a relative path inside the repository"
    ]


def test_internal_errors_hide_the_traceback_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("skillci.commands.validate.validate", broken)
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "--root", str(REPO_ROOT)])
    assert result.exit_code == 2
    assert "internal error: RuntimeError: boom (rerun with --traceback)" in result.output
    assert result.exc_info is not None and result.exc_info[0] is SystemExit

    result = runner.invoke(main, ["--traceback", "validate", "--root", str(REPO_ROOT)])
    assert isinstance(result.exception, RuntimeError)


def test_every_command_appends_to_the_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    env = {"SKILLCI_LEDGER": str(ledger), "GITHUB_RUN_ID": "777"}
    run_skillci("validate", "--root", str(REPO_ROOT), env=env)
    run_skillci("validate", "--root", "/nonexistent", env=env)
    run_skillci("schema", "export", str(tmp_path / "schemas"), "--root", str(REPO_ROOT), env=env)
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert [(e["command"], e["ok"], e["exit_code"]) for e in entries] == [
        ("validate", True, 0),
        ("validate", False, 2),
        ("schema export", True, 0),
    ]
    assert entries[0]["counts"]["skills"] >= 3 and entries[2]["counts"] == {"schemas": 5}
    assert {e["correlation_id"] for e in entries} == {"777"}
    assert all(e["duration_ms"] >= 0 for e in entries)


@pytest.mark.parametrize(
    "store",
    [
        "postgresql://ci:s3/cret@127.0.0.1:9/ops?sslmode=bogus",
        "postgresql://ci:s3 cret@127.0.0.1:9/ops?sslmode=bogus",
        "postgresql://127.0.0.1:9/ops?password=s3cret&sslmode=bogus",
    ],
    ids=["slash", "space", "query"],
)
def test_the_ledger_never_holds_a_store_password_in_any_form(tmp_path: Path, store: str) -> None:
    ledger = tmp_path / "ledger.jsonl"
    result = run_skillci(
        "sync", "--dry-run", "--root", str(REPO_ROOT), "--store", store, env={"SKILLCI_LEDGER": str(ledger)}
    )
    assert result.code == 2, result.output  # sslmode=bogus: refused before connecting
    assert "cret" not in result.output
    text = ledger.read_text(encoding="utf-8")
    assert "cret" not in text
    assert json.loads(text)["arguments"]["store"].startswith("postgresql://")


def test_ledger_defaults_to_the_root(tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "skillci", "validate", "--root", str(root)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((root / ".skillci" / "ledger.jsonl").read_text())["command"] == "validate"


def test_schema_export(tmp_path: Path) -> None:
    result = run_skillci("schema", "export", str(tmp_path / "out"), "--root", str(REPO_ROOT))
    assert result.code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "benchmark.schema.json",
        "cases.schema.json",
        "failure_modes.schema.json",
        "skills.schema.json",
        "tools.schema.json",
    ]
    (tmp_path / "file").write_text("x")
    result = run_skillci("schema", "export", str(tmp_path / "file"), "--root", str(REPO_ROOT))
    assert result.code == 2 and "not a directory" in result.stderr


def test_run_validates_then_syncs_into_the_embedded_store_and_prints_one_verdict(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    result = run_skillci("run", cwd=root)
    assert result.code == 0, result.output
    verdict = result.stdout.splitlines()[-1]
    assert verdict.startswith("skillci run: PASS")
    assert "sync into .skillci/skillci.db: skills 6 created" in verdict
    assert (root / ".skillci" / "skillci.db").is_file()
    assert "; bench 5 skills (all, nothing to compare with): " in verdict
    assert verdict.endswith("; gate passed (5 checks)")
    assert "skillci gate: PASS" in result.stdout and "PASS  tier: all 4 at B or better" in result.stdout
    again = run_skillci("run", cwd=root)
    assert "skills 0 created, 0 updated, 0 deprecated, 6 unchanged" in again.stdout.splitlines()[-1]
    assert "skillci bench: 5 skills scored (5 from the cache)" in again.stdout
    with sqlite3.connect(root / ".skillci" / "skillci.db") as conn:
        [(results,)] = conn.execute("select count(*) from agent_benchmark_results").fetchall()
    assert results == 10  # each run records every skill's result (the second from the cache)
    with sqlite3.connect(root / ".skillci" / "skillci.db") as conn:
        gates = conn.execute("select passed, run_url from gate_results").fetchall()
    assert gates == [(1, None), (1, None)]  # one decision per run, outside Actions no run link
    root = copy_example(tmp_path / "broken")
    replace_in(root / "ssot" / "agents" / "benchmark.yaml", "weight: 0.3", "weight: 0.4")
    result = run_skillci("run", "--root", str(root))
    assert result.code == 1
    assert result.stdout.splitlines()[-1].startswith("skillci run: FAIL")


def test_run_benchmarks_the_skills_changed_against_the_default_branch(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    (root / ".gitignore").write_text(".skillci/\n")
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "base")
    git("checkout", "-q", "-b", "feature", cwd=root)
    replace_in(root / "ssot" / "agents" / "skills.yaml", "max_duration_s: 600", "max_duration_s: 500")
    commit_all(root, "fix-lint: a tighter budget")

    result = run_skillci("run", cwd=root)

    assert result.code == 0, result.output
    assert "; bench 1 skill (changed against main): " in result.stdout.splitlines()[-1]
    assert "fix-lint" in result.stdout and "scan-secrets" not in result.stdout

    # A change that breaks a skill: the gate fails, and so does the run, naming the skill.
    replace_in(
        root / "ssot" / "agents" / "skills.yaml",
        "examples/skills/scan_secrets/agent.py",
        "examples/skills/scan_secrets/missing.py",
    )
    commit_all(root, "scan-secrets: a broken command")
    broken = run_skillci("run", cwd=root)
    assert broken.code == 1, broken.output
    verdict = broken.stdout.splitlines()[-1]
    assert verdict.startswith("skillci run: FAIL") and "gate failed (" in verdict
    assert "scan-secrets (F)" in verdict or "scan-secrets (no tier)" in verdict, verdict
