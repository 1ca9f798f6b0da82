"""`skillci run`, the main job for a newcomer: validate → migrate + sync → bench → gate, ending in one verdict.

The registry is validated once; each later step works from that one result.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from skillci.errors import ExitCode
from skillci.registry.load import load_registry
from skillci.registry.reporters import REPORTERS


def run_pipeline(*, root: Path, store: str | None, output_format: str, verbosity: int, color: bool, out: TextIO) -> int:
    """Validate; migrate and sync into the store; bench the changed skills (all without history); gate; one verdict
    line. Returns the gate's exit code (1 when validation fails: nothing else runs then)."""
    result = load_registry(root)
    REPORTERS[output_format](out, verbosity=verbosity, color=color).report(result)
    steps = [f"validate {'passed' if result.ok else 'failed'} ({result.errors} errors, {result.warnings} warnings)"]
    if not result.ok:
        out.write(f"skillci run: FAIL — {'; '.join([*steps, 'sync and bench skipped'])}\n")
        return ExitCode.CHECK_FAILED

    from skillci.bench.engine import default_jobs
    from skillci.bench.progress import progress_for
    from skillci.bench.reporters import BENCH_REPORTERS, plural
    from skillci.bench.selection import changed_or_all, select
    from skillci.bench.session import Settings, run_bench
    from skillci.checkout import head_sha
    from skillci.gate.decision import decide
    from skillci.gate.publish import publish
    from skillci.gate.results import merge_results
    from skillci.store import opened_store
    from skillci.sync.plan import desired_state

    desired = desired_state(result.data)
    with opened_store(store, root=root) as opened:
        opened.migrate()
        outcome = opened.sync(desired, git_sha=head_sha(root), apply=True)
        location = opened.location
    counts = outcome.counts()["skills"]
    written = ", ".join(f"{counts[name]} {name}" for name in ("created", "updated", "deprecated", "unchanged"))
    steps.append(f"sync into {location}: skills {written}")

    config = result.configuration()
    choice = changed_or_all(config.root)
    bench_format = "github" if output_format == "github" else "text"
    bench_run, failure = run_bench(
        config=config,
        result=result,
        current=desired["skills"],
        selection=select(config, desired["skills"], choice),
        settings=Settings(store=store, jobs=default_jobs()),
        progress=progress_for(bench_format, verbosity),
    )
    BENCH_REPORTERS[bench_format](out, verbosity=verbosity).report(bench_run)
    if failure is not None:
        raise failure
    compared = f"changed against {choice.base}" if choice.base else "all, nothing to compare with"
    passed = sum(item.cases_passed for item in bench_run.results)
    total = sum(item.cases_total for item in bench_run.results)
    steps.append(f"bench {plural(len(bench_run.results), 'skill')} ({compared}): {passed}/{total} cases passed")

    decision = decide(result, merge_results([("skillci bench", bench_run.to_json())]))
    code = publish(
        decision,
        root=root,
        store=store,
        record=True,
        comment="never",
        output_format=bench_format,
        verbosity=verbosity,
        stream=out,
    )
    if decision.passed:
        steps.append(f"gate passed ({len(decision.checks)} checks)")
    else:
        failed = [f"{check.name}: {check.measured}" for check in decision.checks if not check.passed]
        steps.append(f"gate failed ({'; '.join(failed)})")
    out.write(f"skillci run: {'PASS' if decision.passed else 'FAIL'} — {'; '.join(steps)}\n")
    return code
