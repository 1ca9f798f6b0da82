"""Spread the selected skills over parallel jobs: the same selection always splits the same way."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from skillci.errors import BadInput

#: Runs per shard below which a bench is not worth splitting further.
DEFAULT_SHARD_SIZE = 50

_SHARD = re.compile(r"\A([1-9][0-9]*)/([1-9][0-9]*)\Z")


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1-based) as (I, N)."""
    found = _SHARD.match(text.strip())
    if found is None or int(found.group(1)) > int(found.group(2)):
        raise BadInput(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 2/4")
    return int(found.group(1)), int(found.group(2))


def shard_count(weights: Mapping[str, int], *, max_shards: int, shard_size: int) -> int:
    """How many shards to use: at most max_shards, one per shard_size runs, never more than there are skills."""
    runs = sum(weights.values())
    return max(1, min(max_shards, math.ceil(runs / max(1, shard_size)), len(weights)))


def assign_shards(weights: Mapping[str, int], count: int) -> list[list[str]]:
    """Skills into count shards, heaviest first onto the lightest shard; each shard keeps the input order."""
    loads = [0] * count
    owner: dict[str, int] = {}
    for skill_id in sorted(weights, key=lambda skill: (-weights[skill], skill)):
        index = min(range(count), key=lambda shard: (loads[shard], shard))
        owner[skill_id] = index
        loads[index] += weights[skill_id]
    return [[skill_id for skill_id in weights if owner[skill_id] == index] for index in range(count)]


def shard_skills(weights: Mapping[str, int], shard: tuple[int, int]) -> list[str]:
    """The skills of shard I of N."""
    index, count = shard
    return assign_shards(weights, count)[index - 1]


def matrix(weights: Mapping[str, int], count: int) -> dict[str, Any]:
    """A GitHub Actions matrix (never empty): {"include": [{"shard": "I/N", "skills": "a b", "runs": n,
    "artifact": "skillci-bench-I-of-N"}, …]}; the artifact name is fit for a results file and an upload."""
    shards: Sequence[list[str]] = assign_shards(weights, count) if weights else [[]]
    return {
        "include": [
            {
                "shard": f"{index}/{len(shards)}",
                "skills": " ".join(skills),
                "runs": sum(weights[s] for s in skills),
                "artifact": f"skillci-bench-{index}-of-{len(shards)}",
            }
            for index, skills in enumerate(shards, start=1)
        ]
    }
