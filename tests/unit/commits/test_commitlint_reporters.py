"""The commitlint reporters format one lint run."""

from __future__ import annotations

import io
import json

from skillci.commits.lint import LintRun, Message, Settings, lint_messages
from skillci.commits.reporters import COMMITLINT_REPORTERS
from skillci.commits.rules import DEFAULT_RULES


def test_commitlint_json_is_what_json_dumps_would_write() -> None:
    texts = [
        'feat: "quoted" \\ back\tslash é 😀\n\nbody',
        "feat: line\u2028separator",
        "Fix: Bad.\n",
        "chore: fine",
        "\x01ctl: x",
    ]
    messages = [Message(text=text, hash=None if i == 0 else f"{i:040x}") for i, text in enumerate(texts)]
    run = lint_messages(messages, Settings(rules=DEFAULT_RULES), strict=False)
    stream = io.StringIO()
    COMMITLINT_REPORTERS["json"](stream).report(run)
    expected = [
        {
            "hash": message.hash,
            "header": message.text.split("\n", 1)[0],
            "valid": outcome.valid,
            "errors": [problem.rule for problem in outcome.errors],
            "warnings": [problem.rule for problem in outcome.warnings],
        }
        for message, outcome in run.results
    ]
    assert json.loads(stream.getvalue()) == {"results": expected}
    assert [result["valid"] for result in expected] == [True, False, False, True, False]
    assert expected[2]["errors"] == ["subject-case", "subject-full-stop", "type-case", "type-enum"]
    assert "é 😀" in stream.getvalue()  # non-ASCII kept, as json.dumps(ensure_ascii=False) does
    empty = io.StringIO()
    COMMITLINT_REPORTERS["json"](empty).report(LintRun())
    assert json.loads(empty.getvalue()) == {"results": []}
