"""Commit-message linting with the verdicts of `@commitlint/cli` and config-conventional.

Ported from @commitlint/lint, is-ignored, ensure and rules (20.5) and es-toolkit's
lodash-compatible word splitting; `tests/acceptance/test_commitlint_parity.py` holds
every verdict to the npm packages' own on a corpus of real commits.
"""

from __future__ import annotations

import functools
import re
import subprocess
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from skillci.commits.parser import (
    BREAKING_HEADER_PATTERN,
    JS_DOT,
    JS_S,
    ParsedCommit,
    js_len,
    js_trim,
    js_trim_end,
    js_trim_start,
    parse_commit,
    split_lines,
)
from skillci.errors import BadInput


class RuleSetting(NamedTuple):
    """One rule's configuration: level (0 off, 1 warning, 2 error), condition, value."""

    level: int
    condition: str
    value: Any = None


class Problem(NamedTuple):
    """One failed rule with commitlint's message for it."""

    rule: str
    level: int
    message: str


class LintOutcome(NamedTuple):
    """The verdict on one message."""

    input: str
    valid: bool
    ignored: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


DEFAULT_TYPES = ("build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test")

DEFAULT_RULES: dict[str, RuleSetting] = {
    "body-leading-blank": RuleSetting(1, "always"),
    "body-max-line-length": RuleSetting(2, "always", 100),
    "footer-leading-blank": RuleSetting(1, "always"),
    "footer-max-line-length": RuleSetting(2, "always", 100),
    "header-max-length": RuleSetting(2, "always", 100),
    "header-trim": RuleSetting(2, "always"),
    "subject-case": RuleSetting(2, "never", ["sentence-case", "start-case", "pascal-case", "upper-case"]),
    "subject-empty": RuleSetting(2, "never"),
    "subject-full-stop": RuleSetting(2, "never", "."),
    "type-case": RuleSetting(2, "always", "lower-case"),
    "type-empty": RuleSetting(2, "never"),
    "type-enum": RuleSetting(2, "always", list(DEFAULT_TYPES)),
}

# ---------------------------------------------------------------- case (ensure/to-case)

CASES = frozenset(
    {
        "camel-case",
        "kebab-case",
        "snake-case",
        "pascal-case",
        "start-case",
        "upper-case",
        "uppercase",
        "sentence-case",
        "sentencecase",
        "lower-case",
        "lowercase",
        "lowerCase",
    }
)


#: Characters outside the Basic Multilingual Plane: one char in Python, two UTF-16 units in JavaScript.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
#: UTF-16 surrogate units, which only a string of units holds.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _to_u16(text: str) -> str:
    if text.isascii():
        return text  # in the BMP every character is one UTF-16 unit of the same value
    return _ASTRAL.sub(_surrogate_pair, text)


def _surrogate_pair(match: re.Match[str]) -> str:
    offset = ord(match.group()) - 0x10000
    return chr(0xD800 | offset >> 10) + chr(0xDC00 | offset & 0x3FF)


def _from_u16(units: str) -> str:
    if units.isascii() or not _SURROGATE.search(units):
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")  # pairs join


def _upper(units: str) -> str:
    return _to_u16(_from_u16(units).upper())


def _lower(units: str) -> str:
    return _to_u16(_from_u16(units).lower())


_DEBURR_MAP = {
    "Æ": "Ae",
    "Ð": "D",
    "Ø": "O",
    "Þ": "Th",
    "ß": "ss",
    "æ": "ae",
    "ð": "d",
    "ø": "o",
    "þ": "th",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Ĳ": "IJ",
    "ĳ": "ij",
    "ĸ": "k",
    "Ŀ": "L",
    "ŀ": "l",
    "Ł": "L",
    "ł": "l",
    "ŉ": "'n",
    "Ŋ": "N",
    "ŋ": "n",
    "Œ": "Oe",
    "œ": "oe",
    "Ŧ": "T",
    "ŧ": "t",
    "ſ": "s",
}


def _combining(code: int) -> bool:
    return 768 <= code <= 879 or 8400 <= code <= 8447 or 65056 <= code <= 65071


def _deburr_char(char: str) -> str:
    code = ord(char)
    if code < 128:
        return char
    if _combining(code):
        return ""
    if char in _DEBURR_MAP:
        return _DEBURR_MAP[char]
    if not (192 <= code <= 563 or 7680 <= code <= 7929 or code in (8490, 8491)):
        return char
    return "".join(_DEBURR_MAP.get(c, c) for c in unicodedata.normalize("NFD", char) if not _combining(ord(c)))


@functools.cache
def _deburred() -> list[str]:
    """Latin-1 Supplement and Latin Extended-A, deburred (built on first use: most messages are ASCII)."""
    return [_deburr_char(chr(code)) for code in range(192, 384)]


