"""The reference side of the commitlint parity test: real commits, `@commitlint/cli` on them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import DATA, REPO_ROOT

COMMITLINT_DATA = DATA / "commitlint"
CORPUS = COMMITLINT_DATA / "corpus.json"
CONFIG = COMMITLINT_DATA / "commitlint.config.mjs"
RULES_CONFIG = COMMITLINT_DATA / "commitlint.rules.config.mjs"
#: Rule sets that exercise every rule of @commitlint/rules, both conditions.
RULE_FILES = (COMMITLINT_DATA / "rules-always.json", COMMITLINT_DATA / "rules-never.json")
FORMATTER = COMMITLINT_DATA / "json-format.mjs"
CLI = REPO_ROOT / "node_modules" / "@commitlint" / "cli" / "cli.js"
#: What git-raw-commits (used by @commitlint/read) puts after each `%B`.
SCISSOR = "------------------------ >8 ------------------------"
#: The corpus commits' author and committer.
AUTHOR = "Parity Test <parity@example.invalid>"


@dataclass(frozen=True)
class Verdict:
    """One commit's verdict: validity and the failing rules (name, message) by level."""

    valid: bool
    errors: tuple[tuple[str, str], ...]
    warnings: tuple[tuple[str, str], ...]


def require_commitlint() -> tuple[str, Path]:
    """node and the installed @commitlint/cli, or an assertion telling to run npm ci."""
    node = shutil.which("node")
    assert node is not None, "node is not installed: the commitlint parity test needs node and npm (then: npm ci)"
    assert CLI.is_file(), f"{CLI.relative_to(REPO_ROOT)} is missing: run npm ci at the repository root"
    return node, CLI


def load_corpus() -> list[dict[str, str]]:
    """The corpus: [{id, message}]."""
    data: list[dict[str, str]] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def _git(repo: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
    result = subprocess.run(["git", *args], cwd=repo, input=input_bytes, capture_output=True, env=env, check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def build_repository(repo: Path, messages: list[str]) -> tuple[str, list[str]]:
    """A git repository with one root commit then one empty commit per message; (root, hashes)."""
    repo.mkdir(parents=True, exist_ok=True)
    _git(repo, "init", "-q", "-b", "main")
    for key, value in (
        ("user.name", "Parity Test"),
        ("user.email", "parity@example.invalid"),
        ("commit.gpgsign", "false"),
    ):
        _git(repo, "config", key, value)
    # One `git fast-import` writes every commit (message bytes verbatim, like `commit --cleanup=verbatim -F`):
    # two git processes per message took about 20 s.
    stream = bytearray()
    for mark, message in enumerate(["chore: root\n", *messages], 1):
        data = message.encode("utf-8")
        stream += f"commit refs/heads/main\nmark :{mark}\n".encode()
        stream += f"author {AUTHOR} {mark} +0000\ncommitter {AUTHOR} {mark} +0000\n".encode()
        stream += f"data {len(data)}\n".encode() + data + b"\n"
    marks = repo.parent / f"{repo.name}.marks"
    _git(repo, "fast-import", "--quiet", f"--export-marks={marks}", input_bytes=bytes(stream))
    _git(repo, "reset", "-q", "--hard", "main")
    by_mark = dict(line.split(" ", 1) for line in marks.read_text(encoding="ascii").splitlines())
    hashes = [by_mark[f":{mark}"] for mark in range(1, len(messages) + 2)]
    return hashes[0], hashes[1:]


def read_messages(repo: Path, base: str) -> list[tuple[str, str]]:
    """(hash, message) newest first, each message exactly as @commitlint/read hands it to lint."""
    hashes = _git(repo, "log", "--format=%H", f"{base}..HEAD").decode().split()
    raw = _git(repo, "log", f"--format=%B%n{SCISSOR}", f"{base}..HEAD").decode("utf-8")
    chunks = raw.split(f"{SCISSOR}\n")
    if chunks and chunks[-1] == "":
        chunks.pop()
    assert len(chunks) == len(hashes), (len(chunks), len(hashes))
    return list(zip(hashes, chunks, strict=True))


def run_commitlint(repo: Path, base: str, rules_file: Path | None = None) -> list[Verdict]:
    """@commitlint/cli's verdicts on base..HEAD, newest first, empty messages left out as it does."""
    return commitlint_verdicts(
        REPO_ROOT,
        "--cwd",
        str(repo),
        "--from",
        base,
        "--to",
        "HEAD",
        rules_file=rules_file,
        out=repo.parent / f"{repo.name}.commitlint.json",
    )


def commitlint_verdicts(cwd: Path, *args: str, out: Path, rules_file: Path | None = None) -> list[Verdict]:
    """@commitlint/cli's verdicts, run in cwd with args (a source: --edit FILE, --last, a range); out is a scratch
    file for its results. Run in the repository for --edit: commitlint asks git there for core.commentChar."""
    return start_commitlint(cwd, *args, out=out, rules_file=rules_file).verdicts()


@dataclass
class PendingCommitlint:
    """One @commitlint/cli run under way; several run at once, each takes a second to start."""

    process: subprocess.Popen[str]
    out: Path

    def verdicts(self) -> list[Verdict]:
        """Its verdicts, once it has finished."""
        stdout, stderr = self.process.communicate(timeout=120)
        assert self.out.is_file(), f"commitlint wrote no results (exit {self.process.returncode}):\n{stdout}\n{stderr}"
        data: list[dict[str, Any]] = json.loads(self.out.read_text(encoding="utf-8"))
        return [
            Verdict(
                valid=bool(item["valid"]),
                errors=tuple((p["name"], p["message"]) for p in item["errors"]),
                warnings=tuple((p["name"], p["message"]) for p in item["warnings"]),
            )
            for item in data
        ]


def start_commitlint(cwd: Path, *args: str, out: Path, rules_file: Path | None = None) -> PendingCommitlint:
    """Start @commitlint/cli as `commitlint_verdicts` runs it; `.verdicts()` waits for it."""
    node, cli = require_commitlint()
    config = CONFIG if rules_file is None else RULES_CONFIG
    out.unlink(missing_ok=True)
    env = {**os.environ, "COMMITLINT_RULES": str(rules_file or ""), "COMMITLINT_JSON_OUT": str(out)}
    process = subprocess.Popen(
        [node, str(cli), "--config", str(config), "--format", str(FORMATTER), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return PendingCommitlint(process, out)
