"""The bad-input corpus: every broken registry under tests/data/negative fails cleanly, at the right line.

Each case directory holds the files that differ from the example registry (same
repository-relative paths) and an `expect.yaml`:

    description: what is broken
    exit_code: 1 | 2
    code: the finding code (exit 1 only)
    file: repository-relative path the finding or error names
    line: the exact line
    setup: name of a run-time step in SETUPS (big files, symlinks), optional
    max_seconds: wall-clock budget for the rejection, optional
    must_not_exist: paths (under the checkout) that a hostile input tries to create, optional
    github_safe: also check the github format cannot be tricked into extra workflow commands, optional
    xfail: "reason", for a known skillci bug (strict: the case fails once the bug is fixed)

The test copies the example registry, lays the case's files over it, runs the
real CLI and checks the exit code, the finding (JSON and text) and that nothing
was written.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import DATA
from helpers.cli import Completed, run_skillci
from helpers.registry import copy_example
from skillci.config import load_config
from skillci.registry import validation
from skillci.registry.memo import ParseMemo
from skillci.registry.validation import validate_registry

NEGATIVE = DATA / "negative"
EXPECT_FILE = "expect.yaml"
FILL_MARKER = "__FILL_2MB__"
TWO_MB = 2 * 1024 * 1024
FILL_100KB_MARKER = "__FILL_100KB__"
EXPECT_KEYS = {
    "description",
    "exit_code",
    "code",
    "file",
    "line",
    "setup",
    "max_seconds",
    "must_not_exist",
    "github_safe",
    "xfail",
}
#: Finding codes the corpus must exercise (the bad inputs SPEC §12 and the registry rules name).
REQUIRED_CODES = {
    "yaml-syntax",
    "yaml-duplicate-key",
    "yaml-alias-limit",
    "yaml-alias",
    "yaml-encoding",
    "yaml-empty",
    "yaml-multiple-documents",
    "yaml-tag",
    "file-too-large",
    "schema-max-length",
    "schema-type",
    "schema-pattern",
    "schema-enum",
    "schema-additional-properties",
    "duplicate-skill-id",
    "duplicate-failure-code",
    "state-machine-order",
    "unknown-tool",
    "tool-not-allowed",
    "tool-none-not-alone",
    "runbook-missing",
    "runbook-escape",
    "metric-weights-sum",
    "tier-order",
    "unknown-tier",
    "formula-syntax",
    "formula-unknown-variable",
    "formula-forbidden",
    "cases-missing",
    "benchmark-command-missing",
    "regex-invalid",
    "duplicate-case-id",
}
CONFIG_ERROR = re.compile(r"^skillci: error: (?P<file>[^:\n]+):(?P<line>\d+): \S.*$")


@dataclass(frozen=True)
class Case:
    """One broken registry and what skillci must say about it."""

    name: str
    directory: Path
    exit_code: int
    file: str
    line: int
    code: str | None = None
    setup: str | None = None
    max_seconds: float | None = None
    must_not_exist: tuple[str, ...] = ()
    github_safe: bool = False
    xfail: str | None = None
    overlay: tuple[Path, ...] = field(default=())


def _load_case(directory: Path) -> Case:
    raw = yaml.safe_load((directory / EXPECT_FILE).read_text(encoding="utf-8"))
    assert isinstance(raw, dict), f"{directory.name}: expect.yaml must be a mapping"
    unknown = set(raw) - EXPECT_KEYS
    assert not unknown, f"{directory.name}: unknown keys in expect.yaml: {sorted(unknown)}"
    overlay = tuple(
        sorted(p for p in directory.rglob("*") if (p.is_file() or p.is_symlink()) and p.name != EXPECT_FILE)
    )
    return Case(
        name=directory.name,
        directory=directory,
        exit_code=int(raw["exit_code"]),
        file=str(raw["file"]),
        line=int(raw["line"]),
        code=raw.get("code"),
        setup=raw.get("setup"),
        max_seconds=raw.get("max_seconds"),
        must_not_exist=tuple(raw.get("must_not_exist", ())),
        github_safe=bool(raw.get("github_safe", False)),
        xfail=raw.get("xfail"),
        overlay=overlay,
    )


def _all_cases() -> list[Case]:
    return [_load_case(d) for d in sorted(NEGATIVE.iterdir()) if d.is_dir()]


CASES = _all_cases()


# ---- run-time setup steps: what cannot (or should not) be committed -----------------------------


def _fill_2mb(case: Case, repo: Path, outside: Path) -> None:
    """Expand FILL_MARKER in the overlaid files to 2 MB of text, so 2 MB files never sit in git."""
    filled = 0
    for source in case.overlay:
        target = repo / source.relative_to(case.directory)
        text = target.read_text(encoding="utf-8")
        if FILL_MARKER in text:
            target.write_text(text.replace(FILL_MARKER, "a" * TWO_MB, 1), encoding="utf-8")
            assert target.stat().st_size > TWO_MB
            filled += 1
    assert filled, f"{case.name}: no {FILL_MARKER} to fill"


def _fill_100kb(case: Case, repo: Path, outside: Path) -> None:
    """An alias byte bomb: FILL_100KB_MARKER becomes one 100,000-character string, `__ALIASES__` 20,000 aliases."""
    target = repo / "ssot" / "agents" / "skills.yaml"
    text = target.read_text(encoding="utf-8")
    assert FILL_100KB_MARKER in text and "__ALIASES__" in text, f"{case.name}: nothing to fill"
    text = text.replace(FILL_100KB_MARKER, "b" * 100_000, 1).replace("__ALIASES__", "\n".join(["  - *big"] * 20_000))
    target.write_text(text, encoding="utf-8")


def _symlink_runbook(case: Case, repo: Path, outside: Path) -> None:
    """The runbook the case's failure mode names: a symlink to a file outside the checkout."""
    secret = outside / "secret.md"
    secret.write_text("# not part of the repository\n", encoding="utf-8")
    runbook = repo / "docs" / "runbooks" / "failures" / "AGENT.LEAK.md"
    assert not runbook.exists()
    runbook.symlink_to(secret)
    assert runbook.resolve() == secret.resolve()


