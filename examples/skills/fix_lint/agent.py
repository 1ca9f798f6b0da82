"""Example agent for the `fix-lint` skill: patch the lines a linter complained about.

The skillci benchmark protocol, which this file follows and which any agent can follow:

* skillci runs the skill's `benchmark.command` (no shell, working directory = the repository
  root) once per case, with the case's `input` as JSON on stdin and SKILLCI_RUN_ID,
  SKILLCI_SKILL_ID and SKILLCI_CASE_ID in the environment;
* the agent prints JSON lines on stdout: state events
  `{"event": "state", "state": "PATCH", "detail": {...}}`, in the order of the skill's
  `state_machine`, then exactly one result line
  `{"event": "result", "output": ..., "changed_lines": N, "ci_attempts": N,
  "time_to_green_s": N, "tokens_in": N, "tokens_out": N, "cost_usd": X}` (numbers optional);
* logs go to stderr; a non-zero exit, a missing result line or a line that is not JSON
  fails the run.

This agent is deterministic and offline. Input:
`{"files": {"app.py": "..."}, "lint": ["app.py:1:1: F401 'os' imported but unused", ...]}`.
It copies the files into a fresh temporary directory (it never writes into the repository),
fixes what it can and reports the rest:

* F401 (unused import): deletes the import line;
* W291 / W293 (trailing whitespace): strips it;
* anything else, E501 (line too long) included, stays unfixed with a reason.

Output: `{"patched": {name: new content}, "fixed": [...], "unfixed": [...]}`; changed_lines
counts added plus removed lines of the unified diff, like `git diff --numstat`.
States: PLAN → PATCH → VERIFY → PR.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

LINT_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")
IMPORT_LINE = re.compile(r"^\s*(?:import\s+\S|from\s+\S+\s+import\s+\S)")


@dataclass(frozen=True)
class Problem:
    """One parsed linter line."""

    file: str
    line: int
    code: str
    message: str

    def label(self) -> str:
        return f"{self.file}:{self.line}: {self.code}"


def emit(event: dict[str, Any]) -> None:
    """Print one protocol line and flush, so the runner sees events as they happen."""
    print(json.dumps(event), flush=True)


def read(path: Path) -> str:
    """A file's text with its line endings as they are (no newline translation)."""
    return path.read_bytes().decode("utf-8")


def write(path: Path, text: str) -> None:
    """Write text without newline translation."""
    path.write_bytes(text.encode("utf-8"))


def safe_name(name: str) -> bool:
    """A relative path that stays inside the working copy (the skill's path_traversal_guard)."""
    pure = PurePosixPath(name)
    plain = "\\" not in name and "\0" not in name and pure.name not in ("", ".")
    return plain and not pure.is_absolute() and ".." not in pure.parts


def parse(lint: list[str]) -> tuple[list[Problem], list[str]]:
    """The linter lines this agent understands, and the ones it does not."""
    problems: list[Problem] = []
    unreadable: list[str] = []
    for text in lint:
        match = LINT_LINE.match(text)
        if match is None:
            unreadable.append(f"{text}: not a FILE:LINE:COL: CODE message line")
            continue
        problems.append(Problem(match["file"], int(match["line"]), match["code"], match["message"]))
    return problems, unreadable


def fix_line(problem: Problem, line: str) -> tuple[str | None, str]:
    """The fixed line (None deletes it) and what was done; raises ValueError when it cannot be fixed."""
    if problem.code == "F401":
        if not IMPORT_LINE.match(line):
            raise ValueError("the line is not an import")
        return None, f"removed unused import: {line.strip()}"
    if problem.code in ("W291", "W293"):
        body = line.rstrip("\r\n")
        if body == body.rstrip():
            raise ValueError("no trailing whitespace on the line")
        return body.rstrip() + line[len(body) :], "stripped trailing whitespace"
    if problem.code == "E501":
        raise ValueError("line too long: wrapping lines is not supported")
    raise ValueError(f"no fix for {problem.code}")


