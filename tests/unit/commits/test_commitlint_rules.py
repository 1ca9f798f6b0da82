"""Focused checks of the commitlint port: parser fields, ignores, case logic, each rule family, config."""

from __future__ import annotations

import random
import re

import pytest

from skillci.commits.parser import SCISSORS, Note, js_len, parse_commit
from skillci.commits.rules import (
    DEFAULT_RULES,
    RULE_NAMES,
    RuleSetting,
    ensure_case,
    is_ignored,
    lint,
    rules_from_config,
)
from skillci.errors import BadInput


def _errors(message: str, rules: dict[str, RuleSetting] | None = None) -> list[str]:
    return sorted(problem.rule for problem in lint(message, rules).errors)


def _warnings(message: str) -> list[str]:
    return sorted(problem.rule for problem in lint(message).warnings)


# ---------------------------------------------------------------- parser


def test_parser_splits_header_body_footer() -> None:
    parsed = parse_commit("feat(api/v2,ui)!: add thing\r\n\r\nWhy it matters.\r\n\r\nCloses #12\r\n")
    assert (parsed.type, parsed.scope, parsed.subject) == ("feat", "api/v2,ui", "add thing")
    assert parsed.body == "Why it matters."
    assert parsed.footer == "Closes #12"
    assert parsed.references == ("#12",)
    assert parsed.breaking and parsed.notes == (Note("BREAKING CHANGE", "add thing"),)
    assert not parsed.revert and parsed.merge is None


def test_parser_notes_and_edge_cases() -> None:
    parsed = parse_commit("fix: x\n\nBREAKING-CHANGE: gone\nmore\n")
    assert parsed.notes == (Note("BREAKING-CHANGE", "gone\nmore"),) and parsed.breaking
    assert parsed.body == ""  # the blank line, as conventional-commits-parser keeps it
    assert parse_commit("feat: ").subject is None and parse_commit("feat: ").type == "feat"
    assert parse_commit("feat:  x").subject == " x"
    assert parse_commit("feat: x\ry").type is None  # a lone CR is not matched by JS `.`
    assert parse_commit('Revert "feat: x"\n\nThis reverts commit abc123.').revert


def test_with_a_comment_char_the_parser_drops_comments_and_stops_at_the_scissors() -> None:
    verbose = f"feat: x\n\nwhy\n# Please enter the message\n# {SCISSORS}\ndiff --git a/f b/f\n+{'y' * 120}\n\n"
    parsed = parse_commit(verbose, "#")
    assert (parsed.header, parsed.body, parsed.footer) == ("feat: x", "why", None)
    assert parsed.raw == verbose  # the raw-text rules still see every line
    assert parse_commit(verbose).body is not None and "diff --git" in (parse_commit(verbose).body or "")
    assert parse_commit(f"feat: x\n\n# kept\n; {SCISSORS}\nno\n", ";").body == "# kept"
    assert parse_commit(f"feat: x\n\n{SCISSORS}\nkept\n", "#").body == f"{SCISSORS}\nkept"  # no comment char
    assert parse_commit("# c\n\nfeat: x\n", "#").header is None  # the blank line left on top is the header
    only_comments = parse_commit("# a\n# b\n", "#")
    assert (only_comments.header, only_comments.body, only_comments.footer) == (None, None, None)


def test_comment_lines_are_parsed_out_but_raw_text_rules_see_them() -> None:
    """What commitlint --edit says (see the parity test): the parser drops them, body-leading-blank does not."""
    assert sorted(p.rule for p in lint("# c\n\nfeat: x\n\n", comment_char="#").errors) == [
        "header-max-length",
        "subject-empty",
        "type-empty",
    ]
    outcome = lint("feat: x\n# c\n\nbody\n\n", comment_char="#")
    assert outcome.valid and [p.rule for p in outcome.warnings] == ["body-leading-blank"]
    assert lint(f"feat: x\n\n# {SCISSORS}\n+{'y' * 120}\n\n", comment_char="#").errors == ()
    assert _errors(f"feat: x\n\n# {SCISSORS}\n+{'y' * 120}\n\n") == ["body-max-line-length"]  # not --edit


