"""A deterministic example agent that speaks skillci's benchmark protocol.

It reads one case as JSON on stdin, prints JSON-lines state events and one final
result line on stdout. Real agents do real work between the events.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    case = json.load(sys.stdin)
    skill = os.environ.get("SKILLCI_SKILL_ID", "")
    states = {"triage-flaky-test": ["PLAN", "VERIFY"]}.get(skill, ["PLAN", "PATCH", "VERIFY", "PR"])
    for state in states:
        print(json.dumps({"event": "state", "state": state, "detail": {"case": os.environ.get("SKILLCI_CASE_ID")}}))
    if skill == "bump-dependency":
        output: object = {"package": case.get("package"), "version": case.get("to")}
    elif skill == "triage-flaky-test":
        output = {"verdict": "flaky" if case.get("failures", 0) < case.get("runs", 1) else "broken"}
    else:
        output = "removed unused import" if "F401" in " ".join(case.get("lint", [])) else "wrapped 1 line"
    result = {
        "event": "result",
        "output": output,
        "changed_lines": 2,
        "ci_attempts": 1,
        "time_to_green_s": 42,
        "tokens_in": 1200,
        "tokens_out": 300,
        "cost_usd": 0.01,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
