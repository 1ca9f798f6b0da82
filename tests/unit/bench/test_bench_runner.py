"""The runner protocol: every way a skill can misbehave becomes a failed run with a failure code."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from helpers.processes import alive
from skillci.bench import runner
from skillci.bench.containment import Agents
from skillci.bench.runner import run_case

STATES = ["PLAN", "PATCH", "VERIFY", "PR", "MONITOR"]


@pytest.fixture(autouse=True, params=["pidfd", "pipes"])
def exit_signal(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: learning of the exit from a pidfd (Linux), and from the pipes closing (elsewhere)."""
    if request.param == "pipes":
        monkeypatch.setattr(runner, "_exit_fd", lambda process: None)
    else:
        assert hasattr(os, "pidfd_open"), "the runner's Linux path needs os.pidfd_open"
    return str(request.param)


def _agent(tmp_path: Path, body: str) -> list[str]:
    tmp_path.mkdir(exist_ok=True)
    script = tmp_path / "agent.py"
    prelude = (
        "import json, os, signal, subprocess, sys, time\ndef emit(**event): print(json.dumps(event), flush=True)\n"
    )
    script.write_text(prelude + textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(script)]


def _run(tmp_path: Path, body: str, **options: Any):  # type: ignore[no-untyped-def]
    ids = {"skill_id": "fix-lint", "case_id": "c1", "run_id": "r1"}
    settings: dict[str, Any] = {"timeout_s": 10, "states": STATES, "case_input": {"n": 3}, **ids, **options}
    return run_case(_agent(tmp_path, body), cwd=tmp_path, **settings)


def test_a_well_behaved_agent_succeeds_with_its_states_result_and_environment(tmp_path: Path) -> None:
    run = _run(
        tmp_path,
        """
        case = json.load(sys.stdin)
        emit(event="state", state="PLAN", detail={"n": case["n"]})
        emit(event="log", message="working")
        emit(event="state", state="PATCH")
        emit(event="state", state="PATCH")
        env = {k: os.environ[k] for k in ("SKILLCI_RUN_ID", "SKILLCI_SKILL_ID", "SKILLCI_CASE_ID")}
        emit(event="result", output={"doubled": case["n"] * 2, "env": env}, changed_lines=4, ci_attempts=1)
        """,
    )
    assert (run.status, run.failure_code, run.exit_code) == ("succeeded", None, 0)
    assert run.states == ["PLAN", "PATCH", "PATCH"]
    assert [event["event"] for event in run.events] == ["state", "log", "state", "state", "result"]
    assert run.output["doubled"] == 6
    assert run.output["env"] == {"SKILLCI_RUN_ID": "r1", "SKILLCI_SKILL_ID": "fix-lint", "SKILLCI_CASE_ID": "c1"}
    assert run.number("changed_lines") == 4.0 and run.number("tokens_in") is None


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ("print('boom', file=sys.stderr); sys.exit(3)", "AGENT.CRASH", "exited with code 3: boom"),
        ("emit(event='state', state='PLAN')", "AGENT.NO_RESULT", "no result line"),
        ("print('hello there')", "AGENT.BAD_OUTPUT", "line 1 is not JSON: hello there"),
        ("print('[1, 2]')", "AGENT.BAD_OUTPUT", 'not an event object with an "event" name'),
        ("emit(event='result', output=1); emit(event='log')", "AGENT.BAD_OUTPUT", "an event after the result"),
        ("emit(event='result', output=1, changed_lines='many')", "AGENT.BAD_OUTPUT", "changed_lines must be"),
        ("emit(event='result', output=1, tokens_in=-5)", "AGENT.BAD_OUTPUT", "tokens_in must be"),
        (
            "emit(event='result', output=1, changed_lines=2.5)",
            "AGENT.BAD_OUTPUT",
            "changed_lines must be a non-negative whole",
        ),
        ("emit(event='result', output=1, ci_attempts=2**40)", "AGENT.BAD_OUTPUT", "ci_attempts must be"),
        (
            "emit(event='state', state='VERIFY'); emit(event='state', state='PLAN')",
            "AGENT.STATE_ORDER",
            "PLAN after VERIFY",
        ),
        ("emit(event='state', state='DANCE')", "AGENT.STATE_ORDER", "'DANCE' is not in the skill's state machine"),
    ],
)
def test_misbehaviour_is_a_failed_run_with_a_failure_code(tmp_path: Path, body: str, code: str, message: str) -> None:
    run = _run(tmp_path, body)
    assert (run.status, run.failure_code) == ("failed", code)
    assert run.error_message is not None and message in run.error_message


