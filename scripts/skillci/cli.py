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

F = TypeVar("F", bound=Callable[..., Any])

# Each command's --format choices are the keys of its reporters' dict (or renderers'), spelled out here so that
# starting the CLI loads no reporter module; tests/unit/test_cli_formats.py checks they agree.
FORMATS_VALIDATE = ("text", "json", "sarif", "github")  # skillci.registry.reporters.REPORTERS
FORMATS_SYNC = ("text", "json", "github")  # skillci.sync.reporters.SYNC_REPORTERS
FORMATS_PLAIN = ("text", "json")
FORMATS_PLAIN_GITHUB = ("json", "github")
FORMATS_BENCH = ("text", "json", "markdown", "github")  # skillci.bench.reporters.BENCH_REPORTERS
FORMATS_GATE = ("text", "json", "markdown", "github")  # skillci.gate.reporters.GATE_REPORTERS
FORMATS_COMMITLINT = ("text", "json", "github")  # skillci.commits.reporters.COMMITLINT_REPORTERS
#: skillci snapshot prints a line (text), the file and row (json), or the line and step outputs (github).
FORMATS_SNAPSHOT = ("text", "json", "github")
FORMATS_NOTIFY = ("markdown", "slack", "json")  # skillci.weekly.render.RENDERERS


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


def format_option(choices: tuple[str, ...], *, help_text: str | None = None) -> Callable[[F], F]:
    """--format: how to print results; github by default inside GitHub Actions (unless help_text says otherwise)."""

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=None,
            help=help_text or "Output format (default: github inside GitHub Actions, else text).",
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
    """The main job: validate, sync into the store, bench the changed skills, gate; one verdict (the gate's exit code)."""
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


def selection_options(func: F) -> F:
    """--base/--head, --skill and --all: which skills a bench (or its plan) covers."""
    func = click.option(
        "--all", "all_skills", is_flag=True, envvar="SKILLCI_BENCH_ALL", help="Every benchmarked skill."
    )(func)
    func = click.option(
        "--skill",
        "skills",
        multiple=True,
        metavar="ID",
        envvar="SKILLCI_BENCH_SKILLS",
        help="Benchmark this skill (repeatable; the env var takes space-separated ids).",
    )(func)
    func = click.option(
        "--head", default="HEAD", envvar="SKILLCI_BENCH_HEAD", show_default=True, help="The changed commit."
    )(func)
    return click.option(
        "--base",
        metavar="REF",
        envvar="SKILLCI_BENCH_BASE",
        help="Benchmark the skills the change from REF's merge-base to --head affects.",
    )(func)


