"""The positioned YAML loader."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from skillci.registry.findings import Span
from skillci.registry.yamlpos import MAX_DEPTH, YamlError, YList, YMap, load_file, loads, span_at


def test_every_node_keeps_its_line_and_column() -> None:
    data, issues = loads("skills:\n  - id: a\n    tags: [x, y]\n")
    assert issues == []
    assert isinstance(data, YMap) and isinstance(data["skills"], YList)
    assert span_at(data, ("skills", 0, "id")) == Span(2, 9, 2, 10)
    assert span_at(data, ("skills", 0, "tags", 1)) == Span(3, 15, 3, 16)
    assert span_at(data, ("skills", 0, "tags"), key=True) == Span(3, 5, 3, 9)


def test_scalars_resolve_like_yaml_but_keys_keep_their_text() -> None:
    data, _ = loads("on: yes\nn: 0x10\nf: 1.5\nz: ~\nq: '1'\nt: 2024-01-01\n")
    assert dict(data) == {"on": True, "n": 16, "f": 1.5, "z": None, "q": "1", "t": "2024-01-01"}


def test_duplicate_key_is_reported_at_the_duplicate() -> None:
    _, issues = loads("a: 1\nb: 2\na: 3\n")
    assert [(i.code, i.span.line) for i in issues] == [("yaml-duplicate-key", 3)]
    assert "first defined at line 1" in issues[0].message


def test_merge_keys_merge_without_overriding() -> None:
    data, issues = loads("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n")
    assert issues == []
    assert dict(data["m"]) == {"y": 3, "x": 1}


def test_billion_laughs_is_rejected_fast() -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index in range(1, 10):
        previous, name = chr(ord("a") + index - 1), chr(ord("a") + index)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    started = time.perf_counter()
    with pytest.raises(YamlError) as caught:
        loads("\n".join(lines))
    assert time.perf_counter() - started < 0.5
    assert caught.value.code == "yaml-alias-limit"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: &x [*x]\n", "yaml-alias", 1),
        ("a: *nope\n", "yaml-alias", 1),
        ("a: 1\n---\nb: 2\n", "yaml-multiple-documents", 2),
        ("a: &x 1\n---\nb: *x\n", "yaml-multiple-documents", 2),
        ("a:\n\tb: 1\n", "yaml-syntax", 2),
        ("a: !!python/object:os.system x\n", "yaml-tag", 1),
        ("? [a]\n: 1\n", "yaml-key-type", 1),
        ("[" * (MAX_DEPTH + 5), "yaml-too-deep", 1),
        ("a: [1, 2\nb: 3\n", "yaml-syntax", 2),
    ],
)
def test_unreadable_yaml_raises_with_position(text: str, code: str, line: int) -> None:
    with pytest.raises(YamlError) as caught:
        loads(text)
    assert caught.value.code == code
    assert caught.value.span.line == line


def test_deep_nesting_does_not_crash_the_interpreter() -> None:
    with pytest.raises(YamlError):
        loads("[" * 200_000)


def test_files_that_are_not_one_readable_document(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# only a comment\n\n")
    with pytest.raises(YamlError, match="empty") as caught:
        load_file(empty)
    assert caught.value.code == "yaml-empty"

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlError) as caught:
        load_file(latin)
    assert (caught.value.code, caught.value.span.line, caught.value.span.column) == ("yaml-encoding", 2, 7)

    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(YamlError) as caught:
        load_file(big, max_bytes=1000)
    assert caught.value.code == "file-too-large"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert dict(load_file(path).data) == {"a": 1}


def test_aliases_may_repeat_up_to_a_million_characters_of_text() -> None:
    anchor = "x" * 1000
    within = "a: &a " + anchor + "\nb: [" + ", ".join(["*a"] * 999) + "]\n"
    data, _ = loads(within)
    assert len(data["b"]) == 999
    beyond = "a: &a " + anchor + "\nb: [" + ", ".join(["*a"] * 1001) + "]\n"
    with pytest.raises(YamlError) as raised:
        loads(beyond)
    assert raised.value.code == "yaml-alias-limit"
    assert "aliases repeat more than 1,000,000 characters of text" in str(raised.value)
