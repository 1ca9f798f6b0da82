"""skillci.yaml loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillci.config import DEFAULT_ENUMS, DEFAULT_PATHS, load_config
from skillci.errors import BadInput, ExitCode


def test_zero_config_uses_the_conventional_layout(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.source is None
    assert config.paths.skills == DEFAULT_PATHS["skills"]
    assert config.enums.states == DEFAULT_ENUMS["states"]


def test_paths_and_enums_override_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "skillci.yaml").write_text(
        "paths:\n  skills: reg/s.yaml\nenums:\n  executors: [vercel_sandbox, do_runner]\nlimits:\n  max_file_bytes: 1024\n"
    )
    config = load_config(tmp_path)
    assert config.paths.skills == "reg/s.yaml"
    assert config.paths.tools == DEFAULT_PATHS["tools"]
    assert config.enums.executors == ("vercel_sandbox", "do_runner")
    assert config.enums.statuses == DEFAULT_ENUMS["statuses"]
    assert config.max_file_bytes == 1024


def test_bench_agent_env_names_the_variables_agents_get_on_purpose(tmp_path: Path) -> None:
    (tmp_path / "skillci.yaml").write_text("bench:\n  agent_env: [OPENAI_API_KEY, HTTPS_PROXY]\n")
    assert load_config(tmp_path).agent_env == ("OPENAI_API_KEY", "HTTPS_PROXY")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("paths: {}\nwhat: 1\n", 2, "unknown key 'what'"),
        ("paths:\n  skills: ../outside.yaml\n", 2, "inside the repository"),
        ("paths:\n  skill: a.yaml\n", 2, "unknown key 'paths.skill'"),
        ("enums:\n  states: PLAN\n", 2, "non-empty list"),
        ("enums:\n  states: [PLAN, PLAN]\n", 2, "twice"),
        ("limits:\n  max_file_bytes: -1\n", 2, "positive integer"),
        ("paths: [1\n", 2, "invalid YAML"),
        ("a: 1\na: 2\n", 2, "duplicate key"),
        ("bench:\n  agent_env: [OK, 'NOT-A-NAME']\n", 2, "bench.agent_env[1] must be a variable name"),
        ("bench:\n  agent_env: []\n", 2, "non-empty list"),
        ("bench:\n  env: [A]\n", 2, "unknown key 'bench.env'"),
    ],
)
def test_bad_config_is_exit_2_with_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    (tmp_path / "skillci.yaml").write_text(text)
    with pytest.raises(BadInput) as caught:
        load_config(tmp_path)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert caught.value.file == "skillci.yaml"
    assert caught.value.line == line
    assert fragment in caught.value.message


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a directory"):
        load_config(tmp_path / "missing")
