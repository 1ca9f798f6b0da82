"""Conventional-commit parsing exactly as `@commitlint/parse` does it with config-conventional.

The reference is conventional-commits-parser 6 with the parser options of
conventional-changelog-conventionalcommits (over conventional-changelog-angular's, and
commitlint's `fieldPattern: null`). JavaScript regular expressions differ from Python's in
`\\s`, `\\w`, `.`, `$` and case folding, so every pattern here spells those out.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: ECMAScript WhiteSpace and LineTerminator: what JS `\s` and `String.prototype.trim` use.
JS_WS_CHARS = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
#: JS `\s` as a Python character class body.
JS_S = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
#: JS `.` (no `s` flag) as a Python character class.
JS_DOT = "[^\\n\\r\\u2028\\u2029]"
#: JS `\w` (no `u` flag).
JS_W = "[A-Za-z0-9_]"

_FLAGS = re.ASCII
_FLAGS_I = re.ASCII | re.IGNORECASE

HEADER_PATTERN = re.compile(rf"^({JS_W}*)(?:\(({JS_DOT}*)\))?!?: ({JS_DOT}*)\Z", _FLAGS)
BREAKING_HEADER_PATTERN = re.compile(rf"^({JS_W}*)(?:\(({JS_DOT}*)\))?!: ({JS_DOT}*)\Z", _FLAGS)
NOTE_KEYWORDS = ("BREAKING CHANGE", "BREAKING-CHANGE")
NOTES_PATTERN = re.compile(rf"^[{JS_S}|*]*(BREAKING CHANGE|BREAKING-CHANGE)[:{JS_S}]+({JS_DOT}*)", _FLAGS_I)
REVERT_PATTERN = re.compile(
    rf'^(?:Revert|revert:)[{JS_S}]"?([\s\S]+?)"?[{JS_S}]*This reverts commit ({JS_W}*)\.', _FLAGS_I
)
#: conventional-changelog-conventionalcommits' issue prefix (its only one).
ISSUE_PREFIX = "#"
REFERENCE_ACTIONS = ("close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved")
_ACTIONS = "|".join(REFERENCE_ACTIONS)
_REFERENCES = re.compile(rf"({_ACTIONS})(?:[{JS_S}]+({JS_DOT}*?))(?=(?:{_ACTIONS})|\Z)", _FLAGS_I)
_ANYTHING = re.compile(rf"()({JS_DOT}+)", _FLAGS_I)
_REFERENCE_PARTS = re.compile(
    rf"(?:{JS_DOT}*?)??[{JS_S}]*([A-Za-z0-9_\-./]*?)??(#)([A-Za-z0-9_-]+)(?=[{JS_S}]|\Z|[,;)\]])", _FLAGS_I
)
_URL = re.compile(r"\b(?:https?)://(?:www\.)?([-a-zA-Z0-9@:%_+.~#?&/=])+\b", _FLAGS)
_GPG = re.compile(rf"^[{JS_S}]*gpg:", _FLAGS)
_LINE_SPLIT = re.compile(r"\r?\n")
#: The line `git commit -v` writes (after the comment character and a space) above the diff: the message ends there.
SCISSORS = "------------------------ >8 ------------------------"


def js_trim(text: str) -> str:
    """`String.prototype.trim`."""
    return text.strip(JS_WS_CHARS)


def js_trim_start(text: str) -> str:
    """`String.prototype.trimStart`."""
    return text.lstrip(JS_WS_CHARS)


def js_trim_end(text: str) -> str:
    """`String.prototype.trimEnd`."""
    return text.rstrip(JS_WS_CHARS)


def js_len(text: str) -> int:
    """A JavaScript string's `length`: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_lines(text: str) -> list[str]:
    """`text.split(/\\r?\\n/)`."""
    return _LINE_SPLIT.split(text) if "\r" in text else text.split("\n")


def uncommented(lines: list[str], comment_char: str) -> list[str]:
    """The lines before git's scissors line, without comment lines (conventional-commits-parser's `commentChar`)."""
    scissors = f"{comment_char} {SCISSORS}"
    if scissors in lines:
        lines = lines[: lines.index(scissors)]
    return [line for line in lines if not line.startswith(comment_char)]


def trim_newlines(text: str) -> str:
    """conventional-commits-parser's `trimNewLines`: strip leading and trailing CR/LF."""
    return text.strip("\r\n")


def _append(src: str | None, line: str | None) -> str:
    return f"{src}\n{line or ''}" if src else line or ""


class Note(NamedTuple):
    """A footer note: BREAKING CHANGE or BREAKING-CHANGE and its text."""

    title: str
    text: str


class Reference(NamedTuple):
    """An issue reference as conventional-commits-parser finds it."""

    action: str | None
    raw: str
    prefix: str
    issue: str


class ParsedCommit(NamedTuple):
    """A commit message parsed as commitlint parses it."""

    raw: str
    header: str | None
    type: str | None
    scope: str | None
    subject: str | None
    body: str | None
    footer: str | None
    notes: tuple[Note, ...]
    references: tuple[str, ...]
    breaking: bool
    revert: bool
    merge: str | None


class _Note:
    __slots__ = ("text", "title")

    def __init__(self, title: str, text: str) -> None:
        self.title = title
        self.text = text


