"""Demo data: a believable week of runs, bench results and gate decisions for the registry under a root.

`seed_week` syncs the registry into the store (as `skillci sync` does), then records, with their own
timestamps (`Store.record_history`), runs of the registry's skills spread over the window (more on working
hours of weekdays), with durations, tokens, costs, statuses, retries and the registry's failure codes (and one
it does not know), bench results a week before the window and in it (some tiers go up, one goes down, one
skill is tiered for the first time), and gate decisions, a quarter of them failed, with run URLs. Everything
follows from the seed and the window: a second seeding of the same week writes nothing (every row has an
idempotency key), another seed or another week gives other numbers.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from skillci.errors import BadInput
from skillci.store.base import Store, utc_text
from skillci.store.runs import run_id_for
from skillci.weekly.report import Window

#: Runs recorded per call of `Store.record_history` (one transaction, one request to Supabase).
CHUNK = 5000
#: Where the demo's gate runs live.
RUNS_URL = "https://github.com/acme/agent-skills/actions/runs/{}"
#: A failure code the registry does not know (the report shows it without a runbook).
UNKNOWN_CODE = "VENDOR.UPSTREAM_500"
#: The tiers of ssot/agents/benchmark.yaml: the least composite score of each.
TIERS = (("A", 90.0), ("B", 75.0), ("C", 50.0), ("F", 0.0))


@dataclass(frozen=True)
class Profile:
    """How one skill behaves: its share of the runs, typical duration, success rate, size and failures."""

    weight: float
    median_s: float
    success: float
    tokens_in: int
    failures: tuple[str, ...]


#: Known skills' profiles; any other skill of a registry gets one from its max_duration_s.
PROFILES = {
    "fix-lint": Profile(0.34, 95.0, 0.88, 9000, ("AGENT.PATCH_FAILED", "AGENT.VERIFY_FAILED", "CI.CHECKS_FAILED")),
    "scan-secrets": Profile(0.24, 14.0, 0.95, 4000, ("AGENT.BAD_OUTPUT", "AGENT.OUTPUT_TOO_LARGE", "AGENT.CRASH")),
    "triage-error": Profile(0.2, 26.0, 0.83, 6000, ("AGENT.NO_RESULT", "AGENT.PLAN_EMPTY", UNKNOWN_CODE)),
    "bump-dependency": Profile(
        0.14, 380.0, 0.74, 15000, ("CI.CHECKS_FAILED", "INFRA.RATE_LIMITED", "AGENT.PATCH_FAILED")
    ),
    "triage-flaky-test": Profile(0.07, 70.0, 0.8, 7000, ("AGENT.VERIFY_FAILED", "AGENT.STATE_ORDER")),
    "summarize-incident": Profile(0.03, 20.0, 0.9, 5000, ("AGENT.BAD_OUTPUT",)),
}
#: Dollars per token in and out.
PRICE_IN, PRICE_OUT = 3e-6, 15e-6


def seed_week(store: Store, *, root: Path, window: Window, runs: int = 3000, seed: int = 7) -> dict[str, int]:
    """Sync the registry under root into the store and fill window with a believable week; return what was
    written: {"skills" (that got runs), "runs", "bench_results", "gates"} (0s for a week seeded before)."""
    from skillci.registry.load import load_registry
    from skillci.sync.plan import desired_state

    if runs < 1:
        raise BadInput(f"a demo week needs at least one run, not {runs}")
    desired = desired_state(load_registry(root).require_valid(nothing_done="nothing seeded").data)
    store.sync(desired, git_sha=None, apply=True)
    week = _Week(desired, window, seed)
    history = week.runs(runs)
    results, gates = week.bench_results(), week.gates(max(8, runs // 100))
    written = {"runs": 0, "bench_results": 0, "gates": 0}
    for start in range(0, len(history), CHUNK):
        first = start == 0
        done = store.record_history(
            runs=history[start : start + CHUNK],
            bench_results=results if first else (),
            gates=gates if first else (),
        )
        for name, count in done.items():
            written[name] += count
    return {"skills": len({run["skill_id"] for run in history}), **written}


class _Week:
    """The rows of one demo week, drawn from one random generator seeded by the seed and the window."""

    def __init__(self, desired: Mapping[str, Mapping[str, Any]], window: Window, seed: int) -> None:
        self.window, self.seed = window, seed
        self.rng = random.Random(f"skillci-demo/{seed}/{utc_text(window.since)}/{utc_text(window.until)}")
        known_codes = set(desired["failure_modes"])
        skills = {skill_id: spec for skill_id, spec in desired["skills"].items() if spec.get("status") != "deprecated"}
        if not skills:
            raise BadInput("the registry has no skill that is not deprecated to seed a demo week for")
        self.profiles: dict[str, Profile] = {}
        for skill_id, spec in sorted(skills.items()):
            profile = PROFILES.get(skill_id) or Profile(
                0.05, max(5.0, float(spec.get("max_duration_s") or 300) / 6), 0.85, 6000, ()
            )
            codes = tuple(code for code in profile.failures if code in known_codes or code == UNKNOWN_CODE)
            fallback = tuple(sorted(known_codes))[:3] or (UNKNOWN_CODE,)
            self.profiles[skill_id] = Profile(
                profile.weight, profile.median_s, profile.success, profile.tokens_in, codes or fallback
            )
        self.max_duration = {skill_id: float(spec.get("max_duration_s") or 3600) for skill_id, spec in skills.items()}
        self.shas = [self._hex(40) for _ in range(12)]

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(4 * digits):0{digits}x}"

    def _key(self, kind: str, number: int) -> str:
        return f"demo/{self.window.label}/{self.seed}/{kind}/{number:06d}"

    def _moment(self) -> datetime:
        """A moment of the window: weekdays' working hours (08:00 to 18:00 UTC) are five times as busy."""
        since, span = self.window.since, (self.window.until - self.window.since).total_seconds()
        for _ in range(20):
            moment = since + timedelta(seconds=self.rng.random() * span)
            busy = moment.weekday() < 5 and 8 <= moment.hour < 18
            if busy or self.rng.random() < 0.2:
                return moment
        return moment

    def runs(self, count: int) -> list[dict[str, Any]]:
        """count runs of the window, in created_at order."""
        skill_ids = list(self.profiles)
        weights = [self.profiles[skill_id].weight for skill_id in skill_ids]
        moments = sorted(self._moment() for _ in range(count))
        near_end = self.window.until - timedelta(hours=1)
        return [
            self._run(number, self.rng.choices(skill_ids, weights)[0], moment, moment >= near_end)
            for number, moment in enumerate(moments)
        ]

    def _run(self, number: int, skill_id: str, created: datetime, late: bool) -> dict[str, Any]:
        profile, rng = self.profiles[skill_id], self.rng
        key = self._key("run", number)
        roll = rng.random()
        if late and roll < 0.3:
            status = rng.choice(("queued", "running"))
        elif roll < 0.02:
            status = "cancelled"
        elif roll < 0.02 + profile.success * 0.98:
            status = "succeeded"
        else:
            status = "timed_out" if rng.random() < 0.12 else "failed"
        row: dict[str, Any] = {
            "id": run_id_for(key),
            "idempotency_key": key,
            "skill_id": skill_id,
            "status": status,
            "source": "bench" if rng.random() < 0.15 else "production",
            "git_sha": rng.choice(self.shas),
            "branch": "main" if rng.random() < 0.6 else f"agent/{skill_id}-{rng.randint(100, 999)}",
            "created_at": created,
        }
        if status in ("queued", "running"):
            return row
        limit = self.max_duration[skill_id]
        duration = min(limit, round(rng.lognormvariate(0, 0.55) * profile.median_s, 3))
        if status == "timed_out":
            duration = limit
        attempts = rng.choices((1, 2, 3, 4), weights=(78, 15, 5, 2))[0]
        tokens_in = int(profile.tokens_in * rng.lognormvariate(0, 0.4))
        tokens_out = int(tokens_in * rng.uniform(0.08, 0.25))
        row.update(
            started_at=created,
            finished_at=created + timedelta(seconds=duration),
            duration_s=duration,
            ci_attempts=attempts,
            changed_lines=rng.randint(1, 160),
            time_to_green_s=round(duration * attempts * rng.uniform(1.0, 1.4), 3) if status == "succeeded" else None,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=round(tokens_in * PRICE_IN + tokens_out * PRICE_OUT, 6),
        )
        if status == "cancelled":
            row["ci_attempts"] = 1
        if status in ("failed", "timed_out"):
            code = "AGENT.TIMEOUT" if status == "timed_out" else rng.choice(profile.failures)
            row["failure_code"] = code
            row["error_message"] = f"{code}: run {key.rsplit('/', 1)[1]} of {skill_id} stopped"
        return {name: value for name, value in row.items() if value is not None}

    def bench_results(self) -> list[dict[str, Any]]:
        """Results a week before the window and in it: one skill climbs a tier, one falls, one is new."""
        skill_ids = sorted(self.profiles)
        rng = self.rng
        chosen = rng.sample(skill_ids, min(2, len(skill_ids)))
        climbing, falling = chosen[0], (chosen[1] if len(chosen) > 1 else None)
        newcomer = next((s for s in skill_ids if s not in (climbing, falling) and s.startswith("triage")), None)
        before_at = self.window.since - timedelta(days=2, hours=rng.randint(0, 20))
        after_at = self.window.since + (self.window.until - self.window.since) * 0.6
        rows = []
        for skill_id in skill_ids:
            score = round(rng.uniform(62.0, 93.0), 2)
            if skill_id == climbing:
                score = min(score, 87.0)
            if skill_id == falling:
                score = max(score, 78.0)
            now = score + rng.uniform(-1.5, 1.5)
            if skill_id == climbing:
                now = _next_tier_up(score) + rng.uniform(0.5, 4.0)
            elif skill_id == falling:
                now = _next_tier_down(score) - rng.uniform(0.5, 6.0)
            if skill_id != newcomer:
                rows.append(self._result(skill_id, score, before_at, "previous"))
            rows.append(self._result(skill_id, round(now, 2), after_at, "current"))
        return rows

    def _result(self, skill_id: str, score: float, created: datetime, which: str) -> dict[str, Any]:
        passed = max(0, min(10, round(score / 10)))
        return {
            "skill_id": skill_id,
            "bench_id": f"demo/{self.window.label}/{self.seed}/{which}",
            "cache_key": hashlib.sha256(f"{skill_id}/{which}/{self.seed}".encode()).hexdigest(),
            "composite_score": score,
            "tier": _tier(score),
            "cases_passed": passed,
            "cases_total": 10,
            "metrics": {"pass_rate": passed / 10},
            "missing_metrics": [],
            "git_sha": self.rng.choice(self.shas),
            "branch": "main",
            "created_at": created,
        }

    def gates(self, count: int) -> list[dict[str, Any]]:
        """count gate decisions of pull requests over the window, a quarter of them failed."""
        skill_ids = sorted(self.profiles)
        rows = []
        for number in sorted(range(count), key=lambda _: self.rng.random()):
            passed = number % 4 != 1
            failing: Sequence[str] = [] if passed else sorted(self.rng.sample(skill_ids, k=min(len(skill_ids), 2)))
            failing = failing if passed else failing[: self.rng.randint(1, len(failing))]
            cases_total = 10 * len(skill_ids)
            cases_passed = cases_total - (0 if passed else 3 * len(failing))
            rows.append(
                {
                    "passed": passed,
                    "thresholds": {"min_pass_pct": 80.0, "min_tier": "B", "max_regression": 5.0},
                    "numbers": {
                        "pass_pct": round(100 * cases_passed / cases_total, 1),
                        "cases_passed": cases_passed,
                        "cases_total": cases_total,
                        "skills": len(skill_ids),
                        "failing_skills": list(failing),
                        "failed_checks": [] if passed else ["min_tier"],
                    },
                    "commit_sha": self._hex(40),
                    "pr_number": 100 + number,
                    "run_url": RUNS_URL.format(9_000_000_000 + self.rng.randrange(10**9)),
                    "idempotency_key": self._key("gate", number),
                    "created_at": self._moment(),
                }
            )
        return rows


def _tier(score: float) -> str:
    return next(name for name, least in TIERS if score >= least)


def _next_tier_up(score: float) -> float:
    """The least score of the tier above score's (A stays A)."""
    above = [least for _, least in TIERS if least > score]
    return min(above) if above else score


def _next_tier_down(score: float) -> float:
    """The least score of score's own tier: just below it is the tier beneath (F stays F)."""
    return max([least for _, least in TIERS if least <= score] + [0.5])
