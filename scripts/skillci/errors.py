"""The one error type of skillci and its exit codes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit-code contract of every skillci command."""

    OK = 0
    #: The check ran and failed: findings, gate not met, lint errors.
    CHECK_FAILED = 1
    #: Bad invocation, or unreadable or invalid input or configuration.
    BAD_INPUT = 2
    #: An outside service (database, Slack, GitHub) failed after retries.
    SERVICE_FAILED = 3
    #: A signal stopped a bench: 128 + the signal, as a shell reports it.
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143


class SkillciError(Exception):
    """A user-facing failure: printed as one line, never with a traceback."""

    #: The process exit code this error maps to.
    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def format(self) -> str:
        """The one-line form: `file:line: message`."""
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"


class CheckFailed(SkillciError):
    """The check fails before it can run: commitlint's "input is required" for an empty message (exit 1)."""

    exit_code = ExitCode.CHECK_FAILED


class BadInput(SkillciError):
    """Invalid invocation, configuration or input file (exit 2)."""

    exit_code = ExitCode.BAD_INPUT


class ServiceFailed(SkillciError):
    """An outside service failed after retries (exit 3)."""

    exit_code = ExitCode.SERVICE_FAILED


class Interrupted(SkillciError):
    """A signal (SIGHUP, SIGINT, SIGTERM) stopped the command (exit 128 + the signal)."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = ExitCode(128 + signum)
