"""The main-sync reusable workflow (and actions/sync), run end to end under nektos/act against Postgres."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers import REPO_ROOT
from helpers.act import git, project_calling, run_act
from helpers.cli import Completed, run_skillci
from helpers.postgres import PostgresServer

pytestmark = pytest.mark.act

PASSWORD = "Sup3rS3cretPw"
CALLER = ".github/workflows/test-sync-caller.yml"
#: A repository's own workflow calling main-sync, shaped like the example in main-sync.yml's header.
CALLER_YAML = """\
name: sync the registry
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      dry_run:
        description: Print the plan; write nothing.
        type: boolean
        default: false
permissions: {}
jobs:
  sync:
    uses: ./.github/workflows/main-sync.yml
    permissions:
      contents: read
    with:
      dry_run: ${{ inputs.dry_run == true }}
    secrets:
      SKILLCI_STORE: ${{ secrets.SKILLCI_STORE }}
  report:
    needs: sync
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - name: Report the workflow's outputs
        env:
          APPLIED: ${{ needs.sync.outputs.applied }}
          CREATED: ${{ needs.sync.outputs.skills-created }}
          UNCHANGED: ${{ needs.sync.outputs.skills-unchanged }}
        run: echo "main-sync outputs applied=$APPLIED skills-created=$CREATED skills-unchanged=$UNCHANGED"
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project copy with a caller workflow of main-sync."""
    return project_calling(tmp_path / "repo", CALLER, CALLER_YAML, workflow="main-sync")


@pytest.fixture
def store(postgres: PostgresServer) -> str:
    """A fresh, empty database; its URL carries a password (the test server trusts every local connection)."""
    url = postgres.create_database("sync")
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@", 1)


def query(postgres: PostgresServer, store: str, sql: str) -> str:
    return postgres.psql(sql, url=store.replace(f":{PASSWORD}@", "@"))


def count(postgres: PostgresServer, store: str, table: str) -> int:
    return int(query(postgres, store, f"select count(*) from ops.{table}"))


def has_ops_schema(postgres: PostgresServer, store: str) -> bool:
    return query(postgres, store, "select count(*) from information_schema.schemata where schema_name = 'ops'") == "1"


def sync(repo: Path, store: str, *, event: str = "push", dry_run: bool | None = None) -> Completed:
    inputs = {} if dry_run is None else {"dry_run": str(dry_run).lower()}
    result = run_act(repo, event=event, workflow=CALLER, secrets={"SKILLCI_STORE": store}, inputs=inputs)
    assert PASSWORD not in result.output, "the store's password reached the log"
    return result


def test_main_sync_applies_on_push_then_has_nothing_to_do(repo: Path, store: str, postgres: PostgresServer) -> None:
    first = sync(repo, store)

    assert first.code == 0, first.output[-4000:]
    assert "Job succeeded" in first.output
    assert "::set-output:: applied=true" in first.output
    assert "::set-output:: skills_created=6" in first.output
    assert "::set-output:: tools_created=6" in first.output
    assert "skillci sync: applied" in first.output
    assert "postgresql://postgres:***@127.0.0.1" in first.output  # the CLI's own rendering of the store
    assert "main-sync outputs applied=true skills-created=6 skills-unchanged=0" in first.output
    assert count(postgres, store, "skills") == 6
    assert count(postgres, store, "skill_versions") == 6
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    assert query(postgres, store, "select distinct git_sha from ops.skill_versions") == head

    second = sync(repo, store, event="workflow_dispatch", dry_run=False)

    assert second.code == 0, second.output[-4000:]
    assert "::set-output:: applied=false" in second.output
    assert "::set-output:: skills_unchanged=6" in second.output
    assert "::set-output:: skills_created=0" in second.output
    assert "nothing to do, the store matches the registry" in second.output
    assert "main-sync outputs applied=false skills-created=0 skills-unchanged=6" in second.output
    assert count(postgres, store, "skills") == 6
    assert count(postgres, store, "skill_versions") == 6


def test_main_sync_dry_run_dispatch_writes_nothing(repo: Path, store: str, postgres: PostgresServer) -> None:
    migrated = run_skillci("db", "migrate", "--store", store, cwd=repo)
    assert migrated.code == 0, migrated.output

    result = sync(repo, store, event="workflow_dispatch", dry_run=True)

    assert result.code == 0, result.output[-4000:]
    assert "Job succeeded" in result.output
    assert "skillci sync: dry run, nothing written" in result.output
    assert "::set-output:: applied=false" in result.output
    assert "::set-output:: skills_created=6" in result.output
    assert count(postgres, store, "skills") == 0
    assert count(postgres, store, "skill_versions") == 0


def test_main_sync_dry_run_dispatch_on_a_fresh_database(repo: Path, store: str, postgres: PostgresServer) -> None:
    result = sync(repo, store, event="workflow_dispatch", dry_run=True)

    assert not has_ops_schema(postgres, store)
    assert result.code == 0, result.output[-4000:]
    assert "skillci sync: dry run, nothing written" in result.output
    assert "::set-output:: skills_created=6" in result.output
    assert "the store has no schema yet" in result.output


def test_main_sync_secrets_never_reach_pull_request_workflows() -> None:
    """main-sync is only a reusable workflow, and no pull_request workflow here calls it or reads its secrets."""
    workflows = REPO_ROOT / ".github" / "workflows"
    main_sync = yaml.safe_load((workflows / "main-sync.yml").read_text(encoding="utf-8"))
    assert list(main_sync[True]) == ["workflow_call"]  # YAML 1.1 reads the key `on` as True
    for path in sorted(workflows.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        triggers = yaml.safe_load(text)[True]
        if {"pull_request", "pull_request_target"} & set(triggers if not isinstance(triggers, str) else [triggers]):
            assert "main-sync.yml" not in text, path
            assert "secrets." not in text, path