class _State:
    """The parser's position in the lines and what it has found so far."""

    __slots__ = ("body", "footer", "index", "lines", "notes", "references")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.index = 0
        self.body: str | None = None
        self.footer: str | None = None
        self.notes: list[_Note] = []
        self.references: list[Reference] = []

    def available(self) -> bool:
        return self.index < len(self.lines)

    def current(self) -> str:
        return self.lines[self.index]


def _parse_reference_parts(sentence: str, action: str | None) -> list[Reference]:
    if ISSUE_PREFIX not in sentence or _URL.search(sentence):
        return []  # every reference holds an issue prefix; the regex below is slow on long lines without one
    return [
        Reference(action=action, raw=match.group(0), prefix=match.group(2), issue=match.group(3))
        for match in _REFERENCE_PARTS.finditer(sentence)
    ]


def parse_references(text: str) -> list[Reference]:
    """conventional-commits-parser's `parseReferences` of one line."""
    if ISSUE_PREFIX not in text:
        return []  # every reference holds an issue prefix (see _parse_reference_parts)
    regex = _REFERENCES if _REFERENCES.search(text) else _ANYTHING
    found: list[Reference] = []
    for match in regex.finditer(text):
        found.extend(_parse_reference_parts(match.group(2) or "", match.group(1) or None))
    return found


def _may_be_note(line: str) -> bool:
    """Every note holds BREAKING (in any ASCII case); most lines do not, and skip the pattern."""
    return "breaking" in line.lower()


def _parse_notes(state: _State) -> bool:
    if not state.available():
        return False
    line = state.current()
    match = NOTES_PATTERN.match(line) if _may_be_note(line) else None
    if not match:
        return False
    note = _Note(title=match.group(1), text=match.group(2))
    state.notes.append(note)
    state.footer = _append(state.footer, state.current())
    state.index += 1
    while state.available():
        if _parse_notes(state):
            return True
        references = parse_references(state.current())
        if references:
            state.references.extend(references)
        else:
            note.text = _append(note.text, state.current())
        state.footer = _append(state.footer, state.current())
        state.index += 1
        if references:
            break
    return True


def _parse_body_and_footer(state: _State, is_body: bool) -> bool:
    if not state.available():
        return is_body
    references = parse_references(state.current())
    still_body = not references and is_body
    if still_body:
        state.body = _append(state.body, state.current())
    else:
        state.references.extend(references)
        state.footer = _append(state.footer, state.current())
    state.index += 1
    return still_body


def parse_commit(message: str, comment_char: str | None = None) -> ParsedCommit:
    """Parse a commit message as `@commitlint/parse` with config-conventional does; with a comment character (as
    for the commit-msg hook's file), comment lines and everything from git's scissors line on are not parsed."""
    if not js_trim(message):
        return ParsedCommit(message, None, None, None, None, None, None, (), (), False, False, None)
    lines = split_lines(trim_newlines(message))
    if comment_char:
        lines = uncommented(lines, comment_char)
    if "gpg:" in message:
        lines = [line for line in lines if not _GPG.match(line)]
    header = lines[0] if lines else None
    type_ = scope = subject = None
    breaking_match: re.Match[str] | None = None
    references: list[Reference] = []
    if header:
        breaking_match = BREAKING_HEADER_PATTERN.match(header) if "!: " in header else None  # it needs "!: "
        match = breaking_match or HEADER_PATTERN.match(header)
        if match is not None:
            type_, scope, subject = (group or None for group in match.groups())
        references = parse_references(header)
    body = footer = None
    notes: tuple[Note, ...] = ()
    if len(lines) > 1:
        state = _State(lines=lines)
        state.index = 1
        state.references = references
        _parse_rest(state)
        body = trim_newlines(state.body) if state.body else state.body
        footer = trim_newlines(state.footer) if state.footer else state.footer
        notes = tuple(Note(title=note.title, text=trim_newlines(note.text)) for note in state.notes)
    if not notes and breaking_match:
        notes = (Note(title="BREAKING CHANGE", text=trim_newlines(breaking_match.group(3))),)
    return ParsedCommit(
        message,
        header or None,
        type_,
        scope,
        subject,
        body,
        footer,
        notes,
        _unique_references(references) if references else (),
        bool(notes) or breaking_match is not None,
        message[:6].lower() == "revert" and REVERT_PATTERN.match(message) is not None,
        None,
    )


def _parse_rest(state: _State) -> None:
    """The lines after the header: body, then notes and references (the footer)."""
    lines = state.lines
    is_body = True
    while state.index < len(lines):
        line = lines[state.index]
        if is_body and ISSUE_PREFIX not in line and not _may_be_note(line):
            state.body = _append(state.body, line)  # a plain body line: neither a note nor a reference
            state.index += 1
            continue
        if _parse_notes(state):
            is_body = False
        if not _parse_body_and_footer(state, is_body):
            is_body = False


def _unique_references(found: list[Reference]) -> tuple[str, ...]:
    seen: set[str] = set()
    references: list[str] = []
    for ref in found:
        uid = f"{ref.action} {ref.raw}".lower()
        if uid not in seen:
            seen.add(uid)
            references.append(ref.prefix + ref.issue)
    return tuple(references)
