"""Containment of the agents a bench starts: whatever an agent leaves running is found and killed when its run ends.

An agent runs as the leader of its own session and process group; a descendant can still leave both (`setsid`, a
double fork). skillci makes itself a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`) for the bench, so that such
orphans become its children instead of init's, and after each run kills every process that belongs to the run: its
session or group, anything carrying the run's `SKILLCI_RUN_ID` in its environment, and all their descendants. When
the bench ends, any orphan still left (one that also cleared its environment) is killed too. Where `/proc` or
`prctl` is missing, containment falls back to the process group and never fails the bench.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from skillci.errors import Interrupted

#: prctl(2) option: orphaned descendants are reparented to this process, not to init.
PR_SET_CHILD_SUBREAPER = 36
#: The signals that stop a bench (a cancelled CI job sends SIGTERM, a closed terminal SIGHUP, Ctrl-C SIGINT).
STOP_SIGNALS = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class _Process:
    state: str
    ppid: int
    pgrp: int
    session: int


def _prctl(option: int, value: int) -> bool:
    """Call prctl(2); False where there is none or it refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _read(path: str, limit: int = 1 << 20) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def processes() -> dict[int, _Process]:
    """Every process /proc shows: state, parent, process group and session (empty without /proc)."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    table = {}
    for name in names:
        if not name.isdigit():
            continue
        data = _read(f"/proc/{name}/stat", 4096)
        if not data or b")" not in data:
            continue
        fields = data[data.rindex(b")") + 2 :].split(maxsplit=4)
        with contextlib.suppress(IndexError, ValueError):
            table[int(name)] = _Process(fields[0].decode("ascii", "replace"), *map(int, fields[1:4]))
    return table


def _carries(pid: int, marker: bytes) -> bool:
    """Whether the process's environment holds marker (`NAME=value`); False when it cannot be read."""
    data = _read(f"/proc/{pid}/environ")
    return data is not None and marker in data.split(b"\0")


def _descendants(roots: set[int], table: dict[int, _Process]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, process in table.items():
        children.setdefault(process.ppid, []).append(pid)
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


class Agents:
    """The agent processes of one bench: started one at a time, each run's leftovers killed when it ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[bytes]] = {}
        self._known: set[int] = set()
        self._subreaper = False
        self._me = os.getpid()
        #: The signal that stopped the bench, once one did: no agent starts after it.
        self.stopped_by: int | None = None

    def interrupted(self) -> Interrupted:
        """The error of a bench a signal stopped."""
        name = signal.Signals(self.stopped_by or signal.SIGINT).name
        return Interrupted(self.stopped_by or signal.SIGINT, f"interrupted by {name}: agents stopped, nothing recorded")

    def start(self, spawn: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Start one agent (spawn() makes the Popen) and register it until forget(); none once a signal came."""
        with self._lock:
            if self.stopped_by is not None:
                raise self.interrupted()
            process = spawn()
            self._running[process.pid] = process
            return process

    def forget(self, process: subprocess.Popen[bytes]) -> None:
        """The agent was reaped: no longer one of this bench's."""
        with self._lock:
            self._running.pop(process.pid, None)

    def sweep(self, process: subprocess.Popen[bytes], run_id: str) -> None:
        """Kill everything the run left: its session and group, what carries its run id, and their descendants."""
        table = processes()
        with self._lock:
            running = set(self._running)
        leader = process.pid
        doomed = {pid for pid, entry in table.items() if leader in (entry.session, entry.pgrp)}
        marker = f"SKILLCI_RUN_ID={run_id}".encode()
        for pid in self._suspects(table, running):
            if pid not in doomed and table[pid].state != "Z" and _carries(pid, marker):
                doomed.add(pid)
        doomed = _descendants(doomed, table) - running - {self._me}
        _kill(doomed)
        self._reap({pid for pid in doomed if table[pid].ppid == self._me})

    def _suspects(self, table: dict[int, _Process], running: set[int]) -> list[int]:
        """Where a run's escaped processes can be: with the subreaper, among this process's own unexpected
        children (descendants follow); without it, anywhere."""
        if not self._subreaper:
            return [pid for pid in table if pid != self._me and pid not in running]
        return [pid for pid, entry in table.items() if entry.ppid == self._me and self._unexpected(pid, running)]

    def _unexpected(self, pid: int, running: set[int]) -> bool:
        return pid not in running and pid not in self._known

    def _reap(self, pids: set[int]) -> None:
        for pid in pids:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)

    def kill_all(self) -> None:
        """Kill every agent still running and every orphan the bench left, and reap them."""
        with self._lock:
            running = list(self._running.values())
            for process in running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
            table = processes()
            sessions = {process.pid for process in running}
            roots = {pid for pid, entry in table.items() if entry.session in sessions or entry.pgrp in sessions}
            live = set(self._running)
            if self._subreaper:
                roots |= {pid for pid, entry in table.items() if entry.ppid == self._me and self._unexpected(pid, live)}
            doomed = _descendants(roots, table) - {self._me}
            _kill(doomed)
            for process in running:
                with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                    process.wait(timeout=5)
            adopted = {pid for pid, entry in table.items() if entry.ppid == self._me and self._unexpected(pid, live)}
            self._reap((doomed & adopted) | {pid for pid in adopted if table[pid].state == "Z"})

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Stop the bench: no agent starts any more, every running one is killed now, and the bench unwinds."""
        if self.stopped_by is not None:
            return  # already stopping
        self.stopped_by = signum
        for process in list(self._running.values()):  # no lock: this thread may hold it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        raise self.interrupted()

    def _handle_signals(self) -> dict[int, Any]:
        """Install the stop handler for STOP_SIGNALS (only the main thread can); the handlers it replaced."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}

    @contextlib.contextmanager
    def contained(self) -> Iterator[Agents]:
        """Be the agents' subreaper and stop the bench on a signal; when it ends, however it ends, kill whatever is
        left. An error raised while a signal stops the bench becomes that Interrupted error."""
        self._known = {pid for pid, entry in processes().items() if entry.ppid == self._me}
        self._subreaper = _prctl(PR_SET_CHILD_SUBREAPER, 1)
        previous = self._handle_signals()
        try:
            yield self
        except Exception as exc:
            if self.stopped_by is None or isinstance(exc, Interrupted):
                raise
            raise self.interrupted() from exc
        finally:
            try:
                self.kill_all()
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
                if self._subreaper:
                    _prctl(PR_SET_CHILD_SUBREAPER, 0)
                    self._subreaper = False