def _deburr(units: str) -> str:
    if units.isascii():
        return units  # nothing to deburr below 192, and no combining marks
    out: list[str] = []
    table = _deburred()
    for unit in units:
        code = ord(unit)
        if 192 <= code <= 383:
            out.append(table[code - 192])
        elif not _combining(code):
            out.append(unit)
    return "".join(out)


_RS_BREAK_RANGE = (
    "\\xac\\xb1\\xd7\\xf7\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\xbf\\u2000-\\u206f \\t\\x0b\\f\\xa0\\ufeff\\n\\r"
    "\\u2028\\u2029\\u1680\\u180e\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006\\u2007\\u2008\\u2009\\u200a"
    "\\u202f\\u205f\\u3000"
)
_RS_LOWER_RANGE = "a-z\\xdf-\\xf6\\xf8-\\xff"
_RS_UPPER_RANGE = "A-Z\\xc0-\\xd6\\xd8-\\xde"
_RS_BREAK = f"[{_RS_BREAK_RANGE}]"
_RS_COMBO = "[\\u0300-\\u036f\\ufe20-\\ufe2f\\u20d0-\\u20ff]"
_RS_LOWER = f"[{_RS_LOWER_RANGE}]"
_RS_MISC = f"[^\\ud800-\\udfff{_RS_BREAK_RANGE}\\d+\\u2700-\\u27bf{_RS_LOWER_RANGE}{_RS_UPPER_RANGE}]"
_RS_MODIFIER = f"(?:{_RS_COMBO}|\\ud83c[\\udffb-\\udfff])"
_RS_REGIONAL = "(?:\\ud83c[\\udde6-\\uddff]){2}"
_RS_SURR_PAIR = "[\\ud800-\\udbff][\\udc00-\\udfff]"
_RS_UPPER = f"[{_RS_UPPER_RANGE}]"
_RS_MISC_LOWER = f"(?:{_RS_LOWER}|{_RS_MISC})"
_RS_MISC_UPPER = f"(?:{_RS_UPPER}|{_RS_MISC})"
_RS_OPT_CONTR_LOWER = "(?:['’](?:d|ll|m|re|s|t|ve))?"
_RS_OPT_CONTR_UPPER = "(?:['’](?:D|LL|M|RE|S|T|VE))?"
_RS_OPT_VAR = "[\\ufe0e\\ufe0f]?"
_RE_OPT_MOD = f"{_RS_MODIFIER}?"
_RS_OPT_JOIN = f"(?:\\u200d(?:[^\\ud800-\\udfff]|{_RS_REGIONAL}|{_RS_SURR_PAIR}){_RS_OPT_VAR}{_RE_OPT_MOD})*"
_RS_SEQ = _RS_OPT_VAR + _RE_OPT_MOD + _RS_OPT_JOIN
_RS_EMOJI = f"(?:[\\u2700-\\u27bf]|{_RS_REGIONAL}|{_RS_SURR_PAIR}){_RS_SEQ}"


@functools.cache
def _unicode_word() -> re.Pattern[str]:
    """es-toolkit's word regex (compiled on first use: plain ASCII words take the cheap pattern)."""
    return re.compile(
        "|".join(
            [
                f"{_RS_UPPER}?{_RS_LOWER}+{_RS_OPT_CONTR_LOWER}(?={_RS_BREAK}|{_RS_UPPER}|\\Z)",
                f"{_RS_MISC_UPPER}+{_RS_OPT_CONTR_UPPER}(?={_RS_BREAK}|{_RS_UPPER}{_RS_MISC_LOWER}|\\Z)",
                f"{_RS_UPPER}?{_RS_MISC_LOWER}+{_RS_OPT_CONTR_LOWER}",
                f"{_RS_UPPER}+{_RS_OPT_CONTR_UPPER}",
                "\\d*(?:1ST|2ND|3RD|(?![123])\\dTH)(?=\\b|[a-z_])",
                "\\d*(?:1st|2nd|3rd|(?![123])\\dth)(?=\\b|[A-Z_])",
                "\\d+",
                _RS_EMOJI,
            ]
        ),
        re.ASCII,
    )


_HAS_UNICODE_WORD = re.compile("[a-z][A-Z]|[A-Z]{2}[a-z]|[0-9][a-zA-Z]|[a-zA-Z][0-9]|[^a-zA-Z0-9 ]")
_ASCII_WORD = re.compile("[^\\x00-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+")


def _words(units: str) -> list[str]:
    units = units.replace("'", "").replace("\u2019", "")
    pattern = _unicode_word() if _HAS_UNICODE_WORD.search(units) else _ASCII_WORD
    return [match.group(0) for match in pattern.finditer(units)]