def _symlink_loop_runbook(case: Case, repo: Path, outside: Path) -> None:
    """The runbook the case's failure mode names, and another one beside it: two symlinks to each other."""
    folder = repo / "docs" / "runbooks" / "failures"
    (folder / "AGENT.LOOP.md").symlink_to("AGENT.LOOP2.md")
    (folder / "AGENT.LOOP2.md").symlink_to("AGENT.LOOP.md")


def _symlink_tools_registry(case: Case, repo: Path, outside: Path) -> None:
    """The tools registry itself: a symlink to a (valid) copy outside the checkout."""
    registry = repo / "ssot" / "tools" / "registry.yaml"
    copy = outside / "registry.yaml"
    shutil.copyfile(registry, copy)
    registry.unlink()
    registry.symlink_to(copy)


SETUPS: dict[str, Callable[[Case, Path, Path], None]] = {
    "fill-2mb": _fill_2mb,
    "fill-100kb": _fill_100kb,
    "symlink-runbook": _symlink_runbook,
    "symlink-loop-runbook": _symlink_loop_runbook,
    "symlink-tools-registry": _symlink_tools_registry,
}


# ---- helpers ----------------------------------------------------------------------------------------


def _prepare(case: Case, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    copy_example(repo)
    for source in case.overlay:
        target = repo / source.relative_to(case.directory)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() or target.is_symlink():
            target.unlink()
        shutil.copyfile(source, target)
    if case.setup is not None:
        SETUPS[case.setup](case, repo, outside)
    return repo


def _snapshot(root: Path) -> dict[str, str]:
    """Every path under root with a digest of its content (or its link target)."""
    state: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[relative] = "link:" + str(path.readlink())
        elif path.is_file():
            state[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[relative] = "dir"
    return state


def _no_crash(case: Case, run: Completed) -> None:
    for stream in (run.stdout, run.stderr):
        assert "Traceback" not in stream, f"{case.name}: traceback\n{run.stderr[-4000:]}"
        assert "internal error" not in stream, f"{case.name}: internal error\n{run.stderr[-4000:]}"


def _describe(findings: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {f['file']}:{f['line']}:{f['column']} [{f['code']}] {f['message'][:160]}" for f in findings)


def _check_config_error(case: Case, run: Completed) -> None:
    """Exit 2: one line on stderr, `skillci: error: FILE:LINE: message`, and nothing on stdout."""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, f"{case.name}: expected one stderr line, got:\n{run.stderr}"
    match = CONFIG_ERROR.match(lines[0])
    assert match, f"{case.name}: stderr is not `skillci: error: FILE:LINE: message`: {lines[0]!r}"
    assert (match["file"], int(match["line"])) == (case.file, case.line), f"{case.name}: {lines[0]!r}"
    assert run.stdout == "", f"{case.name}: a configuration error printed to stdout:\n{run.stdout[:2000]}"


def _run_validate(repo: Path, output_format: str) -> tuple[Completed, float]:
    started = time.monotonic()
    run = run_skillci("validate", "--root", str(repo), "--format", output_format, cwd=repo)
    return run, time.monotonic() - started


@pytest.fixture(scope="module")
def clean_run_seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Wall-clock time of validating the unbroken example (warms caches; the CLI's start-up cost)."""
    repo = copy_example(tmp_path_factory.mktemp("clean") / "repo")
    run, elapsed = _run_validate(repo, "json")
    assert run.code == 0, f"the example registry must validate cleanly:\n{run.output[-4000:]}"
    return elapsed


# ---- tests ------------------------------------------------------------------------------------------


def test_corpus_is_large_and_well_formed() -> None:
    assert len(CASES) >= 30
    codes = {case.code for case in CASES if case.code}
    missing = REQUIRED_CODES - codes
    assert not missing, f"no negative case for: {sorted(missing)}"
    assert sum(1 for case in CASES if case.exit_code == 2) >= 2
    for case in CASES:
        assert case.exit_code in (1, 2), case.name
        assert (case.code is None) == (case.exit_code == 2), f"{case.name}: code is for exit 1 only"
        assert case.line >= 1, case.name
        assert case.overlay or case.setup, f"{case.name}: nothing broken"
        assert case.setup is None or case.setup in SETUPS, f"{case.name}: unknown setup {case.setup!r}"
        assert not Path(case.file).is_absolute() and ".." not in Path(case.file).parts, case.name
    used = {case.setup for case in CASES if case.setup}
    assert used == set(SETUPS), f"setup steps without a case: {sorted(set(SETUPS) - used)}"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case, id=case.name, marks=[pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        )
        for case in CASES
    ],
)
def test_negative_case(case: Case, tmp_path: Path, clean_run_seconds: float) -> None:
    repo = _prepare(case, tmp_path)
    before = _snapshot(tmp_path)

    run, elapsed = _run_validate(repo, "json")
    _no_crash(case, run)
    assert run.code == case.exit_code, f"{case.name}: exit {run.code}, expected {case.exit_code}\n{run.output[-4000:]}"
    if case.exit_code == 2:
        _check_config_error(case, run)
    else:
        payload = json.loads(run.stdout)
        findings: list[dict[str, Any]] = payload["findings"]
        assert not payload["ok"]
        hits = [f for f in findings if (f["code"], f["file"], f["line"]) == (case.code, case.file, case.line)]
        assert hits, f"{case.name}: no [{case.code}] at {case.file}:{case.line}; findings were:\n{_describe(findings)}"

    text, _ = _run_validate(repo, "text")
    _no_crash(case, text)
    assert text.code == case.exit_code, f"{case.name}: text format exited {text.code}"
    if case.exit_code == 2:
        _check_config_error(case, text)
    else:
        prefix = f"{case.file}:{case.line}:"
        named = [ln for ln in text.stdout.splitlines() if ln.startswith(prefix) and f"[{case.code}]" in ln]
        assert named, f"{case.name}: text output does not name {prefix} [{case.code}]:\n{text.stdout[:4000]}"

    if case.github_safe:
        github, _ = _run_validate(repo, "github")
        _no_crash(case, github)
        assert github.code == case.exit_code
        for line in github.stdout.splitlines():
            if line.startswith("::"):
                assert re.match(r"^::(error|warning|notice) file=", line), f"{case.name}: injected command {line!r}"

    if case.max_seconds is not None:
        started = time.monotonic()
        result = validate_registry(load_config(repo))
        in_process = time.monotonic() - started
        assert any((f.code, f.file, f.line) == (case.code, case.file, case.line) for f in result.findings)
        assert in_process < case.max_seconds, f"{case.name}: rejected in {in_process:.2f}s"
        # End to end, allowing for the interpreter start-up a clean validation also pays.
        assert elapsed < case.max_seconds + clean_run_seconds, f"{case.name}: the CLI took {elapsed:.2f}s"

    for name in case.must_not_exist:
        assert not (repo / name).exists(), f"{case.name}: {name} was created: hostile input was executed"
        assert not (tmp_path / name).exists(), f"{case.name}: {name} was created: hostile input was executed"
    assert _snapshot(tmp_path) == before, f"{case.name}: validate wrote into the checkout"


def _findings(repo: Path, memo: ParseMemo | None = None) -> list[tuple[str, str, int, int, str]]:
    result = validate_registry(load_config(repo), memo=memo)
    return [(f.code, f.file, f.line, f.column, f.message) for f in result.sorted_findings()]


@pytest.mark.parametrize("case", [case for case in CASES if case.exit_code == 1], ids=lambda case: case.name)
def test_the_fast_paths_find_exactly_what_a_plain_validation_finds(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jsonschema-rs's quick accept and the parse memo never change a finding, on any broken registry."""
    repo = _prepare(case, tmp_path)
    monkeypatch.setattr(validation, "FAST_SCHEMA_CHECK", False)
    plain = _findings(repo)
    assert any((code, file, line) == (case.code, case.file, case.line) for code, file, line, _, _ in plain)
    monkeypatch.setattr(validation, "FAST_SCHEMA_CHECK", True)
    assert _findings(repo) == plain
    memo = tmp_path / "memo.json"
    assert _findings(repo, ParseMemo(memo)) == plain  # writes the memo for the clean files
    assert _findings(repo, ParseMemo(memo)) == plain  # reads it
