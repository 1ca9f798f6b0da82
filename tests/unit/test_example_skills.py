"""The example skills under examples/skills/ run through the real runner and assertions: each judged as intended.

Every benchmarked skill of the example registry whose agent lives under examples/skills/ must
be listed in FAILING with the one case it is meant to fail (a realistic blind spot, so the
gate has something to judge); every other case of the skill must pass. A broken example, a
case that starts failing, or a failing case that starts passing breaks this test.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import REPO_ROOT
from helpers.registry import copy_example
from skillci.bench.assertions import case_passed, check_case
from skillci.bench.runner import run_case

EXAMPLES = "examples/skills/"
#: skill id → the id of the one case its example agent is meant to fail.
FAILING = {
    "fix-lint": "long-line",  # expects an E501 wrapped; the agent cannot wrap lines
    "triage-error": "assertion-mentions-429",  # a test failure quoting "429" is triaged as rate limiting
    "scan-secrets": "fine-grained-github-token",  # the scanner knows classic ghp_ tokens only
}


def _example_skills() -> dict[str, dict[str, Any]]:
    registry = yaml.safe_load((REPO_ROOT / "ssot" / "agents" / "skills.yaml").read_text(encoding="utf-8"))
    return {
        skill["id"]: skill
        for skill in registry["skills"]
        if any(str(part).startswith(EXAMPLES) for part in skill.get("benchmark", {}).get("command", []))
    }


SKILLS = _example_skills()


def _command(command: list[str]) -> list[str]:
    """The registry's command, with a bare `python` run by this interpreter (not every PATH has one)."""
    return [sys.executable, *command[1:]] if command[0] in ("python", "python3") else list(command)


def _snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_every_example_skill_is_listed() -> None:
    assert set(SKILLS) == set(FAILING)
    for skill_id, skill in SKILLS.items():
        assert all(pattern.startswith(EXAMPLES) for pattern in skill["benchmark"].get("paths", [])), skill_id


@pytest.mark.parametrize("skill_id", sorted(SKILLS))
def test_the_example_agent_fails_exactly_its_known_case(skill_id: str, tmp_path: Path) -> None:
    skill = SKILLS[skill_id]
    bench = skill["benchmark"]
    cases = yaml.safe_load((REPO_ROOT / bench["cases"]).read_text(encoding="utf-8"))["cases"]
    assert FAILING[skill_id] in {case["id"] for case in cases}
    root = copy_example(tmp_path / "repo")  # a checkout of its own, to prove the agent writes nothing into it
    before = _snapshot(root)

    outcomes: dict[str, bool] = {}
    report: list[str] = []
    for case in cases:
        outputs = []
        for attempt in range(bench.get("repeat", 1)):
            run = run_case(
                _command(bench["command"]),
                case_input=case["input"],
                skill_id=skill_id,
                case_id=case["id"],
                run_id=f"test-{attempt}",
                timeout_s=skill["max_duration_s"],
                states=skill["state_machine"],
                cwd=root,
            )
            assert run.status == "succeeded", f"{skill_id}/{case['id']}: {run.failure_code} {run.error_message}"
            outputs.append(run.output)
        assert all(output == outputs[0] for output in outputs), f"{skill_id}/{case['id']}: not deterministic"
        changed = run.number("changed_lines")
        results = check_case(
            case["expect"],
            output=run.output,
            states=run.states,
            changed_lines=None if changed is None else int(changed),
            duration_s=run.duration_s,
        )
        outcomes[case["id"]] = case_passed(results)
        report += [f"{case['id']}: [{r.kind}] {'ok' if r.passed else 'FAILED'}: {r.message}" for r in results]

    expected = {case_id: case_id != FAILING[skill_id] for case_id in outcomes}
    assert outcomes == expected, "\n".join(report)
    assert _snapshot(root) == before, f"{skill_id}: the agent wrote into the checkout"