def test_js_length_counts_utf16_units() -> None:
    assert js_len("😀a") == 3 and js_len("é") == 1 and js_len("a\U0010ffff\U00010000") == 5


def test_strings_of_utf16_units_round_trip() -> None:
    from skillci.commits.rules import _from_u16, _to_u16

    assert _to_u16("a😀é\U0010ffff") == "a\ud83d\ude00é\udbff\udfff"
    assert _from_u16("a\ud83d\ude00é\udbff\udfff") == "a😀é\U0010ffff"
    assert _from_u16(_to_u16("x\ud800y")) == "x\ud800y"  # a lone surrogate stays itself


# ---------------------------------------------------------------- ignores


@pytest.mark.parametrize(
    "message",
    [
        "Merge pull request #1 from a/b",
        "Merge branch 'main' into x",
        "Merge tag 'v1'",
        'Revert "x"',
        'Reapply "x"',
        "fixup! feat: x",
        "squash! x",
        "amend! x",
        "v1.2.3",
        "chore(release): 1.2.3 [skip ci]",
        "Merged PR 1: x",
        "Merge remote-tracking branch 'o/m'",
        "Automatic merge x",
        "Auto-merged a into b",
    ],
)
def test_default_ignores(message: str) -> None:
    assert is_ignored(message)
    outcome = lint(message)
    assert outcome.valid and outcome.ignored and not outcome.errors


@pytest.mark.parametrize("message", ["Initial commit", "1.2", "01.2.3", "chore: release 1.2.3", "Merging x"])
def test_not_ignored(message: str) -> None:
    assert not is_ignored(message)


# @commitlint/is-ignored's wildcards translated to Python regular expressions (JS `^`/`$` under the m flag match
# at any line terminator; JS `.` matches none of them): the oracle for is_ignored's string checks.
_JS_DOT = "[^\\n\\r\\u2028\\u2029]"
_JS_S = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_M_START = "(?:(?<=[\\n\\r\\u2028\\u2029])|(?<![\\s\\S]))"
_M_END = "(?:(?=[\\n\\r\\u2028\\u2029])|\\Z)"
_WILDCARDS = re.compile(
    "|".join(
        f"(?:{pattern})"
        for pattern in (
            f"{_M_START}((Merge pull request)|(Merge ({_JS_DOT}*?) into ({_JS_DOT}*?)|(Merge branch ({_JS_DOT}*?)))"
            f"(?:\\r?\\n)*{_M_END})",
            f"{_M_START}(Merge tag ({_JS_DOT}*?))(?:\\r?\\n)*{_M_END}",
            f"^(R|r)evert ({_JS_DOT}*)",
            f"^(R|r)eapply ({_JS_DOT}*)",
            "^(amend|fixup|squash)!",
            f"^(Merged ({_JS_DOT}*?)(in|into) ({_JS_DOT}*)|Merged PR ({_JS_DOT}*): ({_JS_DOT}*))",
            f"^Merge remote-tracking branch([{_JS_S}]*)({_JS_DOT}*)",
            f"^Automatic merge({_JS_DOT}*)",
            f"^Auto-merged ({_JS_DOT}*?) into ({_JS_DOT}*)",
        )
    )
)
_FRAGMENTS = (
    "Merge",
    "Merge ",
    "Merged ",
    "Merged PR ",
    "Merge pull request",
    "Merge branch ",
    "Merge tag ",
    "merge",
    "Auto-merged ",
    "Automatic merge",
    "Merge remote-tracking branch",
    "Revert ",
    "revert ",
    "Reapply ",
    "reapply",
    "fixup!",
    "squash",
    "amend!",
    " into ",
    "into ",
    "in ",
    "in",
    ": ",
    ":",
    " ",
    "x",
    "feat: y",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\x0b",
    "\x85",
)


def test_ignores_match_commitlint_wildcards() -> None:
    generator = random.Random(20261122)
    for _ in range(20_000):
        # No fragment holds a digit, so the other ignore (release versions, checked above) never applies.
        message = "".join(generator.choice(_FRAGMENTS) for _ in range(generator.randint(1, 7)))
        assert is_ignored(message) == (_WILDCARDS.search(message) is not None), repr(message)


