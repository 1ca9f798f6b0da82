"""`skillci commitlint` gives @commitlint/cli's verdicts (config-conventional) on every corpus commit.

One temporary repository holds every corpus message as a real commit; @commitlint/cli from the
project's node_modules lints `--from root --to HEAD` with config-conventional, then with every
rule of @commitlint/rules configured (both conditions), and skillci must agree on each commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from helpers.cli import run_skillci
from helpers.commitlint_ref import (
    RULE_FILES,
    Verdict,
    build_repository,
    load_corpus,
    read_messages,
    require_commitlint,
    run_commitlint,
)
from skillci.commits.parser import js_trim
from skillci.commits.rules import RULE_NAMES, RuleSetting, lint, rules_from_config


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str], list[tuple[str, str]]]:
    """The corpus committed: (repo, root commit, id by hash, (hash, message) as commitlint reads them)."""
    require_commitlint()
    corpus = load_corpus()
    assert len(corpus) >= 500
    repo = tmp_path_factory.mktemp("commitlint") / "repo"
    base, hashes = build_repository(repo, [item["message"] for item in corpus])
    ids = dict(zip(hashes, (item["id"] for item in corpus), strict=True))
    # @commitlint/cli drops messages that are empty once trimmed before linting.
    linted = [(sha, message) for sha, message in read_messages(repo, base) if js_trim(message) != ""]
    return repo, base, ids, linted


def _ours(message: str, rules: Mapping[str, RuleSetting] | None) -> Verdict:
    outcome = lint(message, rules)
    return Verdict(
        valid=outcome.valid,
        errors=tuple((p.rule, p.message) for p in outcome.errors),
        warnings=tuple((p.rule, p.message) for p in outcome.warnings),
    )


def _names(problems: tuple[tuple[str, str], ...]) -> list[str]:
    return sorted(name for name, _ in problems)


def _compare(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
    rules_file: Path | None,
    rules: Mapping[str, RuleSetting] | None,
) -> None:
    repo, base, ids, linted = repository
    theirs = run_commitlint(repo, base, rules_file)
    assert len(theirs) == len(linted), f"commitlint returned {len(theirs)} results for {len(linted)} messages"
    verdict_diffs: list[str] = []
    message_diffs: list[str] = []
    for (sha, message), reference in zip(linted, theirs, strict=True):
        ours = _ours(message, rules)
        same_verdict = (
            ours.valid == reference.valid
            and _names(ours.errors) == _names(reference.errors)
            and _names(ours.warnings) == _names(reference.warnings)
        )
        where = f"{ids[sha]} {message!r}"
        if not same_verdict:
            verdict_diffs.append(
                f"{where}\n    commitlint: valid={reference.valid} errors={_names(reference.errors)} "
                f"warnings={_names(reference.warnings)}\n    skillci:    valid={ours.valid} "
                f"errors={_names(ours.errors)} warnings={_names(ours.warnings)}"
            )
        elif sorted(ours.errors + ours.warnings) != sorted(reference.errors + reference.warnings):
            message_diffs.append(f"{where}\n    commitlint: {reference}\n    skillci:    {ours}")
    assert not verdict_diffs, f"{len(verdict_diffs)} of {len(linted)} commits disagree; first 20:\n" + "\n".join(
        verdict_diffs[:20]
    )
    assert not message_diffs, (
        f"{len(message_diffs)} of {len(linted)} commits have other messages; first 20:\n"
        + "\n".join(message_diffs[:20])
    )


def test_config_conventional_verdicts_match(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
) -> None:
    _compare(repository, None, None)


@pytest.mark.parametrize("rules_file", RULE_FILES, ids=lambda path: path.stem)
def test_every_configurable_rule_matches(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]], rules_file: Path
) -> None:
    data = json.loads(rules_file.read_text(encoding="utf-8"))
    rules = rules_from_config({"rules": data}, source=rules_file.name)
    _compare(repository, rules_file, rules)


def test_the_rule_files_cover_every_rule() -> None:
    covered = set()
    for path in RULE_FILES:
        covered |= set(json.loads(path.read_text(encoding="utf-8")))
    assert covered == RULE_NAMES


def test_the_cli_reads_the_range_as_commitlint_does_and_agrees_on_every_commit(
    repository: tuple[Path, str, dict[str, str], list[tuple[str, str]]],
) -> None:
    """`skillci commitlint --from --to --format json`, the real CLI, against @commitlint/cli, commit by commit."""
    repo, base, ids, linted = repository
    theirs = dict(zip((sha for sha, _ in linted), run_commitlint(repo, base), strict=True))
    run = run_skillci(
        "commitlint", "--root", str(repo), "--from", base, "--to", "HEAD", "--format", "json", timeout=120
    )
    assert run.code in (0, 1), run.output[-2000:]
    results = json.loads(run.stdout)["results"]
    assert [result["hash"] for result in results] == [sha for sha, _ in linted]
    diffs = []
    for result in results:
        reference = theirs[result["hash"]]
        expected = (reference.valid, _names(reference.errors), _names(reference.warnings))
        if (result["valid"], sorted(result["errors"]), sorted(result["warnings"])) != expected:
            diffs.append(f"{ids[result['hash']]}: commitlint {expected}, skillci {result}")
    assert not diffs, f"{len(diffs)} of {len(results)} commits disagree; first 20:\n" + "\n".join(diffs[:20])
    assert run.code == 1 and any(not result["valid"] for result in results)