def patch(workdir: Path, names: list[str], problems: list[Problem]) -> tuple[list[str], list[str]]:
    """Apply the fixes to the copies under workdir; return what was fixed and what was not."""
    fixed: list[str] = []
    unfixed: list[str] = []
    for name in names:
        path = workdir / name
        lines: list[str | None] = list(read(path).splitlines(keepends=True))
        for problem in sorted((p for p in problems if p.file == name), key=lambda p: (p.line, p.code)):
            if not 0 < problem.line <= len(lines):
                unfixed.append(f"{problem.label()} line {problem.line} is not in the file")
                continue
            current = lines[problem.line - 1]
            if current is None:
                unfixed.append(f"{problem.label()} an earlier fix removed the line")
                continue
            try:
                lines[problem.line - 1], what = fix_line(problem, current)
            except ValueError as reason:
                unfixed.append(f"{problem.label()} {reason}")
                continue
            fixed.append(f"{problem.label()} {what}")
        write(path, "".join(line for line in lines if line is not None))
    return fixed, unfixed


def changed_lines(before: str, after: str) -> int:
    """Added plus removed lines of the unified diff between two versions of a file."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def parses(name: str, text: str) -> bool:
    """Whether a patched Python file still parses (other files are not checked)."""
    if not name.endswith(".py"):
        return True
    try:
        ast.parse(text, filename=name)
    except (SyntaxError, ValueError):
        return False
    return True


def main() -> int:
    case = json.load(sys.stdin)
    files = case.get("files", {}) if isinstance(case, dict) else None
    lint = case.get("lint", []) if isinstance(case, dict) else None
    if not isinstance(files, dict) or not all(isinstance(text, str) for text in files.values()):
        print('input.files must be {"name": "text"}', file=sys.stderr)
        return 1
    if not isinstance(lint, list) or not all(isinstance(line, str) for line in lint):
        print("input.lint must be a list of linter lines", file=sys.stderr)
        return 1
    problems, unfixed = parse(lint)
    case_id = os.environ.get("SKILLCI_CASE_ID", "")
    emit(
        {"event": "state", "state": "PLAN", "detail": {"case": case_id, "files": len(files), "problems": len(problems)}}
    )

    names = sorted(name for name in files if safe_name(name))
    unfixed += [f"{name}: path leaves the working copy; skipped" for name in sorted(set(files) - set(names))]
    for problem in problems:
        if problem.file not in names:
            unfixed.append(f"{problem.label()} file not in the input")
    known = [problem for problem in problems if problem.file in names]
    with tempfile.TemporaryDirectory(prefix="skillci-fix-lint-") as temporary:
        workdir = Path(temporary)
        for name in names:
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            write(workdir / name, files[name])
        fixed, not_fixed = patch(workdir, names, known)
        unfixed += not_fixed
        emit({"event": "state", "state": "PATCH", "detail": {"fixed": len(fixed), "unfixed": len(unfixed)}})
        patched = {name: read(workdir / name) for name in names}

    changed = sum(changed_lines(files[name], patched[name]) for name in names)
    broken = [name for name in names if parses(name, files[name]) and not parses(name, patched[name])]
    emit({"event": "state", "state": "VERIFY", "detail": {"changed_lines": changed, "broken": broken}})
    emit({"event": "state", "state": "PR", "detail": {"title": f"fix: {len(fixed)} lint problem(s)", "draft": True}})

    size = sum(len(content) for content in files.values()) + sum(len(line) for line in lint)
    tokens_in = 400 + size // 4  # a fixed prompt plus the input, at about four characters a token
    tokens_out = 50 + changed * 10
    ci_attempts = 2 if unfixed else 1
    emit(
        {
            "event": "result",
            "output": {"patched": patched, "fixed": fixed, "unfixed": unfixed},
            "changed_lines": changed,
            "ci_attempts": ci_attempts,
            "time_to_green_s": 30 * ci_attempts + 5 * len(problems),
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "cost_usd": round(tokens_in * 3e-6 + tokens_out * 15e-6, 6),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
