"""What validate can tell about a `regex` assertion before the bench runs it: does it compile, can it blow up."""

from __future__ import annotations

import re
from typing import Any

#: How long the bench lets one `regex` assertion search an output before failing it.
REGEX_TIMEOUT_S = 2.0


def compile_error(pattern: str) -> str | None:
    """The reason pattern does not compile as a Python regular expression, or None when it does."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def nested_quantifier(pattern: str) -> bool:
    """Whether an unbounded repeat sits inside another with nothing of its own between them: `(a+)+`, `(\\w*\\s?)*`.

    Such a pattern can take exponential time on a near-miss (`^(a+)+$` against thirty `a`s and a `!`). A
    heuristic over Python's own parse of the pattern: possessive repeats and atomic groups never backtrack and
    are left out; a pattern that does not compile is False here.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]  # the stdlib's own parser (sre_parse), Python 3.11+

        parsed = _parser.parse(pattern)
    except Exception:  # any failure means no warning, never a crash
        return False
    return _nested(parsed, _parser, inside=False)


def _delimited(body: Any, parser: Any) -> bool:
    """Whether the repeated body matches a single character of its own at its top level (groups looked into)."""
    return any(
        op in (parser.LITERAL, parser.NOT_LITERAL, parser.IN, parser.ANY)
        or (op == parser.SUBPATTERN and _delimited(argument[-1], parser))
        for op, argument in body
    )


def _nested(items: Any, parser: Any, *, inside: bool) -> bool:
    for op, argument in items:
        if op in (parser.MAX_REPEAT, parser.MIN_REPEAT):
            _, high, body = argument
            unbounded = high == parser.MAXREPEAT
            if unbounded and inside:
                return True
            # A body with a character of its own (`(x\w+)*`) splits the text one way only: no blow-up there.
            if _nested(body, parser, inside=(inside or unbounded) and not _delimited(body, parser)):
                return True
        elif op == parser.SUBPATTERN:
            if _nested(argument[-1], parser, inside=inside):
                return True
        elif op == parser.BRANCH:
            if any(_nested(branch, parser, inside=inside) for branch in argument[1]):
                return True
        elif op in (parser.ASSERT, parser.ASSERT_NOT) and _nested(argument[1], parser, inside=inside):
            return True
    return False  # atomic groups and possessive repeats never backtrack: not looked into
