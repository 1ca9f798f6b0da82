"""The bench cache key moves with everything that can change a result, and with nothing else."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import skillci
from skillci.bench.cache import RepositoryFiles, ResultCache, cache_key

SPEC: dict[str, Any] = {
    "id": "fix-lint",
    "max_duration_s": 60,
    "benchmark": {"command": ["python", "agents/fix.py"], "cases": "cases.yaml", "paths": ["agents/lib/**"]},
}
CASES = [{"id": "a", "input": {"x": 1}, "expect": [{"equals": 1}]}]
BENCHMARK = {"metrics": [{"id": "pass_rate", "weight": 1.0}]}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "agents" / "lib").mkdir(parents=True)
    (tmp_path / "agents" / "fix.py").write_text("print('v1')\n")
    (tmp_path / "agents" / "lib" / "rules.py").write_text("RULES = 1\n")
    (tmp_path / "README.md").write_text("hello\n")
    return tmp_path


def _key(root: Path, spec: Any = SPEC, cases: Any = CASES, benchmark: Any = BENCHMARK, config: Any = None) -> str:
    return cache_key(files=RepositoryFiles(root), spec=spec, cases=cases, benchmark=benchmark, config=config or {})


def test_the_key_is_stable(checkout: Path) -> None:
    assert _key(checkout) == _key(checkout)


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "agents" / "fix.py").write_text("print('v2')\n"),  # a file the command names
        lambda root: (root / "agents" / "lib" / "rules.py").write_text("RULES = 2\n"),  # under benchmark.paths
        lambda root: (root / "agents" / "lib" / "new.py").write_text("\n"),  # a new file under the paths
        lambda root: (root / "agents" / "lib" / "rules.py").unlink(),  # a removed one
    ],
)
def test_files_the_skill_uses_change_the_key(checkout: Path, change: Any) -> None:
    before = _key(checkout)
    change(checkout)
    assert _key(checkout) != before


def test_unrelated_files_do_not_change_the_key(checkout: Path) -> None:
    before = _key(checkout)
    (checkout / "README.md").write_text("changed\n")
    (checkout / "agents" / "other.py").write_text("x = 1\n")
    assert _key(checkout) == before


def test_spec_cases_benchmark_config_and_version_change_the_key(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _key(checkout)
    spec = copy.deepcopy(SPEC)
    spec["benchmark"]["repeat"] = 3
    assert _key(checkout, spec=spec) != before
    assert _key(checkout, cases=[{**CASES[0], "input": {"x": 2}}]) != before
    assert _key(checkout, benchmark={"metrics": [{"id": "pass_rate", "weight": 0.5}]}) != before
    assert _key(checkout, config={"enums": {"states": ["PLAN"]}}) != before
    monkeypatch.setattr("skillci.bench.cache.__version__", skillci.__version__ + ".post1")
    assert _key(checkout) != before


def test_key_order_in_the_documents_does_not_matter(checkout: Path) -> None:
    reordered = dict(reversed(list(SPEC.items())))
    assert _key(checkout, spec=reordered) == _key(checkout)


def test_git_ignored_files_are_not_part_of_the_key(checkout: Path) -> None:
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    (checkout / ".gitignore").write_text("agents/lib/*.log\n")
    before = _key(checkout)
    (checkout / "agents" / "lib" / "run.log").write_text("noise\n")
    assert _key(checkout) == before
    (checkout / "agents" / "lib" / "untracked.py").write_text("y = 2\n")  # untracked but not ignored: counts
    assert _key(checkout) != before


def test_a_symlink_out_of_the_checkout_counts_by_its_target_and_is_never_read(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "shadow").write_text("root:secret\n")
    (outside / "other").write_text("x\n")
    link = checkout / "agents" / "lib" / "shadow"
    link.symlink_to(outside / "shadow")
    files = RepositoryFiles(checkout)
    assert files.file_hash("agents/lib/shadow") == f"outside: {(outside / 'shadow').resolve()}"
    before = _key(checkout)
    (outside / "shadow").write_text("root:changed\n")  # not read: the key stays
    assert _key(checkout) == before
    link.unlink()
    link.symlink_to(outside / "other")  # pointed elsewhere: the key moves
    assert _key(checkout) != before


def test_a_symlink_inside_the_checkout_counts_by_its_content(checkout: Path) -> None:
    (checkout / "agents" / "lib" / "alias.py").symlink_to(checkout / "agents" / "fix.py")
    before = _key(checkout)
    (checkout / "agents" / "fix.py").write_text("print('v2')\n")
    assert _key(checkout) != before


def test_a_fifo_matched_by_the_globs_is_never_opened(checkout: Path) -> None:
    os.mkfifo(checkout / "agents" / "lib" / "pipe")
    files = RepositoryFiles(checkout)
    assert files.file_hash("agents/lib/pipe") == "not a regular file"


def test_a_large_file_is_hashed_in_pieces(checkout: Path) -> None:
    big = checkout / "agents" / "lib" / "model.bin"
    with big.open("wb") as handle:
        for _ in range(32):
            handle.write(b"\x5a" * (1 << 20))
    tracemalloc.start()
    try:
        digest = RepositoryFiles(checkout).file_hash("agents/lib/model.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(big.read_bytes()).hexdigest()
    assert peak < 4 << 20, f"hashing a 32 MiB file held {peak / (1 << 20):.1f} MiB"


def test_the_cache_round_trips_and_misses_on_anything_odd(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = "ab" + "0" * 62
    assert cache.get(key, "fix-lint") is None
    cache.put(key, "fix-lint", {"composite_score": 80.0})
    assert cache.get(key, "fix-lint") == {"composite_score": 80.0}
    assert cache.get(key, "other-skill") is None
    path = tmp_path / "bench" / "ab" / f"{key}.json"
    assert json.loads(path.read_text())["key"] == key
    assert not [name for name in path.parent.iterdir() if name.name.startswith(".tmp-")]
    path.write_text("{not json")
    assert cache.get(key, "fix-lint") is None
