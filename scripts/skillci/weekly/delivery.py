"""Delivering the weekly report once per week and channel (Slack, a GitHub issue), and the job summary.

Channels: Slack when a webhook URL is given, one GitHub issue per week when --github-repo is given, and the job
step summary when GITHUB_STEP_SUMMARY is set (that one is written on every run and not tracked). Each tracked
delivery is recorded in the store's `notifications` table under the key `weekly:{window}:slack` or
`weekly:{window}:github:{owner/name}`: a channel already "sent" for the window is skipped unless --force. A
channel whose delivery fails after its retries is recorded "failed", the rendered report is kept as files, the
other channels are still tried, and the command exits 3 (2 when every failure was bad configuration, such as a
token GitHub rejects). A forced re-send that fails leaves the earlier "sent" in place.

The webhook URL is a secret: it is masked in GitHub Actions before anything else is printed, never printed, and
never recorded; the ledger redacts the option by its name.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from skillci import github, ledger
from skillci.errors import BadInput, ExitCode, SkillciError
from skillci.weekly.report import WeeklyReport, Window, choose_week, window_between

if TYPE_CHECKING:
    from skillci.store.base import Store

#: Where reports are kept when a delivery fails, under the root, unless --keep-dir says otherwise.
REPORT_DIR = Path(".skillci") / "reports"
#: The tracked channels, in the order they are tried.
SLACK = "slack"
GITHUB = "github"
#: The longest period the notifications table holds; a longer window label is recorded by its first day.
PERIOD_LIMIT = 16


@dataclass
class _Channel:
    """One tracked delivery: its name for outputs, its title for people, its idempotency key, and what it sends."""

    name: str
    title: str
    key: str
    preview: Callable[[], str]
    deliver: Callable[[], tuple[str, dict[str, Any]]]


@dataclass
class _Tally:
    """What happened to each channel, and the failures to end on."""

    sent: list[str]
    skipped: list[str]
    failed: list[str]
    failures: list[SkillciError]
    kept: Path | None = None
    #: With --dry-run: the channels that would be sent.
    would: list[str] = field(default_factory=list)


def weekly_window(week: str | None, since: str | None, until: str | None, *, now: datetime) -> Window:
    """--week (2026-W47, last, current), else --since/--until (both), else the current ISO week."""
    week = week.strip() if week else None
    since = since.strip() if since else None
    until = until.strip() if until else None
    if week and (since or until):
        raise BadInput("--week and --since/--until both name a window: give one of them")
    if since or until:
        if not (since and until):
            raise BadInput("--since and --until go together: give both (or --week)")
        return window_between(since, until)
    return choose_week(week, now=now)


def marker(window: Window) -> str:
    """The HTML comment on the first line of the week's issue body, by which it is found again."""
    return f"<!-- skillci:weekly:{window.label} -->"


def idempotency_key(window: Window, channel: str, repository: str | None = None) -> str:
    """weekly:2026-W47:slack, or weekly:2026-W47:github:owner/name."""
    return f"weekly:{window.label}:{channel}" + (f":{repository}" if repository else "")


def _period(window: Window) -> str:
    return window.label if len(window.label) <= PERIOD_LIMIT else window.since.date().isoformat()


def _file_label(window: Window) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", window.label)


def tier_order_of(root: Path) -> list[str] | None:
    """benchmark.yaml's tiers, best first, to show tier changes as ↑/↓; None when it cannot be read."""
    from skillci.config import load_config
    from skillci.gate.decision import tier_order
    from skillci.registry.yamlpos import YamlError, load_file
    from skillci.sync.plan import normalize

    try:
        config = load_config(root)
        document = load_file(config.resolve(config.paths.benchmark), max_bytes=config.max_file_bytes)
        benchmark = normalize(document.data)
        return tier_order(benchmark) if isinstance(benchmark, dict) else None
    except (SkillciError, YamlError, OSError, ValueError, TypeError, AttributeError):
        return None


