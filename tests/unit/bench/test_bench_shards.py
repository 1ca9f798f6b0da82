"""Sharding: every selected skill in exactly one shard, the same way every time, loads balanced."""

from __future__ import annotations

import pytest

from skillci.bench.shards import assign_shards, matrix, parse_shard, shard_count, shard_skills
from skillci.errors import BadInput

WEIGHTS = {"a": 10, "b": 1, "c": 7, "d": 3, "e": 3, "f": 6}


def test_every_skill_lands_in_exactly_one_shard_in_selection_order() -> None:
    shards = assign_shards(WEIGHTS, 3)
    flat = [skill for shard in shards for skill in shard]
    assert sorted(flat) == sorted(WEIGHTS) and len(flat) == len(set(flat))
    order = list(WEIGHTS)
    for shard in shards:
        assert shard == sorted(shard, key=order.index)


def test_heaviest_first_balances_the_load() -> None:
    loads = [sum(WEIGHTS[skill] for skill in shard) for shard in assign_shards(WEIGHTS, 3)]
    assert sorted(loads) == [10, 10, 10]


def test_the_split_does_not_depend_on_dict_order() -> None:
    reordered = dict(reversed(list(WEIGHTS.items())))
    assert [sorted(s) for s in assign_shards(reordered, 2)] == [sorted(s) for s in assign_shards(WEIGHTS, 2)]
    assert shard_skills(WEIGHTS, (2, 3)) == assign_shards(WEIGHTS, 3)[1]


@pytest.mark.parametrize(
    ("runs", "max_shards", "size", "expected"),
    [(30, 4, 50, 1), (120, 4, 50, 3), (1000, 4, 50, 4), (0, 4, 50, 1)],
)
def test_shard_count_grows_with_the_work_up_to_the_maximum(
    runs: int, max_shards: int, size: int, expected: int
) -> None:
    weights = {f"s{index}": runs // 10 for index in range(10)} if runs else {}
    assert shard_count(weights, max_shards=max_shards, shard_size=size) == expected


def test_never_more_shards_than_skills() -> None:
    assert shard_count({"a": 500, "b": 500}, max_shards=8, shard_size=10) == 2


def test_the_matrix_is_never_empty() -> None:
    assert matrix({}, 1) == {"include": [{"shard": "1/1", "skills": "", "runs": 0, "artifact": "skillci-bench-1-of-1"}]}
    document = matrix(WEIGHTS, 2)
    assert [entry["shard"] for entry in document["include"]] == ["1/2", "2/2"]
    assert [entry["artifact"] for entry in document["include"]] == ["skillci-bench-1-of-2", "skillci-bench-2-of-2"]
    assert sum(entry["runs"] for entry in document["include"]) == sum(WEIGHTS.values())


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="I/N"):
        parse_shard(text)


def test_a_good_shard_parses() -> None:
    assert parse_shard(" 2/4 ") == (2, 4)
