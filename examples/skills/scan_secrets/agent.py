"""Example agent for the `scan-secrets` skill: find things in files that look like secrets.

The skillci benchmark protocol, which this file follows and which any agent can follow:

* skillci runs the skill's `benchmark.command` (no shell, working directory = the repository
  root) once per case, with the case's `input` as JSON on stdin and SKILLCI_RUN_ID,
  SKILLCI_SKILL_ID and SKILLCI_CASE_ID in the environment;
* the agent prints JSON lines on stdout: state events
  `{"event": "state", "state": "PLAN", "detail": {...}}`, in the order of the skill's
  `state_machine`, then exactly one result line
  `{"event": "result", "output": ..., "tokens_in": N, "tokens_out": N, "cost_usd": X}`
  (every number is optional);
* logs go to stderr; a non-zero exit, a missing result line or a line that is not JSON
  fails the run.

This agent is deterministic and offline: one regular expression per kind of secret, no
entropy checks, no network. Input `{"files": {"config.py": "..."}}`; output
`{"findings": [{"file": "config.py", "line": 3, "kind": "aws-access-key-id"}, ...]}`, sorted
by file, line and kind. It never echoes the secret itself: a scanner's report must be safe
to print in CI. Kinds it does not know (fine-grained `github_pat_…` tokens, Slack tokens, …)
go unreported. States: PLAN → VERIFY.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

#: kind → pattern; a line may hold several kinds.
PATTERNS: dict[str, re.Pattern[str]] = {
    "aws-access-key-id": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private-key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "github-token": re.compile(r"\bghp_[A-Za-z0-9]{36}\b"),
    "password-assignment": re.compile(r"""(?i)\b\w*passw(?:or)?d\w*\s*[:=]\s*(["'])[^"'\s]+\1"""),
}


def emit(event: dict[str, Any]) -> None:
    """Print one protocol line and flush, so the runner sees events as they happen."""
    print(json.dumps(event), flush=True)


def scan(files: dict[str, str]) -> list[dict[str, Any]]:
    """Every (file, line, kind) where a pattern matches, sorted, each reported once."""
    found: set[tuple[str, int, str]] = set()
    for name, content in files.items():
        for number, line in enumerate(content.splitlines(), start=1):
            found.update((name, number, kind) for kind, pattern in PATTERNS.items() if pattern.search(line))
    return [{"file": name, "line": number, "kind": kind} for name, number, kind in sorted(found)]


def main() -> int:
    case = json.load(sys.stdin)
    files = case.get("files", {}) if isinstance(case, dict) else {}
    if not isinstance(files, dict) or not all(isinstance(text, str) for text in files.values()):
        print('input must be {"files": {name: text}}', file=sys.stderr)
        return 1
    lines = sum(len(text.splitlines()) for text in files.values())
    case_id = os.environ.get("SKILLCI_CASE_ID", "")
    emit({"event": "state", "state": "PLAN", "detail": {"case": case_id, "files": len(files), "lines": lines}})
    findings = scan(files)
    emit({"event": "state", "state": "VERIFY", "detail": {"findings": len(findings), "kinds": sorted(PATTERNS)}})
    tokens_in = 300 + sum(len(text) for text in files.values()) // 4
    tokens_out = 10 + 15 * len(findings)
    emit(
        {
            "event": "result",
            "output": {"findings": findings},
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "cost_usd": round(tokens_in * 3e-6 + tokens_out * 15e-6, 6),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
