"""Versions and bumps from Conventional Commits, called directly."""

from __future__ import annotations

from datetime import date

from skillci.commits.parser import parse_commit
from skillci.commits.release import Change, Version, bump_for, changelog, latest_version


def test_the_highest_semver_tag_wins_and_other_tags_are_ignored() -> None:
    assert latest_version(["v1.9.0", "v1.10.0", "release-2", "2.0.0-rc.1", "v1.2"]) == ("2.0.0-rc.1", Version(2, 0, 0))
    assert latest_version(["nightly", "v1"]) is None
    assert Version.parse("v01.2.3") is None and Version.parse("1.2.3+build.5") == Version(1, 2, 3)


def test_bumps() -> None:
    def bump(*messages: str) -> str:
        return bump_for([parse_commit(message) for message in messages])

    assert bump("docs: readme", "chore: tidy") == "none"
    assert bump("fix: a", "docs: b") == "patch" and bump("perf: faster") == "patch"
    assert bump("fix: a", "feat: b") == "minor"
    assert bump("feat(api)!: drop v1") == "major"
    assert bump("fix: a\n\nBREAKING CHANGE: the flag is gone") == "major"
    assert Version(1, 4, 2).bumped("major") == Version(2, 0, 0) and Version(1, 4, 2).bumped("none") == Version(1, 4, 2)


def test_a_changelog_without_releasable_changes_says_so() -> None:
    text = changelog(
        Version(1, 0, 0), [Change("a" * 40, parse_commit("docs: readme"))], repo_url=None, day=date(2026, 11, 21)
    )
    assert text == "## 1.0.0 (2026-11-21)\n\nNo releasable changes.\n"
