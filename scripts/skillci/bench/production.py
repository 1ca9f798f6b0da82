"""Production runs scored with the bench's scorer: what agents recorded in a window, against the window before."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from skillci.bench.engine import BenchRun, SkillResult, score_stats
from skillci.errors import BadInput
from skillci.sync.plan import normalize

_SINCE = re.compile(r"\A([1-9][0-9]*)([hdw])\Z")


def parse_since(text: str, *, now: datetime) -> datetime:
    """`7d`, `12h`, `2w`, or an ISO 8601 date or date-time (UTC unless it says otherwise)."""
    found = _SINCE.match(text.strip())
    if found:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[found.group(2)]
        return now - timedelta(**{unit: int(found.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"--since {text!r}: expected a window such as 7d, 12h or 2w, or an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def score_production(
    *,
    root: Path,
    benchmark: Mapping[str, Any],
    current: Mapping[str, Mapping[str, Any]],
    skills: Sequence[str],
    store: str | None,
    since: str,
    now: datetime | None = None,
) -> BenchRun:
    """Score the production runs recorded since a moment, each run one case; the delta compares with the window of
    the same length just before. `skills` narrows to those ids (all skills when empty)."""
    for name in skills:
        if name not in current:
            raise BadInput(f"--skill {name!r}: no such skill in the registry")
    ids = list(dict.fromkeys(skills)) if skills else list(current)
    moment = now or datetime.now(UTC)
    start = parse_since(since, now=moment)
    if start >= moment:
        raise BadInput(f"--since {since!r} is not in the past")
    scorer = normalize(benchmark)
    from skillci.store import opened_store

    with opened_store(store, root=root) as opened:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: run `skillci db migrate` first")
        stats = opened.run_stats(ids, since=start, until=None, source="production")
        before = opened.run_stats(ids, since=start - (moment - start), until=start, source="production")
    bench_run = BenchRun(selected=ids)
    for skill_id in ids:
        budget = int(current[skill_id]["max_duration_s"])
        score, passed, total = score_stats(stats.get(skill_id), benchmark=scorer, max_duration_s=budget)
        earlier = score_stats(before.get(skill_id), benchmark=scorer, max_duration_s=budget)[0]
        bench_run.results.append(
            SkillResult(
                skill_id, score, (), cache_key="", baseline_score=earlier.composite_score, run_counts=(passed, total)
            )
        )
    quiet = [skill_id for skill_id in ids if skill_id not in stats]
    if quiet:
        bench_run.notes.append(f"no finished production runs since {start.isoformat()} for: {', '.join(quiet)}")
    return bench_run