def _upper_first(units: str) -> str:
    return _upper(units[:1]) + units[1:]


def _camel(units: str) -> str:
    words = _words(_deburr(units))
    if not words:
        return ""
    return _lower(words[0]) + "".join(_upper(word[:1]) + _lower(word[1:]) for word in words[1:])


def _start(units: str) -> str:
    text = js_trim(_deburr(units).replace("'", "").replace("\u2019", ""))
    parts: list[str] = []
    for word in _words(text):
        first = 2 if 0xD800 <= ord(word[0]) <= 0xDBFF and len(word) > 1 and 0xDC00 <= ord(word[1]) <= 0xDFFF else 1
        parts.append(_upper(word[:first]) + word[first:])
    return " ".join(parts)


def to_case(text: str, target: str) -> str:
    """`@commitlint/ensure`'s toCase."""
    if target in ("lower-case", "lowercase", "lowerCase"):
        return text.lower()
    if target in ("upper-case", "uppercase"):
        return text.upper()
    units = _to_u16(text)
    if target == "camel-case":
        result = _camel(units)
    elif target == "kebab-case":
        result = "-".join(_lower(word) for word in _words(_deburr(units)))
    elif target == "snake-case":
        result = "_".join(_lower(word) for word in _words(_deburr(units)))
    elif target == "pascal-case":
        result = _upper_first(_camel(units))
    elif target == "start-case":
        result = _start(units)
    elif target in ("sentence-case", "sentencecase"):
        result = _upper_first(units)
    else:
        raise BadInput(f'to-case: Unknown target case "{target}"')
    return _from_u16(result)


_QUOTED = re.compile(f"`{JS_DOT}*?`|\"{JS_DOT}*?\"|'{JS_DOT}*?'")
_STARTS_WITH_DIGIT = re.compile("^[0-9]")


#: Cases whose transformation upper-cases a leading ASCII letter (the first word starts at the first character).
_UPPERS_FIRST_LETTER = frozenset(
    {"sentence-case", "sentencecase", "start-case", "pascal-case", "upper-case", "uppercase"}
)
_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


def ensure_case(raw: str, target: str) -> bool:
    """`@commitlint/ensure`'s case check: quoted parts removed, digits and empty pass."""
    return _ensure_unquoted_case(_unquoted(raw), target)


def _unquoted(raw: str) -> str:
    return js_trim(_QUOTED.sub("", raw) if ("`" in raw or '"' in raw or "'" in raw) else raw)


def _ensure_unquoted_case(text: str, target: str) -> bool:
    if text[:1] in _ASCII_LOWER and target in _UPPERS_FIRST_LETTER:
        return False  # the transformed text starts with that letter upper-cased, so it differs from the text
    transformed = to_case(text, target)
    if transformed == "" or _STARTS_WITH_DIGIT.match(transformed):
        return True
    return transformed == text


def _max_line_length(value: str, limit: int) -> bool:
    return all(js_len(line) <= limit or _URL_IN_LINE.search(line) for line in split_lines(value))


_URL_IN_LINE = re.compile(f"\\bhttps?://[^{JS_S}]+", re.ASCII)

# ---------------------------------------------------------------- is-ignored


def _semver_valid(text: str) -> bool:
    if js_len(text) > 256:
        return False
    match = _SEMVER.match(js_trim(text))
    if not match:
        return False
    return all(int(part) <= 9007199254740991 for part in match.group(1, 2, 3))


_NUM = "0|[1-9][0-9]*"
_PRE_ID = f"(?:[0-9]*[a-zA-Z-][a-zA-Z0-9-]*|{_NUM})"
_BUILD_ID = "[a-zA-Z0-9-]+"
_SEMVER = re.compile(
    f"^v?({_NUM})\\.({_NUM})\\.({_NUM})(?:-({_PRE_ID}(?:\\.{_PRE_ID})*))?(?:\\+({_BUILD_ID}(?:\\.{_BUILD_ID})*))?\\Z"
)


_CHORE_PREFIX = re.compile("^chore(\\([^)]+\\))?:")
_SKIP_CI_BRACKETS = re.compile(f"\\[(skip|ci)(-|[{JS_S}])(ci|skip)\\]", re.I | re.ASCII)
_SKIP_CI_PARENS = re.compile(f"\\((skip|ci)(-|[{JS_S}])(ci|skip)\\)", re.I | re.ASCII)
#: A release commit's first line holds a digit (its version); anything else is not one.
_HAS_DIGIT = re.compile("[0-9]")


