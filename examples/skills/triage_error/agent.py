"""Example agent for the `triage-error` skill: map an error log to a failure code of the registry.

The skillci benchmark protocol, which this file follows and which any agent can follow:

* skillci runs the skill's `benchmark.command` (no shell, working directory = the repository
  root) once per case, with the case's `input` as JSON on stdin and SKILLCI_RUN_ID,
  SKILLCI_SKILL_ID and SKILLCI_CASE_ID in the environment;
* the agent prints JSON lines on stdout: zero or more state events
  `{"event": "state", "state": "PLAN", "detail": {...}}`, in the order of the skill's
  `state_machine`, then exactly one result line
  `{"event": "result", "output": ..., "tokens_in": N, "tokens_out": N, "cost_usd": X}`
  (every number is optional);
* logs go to stderr; a non-zero exit, a missing result line or a line that is not JSON
  fails the run.

This agent is deterministic and offline: keyword rules instead of a model. Input
`{"log": "..."}`; output `{"failure_code": "AGENT.TIMEOUT", "confidence": 0.9}`, where the
code comes from ssot/errors/failure_modes.yaml (None when no rule matches). When rules of
several codes match, the first in RULES wins and the confidence drops: a known blind spot
(a test failure whose assertion message mentions "429" is triaged as rate limiting).
States: PLAN → VERIFY.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

#: (failure code, patterns), most specific first; the first code with a matching pattern wins.
RULES: list[tuple[str, list[str]]] = [
    ("TOOL.NOT_ALLOWED", [r"\bnot allowed\b", r"\bnot permitted\b", r"allowed_tools"]),
    ("INFRA.RATE_LIMITED", [r"\b429\b", r"rate[- ]limit", r"too many requests"]),
    ("AGENT.TIMEOUT", [r"timed out", r"\btimeout\b", r"deadline exceeded"]),
    ("AGENT.OUTPUT_TOO_LARGE", [r"output too large", r"stdout exceeded \d+ bytes"]),
    ("AGENT.STATE_ORDER", [r"state \w+ after \w+", r"not in the skill's state machine"]),
    ("AGENT.BAD_OUTPUT", [r"is not json", r"jsondecodeerror"]),
    ("AGENT.NO_RESULT", [r"no result line"]),
    ("AGENT.PATCH_FAILED", [r"patch does not apply", r"patch failed", r"merge conflict"]),
    ("CI.CHECKS_FAILED", [r"\d+ failed\b", r"checks? failed", r"conclusion: failure"]),
    ("AGENT.CRASH", [r"traceback \(most recent call last\)", r"segmentation fault", r"exited with code [1-9]"]),
]
CONFIDENT = 0.9  # exactly one code's rules matched
AMBIGUOUS = 0.5  # several codes' rules matched: the first wins
UNKNOWN = 0.0  # nothing matched


def emit(event: dict[str, Any]) -> None:
    """Print one protocol line and flush, so the runner sees events as they happen."""
    print(json.dumps(event), flush=True)


def matching_codes(log: str) -> list[str]:
    """Every failure code with at least one matching pattern, in RULES order."""
    text = log.lower()
    return [code for code, patterns in RULES if any(re.search(pattern, text) for pattern in patterns)]


def triage(log: str) -> dict[str, Any]:
    """The output for one log: the winning failure code and how sure the rules are."""
    codes = matching_codes(log)
    if not codes:
        return {"failure_code": None, "confidence": UNKNOWN}
    return {"failure_code": codes[0], "confidence": CONFIDENT if len(codes) == 1 else AMBIGUOUS}


def main() -> int:
    case = json.load(sys.stdin)
    log = case.get("log", "") if isinstance(case, dict) else ""
    if not isinstance(log, str):
        print("input.log must be a string", file=sys.stderr)
        return 1
    case_id = os.environ.get("SKILLCI_CASE_ID", "")
    emit({"event": "state", "state": "PLAN", "detail": {"case": case_id, "log_lines": len(log.splitlines())}})
    output = triage(log)
    emit({"event": "state", "state": "VERIFY", "detail": {"matched": matching_codes(log), **output}})
    tokens_in = 200 + len(log) // 4  # a fixed prompt plus the log, at about four characters a token
    tokens_out = 20
    emit(
        {
            "event": "result",
            "output": output,
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "cost_usd": round(tokens_in * 3e-6 + tokens_out * 15e-6, 6),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
