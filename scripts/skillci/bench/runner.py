"""The benchmark runner protocol: one case, one subprocess; whatever the child does becomes data, never a crash."""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from skillci.bench.agentenv import agent_environment, redact
from skillci.bench.containment import Agents
from skillci.store.runs import RUN_NUMBERS

#: Failure codes the runner assigns (they are in the example registry, each with a runbook).
CRASH = "AGENT.CRASH"
TIMEOUT = "AGENT.TIMEOUT"
NO_RESULT = "AGENT.NO_RESULT"
BAD_OUTPUT = "AGENT.BAD_OUTPUT"
OUTPUT_TOO_LARGE = "AGENT.OUTPUT_TOO_LARGE"
STATE_ORDER = "AGENT.STATE_ORDER"

#: Default cap on a case's stdout, and how long a child gets between SIGTERM and SIGKILL.
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
KILL_GRACE_S = 2.0
_STDERR_TAIL = 2000
_CHUNK = 65536
#: How long the pipes are still read after the child's process group was killed.
_DRAIN_S = 5.0

#: How deep the arrays and objects of one event may nest (a deeper line is bad output, not a stack overflow).
MAX_DEPTH = 100
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: The numbers a result line may report, and their types.
RESULT_NUMBERS = tuple(name for name in RUN_NUMBERS if name != "duration_s")
#: Of those, the ones that count things (whole numbers).
RESULT_COUNTS = frozenset({"changed_lines", "ci_attempts", "tokens_in", "tokens_out"})

Status = Literal["succeeded", "failed", "timed_out"]

#: The agents of runs outside a bench's containment (no subreaper): one registry, so that runs tell theirs apart.
_UNCONTAINED = Agents()