def _is_semver(message: str) -> bool:
    first = message.split("\n", 1)[0]
    if not _HAS_DIGIT.search(first):
        return False
    stripped = _CHORE_PREFIX.sub("", first, count=1)
    stripped = _SKIP_CI_BRACKETS.sub("", stripped, count=1)
    stripped = _SKIP_CI_PARENS.sub("", stripped, count=1)
    return _semver_valid(js_trim(stripped))


#: JavaScript's line terminators: where `^` and `$` match under the m flag, and what `.` does not match.
_JS_LINE_BREAK = re.compile("[\\n\\r\\u2028\\u2029]")
#: Wildcards anchored at the start of the message, matched whatever follows on the line.
_IGNORED_PREFIXES = (
    "Revert ",
    "revert ",
    "Reapply ",
    "reapply ",
    "amend!",
    "fixup!",
    "squash!",
    "Merge remote-tracking branch",
    "Automatic merge",
)


def _is_merge_line(line: str) -> bool:
    """`/^((Merge pull request)|(Merge (.*?) into (.*?)|(Merge branch (.*?)))(?:\\r?\\n)*$)/m` and
    `/^(Merge tag (.*?))(?:\\r?\\n)*$/m` on one line (`.` and `$` stop at its end)."""
    return line.startswith(("Merge pull request", "Merge branch ", "Merge tag ")) or (
        line.startswith("Merge ") and line.find(" into ", 6) >= 0
    )


def _is_merged_header(first: str) -> bool:
    """`/^(Merged (.*?)(in|into) (.*)|Merged PR (.*): (.*))/` and `/^Auto-merged (.*?) into (.*)/` on the first line."""
    if first.startswith("Merged "):
        return (
            first.find("in ", 7) >= 0
            or first.find("into ", 7) >= 0
            or (first.startswith("Merged PR ") and first.find(": ", 10) >= 0)
        )
    return first.startswith("Auto-merged ") and first.find(" into ", 12) >= 0


def is_ignored(message: str) -> bool:
    """commitlint's default ignores (`@commitlint/is-ignored` wildcards)."""
    if _is_semver(message):
        return True
    if message.startswith(_IGNORED_PREFIXES):
        return True
    if "erge" not in message:
        return False  # every other wildcard starts with "Merge" (at the start of a line) or "Auto-merged"
    lines = _JS_LINE_BREAK.split(message)
    return _is_merged_header(lines[0]) or any(_is_merge_line(line) for line in lines)


# ---------------------------------------------------------------- rules

RuleResult = tuple[bool, str]
Rule = Callable[[ParsedCommit, str, Any], RuleResult]


def _msg(*parts: str | None) -> str:
    return " ".join(part for part in parts if part)


class _CaseChecks(tuple[tuple[str, str], ...]):
    """A case rule's value as its (when, case) checks, worked out once by `linter`."""

    __slots__ = ()


def _checks(value: Any) -> tuple[tuple[str, str], ...]:
    if type(value) is _CaseChecks:
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return _plain_checks(tuple(value))
    if isinstance(value, str):
        return _plain_checks((value,))
    items = value if isinstance(value, list | tuple) else [value]
    checks: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, str):
            checks.append(("always", item))
        else:
            checks.append((str(item.get("when", "always")), str(item["case"])))
    return tuple(checks)


