"""`skillci run` is the pipeline over the feature libraries: it validates the registry once, then syncs, benches,
gates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from helpers.registry import copy_example, replace_in
from skillci.errors import ExitCode
from skillci.pipeline import run_pipeline
from skillci.registry import validation


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The roots validate_registry was called for, in order."""
    calls: list[Path] = []
    real = validation.validate_registry

    def counting(config, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(config.root)
        return real(config, **kwargs)

    monkeypatch.setattr(validation, "validate_registry", counting)
    return calls


def test_run_validates_the_registry_once_for_every_step(tmp_path: Path, validations: list[Path]) -> None:
    root = copy_example(tmp_path / "repo")
    out = io.StringIO()
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code = run_pipeline(root=root, store=store, output_format="text", verbosity=0, color=False, out=out)
    verdict = out.getvalue().splitlines()[-1]
    assert code == ExitCode.OK, out.getvalue()
    assert verdict.startswith("skillci run: PASS — validate passed") and "sync into" in verdict
    assert "bench 5 skills (all, nothing to compare with)" in verdict and "gate passed" in verdict
    assert validations == [root]


def test_an_invalid_registry_stops_the_run_after_validating(tmp_path: Path, validations: list[Path]) -> None:
    root = copy_example(tmp_path / "repo")
    replace_in(root / "ssot" / "agents" / "skills.yaml", "allowed_tools: [git, ", "allowed_tools: [gitt, ")
    out = io.StringIO()
    store = tmp_path / "store.db"
    code = run_pipeline(root=root, store=f"sqlite:///{store}", output_format="text", verbosity=0, color=False, out=out)
    assert code == ExitCode.CHECK_FAILED
    assert out.getvalue().splitlines()[-1].endswith("sync and bench skipped")
    assert validations == [root] and not store.exists()
