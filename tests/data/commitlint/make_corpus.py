"""Writes corpus.json: the commit messages of the commitlint parity test (deterministic).

Run `python3 tests/data/commitlint/make_corpus.py` after editing; the test reads corpus.json.
"""

from __future__ import annotations

import json
from pathlib import Path

TYPES = ["build", "chore", "ci", "docs", "feat", "fix", "perf", "refactor", "revert", "style", "test"]
BAD_TYPES = ["Feat", "FIX", "feature", "wip", "Chore", "release", "deps", "bugfix", "fEat", "123", "feat_x"]
SCOPES = [
    "",
    "(api)",
    "(core/parser)",
    "(ui,api)",
    "(ui, api)",
    "(a\\b)",
    "(web app)",
    "()",
    "(Api)",
    "(API)",
    "(v1.2)",
    "(@scope/pkg)",
    "(deps-dev)",
    "(some_scope)",
    "(a)(b)",
    "(x))",
    "(émoji)",
    "(*)",
]
SUBJECTS = [
    "add the thing",
    "handle empty input",
    "bump lodash to 4.17.21",
    "use `Eslint` configuration",
    "update 'README' wording",
    'correct typo in "Install" guide',
    "support ÜTF-8 names",
    "日本語のサブジェクト",
    "add 🎉 celebration",
    "v2 api",
    "3rd party adapters",
    "iOS build fix",
    "allow foo...",
    "x",
]
BROKEN_SUBJECTS = [
    "Add the thing",
    "Add The Thing",
    "ADD THE THING",
    "AddTheThing",
    "add the thing.",
    "Über change",
    "Émigré support",
    "Ωmega release",
    "add the thing。",
    "add thing!",
    "HTTP server",
    "Fix",
    "ok",
    "A",
    "Ab",
    "Hello World",
    "hello World",
    "helloWorld",
    "hello_world",
    "hello-world",
    "Hello-World",
    "ÉCOLE",
    "ß straße",
    "Σίσυφος",
    "ǅemal",
    "𐐀 deseret",
    "I18N work",
    "'Quoted' start",
    "`Code` span first",
    "2fa login",
]
LONG_WORD = "abcdefghij"


def header_of(length: int, prefix: str = "feat: ") -> str:
    body = (prefix + "x " * 200)[:length]
    return body.rstrip() + "y" * (length - len(body.rstrip()))


def line_of(length: int) -> str:
    text = ("lorem ipsum dolor sit amet " * 10)[:length]
    return text[:-1] + "z" if text.endswith(" ") else text