@functools.cache
def _plain_checks(cases: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple(("always", case) for case in cases)


def _case_rule(subject: str, text: str | None, when: str, value: Any) -> RuleResult:
    checks = _checks(value)
    unquoted = _unquoted(text or "")
    result = any(
        (not _ensure_unquoted_case(unquoted, case)) if w == "never" else _ensure_unquoted_case(unquoted, case)
        for w, case in checks
    )
    if result != (when == "never"):
        return True, ""  # the message is only wanted when the rule fails
    listed = ", ".join(case for _, case in checks)
    return (not result if when == "never" else result), _msg(
        f"{subject} must", "not" if when == "never" else None, f"be {listed}"
    )


def _body_case(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    if not parsed.body:
        return True, ""
    return _case_rule("body", parsed.body, when, value if value is not None else [])


def _empty_rule(subject: str, text: str | None, when: str) -> RuleResult:
    negated = when == "never"
    not_empty = bool(text)
    if not_empty == negated:
        return True, ""
    return False, _msg(subject, "may not" if negated else "must", "be empty")


def _full_stop(subject: str, text: str | None, when: str, value: Any) -> RuleResult:
    if not text:
        return True, ""
    negated = when == "never"
    stop = "." if value is None else value
    has_stop = _last_unit(text) == stop
    if has_stop != negated:
        return True, ""
    return False, _msg(subject, "may not" if negated else "must", "end with full stop")


def _last_unit(text: str) -> str:
    units = _to_u16(text)
    return units[-1] if units else ""


def _leading_blank_body(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    if not parsed.body:
        return True, ""
    negated = when == "never"
    lines = split_lines(parsed.raw)
    ok = len(lines) > 1 and lines[1] == ""
    return (not ok if negated else ok), _msg("body", "may not" if negated else "must", "have leading blank line")


def _leading_blank_footer(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    if not parsed.footer:
        return True, ""
    negated = when == "never"
    raw_lines = split_lines(parsed.raw)
    first = split_lines(parsed.footer)[0]
    offset = raw_lines.index(first) if first in raw_lines else -1
    start = offset - 1
    tail = raw_lines[start:] if start >= 0 else raw_lines[max(len(raw_lines) + start, 0) :]
    ok = bool(tail) and tail[0] == ""
    return (not ok if negated else ok), _msg("footer", "may not" if negated else "must", "have leading blank line")


def _num(value: Any) -> int:
    return int(value) if value is not None else 0


def _max_len(subject: str, text: str | None, value: Any) -> RuleResult:
    if not text:
        return True, ""
    return js_len(text) <= _num(value), f"{subject} must not be longer than {_num(value)} characters"


def _min_len(subject: str, text: str | None, value: Any) -> RuleResult:
    if not text:
        return True, ""
    return js_len(text) >= _num(value), f"{subject} must not be shorter than {_num(value)} characters"


def _max_line_len(subject: str, text: str | None, value: Any) -> RuleResult:
    if not text:
        return True, ""
    return _max_line_length(text, _num(value)), f"{subject}'s lines must not be longer than {_num(value)} characters"


#: A header with `!` before its colon (the parser's own pattern).
_EXCLAMATION = BREAKING_HEADER_PATTERN
_BREAKING_FOOTER = re.compile("(?:^|(?<=[\\n\\r\\u2028\\u2029]))BREAKING[ -]CHANGE:")


def _breaking_exclamation(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    header, footer = parsed.header, parsed.footer
    if not header and not footer:
        return True, ""
    has_mark = bool(header) and _EXCLAMATION.match(header or "") is not None
    has_change = bool(footer) and _BREAKING_FOOTER.search(footer or "") is not None
    negated = when == "never"
    check = has_mark == has_change
    return (not check if negated else check), _msg(
        "breaking changes",
        "must not" if negated else "must",
        "have both an exclamation mark in the header",
        "and BREAKING CHANGE in the footer",
        "to identify a breaking change",
    )


_STARTS_WITH_LETTER = re.compile("^[a-z]", re.I | re.ASCII)


def _header_case(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    header = parsed.header
    if not isinstance(header, str) or not _STARTS_WITH_LETTER.match(header):
        return True, ""
    return _case_rule("header", header, when, value if value is not None else [])


def _header_full_stop(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    negated = when == "never"
    stop = "." if value is None else value
    has_stop = parsed.header is not None and _last_unit(parsed.header) == stop
    return (not has_stop if negated else has_stop), _msg(
        "header", "may not" if negated else "must", "end with full stop"
    )


def _length_text(header: str | None) -> str:
    return "undefined" if header is None else str(js_len(header))


def _header_max_length(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    ok = parsed.header is not None and js_len(parsed.header) <= _num(value)
    if ok:
        return True, ""
    length = _length_text(parsed.header)
    return ok, f"header must not be longer than {_num(value)} characters, current length is {length}"


def _header_min_length(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    ok = parsed.header is not None and js_len(parsed.header) >= _num(value)
    length = _length_text(parsed.header)
    return ok, f"header must not be shorter than {_num(value)} characters, current length is {length}"


def _header_trim(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    header = parsed.header
    if not header:
        return True, ""
    starts = len(header) > len(js_trim_start(header))
    ends = len(header) > len(js_trim_end(header))
    if starts and ends:
        return False, "header must not be surrounded by whitespace"
    if starts:
        return False, "header must not start with whitespace"
    if ends:
        return False, "header must not end with whitespace"
    return True, ""


def _references_empty(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    negated = when == "always"
    not_empty = len(parsed.references) > 0
    return (not not_empty if negated else not_empty), _msg("references", "must" if negated else "may not", "be empty")


def _delimiter_regex(value: Any) -> re.Pattern[str]:
    delimiters = ["/", "\\", ","]
    if isinstance(value, Mapping) and value.get("delimiters"):
        delimiters = [str(d) for d in value["delimiters"]]
    patterns = [", ?" if d == "," else re.escape(d) for d in delimiters]
    return re.compile("|".join(patterns))


def _scope_case(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    scope = parsed.scope
    if not scope:
        return True, ""
    value = [] if value is None else value
    cases = value.get("cases", []) if isinstance(value, Mapping) else value
    checks = _checks(cases)
    delimiter = _delimiter_regex(value)
    segments = delimiter.split(scope)

    def holds(case: str) -> bool:
        return all(delimiter.search(segment) or ensure_case(segment, case) for segment in segments)

    result = any((not holds(case)) if w == "never" else holds(case) for w, case in checks)
    listed = ", ".join(case for _, case in checks)
    negated = when == "never"
    return (not result if negated else result), _msg("scope must", "not" if negated else None, f"be {listed}")


_NON_SCOPE_CHARS = re.compile("[^A-Za-z0-9-_]+")


def _scope_delimiter_style(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    scope = parsed.scope
    if not scope:
        return True, ""
    delimiters = list(value) if value else ["/", "\\", ","]
    found: list[str] = []
    for raw in _NON_SCOPE_CHARS.findall(scope):
        item = "," if js_trim(raw) == "," else raw
        if item not in found:
            found.append(item)
    allowed = all(item in delimiters for item in found)
    never = when == "never"
    joined = ", ".join(str(d) for d in delimiters)
    return (not allowed if never else allowed), f"scope delimiters must {'not ' if never else ''}be one of [{joined}]"


def _scope_enum(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    scope = parsed.scope
    value = [] if value is None else value
    scopes = list(value) if isinstance(value, list | tuple) else list(value.get("scopes", []))
    if not scope or not scopes:
        return True, ""
    parts = _delimiter_regex(value).split(scope)
    listed = ", ".join(str(s) for s in scopes)
    if when == "never":
        valid = not any(part in scopes for part in parts) and scope not in scopes
        return valid, f"scope must not be one of [{listed}]"
    valid = all(part in scopes for part in parts) or scope in scopes
    return valid, f"scope must be one of [{listed}]"


_CHERRY_PICK = re.compile("^\\(cherry picked from commit [0-9a-f]{7,64}\\)\\Z", re.I | re.ASCII)


def _signed_off_by(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    prefix = "" if value is None else str(value)
    lines = [
        ln for ln in split_lines(parsed.raw) if not ln.startswith("#") and not _CHERRY_PICK.match(js_trim(ln)) and ln
    ]
    negated = when == "never"
    has = bool(lines) and lines[-1].startswith(prefix)
    return (not has if negated else has), _msg("message", "must not" if negated else "must", "be signed off")


_SUBJECT_LETTER_CATEGORIES = ("Ll", "Lu", "Lt")


def _starts_with_cased_letter(text: str) -> bool:
    if not text:
        return False
    char = text[0]
    if char.isascii():
        return char.isalpha()
    candidates = {char, char.lower(), char.upper(), char.casefold()}
    return any(len(c) == 1 and unicodedata.category(c) in _SUBJECT_LETTER_CATEGORIES for c in candidates)


def _subject_case(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    subject = parsed.subject
    if not isinstance(subject, str) or not _starts_with_cased_letter(subject):
        return True, ""
    return _case_rule("subject", subject, when, value if value is not None else [])


def _subject_exclamation(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    header = parsed.header
    if not header:
        return True, ""
    negated = when == "never"
    has = _EXCLAMATION.match(header) is not None
    return (not has if negated else has), _msg(
        "subject",
        "must not" if negated else "must",
        "have an exclamation mark in the subject to identify a breaking change",
    )


def _subject_full_stop(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    header = parsed.header
    if header and header.isascii() and (value is None or value == "."):  # the common case, without UTF-16 units
        colon = header.find(":")
        has_stop = header[-1] == "." and not header.endswith("...")
        if (colon > 0 and colon == len(header) - 1) or has_stop != (when == "never"):
            return True, ""
    colon = (_to_u16(header).find(":") if header else 0) or 0
    if header is not None and colon > 0 and colon == js_len(header) - 1:
        return True, ""
    negated = when == "never"
    stop = "." if value is None else value
    has_stop = header is not None and _last_unit(header) == stop
    if header is not None and _to_u16(header)[-3:] == "...":
        has_stop = False
    return (not has_stop if negated else has_stop), _msg(
        "subject", "may not" if negated else "must", "end with full stop"
    )


def _trailer_exists(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    prefix = "" if value is None else str(value)
    try:
        out = subprocess.run(
            ["git", "interpret-trailers", "--parse"], input=parsed.raw.encode(), capture_output=True, check=False
        ).stdout.decode("utf-8", "replace")
    except OSError:
        out = ""
    matches = [ln for ln in split_lines(out) if ln.startswith(prefix)]
    negated = when == "never"
    has = len(matches) > 0
    return (not has if negated else has), _msg("message", "must not" if negated else "must", f"have `{prefix}` trailer")


def _type_enum(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    if not parsed.type:
        return True, ""
    types = value if isinstance(value, list | tuple) else ()
    negated = when == "never"
    result = parsed.type in types
    if result != negated:
        return True, ""
    listed = ", ".join(str(t) for t in types)
    return (not result if negated else result), _msg("type must", "not" if negated else None, f"be one of [{listed}]")


def _type_case(parsed: ParsedCommit, when: str, value: Any) -> RuleResult:
    if not parsed.type:
        return True, ""
    return _case_rule("type", parsed.type, when, value if value is not None else [])


RULES: dict[str, Rule] = {
    "body-case": _body_case,
    "body-empty": lambda p, w, v: _empty_rule("body", p.body, w),
    "body-full-stop": lambda p, w, v: _full_stop("body", p.body, w, v),
    "body-leading-blank": _leading_blank_body,
    "body-max-length": lambda p, w, v: _max_len("body", p.body, v),
    "body-max-line-length": lambda p, w, v: _max_line_len("body", p.body, v),
    "body-min-length": lambda p, w, v: _min_len("body", p.body, v),
    "breaking-change-exclamation-mark": _breaking_exclamation,
    "footer-empty": lambda p, w, v: _empty_rule("footer", p.footer, w),
    "footer-leading-blank": _leading_blank_footer,
    "footer-max-length": lambda p, w, v: _max_len("footer", p.footer, v),
    "footer-max-line-length": lambda p, w, v: _max_line_len("footer", p.footer, v),
    "footer-min-length": lambda p, w, v: _min_len("footer", p.footer, v),
    "header-case": _header_case,
    "header-full-stop": _header_full_stop,
    "header-max-length": _header_max_length,
    "header-min-length": _header_min_length,
    "header-trim": _header_trim,
    "references-empty": _references_empty,
    "scope-case": _scope_case,
    "scope-delimiter-style": _scope_delimiter_style,
    "scope-empty": lambda p, w, v: _references_like_empty("scope", p.scope, w),
    "scope-enum": _scope_enum,
    "scope-max-length": lambda p, w, v: _max_len("scope", p.scope, v),
    "scope-min-length": lambda p, w, v: _min_len("scope", p.scope, v),
    "signed-off-by": _signed_off_by,
    "subject-case": _subject_case,
    "subject-empty": lambda p, w, v: _empty_rule("subject", p.subject, w),
    "subject-exclamation-mark": _subject_exclamation,
    "subject-full-stop": _subject_full_stop,
    "subject-max-length": lambda p, w, v: _max_len("subject", p.subject, v),
    "subject-min-length": lambda p, w, v: _min_len("subject", p.subject, v),
    "trailer-exists": _trailer_exists,
    "type-case": _type_case,
    "type-empty": lambda p, w, v: _empty_rule("type", p.type, w),
    "type-enum": _type_enum,
    "type-max-length": lambda p, w, v: _max_len("type", p.type, v),
    "type-min-length": lambda p, w, v: _min_len("type", p.type, v),
}


def _references_like_empty(subject: str, text: str | None, when: str) -> RuleResult:
    negated = when == "always"
    not_empty = bool(text)
    return (not not_empty if negated else not_empty), _msg(subject, "must" if negated else "may not", "be empty")


#: Every rule of @commitlint/rules.
RULE_NAMES: frozenset[str] = frozenset(RULES)

_DEFAULT_WHEN = {"references-empty": "never", "scope-empty": "never"}

# ---------------------------------------------------------------- lint


def lint(
    message: str, rules: Mapping[str, RuleSetting] | None = None, *, comment_char: str | None = None
) -> LintOutcome:
    """Lint one commit message as `@commitlint/lint` does; None means DEFAULT_RULES. With git's comment character
    (`commitlint --edit`), the parser drops comment lines and the scissors line on; the raw-text rules see them."""
    return linter(rules)(message, comment_char)


_Active = tuple[tuple[str, Rule, int, str, Any], ...]


class Linter(Protocol):
    """Lints one message (and git's comment character, for the commit-msg hook's file)."""

    def __call__(self, message: str, comment_char: str | None = None) -> LintOutcome: ...


def linter(rules: Mapping[str, RuleSetting] | None = None) -> Linter:
    """`lint` with the rules set up once, for many messages; None means DEFAULT_RULES."""
    settings = DEFAULT_RULES if rules is None else rules
    active = tuple(
        (
            name,
            RULES[name],
            setting.level,
            setting.condition,
            _CaseChecks(_checks([] if setting.value is None else setting.value))
            if name in _TEXT_CASE_RULES
            else setting.value,
        )
        for name, setting in settings.items()
        if setting.level > 0
    )
    return functools.partial(_lint, active=active)


def _lint(message: str, comment_char: str | None = None, *, active: _Active) -> LintOutcome:
    if is_ignored(message):
        return LintOutcome(message, True, True, (), ())
    parsed = parse_commit(message, comment_char)
    if parsed.header is None and parsed.body is None and parsed.footer is None:
        return LintOutcome(message, True, False, (), ())
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for name, rule, level, condition, value in active:
        ok, text = rule(parsed, condition, value)
        if not ok:
            (errors if level == 2 else warnings).append(Problem(name, level, text))
    return LintOutcome(message, not errors, False, tuple(errors), tuple(warnings))


# ---------------------------------------------------------------- configuration

_LENGTH_RULES = frozenset(name for name in RULE_NAMES if name.endswith(("-length",)))
_CASE_RULES = frozenset({"body-case", "header-case", "scope-case", "subject-case", "type-case"})
#: The case rules whose value is only cases (scope-case's may also name delimiters).
_TEXT_CASE_RULES = _CASE_RULES - {"scope-case"}
_CHAR_RULES = frozenset({"body-full-stop", "header-full-stop", "subject-full-stop"})
_TEXT_RULES = frozenset({"signed-off-by", "trailer-exists"})
_LIST_RULES = frozenset({"type-enum", "scope-delimiter-style"})


def _check_value(name: str, value: Any, source: str) -> Any:
    def fail(expected: str) -> BadInput:
        return BadInput(f"commitlint: rule {name}: value must be {expected}, got {value!r}", file=source)

    if value is None:
        return None
    if name in _LENGTH_RULES:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail("a non-negative integer")
    elif name in _CASE_RULES:
        cases = value.get("cases") if name == "scope-case" and isinstance(value, Mapping) else value
        items = cases if isinstance(cases, list) else [cases]
        for item in items:
            case = item.get("case") if isinstance(item, Mapping) else item
            if not isinstance(case, str) or case not in CASES:
                raise fail("a case name or a list of them: " + ", ".join(sorted(CASES)))
            if isinstance(item, Mapping) and item.get("when", "always") not in ("always", "never"):
                raise fail('case checks whose "when" is "always" or "never"')
    elif name in _CHAR_RULES or name in _TEXT_RULES:
        if not isinstance(value, str):
            raise fail("a string")
    elif name in _LIST_RULES:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail("a list of strings")
    elif name == "scope-enum":
        scopes = value.get("scopes") if isinstance(value, Mapping) else value
        if not isinstance(scopes, list) or not all(isinstance(item, str) for item in scopes):
            raise fail("a list of scopes or {scopes: [...], delimiters: [...]}")
    return value


def rules_from_config(data: Any, *, source: str) -> dict[str, RuleSetting]:
    """The effective rules: skillci.yaml's `commitlint:` mapping in commitlint's form, over DEFAULT_RULES."""
    rules = dict(DEFAULT_RULES)
    if data is None:
        return rules
    if not isinstance(data, Mapping):
        raise BadInput("commitlint: must be a mapping with a `rules` mapping", file=source)
    unknown_keys = sorted(str(key) for key in data if key != "rules")
    if unknown_keys:
        raise BadInput(f"commitlint: unknown key(s) {', '.join(unknown_keys)}; only `rules` is supported", file=source)
    configured = data.get("rules")
    if configured is None:
        return rules
    if not isinstance(configured, Mapping):
        raise BadInput("commitlint.rules must be a mapping of rule name to [level, condition, value]", file=source)
    missing = sorted(str(name) for name in configured if name not in RULE_NAMES)
    if missing:
        raise BadInput(
            f"commitlint: found rules without implementation: {', '.join(missing)}; "
            f"supported rules are: {', '.join(sorted(RULE_NAMES))}",
            file=source,
        )
    for name, config in configured.items():
        if not isinstance(config, list):
            raise BadInput(f"config for rule {name} must be array, received {config!r}", file=source)
        if len(config) == 1 and config[0] == 0 and not isinstance(config[0], bool):
            rules[name] = RuleSetting(0, _DEFAULT_WHEN.get(name, "always"))
            continue
        level = config[0] if config else None
        if isinstance(level, bool) or not isinstance(level, int):
            raise BadInput(f"level for rule {name} must be number, received {level!r}", file=source)
        if len(config) < 2 or len(config) > 3:
            raise BadInput(f"config for rule {name} must be 2 or 3 items long, received {config!r}", file=source)
        if level < 0 or level > 2:
            raise BadInput(f"level for rule {name} must be between 0 and 2, received {level!r}", file=source)
        when = config[1]
        if when not in ("always", "never"):
            raise BadInput(f'condition for rule {name} must be "always" or "never", received {when!r}', file=source)
        value = _check_value(name, config[2] if len(config) == 3 else None, source)
        rules[name] = RuleSetting(level, when, value)
    return rules