# ---------------------------------------------------------------- case


def test_case_logic() -> None:
    assert ensure_case("Add The Thing", "start-case")
    assert ensure_case("AddTheThing", "pascal-case")
    assert ensure_case("Add thing", "sentence-case")
    assert not ensure_case("add thing", "sentence-case")
    assert ensure_case("`Eslint` config", "lower-case")
    assert ensure_case("2FA", "lower-case")
    assert ensure_case("hello-world", "kebab-case") and ensure_case("hello_world", "snake-case")
    assert ensure_case("helloWorld", "camel-case")


# ---------------------------------------------------------------- config-conventional defaults


def test_default_rules_are_config_conventional() -> None:
    assert DEFAULT_RULES["header-max-length"] == RuleSetting(2, "always", 100)
    assert DEFAULT_RULES["subject-case"].value == ["sentence-case", "start-case", "pascal-case", "upper-case"]
    assert DEFAULT_RULES["body-leading-blank"].level == 1 and DEFAULT_RULES["footer-leading-blank"].level == 1
    assert len(DEFAULT_RULES["type-enum"].value) == 11
    assert len(RULE_NAMES) == 38


def test_header_rules() -> None:
    assert _errors("feat: " + "x" * 94) == []
    assert _errors("feat: " + "x" * 95) == ["header-max-length"]
    assert _errors("feat: x ") == ["header-trim"]
    assert lint("feat: x ").errors[0].message == "header must not end with whitespace"


def test_type_and_subject_rules() -> None:
    assert _errors("Feat: x") == ["type-case", "type-enum"]
    assert _errors("wip: x") == ["type-enum"]
    assert _errors("add thing") == ["subject-empty", "type-empty"]
    assert _errors("feat: Add thing") == ["subject-case"]
    assert _errors("feat: add thing.") == ["subject-full-stop"]
    assert _errors("feat: add thing...") == []
    assert _errors("feat:") == ["subject-empty", "type-empty"]


def test_body_and_footer_rules() -> None:
    assert _warnings("feat: x\nbody") == ["body-leading-blank"]
    assert _warnings("feat: x\n\nbody\nCloses #1") == ["footer-leading-blank"]
    assert _errors("feat: x\n\n" + "y" * 101) == ["body-max-line-length"]
    assert _errors("feat: x\n\nsee https://e.com/" + "y" * 101) == []
    assert _errors("feat: x\n\nCloses #1 " + "y" * 100) == ["footer-max-line-length"]


def test_configurable_rules() -> None:
    rules = rules_from_config(
        {"rules": {"scope-enum": [2, "always", ["api"]], "references-empty": [2, "never"], "subject-case": [0]}},
        source="skillci.yaml",
    )
    assert _errors("feat(ui): x", rules) == ["references-empty", "scope-enum"]
    assert _errors("feat(api): Add x\n\nCloses #2", rules) == []
    signed = rules_from_config({"rules": {"signed-off-by": [2, "always", "Signed-off-by:"]}}, source="s")
    assert _errors("feat: x\n\nSigned-off-by: A <a@b.c>", signed) == []
    assert _errors("feat: x", signed) == ["signed-off-by"]


@pytest.mark.parametrize(
    "data",
    [
        {"rules": {"no-such-rule": [2, "always"]}},
        {"rules": {"header-max-length": [3, "always", 10]}},
        {"rules": {"header-max-length": [2, "sometimes", 10]}},
        {"rules": {"header-max-length": [2]}},
        {"rules": {"header-max-length": "2"}},
        {"rules": {"subject-case": [2, "always", "shouty-case"]}},
        {"rules": {"header-max-length": [2, "always", "ten"]}},
        {"extends": ["x"]},
        ["not", "a", "mapping"],
    ],
)
def test_bad_config_is_bad_input(data: object) -> None:
    with pytest.raises(BadInput) as caught:
        rules_from_config(data, source="skillci.yaml")
    assert caught.value.file == "skillci.yaml"