def deliver_weekly(
    *,
    root: Path,
    store: str | None,
    week: str | None,
    since: str | None,
    until: str | None,
    slack_webhook: str | None,
    github_repo: str | None,
    dry_run: bool,
    force: bool,
    output_format: str,
    keep_dir: Path | None,
    verbosity: int,
    stream: TextIO | None = None,
    errors: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    """Aggregate the window from the store and deliver the report to each channel not yet sent; see the module.

    Returns the exit code: 0, or the worst of the failures (3 when a service failed, 2 on bad configuration).
    """
    from skillci.weekly.render import RENDERERS

    out = stream or sys.stdout
    err = errors or sys.stderr
    url = (slack_webhook or "").strip() or None
    if url is not None and github.in_actions():
        out.write(github.add_mask(url) + "\n")  # before anything else is printed
        out.flush()
    if output_format not in RENDERERS:
        raise BadInput(f"--format {output_format!r}: one of {', '.join(RENDERERS)}")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    window = weekly_window(week, since, until, now=moment)
    if url is not None:
        from skillci.weekly.slack import check_url

        url = check_url(url)
    repository = github.check_repository(github_repo.strip()) if github_repo and github_repo.strip() else None
    context = github.run_context()
    if repository is not None and context.token is None and not dry_run:
        raise BadInput("--github-repo needs a token that may write issues in GITHUB_TOKEN")

    from skillci.store import open_store, store_url

    opened = open_store(store_url(store), root=root)
    try:
        if not opened.has_schema():
            raise BadInput(f"the store {opened.location} has no schema: run `skillci db migrate` first")
        numbers = opened.weekly_numbers(since=window.since, until=window.until)
        report = WeeklyReport.from_numbers(window, numbers, generated_at=moment)
        ledger.note_counts({"runs": report.totals.runs, "gates": report.gates.total})
        tiers = tier_order_of(root)
        if url is None and repository is None:
            return _print_only(report, output_format=output_format, tiers=tiers, dry_run=dry_run, out=out)
        deliveries = _Deliveries(
            report,
            tiers=tiers,
            url=url,
            repository=repository,
            context=context,
            root=root,
            keep_dir=keep_dir,
        )
        tally = _run_channels(
            deliveries.channels(),
            deliveries=deliveries,
            store=opened,
            dry_run=dry_run,
            force=force,
            verbosity=verbosity,
            out=out,
            err=err,
        )
    finally:
        opened.close()
    return _finish(report, tally, deliveries=deliveries, dry_run=dry_run, out=out)


def render_text(
    report: WeeklyReport, output_format: str, *, tiers: Sequence[str] | None, report_url: str | None
) -> str:
    """The report in one --format, as printed."""
    from skillci.weekly.render import RENDERERS, render_markdown, render_slack

    if output_format == "markdown":
        return render_markdown(report, tiers=tiers)
    if output_format == "slack":
        return json.dumps(render_slack(report, report_url=report_url, tiers=tiers), indent=2, ensure_ascii=False) + "\n"
    return RENDERERS[output_format](report)


def _print_only(
    report: WeeklyReport, *, output_format: str, tiers: Sequence[str] | None, dry_run: bool, out: TextIO
) -> int:
    """No channel: print the report; write the job summary when in Actions."""
    from skillci.weekly.render import render_markdown

    context = github.run_context()
    out.write(render_text(report, output_format, tiers=tiers, report_url=context.run_url))
    if not dry_run:
        github.write_step_summary(render_markdown(report, tiers=tiers))
    github.write_outputs({"sent": "", "skipped": "", "failed": "", "report-path": ""})
    ledger.note_counts({"sent": 0, "skipped": 0, "failed": 0})
    return ExitCode.OK


class _Deliveries:
    """The rendered report and the channels it goes to."""

    def __init__(
        self,
        report: WeeklyReport,
        *,
        tiers: Sequence[str] | None,
        url: str | None,
        repository: str | None,
        context: github.RunContext,
        root: Path,
        keep_dir: Path | None,
    ) -> None:
        from skillci.weekly.render import render_markdown, render_slack, report_title

        self.report = report
        self.window = report.window
        self.url = url
        self.repository = repository
        self.context = context
        self.root = root
        self.keep_dir = keep_dir
        self.markdown = render_markdown(report, tiers=tiers)
        # The run's page holds the job summary: the full report. So the Slack message is the same whatever else
        # is delivered, and --dry-run prints exactly what is sent.
        self.slack_payload = render_slack(report, report_url=context.run_url, tiers=tiers)
        self.title = report_title(report)[: github.TITLE_LIMIT]

    def channels(self) -> list[_Channel]:
        channels = []
        if self.repository is not None:
            repository = self.repository
            channels.append(
                _Channel(
                    GITHUB,
                    f"GitHub issue in {repository}",
                    idempotency_key(self.window, GITHUB, repository),
                    self._issue_preview,
                    self._issue,
                )
            )
        if self.url is not None:
            channels.append(
                _Channel(SLACK, "Slack", idempotency_key(self.window, SLACK), self._slack_preview, self._slack)
            )
        return channels

    def _slack_preview(self) -> str:
        return json.dumps(self.slack_payload, indent=2, ensure_ascii=False) + "\n"

    def _slack(self) -> tuple[str, dict[str, Any]]:
        from skillci.weekly.slack import post_webhook

        assert self.url is not None
        outcome = post_webhook(self.url, self.slack_payload)
        tries = "1 try" if outcome.attempts == 1 else f"{outcome.attempts} tries"
        payload = {"window": self.window.label, "attempts": outcome.attempts, "message": self.slack_payload}
        return f"sent ({tries})", payload

    def _issue_preview(self) -> str:
        body = github.issue_body(self.markdown, marker(self.window))
        token_note = "" if self.context.token else "(GITHUB_TOKEN is not set: a real run would refuse to start)\n"
        return f"{token_note}title: {self.title}\nlabel: {github.WEEKLY_LABEL}\nbody:\n{body.rstrip()}\n"

    def _issue(self) -> tuple[str, dict[str, Any]]:
        assert self.repository is not None and self.context.token is not None
        outcome = github.weekly_issue(
            repository=self.repository,
            title=self.title,
            body=self.markdown,
            marker=marker(self.window),
            token=self.context.token,
            api_url=self.context.api_url,
        )
        payload = {
            "window": self.window.label,
            "repository": self.repository,
            "issue": outcome.number,
            "url": outcome.url,
            "action": outcome.action,
            "title": self.title,
        }
        return f"{outcome.action} {outcome.url}", payload

    def keep(self) -> Path:
        """Write the report as weekly-LABEL.md and weekly-LABEL.slack.json; the Markdown file's path."""
        from skillci.diskcache import write_atomic

        folder = self.keep_dir if self.keep_dir is not None else REPORT_DIR
        folder = folder if folder.is_absolute() else self.root / folder
        stem = f"weekly-{_file_label(self.window)}"
        markdown = folder / f"{stem}.md"
        write_atomic(markdown, self.markdown)
        write_atomic(folder / f"{stem}.slack.json", self._slack_preview())
        return markdown


def _run_channels(
    channels: Sequence[_Channel],
    *,
    deliveries: _Deliveries,
    store: Store,
    dry_run: bool,
    force: bool,
    verbosity: int,
    out: TextIO,
    err: TextIO,
) -> _Tally:
    """Skip, preview or deliver each channel, recording each delivery."""
    label = deliveries.window.label
    period = _period(deliveries.window)
    tally = _Tally([], [], [], [])
    for channel in channels:
        already = store.notification_status(channel.key) == "sent"
        if already and not force:
            tally.skipped.append(channel.name)
            verb = "would skip" if dry_run else "skipped"
            if dry_run or verbosity >= 0:
                out.write(f"{channel.title}: {verb}: already sent for {label}; --force to send again\n")
            continue
        if dry_run:
            again = " again (already sent; --force)" if already else ""
            out.write(f"--- {channel.title}: would send{again} (dry run: nothing sent, nothing recorded) ---\n")
            out.write(channel.preview())
            tally.would.append(channel.name)
            continue
        try:
            said, payload = channel.deliver()
        except SkillciError as exc:
            tally.failed.append(channel.name)
            tally.failures.append(exc)
            _say_error(f"{channel.title}: {exc.format()}", out=out, err=err)
            if tally.kept is None:
                tally.kept = _keep(deliveries, out=out, err=err)
            if already:
                # A forced re-send failed: the earlier delivery stands, so a later run does not send it again.
                out.write(f"{channel.title}: the earlier delivery for {label} stays recorded as sent\n")
                continue
            payload = {"window": label, "error": exc.format(), "kept": None if tally.kept is None else str(tally.kept)}
            if channel.name == GITHUB:
                payload["repository"] = deliveries.repository
            _record(store, channel, period=period, status="failed", payload=payload, tally=tally, out=out, err=err)
            continue
        tally.sent.append(channel.name)
        if verbosity >= 0:
            out.write(f"{channel.title}: {said}\n")
        _record(store, channel, period=period, status="sent", payload=payload, tally=tally, out=out, err=err)
    return tally


def _record(
    store: Store,
    channel: _Channel,
    *,
    period: str,
    status: str,
    payload: dict[str, Any],
    tally: _Tally,
    out: TextIO,
    err: TextIO,
) -> None:
    try:
        store.record_notification(
            channel=channel.name, period=period, idempotency_key=channel.key, status=status, payload=payload
        )
    except SkillciError as exc:
        tally.failures.append(exc)
        what = "a re-run will send it again" if status == "sent" else "nothing else is lost"
        _say_error(f"{channel.title}: {status}, but the store could not record it ({what}): {exc.format()}", out, err)


def _keep(deliveries: _Deliveries, *, out: TextIO, err: TextIO) -> Path | None:
    try:
        kept = deliveries.keep()
    except OSError as exc:
        _say_error(f"cannot keep the report: {exc.strerror or type(exc).__name__}", out, err)
        return None
    shown = kept.relative_to(deliveries.root) if kept.is_relative_to(deliveries.root) else kept
    out.write(f"the report is kept in {shown} (and {shown.with_suffix('.slack.json').name})\n")
    return kept


def _say_error(text: str, out: TextIO, err: TextIO) -> None:
    if github.in_actions():
        out.write(github.message("error", text, title="skillci notify weekly") + "\n")
    else:
        out.flush()  # keep the order of the lines on a terminal
        err.write(f"skillci: error: {text}\n")


def _finish(report: WeeklyReport, tally: _Tally, *, deliveries: _Deliveries, dry_run: bool, out: TextIO) -> int:
    """The job summary, the step outputs, the counts, the last line and the exit code."""
    label = report.window.label
    if not dry_run:
        github.write_step_summary(deliveries.markdown)
    elif os.environ.get("GITHUB_STEP_SUMMARY"):
        out.write("job summary: would write the report (dry run)\n")
    github.write_outputs(
        {
            "sent": " ".join(tally.sent),
            "skipped": " ".join(tally.skipped),
            "failed": " ".join(tally.failed),
            "report-path": "" if tally.kept is None else str(tally.kept),
        }
    )
    ledger.note_counts({"sent": len(tally.sent), "skipped": len(tally.skipped), "failed": len(tally.failed)})
    if dry_run:
        named = [("would send", tally.would), ("would skip", tally.skipped)]
    else:
        named = [("sent", tally.sent), ("skipped", tally.skipped), ("failed", tally.failed)]
    parts = [f"{name} {', '.join(names)}" for name, names in named if names]
    if dry_run:
        parts.insert(0, "dry run: nothing sent, nothing recorded")
    empty = "; no runs and no gate decisions in the window" if report.empty else ""
    out.write(f"skillci notify weekly: {label}: {'; '.join(parts) or 'nothing to do'}{empty}\n")
    if not tally.failures:
        return ExitCode.OK
    return max(int(failure.exit_code) for failure in tally.failures)