def build() -> list[str]:
    messages: list[str] = []
    add = messages.append
    # every type, scope and subject shape
    for i, type_ in enumerate(TYPES):
        for j, scope in enumerate(SCOPES):
            add(f"{type_}{scope}: {SUBJECTS[(i + j) % len(SUBJECTS)]}")
    for subject in SUBJECTS + BROKEN_SUBJECTS:
        add(f"fix: {subject}")
        add(f"feat(core): {subject}\n\nSome body text.\n")
    for type_ in BAD_TYPES:
        add(f"{type_}: add the thing")
        add(f"{type_}(scope): add the thing\n\nbody\n")
    # breaking changes
    for head in [
        "feat!: drop node 16",
        "feat(api)!: drop v1 endpoints",
        "fix!: Change default",
        "feat!:",
        "feat !: x",
        "feat(api)! : x",
        "!: nothing",
        "feat(!): odd",
    ]:
        add(head)
        add(f"{head}\n\nBREAKING CHANGE: the old endpoints are gone\n")
    for keyword in [
        "BREAKING CHANGE",
        "BREAKING-CHANGE",
        "breaking change",
        "Breaking-Change",
        " * BREAKING CHANGE",
        "BREAKING CHANGES",
        "BREAKING  CHANGE",
    ]:
        add(f"feat: new api\n\nBody paragraph.\n\n{keyword}: old api removed\nmore detail on the change\n")
        add(f"feat: new api\n{keyword}: no blank line before\n")
        add(f"refactor(core)!: rename\n\n{keyword}: renamed things\n\nCloses #12\n")
    # references
    for footer in [
        "Closes #123",
        "Fixes #1, #2",
        "fixes org/repo#7",
        "Resolves: #9",
        "See #33",
        "closes GH-4",
        "refs https://example.com/issues#12",
        "Closed #5 and fixes #6",
        "#77",
        "Co-authored-by: A <a@b.c>",
        "Signed-off-by: Dev <dev@example.com>",
        "Reviewed-by: Z",
    ]:
        add(f"fix(api): handle nulls\n\nExplain the fix.\n\n{footer}\n")
        add(f"fix(api): handle nulls\n{footer}\n")
        add(f"fix(api): handle nulls #42\n\n{footer}")
    # multi-paragraph bodies, leading blank lines
    add("docs: explain\n\nfirst paragraph\nstill first\n\nsecond paragraph\n\n\nthird after two blanks\n")
    add("docs: explain\nbody without blank line\n")
    add("docs: explain\n\n\n\nbody after three blanks\n")
    add("docs: explain\n\n- item one\n- item two\n  - nested\n\nCloses #4\n")
    add("docs: explain\n\nbody\nCloses #4\n")
    add("docs: explain\n\nbody\n\nCloses #4\nmore footer\nBREAKING CHANGE: x\n")
    # lengths
    for length in [99, 100, 101, 120]:
        add(header_of(length))
        add(header_of(length, "fix(scope-name): "))
        add(header_of(length, "Merge branch ") + "\n")
    for length in [99, 100, 101, 150]:
        add(f"chore: body lines\n\n{line_of(length)}\n")
        add(f"chore: body lines\n\nshort\n{line_of(length)}\nshort\n")
        add(f"chore: footer lines\n\nbody\n\nCloses #1\n{line_of(length)}\n")
        add(f"chore: footer lines\n\nBREAKING CHANGE: {line_of(length)}\n")
        add(f"chore: unicode lengths\n\n{'é' * length}\n")
        add(f"chore: astral lengths\n\n{'😀' * (length // 2)}{'a' * (length % 2)}\n")
        add("chore: " + "é" * (length - 7))
        add("chore: " + "😀" * ((length - 7) // 2) + "a" * ((length - 7) % 2))
    add(f"docs: link\n\nSee https://example.com/{'a' * 150} for details\n")
    add(f"docs: link\n\n{'word ' * 30}https://example.com/x\n")
    add(f"docs: link\n\nhttp://{'b' * 120}.example\n")
    add(f"docs: link\n\nftp://{'b' * 120}.example\n")
    add(f"docs: link\n\nBody.\n\nRefs: https://example.com/{'c' * 120}\n")
    # ignored and near-ignored messages
    for msg in [
        "Merge pull request #12 from org/branch",
        "Merge branch 'main' into feature",
        "Merge branch 'main'",
        "Merge tag 'v1.2.3'",
        "Merge remote-tracking branch 'origin/main'",
        "Merged feature into main",
        "Merged PR 123: add things",
        "Automatic merge from CI",
        "Auto-merged main into dev",
        'Revert "feat: add thing"\n\nThis reverts commit 1234567890abcdef1234567890abcdef12345678.',
        "revert: feat: add thing\n\nThis reverts commit abcdef1.",
        'Reapply "feat: x"',
        "fixup! feat: add thing",
        "squash! fix: y",
        "amend! docs: z",
        "fixup!feat: nospace",
        "Fixup! feat: caps",
        "Initial commit",
        "initial commit",
        "1.2.3",
        "v1.2.3",
        "chore: 1.2.3",
        "chore(release): 1.2.3",
        "chore(release): v2.0.0-rc.1 [skip ci]",
        "2.0.0 (skip ci)",
        "1.2",
        "01.2.3",
        "1.2.3-beta.01",
        "1.2.3+build.5",
        "chore: release 1.2.3",
        "v1.2.3\n\nnotes",
        "Merge branch 'a' into b\n\nConflicts:\n\tfile.txt",
        "Merge pull request #1 from x\n\nfeat: body",
        "Merging stuff",
        "merge branch 'x'",
        "WIP",
        "wip: stuff",
        "Update README.md",
        "Revert",
        'Revert "x"',
        "revert: x",
        "Reverts the thing",
        "Merge",
        " Merge branch 'x'",
        "feat: x\n\nMerge branch 'x' into y",
        "docs: a\nMerge tag 'v1'",
    ]:
        add(msg)
    # whitespace, CRLF, tabs, odd shapes
    for base in [
        "feat: add thing",
        "feat(api): add thing\n\nbody line\n\nCloses #3",
        "fix: bug\n\nBREAKING CHANGE: changed\n",
        "Add Thing",
        "feat: Add thing.",
    ]:
        add(base.replace("\n", "\r\n"))
        add(base.replace("\n", "\r\n") + "\r\n")
        add(base + "   ")
        add(" " + base)
        add("\t" + base)
        add(base.split("\n")[0] + " \n\n" + "body  \n")
        add(base + "\n\n\n")
        add("\n\n" + base)
    for head in [
        "feat:",
        "feat: ",
        "feat:  two spaces",
        "feat:no space",
        "feat :x",
        "feat(): x",
        "(scope): x",
        ": x",
        "feat(scope):",
        "feat(scope): ",
        "feat(a)(b): x",
        "feat(a(b)): x",
        "feat((a)): x",
        "feat(scope)x: y",
        "feat: x:",
        "feat: x: y",
        "fix:\tx",
        "feat: x\u00a0",
        "\u00a0feat: x",
        "feat: x\ufeff",
        "feat:\u3000x",
        "feat(\u00e9): x",
        "fe-at: x",
        "fe.at: x",
        "FEAT: X",
        "feat(API): Add",
        "feat:x.",
        "feat: ...",
        "feat: x...",
        "feat: x..",
        "feat: x.\u200b",
        'docs(readme): use "Quotes" and `Code`',
        "docs: 'Single' quotes",
        "feat: 42 is the answer",
        "feat: 2FA",
        "feat: #123 title ref",
        "feat: fix #123 ref",
        "fix(#12): scope ref",
        "feat: @mention someone",
        "gpg: signature\nfeat: x",
        "feat: x\ngpg: good signature\n\nbody",
        "feat: x\n\n# comment line\nbody",
    ]:
        add(head)
    # footers without bodies, notes then body text
    add("feat: x\n\nCloses #1\n\nThis text comes after the footer.\n")
    add("feat: x\n\nBREAKING CHANGE:\n\nempty note text\n")
    add("feat: x\n\nBREAKING CHANGE: a\nBREAKING CHANGE: b\n")
    add("feat: x\nBREAKING CHANGE: direct\n")
    add("feat: x\n\nbody\n\n\nBREAKING CHANGE: after two blanks\n")
    add("feat!: x\n\nbody only, no footer\n")
    add("feat: x\n\nSigned-off-by: A <a@b.c>\n(cherry picked from commit abcdef1234567)\n")
    # combinations of broken rules
    add("Feat(API): Add The Thing.")
    add("WIP: Add The Thing.\nbody right away\n" + line_of(120))
    add("feat(scope): " + "Very Long Title " * 8)
    add("feat: " + "😀" * 47)
    add("feat: " + "😀" * 48)
    # extra valid variety to pass 500 comfortably
    verbs = ["add", "remove", "rename", "document", "speed up", "simplify", "test", "guard", "cache", "log"]
    nouns = ["parser", "cache layer", "cli flags", "store", "gate", "bench runner", "ledger", "docs", "schema"]
    for i, verb in enumerate(verbs):
        for j, noun in enumerate(nouns):
            type_ = TYPES[(i * 3 + j) % len(TYPES)]
            scope = ["", "(core)", "(cli)"][(i + j) % 3]
            body = ["", "\n\nWhy: because.\n", "\n\nBody.\n\nRefs #9\n", "\nNo blank.\n"][(i * j) % 4]
            add(f"{type_}{scope}: {verb} {noun}{body}")
    seen: set[str] = set()
    unique = []
    for message in messages:
        if message not in seen:
            seen.add(message)
            unique.append(message)
    return unique


def main() -> None:
    """Write corpus.json beside this script."""
    corpus = [{"id": f"c{i:04d}", "message": message} for i, message in enumerate(build())]
    out = Path(__file__).with_name("corpus.json")
    out.write_text(json.dumps(corpus, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(corpus)} messages")


if __name__ == "__main__":
    main()