@main.group(invoke_without_command=True)
@selection_options
@root_option
@store_option
@click.option("--jobs", "-j", type=int, envvar="SKILLCI_JOBS", help="Cases run at once (default: the CPU count).")
@click.option("--shard", metavar="I/N", envvar="SKILLCI_BENCH_SHARD", help="Run slice I of N (see `bench plan`).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SKILLCI_CACHE_DIR",
    help="Where results are cached (default: ROOT/.skillci/cache).",
)
@click.option("--no-cache", is_flag=True, help="Run everything; neither read nor write the cache.")
@click.option(
    "--record/--no-record",
    default=True,
    envvar="SKILLCI_BENCH_RECORD",
    show_default=True,
    help="Record runs and results in the store (and read baselines from it).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SKILLCI_BENCH_OUT",
    help="Also write the results as JSON to this file (the gate reads it).",
)
@click.option("--from-store", is_flag=True, help="Score the production runs agents recorded, instead of running.")
@click.option("--since", default="7d", show_default=True, help="With --from-store: 7d, 12h, 2w or an ISO date.")
@format_option(FORMATS_BENCH)
@verbosity_options
@click.pass_context
def bench(
    context: click.Context,
    base: str | None,
    head: str,
    skills: tuple[str, ...],
    all_skills: bool,
    root: Path,
    store: str | None,
    jobs: int | None,
    shard: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    record: bool,
    out: Path | None,
    from_store: bool,
    since: str,
    output_format: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """Benchmark the skills a change affects (or --skill, --all), score them with benchmark.yaml, record them."""
    if context.invoked_subcommand is not None:
        return
    from skillci.commands.bench import bench as command

    _invoke(
        "bench",
        root,
        command,
        base=base,
        head=head,
        skills=skills,
        all_skills=all_skills,
        store=store,
        jobs=jobs,
        shard=shard,
        cache_dir=cache_dir,
        no_cache=no_cache,
        record=record,
        out=out,
        from_store=from_store,
        since=since,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
    )


@main.command()
@click.option(
    "--results",
    "results",
    multiple=True,
    type=click.Path(path_type=Path),
    envvar="SKILLCI_GATE_RESULTS",
    help="Bench results (`skillci bench --out`): a file or a directory of them; repeatable, one per shard.",
)
@click.option(
    "--min-pass-pct",
    type=float,
    envvar="GATE_MIN_PASS_PCT",
    help="Cases that must pass across the results, in percent (default 70).",
)
@click.option(
    "--min-tier",
    envvar="GATE_MIN_TIER",
    help="Lowest tier an active skill may have (default: production_min_tier of benchmark.yaml).",
)
@click.option(
    "--max-regression",
    type=float,
    envvar="GATE_MAX_REGRESSION",
    help="Largest composite drop against the baseline, in points (default 5).",
)
@click.option(
    "--from-store",
    is_flag=True,
    help="Judge the results the bench recorded in the store for this commit, instead of --results files.",
)
@click.option(
    "--base",
    metavar="REF",
    envvar="SKILLCI_BENCH_BASE",
    help="With --from-store: the skills the change from REF's merge-base affects (default: every benchmarked skill).",
)
@root_option
@store_option
@click.option(
    "--record/--no-record",
    default=True,
    envvar="SKILLCI_GATE_RECORD",
    show_default=True,
    help="Record the decision as a gate_results row.",
)
@click.option(
    "--comment",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    envvar="SKILLCI_GATE_COMMENT",
    show_default=True,
    help="The sticky pull-request comment: auto posts it when a pull request and GITHUB_TOKEN are there.",
)
@format_option(FORMATS_GATE)
@verbosity_options
def gate(
    results: tuple[Path, ...],
    min_pass_pct: float | None,
    min_tier: str | None,
    max_regression: float | None,
    from_store: bool,
    base: str | None,
    root: Path,
    store: str | None,
    record: bool,
    comment: str,
    output_format: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """Hold the bench results to the thresholds; exit 1 when a check fails (every number is printed)."""
    from skillci.commands.gate import gate as command

    _invoke(
        "gate",
        root,
        command,
        results=list(results),
        min_pass_pct=min_pass_pct,
        min_tier=min_tier,
        max_regression=max_regression,
        from_store=from_store,
        base=base,
        store=store,
        record=record,
        comment=comment,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
    )


@main.group()
def notify() -> None:
    """Reports delivered to people: Slack, GitHub issues."""


@notify.command("weekly")
@click.option(
    "--week",
    metavar="YYYY-Www",
    envvar="SKILLCI_WEEK",
    help="The ISO week to report (2026-W47), `last` or `current` (default: the current week).",
)
@click.option("--since", metavar="DATE", help="Report [--since, --until) instead of a week (ISO dates or times, UTC).")
@click.option("--until", metavar="DATE", help="The end of the --since window (not included).")
@click.option(
    "--slack-webhook",
    metavar="URL",
    envvar="SLACK_WEBHOOK_URL",
    show_envvar=True,
    help="Post the report to this Slack incoming webhook (a secret: never printed).",
)
@click.option(
    "--github-repo",
    metavar="OWNER/NAME",
    envvar="SKILLCI_GITHUB_REPO",
    help="Keep the report in one issue per week there (labelled weekly-report; token from GITHUB_TOKEN).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    envvar="SKILLCI_DRY_RUN",
    show_envvar=True,
    help="Print exactly what would be sent; send and record nothing.",
)
@click.option(
    "--force",
    is_flag=True,
    envvar="SKILLCI_FORCE",
    help="Send again to channels that already have this week.",
)
@click.option(
    "--keep-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where a report that could not be delivered is kept (default: ROOT/.skillci/reports).",
)
@root_option
@store_option
@format_option(FORMATS_NOTIFY, help_text="How to print the report when it goes to no channel (default: markdown).")
@verbosity_options
def notify_weekly(root: Path, output_format: str | None, verbose: int, quiet: int, **options: Any) -> None:
    """The weekly report from the store: to Slack and/or a GitHub issue, once per week and channel."""
    from skillci.commands.notify import notify_weekly as command

    # The other options go to the command as they are: it names and types them.
    _invoke(
        "notify weekly",
        root,
        command,
        output_format=output_format or "markdown",
        verbosity=verbose - quiet,
        **options,
    )


@main.command()
@click.option(
    "--day",
    metavar="YYYY-MM-DD",
    envvar="SKILLCI_DAY",
    help="The UTC day to snapshot (default: yesterday, the last whole day).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The JSON file to write (default: ROOT/.skillci/snapshots/DAY.json).",
)
@root_option
@store_option
@format_option(FORMATS_SNAPSHOT)
def snapshot(day: str | None, out: Path | None, root: Path, store: str | None, output_format: str | None) -> None:
    """The nightly metrics snapshot of one UTC day: a JSON file and the day's row in the store."""
    from skillci.commands.snapshot import snapshot as command

    _invoke("snapshot", root, command, store=store, day=day, out=out, output_format=output_format or _default_format())


@main.group()
def demo() -> None:
    """Demo data, to see what skillci reports look like."""


@demo.command("seed")
@click.option("--week", metavar="YYYY-Www", help="The ISO week to fill, `last` or `current` (default: last).")
@click.option("--runs", type=click.IntRange(1), default=3000, show_default=True, help="Runs to write.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed: the same seed, the same week.")
@root_option
@store_option
def demo_seed(week: str | None, runs: int, seed: int, root: Path, store: str | None) -> None:
    """Sync the registry into the store and fill one week with believable runs, errors, tiers and gates."""
    from skillci.commands.demo import demo_seed as command

    _invoke("demo seed", root, command, store=store, week=week, runs=runs, seed=seed)


@main.command()
@click.option("--message", "-m", metavar="TEXT", help="Lint this message.")
@click.option(
    "--edit",
    "-e",
    type=click.Path(dir_okay=False, path_type=Path),
    is_flag=False,
    flag_value=Path(".git") / "COMMIT_EDITMSG",
    default=None,
    help="Lint the message in FILE (default .git/COMMIT_EDITMSG: the commit-msg hook's file).",
)
@click.option("--from", "from_ref", metavar="REF", envvar="SKILLCI_COMMITLINT_FROM", help="Lint the commits after REF.")
@click.option("--to", "to_ref", metavar="REF", envvar="SKILLCI_COMMITLINT_TO", help="…up to REF (default HEAD).")
@click.option("--last", is_flag=True, help="Lint the last commit's message.")
@click.option(
    "--pr-title",
    is_flag=True,
    envvar="SKILLCI_COMMITLINT_PR_TITLE",
    help="Lint the pull request's title (from GITHUB_EVENT_PATH).",
)
@click.option("--strict", is_flag=True, envvar="SKILLCI_COMMITLINT_STRICT", help="Warnings fail too.")
@root_option
@format_option(FORMATS_COMMITLINT)
@verbosity_options
def commitlint(
    message: str | None,
    edit: Path | None,
    from_ref: str | None,
    to_ref: str | None,
    last: bool,
    pr_title: bool,
    strict: bool,
    root: Path,
    output_format: str | None,
    verbose: int,
    quiet: int,
) -> None:
    """Lint commit messages with commitlint's config-conventional rules (a message on stdin when no option)."""
    from skillci.commands.commitlint import commitlint as command

    _invoke(
        "commitlint",
        root,
        command,
        message=message,
        edit=edit,
        from_ref=from_ref,
        to_ref=to_ref,
        last=last,
        pr_title=pr_title,
        strict=strict,
        output_format=output_format or _default_format(),
        verbosity=verbose - quiet,
    )


@main.command("version")
@click.option("--changelog", "with_changelog", is_flag=True, help="Print the release's Markdown changelog instead.")
@root_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "plain", "json")),
    default="text",
    show_default=True,
    help="plain prints the next version alone.",
)
def version(with_changelog: bool, root: Path, output_format: str) -> None:
    """The next SemVer from the Conventional Commits since the last version tag."""
    from skillci.commands.version import version as command

    _invoke("version", root, command, with_changelog=with_changelog, output_format=output_format)


@bench.command("plan")
@selection_options
@root_option
@click.option("--shards", type=int, default=1, show_default=True, help="At most this many parallel jobs.")
@click.option(
    "--shard-size",
    type=int,
    default=50,
    show_default=True,
    help="Runs per job below which a bench is not split further.",
)
@format_option(FORMATS_PLAIN_GITHUB)
def bench_plan(
    base: str | None,
    head: str,
    skills: tuple[str, ...],
    all_skills: bool,
    root: Path,
    shards: int,
    shard_size: int,
    output_format: str | None,
) -> None:
    """Print a GitHub Actions matrix ({"include": [{"shard": "I/N", …}]}) spreading the bench over jobs."""
    from skillci.commands.bench import bench_plan as command

    fmt = output_format or ("github" if _default_format() == "github" else "json")
    _invoke(
        "bench plan",
        root,
        command,
        base=base,
        head=head,
        skills=skills,
        all_skills=all_skills,
        shards=shards,
        shard_size=shard_size,
        output_format=fmt,
    )