def _writes(line: bytes) -> str:
    return f"sys.stdout.buffer.write({line!r} + b'\\n'); sys.stdout.flush()\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param(b"[" * 100_000, "nests deeper than 100 levels", id="100000-brackets"),
        pytest.param(b'{"event": "log", "detail": ' + b"[" * 150 + b"]" * 150 + b"}", "nests deeper", id="150-deep"),
        pytest.param(b'{"event": "log", "message": "\\ud800"}', "lone surrogate", id="lone-surrogate"),
        pytest.param(b'{"event": "log", "detail": {"\\udfff": 1}}', "lone surrogate", id="lone-surrogate-key"),
        pytest.param(b'{"event": "log", "detail": NaN}', "is not JSON", id="nan"),
        pytest.param(b'{"event": "result", "output": [-Infinity]}', "is not JSON", id="infinity"),
        pytest.param(b'{"event": "log", "message": "\xed\xa0\x80"}', "is not JSON", id="encoded-surrogate"),
    ],
)
def test_output_no_store_could_keep_is_bad_output_of_that_run(tmp_path: Path, line: bytes, message: str) -> None:
    run = _run(tmp_path, _writes(line) + "emit(event='result', output=1)")
    assert (run.status, run.failure_code) == ("failed", "AGENT.BAD_OUTPUT")
    assert run.error_message is not None and message in run.error_message


def test_a_surrogate_pair_and_a_nul_escape_are_fine_text(tmp_path: Path) -> None:
    run = _run(tmp_path, _writes(b'{"event": "result", "output": "\\ud83d\\ude00 \\u0000"}'))
    assert run.status == "succeeded" and run.output == "\U0001f600 \x00"


def test_a_slow_agent_times_out(tmp_path: Path) -> None:
    started = time.monotonic()
    run = _run(tmp_path, "emit(event='state', state='PLAN'); time.sleep(60)", timeout_s=1)
    assert (run.status, run.failure_code) == ("timed_out", "AGENT.TIMEOUT")
    assert run.states == ["PLAN"]
    assert time.monotonic() - started < 5


def test_an_agent_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    started = time.monotonic()
    body = "signal.signal(signal.SIGTERM, signal.SIG_IGN); emit(event='log', message='ready'); time.sleep(60)"
    run = _run(tmp_path, body, timeout_s=1, kill_grace_s=0.5)
    assert (run.status, run.failure_code) == ("timed_out", "AGENT.TIMEOUT")
    assert 1.4 < time.monotonic() - started < 6


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    body = """
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    emit(event="log", pid=child.pid)
    time.sleep(60)
    """
    run = _run(tmp_path, body, timeout_s=1, kill_grace_s=0.2)
    assert run.status == "timed_out"
    grandchild = run.events[0]["pid"]
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)


def test_output_over_the_limit_stops_the_agent(tmp_path: Path) -> None:
    started = time.monotonic()
    run = _run(tmp_path, "while True: emit(event='log', message='x' * 1000)", max_output_bytes=100_000)
    assert (run.status, run.failure_code) == ("failed", "AGENT.OUTPUT_TOO_LARGE")
    assert time.monotonic() - started < 5


def test_one_huge_line_is_over_the_limit_too(tmp_path: Path) -> None:
    run = _run(tmp_path, "print('x' * 500_000)", max_output_bytes=100_000)
    assert run.failure_code == "AGENT.OUTPUT_TOO_LARGE"


def test_a_command_that_cannot_start_is_a_crash(tmp_path: Path) -> None:
    run = run_case(
        [str(tmp_path / "missing-agent")],
        case_input={},
        skill_id="s",
        case_id="c",
        run_id="r",
        timeout_s=5,
        states=STATES,
        cwd=tmp_path,
    )
    assert (run.status, run.failure_code) == ("failed", "AGENT.CRASH")
    assert run.error_message is not None and "cannot start" in run.error_message


def test_a_large_input_read_in_full_and_a_last_line_without_newline(tmp_path: Path) -> None:
    body = "blob = json.load(sys.stdin)['blob']; sys.stdout.write(json.dumps({'event': 'result', 'output': len(blob)}))"
    run = _run(tmp_path, body, case_input={"blob": "y" * 1_000_000})
    assert run.status == "succeeded" and run.output == 1_000_000


def test_an_agent_whose_child_holds_stdout_open_never_hangs_the_runner(tmp_path: Path, exit_signal: str) -> None:
    body = """
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    emit(event="result", output="ok")
    """
    started = time.monotonic()
    run = _run(tmp_path, body, timeout_s=2)
    # With a pidfd the run ends when the agent exits; without one, when the pipes close, so the child's
    # open stdout runs it into the timeout. Either way the group is killed and the runner returns.
    expected = "succeeded" if exit_signal == "pidfd" else "timed_out"
    assert run.status == expected and time.monotonic() - started < 8


