"""The click layer: gathers options and calls one command function. Nothing else lives here."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from skillci import __version__
from skillci.errors import ExitCode, SkillciError
from skillci.reporters import REPORTERS
from skillci.sync_report import SYNC_REPORTERS

F = TypeVar("F", bound=Callable[..., Any])

FORMATS_VALIDATE = tuple(REPORTERS)
FORMATS_SYNC = tuple(SYNC_REPORTERS)
FORMATS_PLAIN = ("text", "json")


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def root_option(func: F) -> F:
    """--root: the repository checkout to work on."""
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default="current directory",
        help="Repository checkout to work on.",
    )(func)


def format_option(choices: tuple[str, ...]) -> Callable[[F], F]:
    """--format: how to print results; github by default inside GitHub Actions."""

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=None,
            help="Output format (default: github inside GitHub Actions, else text).",
        )(func)

    return decorate


def store_option(func: F) -> F:
    """--store: which store to use (the URL may carry a password; it is never printed)."""
    return click.option(
        "--store",
        metavar="URL",
        default=None,
        help="sqlite:///PATH, postgresql://… or supabase (default: $SKILLCI_STORE, else sqlite:///.skillci/skillci.db).",
    )(func)


def verbosity_options(func: F) -> F:
    """-v/--verbose and -q/--quiet, folded into one verbosity number."""
    func = click.option("-v", "--verbose", count=True, help="Say more.")(func)
    return click.option("-q", "--quiet", count=True, help="Say less (warnings are not listed).")(func)


def _plain_format(output_format: str | None) -> str:
    return output_format or "text"


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _invoke(command: str, root: Path, func: Callable[..., int], **kwargs: Any) -> None:
    """Run one command function: map errors to exit codes, write the ledger line, exit."""
    from skillci import ledger

    context = click.get_current_context()
    show_traceback = bool(context.find_root().params.get("traceback"))
    started = time.monotonic()
    code: int = ExitCode.BAD_INPUT
    try:
        code = func(root=root, **kwargs)
    except SkillciError as exc:
        click.echo(f"skillci: error: {exc.format()}", err=True)
        code = exc.exit_code
    except Exception as exc:
        if show_traceback:
            raise
        click.echo(f"skillci: internal error: {type(exc).__name__}: {exc} (rerun with --traceback)", err=True)
        code = ExitCode.BAD_INPUT
    finally:
        path = ledger.ledger_path(root)
        arguments = {name: value for name, value in context.params.items() if name not in ("verbose", "quiet")}
        if path is not None:
            try:
                ledger.append(
                    path,
                    command=command,
                    arguments=arguments,
                    ok=code == ExitCode.OK,
                    exit_code=int(code),
                    duration_s=time.monotonic() - started,
                    counts=ledger.take_counts(),
                )
            except OSError as exc:
                click.echo(f"skillci: warning: cannot write the ledger {path}: {exc.strerror}", err=True)
    context.exit(int(code))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="skillci", message="%(prog)s %(version)s")
@click.option("--traceback", is_flag=True, help="Show a traceback on internal errors (for bug reports).")
def main(traceback: bool) -> None:
    """skillci keeps an AI-agent skills registry honest and its agents measured."""


@main.command()
@root_option
@format_option(FORMATS_VALIDATE)
@verbosity_options
def validate(root: Path, output_format: str | None, verbose: int, quiet: int) -> None:
    """Check the registry: schema, cross-file references, runbooks and formulas."""
    from skillci.commands.validate import validate as command

    _invoke(
        "validate",
        root,
        command,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
        color=_color(),
    )


@main.command()
@root_option
@store_option
@format_option(FORMATS_VALIDATE)
@verbosity_options
def run(root: Path, store: str | None, output_format: str | None, verbose: int, quiet: int) -> None:
    """The main job: validate, migrate and sync into the store, and print one verdict."""
    from skillci.commands.run import run as command

    _invoke(
        "run",
        root,
        command,
        store=store,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
        color=_color(),
    )


@main.group()
def schema() -> None:
    """JSON Schemas of the registry files."""


@schema.command("export")
@click.argument("directory", type=click.Path(path_type=Path))
@root_option
def schema_export(directory: Path, root: Path) -> None:
    """Write the registry's JSON Schemas (using the root's enumerations) into DIRECTORY."""
    from skillci.commands.schema_export import schema_export as command

    _invoke("schema export", root, command, directory=directory)


@main.group()
def db() -> None:
    """The store's schema."""


@db.command("migrate")
@root_option
@store_option
@format_option(FORMATS_PLAIN)
def db_migrate(root: Path, store: str | None, output_format: str | None) -> None:
    """Apply the migrations the store lacks (on SQLite: create the tables) and record them."""
    from skillci.commands.db_migrate import db_migrate as command

    _invoke("db migrate", root, command, store=store, output_format=_plain_format(output_format))


@main.command()
@root_option
@store_option
@click.option(
    "--dry-run", is_flag=True, envvar="SKILLCI_DRY_RUN", show_envvar=True, help="Print the plan; write nothing."
)
@click.option(
    "--migrate",
    is_flag=True,
    envvar="SKILLCI_MIGRATE",
    show_envvar=True,
    help="Bring the store's schema up to date first (Supabase: check it is there).",
)
@click.option("--git-sha", default=None, help="The commit being synced (default: $GITHUB_SHA, else git HEAD).")
@format_option(FORMATS_SYNC)
@verbosity_options
def sync(
    root: Path,
    store: str | None,
    dry_run: bool,
    migrate: bool,
    git_sha: str | None,
    output_format: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """Sync the registry into the store: create, update, deprecate; one transaction."""
    from skillci.commands.sync import sync as command

    _invoke(
        "sync",
        root,
        command,
        store=store,
        dry_run=dry_run,
        migrate=migrate,
        git_sha=git_sha,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
    )


@main.group()
def runs() -> None:
    """Runs of skills: what agents and workflows report."""


@runs.command("record")
@click.argument("source", default="-", metavar="FILE")
@root_option
@store_option
@format_option(FORMATS_PLAIN)
def runs_record(source: str, root: Path, store: str | None, output_format: str | None) -> None:
    """Record run reports (JSON: one object or a list) from FILE, or stdin when FILE is - or absent."""
    from skillci.commands.runs_record import runs_record as command

    _invoke("runs record", root, command, store=store, source=source, output_format=_plain_format(output_format))
