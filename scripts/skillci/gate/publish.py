"""Publishing a gate's verdict: the report, the sticky pull-request comment, and the gate_results row."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import TextIO

from skillci import github, ledger
from skillci.checkout import head_sha
from skillci.errors import BadInput, ExitCode, SkillciError
from skillci.gate.decision import GateResult
from skillci.gate.reporters import COMMENT_MARKER, GATE_REPORTERS, markdown_summary

#: --comment: auto comments when a pull request and a token are there; always fails without them.
COMMENT_MODES = ("auto", "always", "never")


def publish(
    decision: GateResult,
    *,
    root: Path,
    store: str | None,
    record: bool,
    comment: str,
    output_format: str,
    verbosity: int = 0,
    stream: TextIO | None = None,
) -> int:
    """Report a decision, then the pull-request comment and the gate_results row; an outside failure is exit 3
    after the verdict was printed."""
    out = stream or sys.stdout
    context = github.run_context()
    GATE_REPORTERS[output_format](out, verbosity=verbosity, run_url=context.run_url).report(decision)
    ledger.note_counts({"passed": int(decision.passed), "cases_passed": decision.cases_passed})
    failures: list[SkillciError] = []
    try:
        _comment(decision, context=context, mode=comment, out=out)
    except SkillciError as exc:
        failures.append(exc)
    if record:
        try:
            _record(decision, context=context, root=root, store=store)
        except SkillciError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return ExitCode.OK if decision.passed else ExitCode.CHECK_FAILED


def _comment(decision: GateResult, *, context: github.RunContext, mode: str, out: TextIO) -> None:
    if mode == "never":
        return
    missing = [
        name
        for name, value in (
            ("a pull request (GITHUB_EVENT_PATH)", context.pr_number),
            ("GITHUB_REPOSITORY", context.repository),
            ("GITHUB_TOKEN", context.token),
        )
        if value is None
    ]
    if missing:
        if mode == "always":
            raise BadInput(f"--comment always needs {', '.join(missing)}")
        return
    assert context.repository is not None and context.pr_number is not None and context.token is not None
    outcome = github.sticky_comment(
        repository=context.repository,
        number=context.pr_number,
        body=markdown_summary(decision, run_url=context.run_url),
        marker=COMMENT_MARKER,
        token=context.token,
        api_url=context.api_url,
    )
    if outcome.action == "skipped":
        out.write(github.message("notice", f"no pull-request comment: {outcome.reason}", title="skillci gate") + "\n")
    else:
        out.write(f"pull-request comment {outcome.action}: {outcome.url}\n")


def _record(decision: GateResult, *, context: github.RunContext, root: Path, store: str | None) -> None:
    from skillci.store import recording_store

    opened = recording_store(store, root=root)
    try:
        commit = context.head_sha or head_sha(root)
        key = f"gate/{context.run_key}/{commit}" if context.run_key else f"gate/local/{uuid.uuid4()}"
        opened.record_gate(
            {
                "passed": decision.passed,
                "thresholds": decision.thresholds.to_json(),
                "numbers": decision.numbers(),
                "commit_sha": commit,
                "pr_number": context.pr_number,
                "run_url": context.run_url,
                "idempotency_key": key,
            }
        )
    finally:
        opened.close()