def test_an_agent_that_never_reads_a_large_input_still_finishes(tmp_path: Path) -> None:
    run = _run(tmp_path, "emit(event='result', output='ok')", case_input={"blob": "y" * 1_000_000})
    assert run.status == "succeeded" and run.output == "ok"


def test_the_agent_gets_an_allow_listed_environment_and_what_is_passed_on_purpose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "SKILLCI_STORE": "postgresql://ci:s3cret@db/ops",
        "SUPABASE_SERVICE_ROLE_KEY": "service-key",
        "PGPASSWORD": "pg-password",
        "GITHUB_TOKEN": "ghp_token_value",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.test/T0/B0/xyz",
    }
    for name, value in {**secrets, "AGENT_API_KEY": "the agent's own key", "LC_ALL": "C.UTF-8"}.items():
        monkeypatch.setenv(name, value)
    run = _run(
        tmp_path,
        """
        names = ["SKILLCI_STORE", "SUPABASE_SERVICE_ROLE_KEY", "PGPASSWORD", "GITHUB_TOKEN", "SLACK_WEBHOOK_URL"]
        names += ["AGENT_API_KEY", "LC_ALL", "PATH"]
        emit(event="result", output={name: os.environ.get(name) for name in names})
        """,
        agent_env=["AGENT_API_KEY"],
    )
    assert run.output == {
        **dict.fromkeys(secrets),
        "AGENT_API_KEY": "the agent's own key",
        "LC_ALL": "C.UTF-8",
        "PATH": os.environ["PATH"],
    }


def test_known_secret_values_are_redacted_from_what_the_run_returns(tmp_path: Path) -> None:
    body = """
    emit(event="log", detail={"leak": "token ghp_secret_value here"})
    print("failed with ghp_secret_value", file=sys.stderr)
    sys.exit(1)
    """
    run = _run(tmp_path, body, secrets=["ghp_secret_value"])
    assert run.events == [{"event": "log", "detail": {"leak": "token *** here"}}]
    assert run.error_message == "exited with code 1: failed with ***" and "ghp_secret_value" not in run.stderr_tail


ESCAPES = """
quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
sleep = [sys.executable, "-c", "import time; time.sleep(120)"]
setsid_child = subprocess.Popen(sleep, start_new_session=True, **quiet)
read_end, write_end = os.pipe()
if os.fork() == 0:  # a daemon: double fork, new session, its own stdio
    os.setsid()
    if os.fork() == 0:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.write(write_end, str(os.getpid()).encode())
        time.sleep(120)
    os._exit(0)
daemon = int(os.read(read_end, 32))
bare = subprocess.Popen(sleep, start_new_session=True, env={}, **quiet)
emit(event="log", pids=[setsid_child.pid, daemon], bare=bare.pid)
emit(event="result", output="ok")
"""


def _gone(pids: list[int], within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(pid) for pid in pids)


def test_children_that_left_the_process_group_are_killed_when_the_run_ends(tmp_path: Path) -> None:
    with Agents().contained() as agents:
        run = _run(tmp_path, ESCAPES, agents=agents)
        assert run.status == "succeeded", run.error_message
        assert _gone(run.events[0]["pids"])  # setsid and double fork: found by the run id, killed at the run's end
        bare = run.events[0]["bare"]  # no environment, no run id: an orphan of the bench, killed when it ends
    assert _gone([bare])


def test_without_the_bench_the_run_still_kills_what_carries_its_run_id(tmp_path: Path) -> None:
    run = _run(tmp_path, ESCAPES)
    try:
        assert run.status == "succeeded" and _gone(run.events[0]["pids"])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(run.events[0]["bare"], signal.SIGKILL)


def test_a_finished_run_kills_only_its_own_leftovers_not_a_concurrent_run(tmp_path: Path) -> None:
    slow = "time.sleep(1.5); emit(event='result', output='slow')"
    results: list[runner.CaseRun] = []
    with Agents().contained() as agents:
        thread = threading.Thread(
            target=lambda: results.append(_run(tmp_path / "slow", slow, run_id="r2", agents=agents))
        )
        thread.start()
        time.sleep(0.3)
        fast = _run(tmp_path, ESCAPES, agents=agents)
        thread.join()
    assert fast.status == "succeeded" and _gone(fast.events[0]["pids"])
    assert [(run.status, run.output) for run in results] == [("succeeded", "slow")]
