"""`skillci gate`: hold the bench results to the thresholds; report, comment once, record; exit 0 or 1."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from skillci import github, ledger
from skillci.checkout import head_sha
from skillci.commands.validate import run_validation
from skillci.errors import BadInput, ExitCode, SkillciError
from skillci.gate.decision import (
    BenchResults,
    GateResult,
    Thresholds,
    check_thresholds,
    evaluate,
    load_results,
    merge_results,
    tier_order,
)
from skillci.gate.reporters import COMMENT_MARKER, GATE_REPORTERS, markdown_summary
from skillci.store import store_url
from skillci.sync.plan import desired_state, normalize

#: Defaults of the thresholds that benchmark.yaml does not set.
DEFAULT_MIN_PASS_PCT = 70.0
DEFAULT_MAX_REGRESSION = 5.0
#: --comment: auto comments when a pull request and a token are there; always fails without them.
COMMENT_MODES = ("auto", "always", "never")


def decide(
    *,
    root: Path,
    results: BenchResults | None,
    min_pass_pct: float | None = None,
    min_tier: str | None = None,
    max_regression: float | None = None,
) -> GateResult:
    """Validate the registry and hold the results to the thresholds (benchmark.yaml's tier by default)."""
    validation = run_validation(root=root)
    benchmark = normalize(validation.data.get("benchmark") or {})
    tiers = tier_order(benchmark)
    thresholds = Thresholds(
        min_pass_pct=DEFAULT_MIN_PASS_PCT if min_pass_pct is None else float(min_pass_pct),
        min_tier=min_tier or str(benchmark.get("production_min_tier") or ""),
        max_regression=DEFAULT_MAX_REGRESSION if max_regression is None else float(max_regression),
    )
    if not tiers:
        gate = evaluate(None, skills={}, tiers=[], thresholds=thresholds, registry_errors=max(1, validation.errors))
        gate.notes.append("benchmark.yaml could not be read, so there are no tiers to judge by")
        return gate
    check_thresholds(thresholds, tiers)
    skills = desired_state(validation.data)["skills"] if validation.ok else _skills(validation.data)
    return evaluate(results, skills=skills, tiers=tiers, thresholds=thresholds, registry_errors=validation.errors)


def _skills(data: dict[str, object]) -> dict[str, dict[str, object]]:
    """The skills of a registry with errors, as far as they can be read (their status decides who is held)."""
    skills: dict[str, dict[str, object]] = {}
    document = normalize(data.get("skills") or {})
    items = document.get("skills") if isinstance(document, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            skills[item["id"]] = item
    return skills


def results_from_store(*, root: Path, store: str | None, base: str | None) -> BenchResults:
    """The bench results recorded for this commit: the latest of each skill the change selects (every benchmarked
    skill without --base), each compared with its baseline as the bench compared it."""
    from skillci.checkout import default_branch
    from skillci.commands.bench import Choice, select
    from skillci.commands.validate import valid_registry
    from skillci.config import load_config
    from skillci.store import open_store

    validation = valid_registry(root=root, nothing_done="nothing judged")
    current = desired_state(validation.data)["skills"]
    selection = select(load_config(root), current, Choice(base=base) if base else Choice(all_skills=True))
    commit = head_sha(root)
    if commit is None:
        raise BadInput("--from-store needs the commit to judge: run inside a git checkout (or set GITHUB_SHA)")
    url = store_url(store)
    opened = open_store(url, root=root)
    try:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: nothing was recorded there to judge")
        ids = list(selection.skills)
        found = opened.commit_results(commit, ids)
        baselines = opened.bench_context(ids, branch=default_branch(root), git_sha=selection.base_commit).baseline
        location = opened.location
    finally:
        opened.close()
    rows = []
    for skill_id in ids:
        if skill_id not in found:
            continue
        row = dict(found[skill_id])
        baseline = baselines.get(skill_id)
        score, before = row.get("composite_score"), None if baseline is None else baseline.composite_score
        row["baseline_delta"] = None if score is None or before is None else round(float(score) - float(before), 2)
        rows.append(row)
    source = f"the store {location} at {commit[:12]}"
    return merge_results([(source, {"selected": ids, "results": rows})])


def gate(
    *,
    root: Path,
    results: Sequence[Path],
    min_pass_pct: float | None,
    min_tier: str | None,
    max_regression: float | None,
    store: str | None,
    record: bool,
    comment: str,
    output_format: str,
    from_store: bool = False,
    base: str | None = None,
    verbosity: int = 0,
    stream: TextIO | None = None,
) -> int:
    """Decide, print every check, update the pull-request comment, record the decision; exit 1 when it fails."""
    if from_store and results:
        raise BadInput("judge either --results files or --from-store, not both")
    if from_store:
        loaded: BenchResults | None = results_from_store(root=root, store=store, base=base)
    else:
        loaded = load_results(results) if results else None
    decision = decide(
        root=root, results=loaded, min_pass_pct=min_pass_pct, min_tier=min_tier, max_regression=max_regression
    )
    return publish(
        decision,
        root=root,
        store=store,
        record=record,
        comment=comment,
        output_format=output_format,
        verbosity=verbosity,
        stream=stream,
    )


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
