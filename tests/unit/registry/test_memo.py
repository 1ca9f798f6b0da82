"""The parse memo: unchanged clean files skip parsing and the schema check; findings always come from a real parse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.registry import copy_example, line_of, replace_in
from skillci.config import load_config
from skillci.registry.memo import ParseMemo
from skillci.registry.validation import validate_registry
from skillci.registry.yamlpos import NOWHERE, YList, YMap, bare_tree, load_file, plain_tree

CASES = "ssot/benchmarks/fix-lint.yaml"


def _entries(memo: Path) -> dict[str, Any]:
    entries: dict[str, Any] = json.loads(memo.read_text())["entries"]
    return entries


def _first_case_id(data: Any) -> object:
    return data["cases"][0].get("id") if isinstance(data.get("cases"), list) else None


def test_a_second_validation_reads_every_file_from_the_memo_and_agrees(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    memo = tmp_path / "memo.json"
    first = validate_registry(load_config(root), memo=ParseMemo(memo))
    assert first.findings == [] and len(_entries(memo)) == len(first.files)
    # The memo's data is what the second validation uses: change it where a real parse would not.
    first_id = first.data["cases"][CASES]["cases"][0]["id"]
    entries = _entries(memo)
    [key] = [key for key, data in entries.items() if _first_case_id(data) == first_id]
    entries[key]["cases"][0]["id"] = "from-the-memo"
    memo.write_text(json.dumps({"entries": entries}))
    second = validate_registry(load_config(root), memo=ParseMemo(memo))
    assert second.findings == [] and sorted(second.files) == sorted(first.files)
    assert second.data["cases"][CASES]["cases"][0]["id"] == "from-the-memo"
    assert second.counts == first.counts
    assert second.sources == first.sources


def test_changed_bytes_miss_the_memo(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    memo = tmp_path / "memo.json"
    validate_registry(load_config(root), memo=ParseMemo(memo))
    before = _entries(memo)
    replace_in(root / CASES, "cases:", "# a comment changes the bytes\ncases:")
    result = validate_registry(load_config(root), memo=ParseMemo(memo))
    after = _entries(memo)
    # One entry replaced: the old bytes' entry is dropped, the new bytes' entry added.
    assert result.findings == [] and len(after) == len(before) and len(set(after) - set(before)) == 1


def test_a_file_with_a_finding_is_never_remembered(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    replace_in(root / CASES, "states: [PLAN, PATCH, VERIFY]", "states: [PLAN, MONITOR]")
    result = validate_registry(load_config(root), memo=ParseMemo(tmp_path / "memo.json"))
    assert [finding.code for finding in result.findings] == ["case-state-order"]
    remembered = _entries(tmp_path / "memo.json").values()
    cases = [data["cases"] for data in remembered if isinstance(data.get("cases"), list)]
    assert cases and not any("MONITOR" in json.dumps(entries) for entries in cases)


def test_a_finding_in_a_remembered_file_is_placed_by_a_real_parse(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    memo = tmp_path / "memo.json"
    assert validate_registry(load_config(root), memo=ParseMemo(memo)).findings == []
    # The cases file is unchanged (remembered); the skill's state machine changes so one of its cases breaks.
    skills = root / "ssot" / "agents" / "skills.yaml"
    replace_in(skills, "state_machine: [PLAN, PATCH, VERIFY, PR]\n", "state_machine: [PLAN, VERIFY, PR]\n")
    with_memo = validate_registry(load_config(root), memo=ParseMemo(memo))
    without = validate_registry(load_config(root))
    assert [(f.code, f.file, f.line, f.column) for f in with_memo.findings] == [
        (f.code, f.file, f.line, f.column) for f in without.findings
    ]
    assert any(
        f.code == "case-state-order" and f.file == CASES and f.line == line_of(root / CASES, "states: [PLAN, PATCH")
        for f in with_memo.findings
    )


def test_an_unwritable_memo_is_only_slower(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    assert validate_registry(load_config(root), memo=ParseMemo(blocker / "memo.json")).findings == []


def test_the_key_covers_the_schema_and_the_bytes(tmp_path: Path) -> None:
    memo = ParseMemo(tmp_path)
    keys = {memo.key({"type": "object"}, b"a: 1"), memo.key({"type": "array"}, b"a: 1"), memo.key({}, b"a: 2")}
    assert len(keys) == 3 and memo.key({"type": "object"}, b"a: 1") in keys


def test_plain_and_bare_trees_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "doc.yaml"
    source.write_text("a: [1, 2.5, {b: null}]\nc: {d: true, e: text}\n", encoding="utf-8")
    tree = load_file(source).data
    plain = plain_tree(tree)
    assert plain == {"a": [1, 2.5, {"b": None}], "c": {"d": True, "e": "text"}}
    bare = bare_tree(json.loads(json.dumps(plain)))
    assert bare == tree and isinstance(bare, YMap) and isinstance(bare["a"], YList)
    assert bare.span is NOWHERE and bare["a"].item_spans == [NOWHERE] * 3


def test_a_tree_json_cannot_hold_exactly_is_not_kept() -> None:
    with pytest.raises(TypeError):
        plain_tree({1: "a number as a key"})