@dataclass(frozen=True)
class CaseRun:
    """What one run of one case did: its status, failure code, states, events and result."""

    run_id: str
    skill_id: str
    case_id: str
    status: Status
    duration_s: float
    states: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    failure_code: str | None = None
    error_message: str | None = None
    exit_code: int | None = None
    stderr_tail: str = ""

    @property
    def output(self) -> Any:
        """The result line's `output`, or None when there was no result."""
        return None if self.result is None else self.result.get("output")

    def number(self, name: str) -> float | None:
        """A number the result line reported (changed_lines, ci_attempts, …), or None."""
        value = None if self.result is None else self.result.get(name)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class _Failure(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Collector:
    """Reads the child's stdout as JSON lines within a byte budget, checking the declared state order."""

    def __init__(self, *, states: Sequence[str], max_bytes: int) -> None:
        self.order = {state: index for index, state in enumerate(states)}
        self.max_bytes = max_bytes
        self.read = 0
        self.lines = 0
        self.partial = bytearray()
        self.events: list[dict[str, Any]] = []
        self.states: list[str] = []
        self.result: dict[str, Any] | None = None
        self.failure: _Failure | None = None

    def take(self, data: bytes) -> None:
        """Count a chunk of stdout against the budget and feed each complete line; a partial line waits for more."""
        if self.failure is not None:
            return  # the child is being stopped; the rest of its output is discarded
        self.read += len(data)
        if self.read > self.max_bytes:
            raise _Failure(OUTPUT_TOO_LARGE, f"stdout exceeded {self.max_bytes} bytes")
        self.partial += data
        while (end := self.partial.find(b"\n")) >= 0:
            line = bytes(self.partial[: end + 1])
            del self.partial[: end + 1]
            self._feed(line)

    def finish(self) -> None:
        """Feed the last line when stdout ended without a newline."""
        if self.failure is None and self.partial:
            line, self.partial = bytes(self.partial), bytearray()
            try:
                self._feed(line)
            except _Failure as failure:
                self.failure = failure

    def _feed(self, line: bytes) -> None:
        self.lines += 1
        number = self.lines
        text = line.strip()
        if not text:
            return
        event = _decode(text, number)
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise _Failure(BAD_OUTPUT, f'stdout line {number} is not an event object with an "event" name')
        if self.result is not None:
            raise _Failure(BAD_OUTPUT, f"stdout line {number}: an event after the result line")
        if event["event"] == "state":
            self._state(event.get("state"), number)
        elif event["event"] == "result":
            self.result = event
        self.events.append(event)

    def _state(self, state: Any, number: int) -> None:
        if not isinstance(state, str) or state not in self.order:
            raise _Failure(STATE_ORDER, f"stdout line {number}: state {state!r} is not in the skill's state machine")
        if self.states and self.order[state] < self.order[self.states[-1]]:
            raise _Failure(STATE_ORDER, f"stdout line {number}: state {state} after {self.states[-1]}")
        self.states.append(state)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(text: bytes, number: int) -> Any:
    """One stdout line as JSON: strict UTF-8, no NaN or Infinity, at most MAX_DEPTH deep, no lone surrogates."""
    try:
        event = json.loads(text.decode("utf-8"), parse_constant=_not_json)
    except RecursionError:
        raise _Failure(BAD_OUTPUT, f"stdout line {number} nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # UnicodeDecodeError included
        raise _Failure(BAD_OUTPUT, f"stdout line {number} is not JSON: {_clip(text)}") from None
    deep = text.count(b"[") + text.count(b"{") > MAX_DEPTH
    if deep or b"\\u" in text:
        problem = _unstorable(event)
        if problem:
            raise _Failure(BAD_OUTPUT, f"stdout line {number} {problem}")
    return event


def _unstorable(value: Any) -> str | None:
    """Why a decoded line cannot be kept (too deep, a lone surrogate escape), or None; iterative."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return "holds a lone surrogate escape (not Unicode text)"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nests deeper than {MAX_DEPTH} levels"
            children = [*item, *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def _clip(data: bytes | str, limit: int = 80) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kill_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the child's whole process group, then SIGKILL it after grace_s."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            if sig == signal.SIGKILL:
                return
        except subprocess.TimeoutExpired:
            continue


class _Pipes:
    """A child's three pipes served from the calling thread: stdin fed as the pipe accepts it, stdout to the
    collector, the tail of stderr kept. One thread per case, no helper threads (they cost a millisecond a run)."""

    def __init__(self, process: subprocess.Popen[bytes], payload: bytes, collector: _Collector) -> None:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        self.process = process
        self.stdin, self.stdout, self.stderr = process.stdin, process.stdout, process.stderr
        self.collector = collector
        self.pending = memoryview(payload)
        self.stderr_tail = bytearray()
        self.selector = selectors.DefaultSelector()
        os.set_blocking(process.stdin.fileno(), False)
        self.selector.register(self.stdin, selectors.EVENT_WRITE)
        self.selector.register(self.stdout, selectors.EVENT_READ)
        self.selector.register(self.stderr, selectors.EVENT_READ)

    def serve(self, deadline: float, exit_fd: int | None = None) -> bool:
        """Serve the pipes until exit_fd is readable (the child exited) or, without one, stdout and stderr
        closed; False when the deadline came first."""
        if exit_fd is not None:
            self.selector.register(exit_fd, selectors.EVENT_READ)
        try:
            while exit_fd is not None or self._reading():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                for key, _ in self.selector.select(remaining):
                    if key.fd == exit_fd:
                        return True
                    self._serve(key.fileobj)
            return True
        finally:
            if exit_fd is not None:
                self.selector.unregister(exit_fd)

    def close(self) -> None:
        """Close the selector and every pipe."""
        self.selector.close()
        for stream in (self.stdin, self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                stream.close()
        self.collector.finish()

    def _reading(self) -> bool:
        return any(key.events & selectors.EVENT_READ for key in self.selector.get_map().values())

    def _serve(self, stream: Any) -> None:
        if stream is self.stdin:
            try:
                self.pending = self.pending[os.write(stream.fileno(), self.pending[:_CHUNK]) :]
            except OSError:  # a child that exits without reading its input closes the pipe
                self.pending = self.pending[:0]
            if not self.pending:
                self.selector.unregister(stream)
                with contextlib.suppress(OSError):
                    stream.close()
            return
        data = os.read(stream.fileno(), _CHUNK)
        if not data:
            self.selector.unregister(stream)
        elif stream is self.stderr:
            self.stderr_tail += data
            del self.stderr_tail[: -_STDERR_TAIL * 2]
        else:
            try:
                self.collector.take(data)
            except _Failure as failure:
                self.collector.failure = failure
                _kill_group(self.process, 0.0)


def _exit_fd(process: subprocess.Popen[bytes]) -> int | None:
    """A descriptor that becomes readable when the child exits (Linux pidfd), or None where there is none."""
    try:
        return os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        return None


def _exchange(process: subprocess.Popen[bytes], pipes: _Pipes, timeout_s: float) -> bool:
    """Serve the child until it exits; False when it was still running at timeout_s."""
    deadline = time.monotonic() + timeout_s
    exit_fd = _exit_fd(process)
    if exit_fd is not None:
        try:
            return pipes.serve(deadline, exit_fd)
        finally:
            os.close(exit_fd)
    if not pipes.serve(deadline):
        return False
    try:  # its output pipes closed; it may still be running
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    return True


def run_case(
    command: Sequence[str],
    *,
    case_input: Any,
    skill_id: str,
    case_id: str,
    run_id: str,
    timeout_s: float,
    states: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    max_output_bytes: int = MAX_OUTPUT_BYTES,
    kill_grace_s: float = KILL_GRACE_S,
    agents: Agents | None = None,
    agent_env: Sequence[str] = (),
    secrets: Sequence[str] = (),
) -> CaseRun:
    """Run one case: command (no shell) with the case input as JSON on stdin; never raises for the child's faults.

    `agents` is the bench's containment (its subreaper); without one, the run's leftovers are searched system-wide.
    The agent's environment is the allow-list plus `agent_env` (names from skillci's) and `env`; the `secrets`
    values are redacted from everything the run returns.
    """
    agents = agents or _UNCONTAINED
    ids = {"SKILLCI_RUN_ID": run_id, "SKILLCI_SKILL_ID": skill_id, "SKILLCI_CASE_ID": case_id}
    environment = agent_environment(agent_env, {**(env or {}), **ids})
    started = time.monotonic()

    def finished(status: Status, **fields: Any) -> CaseRun:
        duration = round(time.monotonic() - started, 3)
        return CaseRun(run_id, skill_id, case_id, status, duration, **redact(fields, secrets))

    try:
        process = agents.start(
            lambda: subprocess.Popen(
                list(command),
                cwd=cwd,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own session and process group, so a timeout kills everything it started
            )
        )
    except OSError as exc:
        return finished("failed", failure_code=CRASH, error_message=f"cannot start {command[0]}: {exc.strerror}")

    collector = _Collector(states=states, max_bytes=max_output_bytes)
    pipes = _Pipes(process, json.dumps(case_input).encode("utf-8"), collector)
    try:
        timed_out = not _exchange(process, pipes, timeout_s)
        if timed_out:
            _kill_group(process, kill_grace_s)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # anything the child left running in its group
        agents.sweep(process, run_id)  # and anything that left the group (setsid, a double fork)
        pipes.serve(time.monotonic() + _DRAIN_S)  # what it wrote before it exited
    finally:
        pipes.close()
    process.wait()
    agents.forget(process)
    tail = bytes(pipes.stderr_tail[-_STDERR_TAIL:]).decode("utf-8", "replace")
    common: dict[str, Any] = {
        "states": collector.states,
        "events": collector.events,
        "exit_code": process.returncode,
        "stderr_tail": tail,
    }
    if timed_out:
        message = f"no result within max_duration_s ({timeout_s:g} s); process group killed"
        return finished("timed_out", failure_code=TIMEOUT, error_message=message, **common)
    if collector.failure is not None:
        failure = collector.failure
        return finished("failed", failure_code=failure.code, error_message=failure.message, **common)
    if process.returncode != 0:
        last = tail.strip().splitlines()[-1] if tail.strip() else "no stderr"
        message = f"exited with code {process.returncode}: {_clip(last, 200)}"
        return finished("failed", failure_code=CRASH, error_message=message, **common)
    if collector.result is None:
        return finished("failed", failure_code=NO_RESULT, error_message="no result line on stdout", **common)
    for name in RESULT_NUMBERS:
        value = collector.result.get(name)
        if value is None:
            continue
        count = name in RESULT_COUNTS
        limit = 2**31 if name in ("changed_lines", "ci_attempts") else 2**53
        number = not isinstance(value, bool) and isinstance(value, (int, float)) and 0 <= value < limit
        if not number or (count and value != int(value)):
            kind = "a non-negative whole number" if count else "a non-negative number"
            message = f"result field {name} must be {kind}, got {_clip(json.dumps(value))}"
            return finished("failed", failure_code=BAD_OUTPUT, error_message=message, **common)
    return finished("succeeded", result=collector.result, **common)
