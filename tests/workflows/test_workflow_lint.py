"""actionlint and zizmor report nothing on the workflows and actions."""

from __future__ import annotations

import shutil
import subprocess

from helpers import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(args[0])
    assert executable is not None, f"{args[0]} is not installed: pip install -e '.[test]'"
    return subprocess.run([executable, *args[1:]], cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_actionlint_reports_nothing() -> None:
    workflows = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / ".github" / "workflows").glob("*.yml"))
    result = _run("actionlint", "-no-color", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_zizmor_reports_nothing() -> None:
    result = _run("zizmor", "--offline", "--no-progress", "--config", ".github/zizmor.yml", ".github/", "actions/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_every_action_input_and_output_is_documented() -> None:
    import yaml

    for action in sorted((REPO_ROOT / "actions").glob("*/action.yml")):
        spec = yaml.safe_load(action.read_text(encoding="utf-8"))
        assert spec.get("description"), action
        for kind in ("inputs", "outputs"):
            for name, item in (spec.get(kind) or {}).items():
                assert item.get("description"), f"{action}: {kind}.{name} has no description"
        for step in spec["runs"]["steps"]:
            assert step.get("name"), f"{action}: a step has no name"
            if "run" in step:
                assert step.get("shell"), f"{action}: step {step['name']!r} has no shell"
