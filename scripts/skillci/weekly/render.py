"""The weekly report as GitHub Markdown (issue and job summary), a Slack Block Kit payload, or JSON.

Every renderer reads a `skillci.weekly.report.WeeklyReport` and nothing else: no store, no network, no click.
Numbers are shown, never recomputed beyond the report's own properties (success and pass rates).
Previous-week numbers are not part of the report, so nothing here shows a change or a trend arrow
for the headline numbers; tier changes are the only before/after the report carries.

The daily chart is two Mermaid `xychart-beta` charts, because xychart-beta has a single y-axis: runs per
day as bars from 0 to the week's busiest day, then the success rate in % as a line on a fixed 0–100 axis.
A day on which no run finished has no success rate; it is left off the rate chart's x-axis (and named
under it) rather than drawn as 0 %. The exact daily numbers follow in a collapsed table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from skillci.weekly.report import (
    DayNumbers,
    FailedGate,
    FailureCount,
    RunNumbers,
    TierChange,
    WeeklyReport,
    Window,
)

#: Tier names best first, used to tell a promotion (↑) from a demotion (↓) when the caller does not
#: pass benchmark.yaml's own order (`skillci.gate.decision.tier_order(benchmark)`). The shipped benchmark.yaml's
#: tiers (A, B, C, F) keep this order; a tier outside the order gets no arrow.
DEFAULT_TIERS: tuple[str, ...] = ("S", "A", "B", "C", "D", "E", "F")

#: At most this many rows per Markdown table.
MARKDOWN_MAX_ROWS = 100
#: The Markdown stays under this many characters: a GitHub issue body holds 65,536, and the caller may
#: add a marker line. Tables get fewer rows (MARKDOWN_ROW_STEPS) until the report fits.
MARKDOWN_MAX_CHARS = 60_000
MARKDOWN_ROW_STEPS = (MARKDOWN_MAX_ROWS, 50, 20, 10, 5)
#: At most this many failing skills named per failed gate.
MAX_FAILING_SKILLS = 10
#: Longest name (skill id, failure code, severity) shown before it is cut with "…".
MAX_NAME = 100

#: Slack Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
SLACK_MAX_HEADER = 150
SLACK_MAX_FIELDS = 10
SLACK_MAX_FIELD = 2000
SLACK_MAX_URL = 3000
#: At most this many items per Slack list (skills, failure codes, tier changes, failed gates).
SLACK_MAX_ITEMS = 10

#: The JSON document's format name and version; the version changes when a key changes meaning.
JSON_FORMAT = "skillci.weekly-report"
JSON_VERSION = 1

_NOTHING = "—"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# ---------------------------------------------------------------------------------------------------------
# Numbers as text, shared by every renderer


def _count(value: int) -> str:
    return f"{value:,}"


def _runs(count: int) -> str:
    return f"{count:,} run" if count == 1 else f"{count:,} runs"


def _percent(rate: float | None) -> str:
    """A rate as a percentage with one decimal that never rounds to a false 0 % or 100 %."""
    if rate is None:
        return _NOTHING
    text = f"{rate * 100:.1f}%"
    if text == "100.0%" and rate < 1:
        return ">99.9%"
    if text == "0.0%" and rate > 0:
        return "<0.1%"
    return text


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return _NOTHING
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m {rest:02d}s"
    hours, minutes = divmod((whole + 30) // 60, 60)
    return f"{hours}h {minutes:02d}m"


def _cost(usd: float) -> str:
    if 0 < usd < 0.005:
        return "<$0.01"
    return f"${usd:,.2f}"


def _tokens(numbers: RunNumbers) -> str:
    return _count(numbers.tokens_in + numbers.tokens_out)


def _success(numbers: RunNumbers | DayNumbers) -> str:
    """93.1% (27/29): the rate and the runs it is computed from."""
    if not numbers.finished:
        return f"{_NOTHING} (none finished)"
    return f"{_percent(numbers.success_rate)} ({_count(numbers.succeeded)}/{_count(numbers.finished)})"


def _gate_rate(report: WeeklyReport) -> str:
    gates = report.gates
    if not gates.total:
        return f"{_NOTHING} (no gate ran)"
    return f"{_percent(gates.pass_rate)} ({_count(gates.passed)} of {_count(gates.total)})"


def _moment(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _when(text: str) -> str:
    """A stored timestamp as 2026-11-18 14:03 UTC, or as stored when it is not ISO 8601."""
    try:
        return _moment(datetime.fromisoformat(text.strip()))
    except ValueError:
        return text


def _short_date(day: date, *, month: bool = True, year: bool = True) -> str:
    text = str(day.day)
    if month:
        text += f" {_MONTHS[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return text


def date_range(window: Window) -> str:
    """The window's UTC days as 16–22 Nov 2026, 30 Nov – 6 Dec 2026 or 28 Dec 2026 – 3 Jan 2027."""
    days = window.days
    first, last = days[0], days[-1]
    if first == last:
        return _short_date(first)
    if first.year != last.year:
        return f"{_short_date(first)} – {_short_date(last)}"
    if first.month != last.month:
        return f"{_short_date(first, year=False)} – {_short_date(last)}"
    return f"{first.day}–{_short_date(last)}"


def report_title(report: WeeklyReport) -> str:
    """The report's title: skillci weekly report — 2026-W47 (16–22 Nov 2026)."""
    return f"skillci weekly report — {report.window.label} ({date_range(report.window)})"


def empty_message(report: WeeklyReport) -> str:
    """The one sentence an empty window gets instead of tables and charts."""
    return f"No runs and no gate decisions were recorded in {report.window.label}."


def _clip(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _skills_by_runs(report: WeeklyReport) -> list[RunNumbers]:
    return sorted(report.skills, key=lambda skill: (-skill.runs, skill.skill_id or ""))


def tier_direction(change: TierChange, tiers: Sequence[str] | None = None) -> str:
    """↑ for a better tier, ↓ for a worse one, "" when either tier is unknown to the order (best first)."""
    rank = {tier: index for index, tier in enumerate(DEFAULT_TIERS if tiers is None else tiers)}
    if change.before is None or change.after is None or change.before not in rank or change.after not in rank:
        return ""
    if rank[change.after] < rank[change.before]:
        return "↑"
    return "↓" if rank[change.after] > rank[change.before] else ""


def _tier_text(change: TierChange, tiers: Sequence[str] | None) -> str:
    before = "new" if change.before is None else change.before
    after = "no tier" if change.after is None else change.after
    arrow = tier_direction(change, tiers)
    return f"{before} → {after}" + (f" {arrow}" if arrow else "")


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def _more(hidden: int, noun: str) -> str:
    return f"…and {hidden:,} more {noun}"


# ---------------------------------------------------------------------------------------------------------
# Markdown


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell (the rule of skillci.github.cell, carriage returns too)."""
    return text.replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _plain(text: str) -> str:
    """User text outside code spans, with HTML's &, < and > shown as themselves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """Text as an inline code span, whatever backticks it holds."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _md_url(url: str) -> str:
    for char, escaped in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("|", "%7C")):
        url = url.replace(char, escaped)
    return url


def _md_link(text: str, url: str | None) -> str:
    if not url:
        return _NOTHING
    if _is_url(url):
        return f"[{text}]({_md_url(url)})"
    return _code(_clip(url, 200))


def _runbook_md(runbook: str | None) -> str:
    return _md_link("runbook", runbook) if runbook else "no runbook"


def _table(header: Sequence[str], align: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _capped(items: Sequence[Any], noun: str, rows: int) -> tuple[Sequence[Any], list[str]]:
    if len(items) <= rows:
        return items, []
    return items[:rows], [
        "",
        _more(len(items) - rows, noun) + " (the JSON report has them all).",
    ]


def _day_label(day: date, long_window: bool) -> str:
    return day.strftime("%m-%d") if long_window else f"{_WEEKDAYS[day.weekday()]} {day.day}"


def _chart(title: str, labels: Sequence[str], axis: str, top: int, kind: str, values: Sequence[str]) -> list[str]:
    quoted = ", ".join(f'"{label}"' for label in labels)
    return [
        "```mermaid",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{quoted}]",
        f'    y-axis "{axis}" 0 --> {top}',
        f"    {kind} [{', '.join(values)}]",
        "```",
    ]


def daily_charts(report: WeeklyReport) -> list[str]:
    """The Mermaid charts of the daily numbers: runs (bars), then success rate in % (line, 0–100)."""
    long_window = len(report.daily) > 14
    labels = [_day_label(day.day, long_window) for day in report.daily]
    busiest = max((day.runs for day in report.daily), default=0)
    lines = _chart(
        "Runs per day (UTC)", labels, "Runs", max(busiest, 1), "bar", [str(day.runs) for day in report.daily]
    )
    rated = [day for day in report.daily if day.finished]
    lines.append("")
    if not rated:
        return [*lines, "No run finished in the window, so there is no success rate to chart."]
    # One point makes no visible line, so a lone day is drawn as a bar on the same 0–100 axis.
    kind = "line" if len(rated) > 1 else "bar"
    rates = [f"{(day.success_rate or 0) * 100:.1f}" for day in rated]
    lines += _chart(
        "Success rate per day, % of finished runs",
        [_day_label(day.day, long_window) for day in rated],
        "Success rate (%)",
        100,
        kind,
        rates,
    )
    unrated = [_day_label(day.day, long_window) for day in report.daily if not day.finished]
    if unrated:
        lines += ["", f"No run finished on {', '.join(unrated)}: those days have no success rate and are not charted."]
    return lines


def _headline_md(report: WeeklyReport) -> list[str]:
    totals = report.totals
    tokens = f"{_tokens(totals)} ({_count(totals.tokens_in)} in / {_count(totals.tokens_out)} out)"
    return _table(
        ["Runs", "Success rate", "p50 / p90", "Retries", "Tokens", "Cost", "Gate pass rate"],
        ["---:"] * 7,
        [
            [
                _count(totals.runs),
                _success(totals),
                f"{_duration(totals.p50_s)} / {_duration(totals.p90_s)}",
                _count(totals.retries),
                tokens,
                _cost(totals.cost_usd),
                _gate_rate(report),
            ]
        ],
    )


def _runs_md(report: WeeklyReport, rows: int) -> list[str]:
    lines = ["", "### Daily runs", ""]
    if not report.totals.runs:
        return [*lines, f"No runs were recorded in {report.window.label}."]
    lines += daily_charts(report)
    lines += ["", "<details><summary>Daily numbers</summary>", ""]
    lines += _table(
        ["Day (UTC)", "Runs", "Finished", "Succeeded", "Success rate"],
        ["---", "---:", "---:", "---:", "---:"],
        (
            [
                day.day.isoformat(),
                _count(day.runs),
                _count(day.finished),
                _count(day.succeeded),
                _percent(day.success_rate),
            ]
            for day in report.daily
        ),
    )
    lines += ["", "</details>", "", "### Skills", ""]
    skills = _skills_by_runs(report)
    if not skills:
        return [*lines, "No run named a skill."]
    shown, more = _capped(skills, "skills, with fewer runs", rows)
    lines += _table(
        ["Skill", "Runs", "Success rate", "p50", "p90", "Retries", "Tokens", "Cost"],
        ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
        (
            [
                _code(_clip(skill.skill_id or "(none)")),
                _count(skill.runs),
                _success(skill),
                _duration(skill.p50_s),
                _duration(skill.p90_s),
                _count(skill.retries),
                _tokens(skill),
                _cost(skill.cost_usd),
            ]
            for skill in shown
        ),
    )
    lines += more
    lines += ["", "### Top failure codes", ""]
    if not report.failures:
        return [*lines, "No run of the window reported a failure code."]
    failures: Sequence[FailureCount]
    failures, more = _capped(report.failures, "failure codes", rows)
    lines += _table(
        ["Failure code", "Runs", "Severity", "Runbook"],
        ["---", "---:", "---", "---"],
        (
            [
                _code(_clip(failure.code)),
                _count(failure.count),
                _plain(_clip(failure.severity)) if failure.severity else _NOTHING,
                _runbook_md(failure.runbook),
            ]
            for failure in failures
        ),
    )
    return lines + more


def _tiers_md(report: WeeklyReport, tiers: Sequence[str] | None, rows: int) -> list[str]:
    lines = ["", "### Tier changes", ""]
    if not report.tier_changes:
        return [*lines, "No skill changed tier."]
    changes: Sequence[TierChange]
    changes, more = _capped(report.tier_changes, "tier changes", rows)
    lines += _table(
        ["Skill", "Tier"],
        ["---", "---"],
        ([_code(_clip(change.skill_id)), _tier_text(change, tiers)] for change in changes),
    )
    return lines + more


def _failing_skills(gate: FailedGate, code: Callable[[str], str]) -> str:
    if not gate.failing_skills:
        return _NOTHING
    names = [code(_clip(skill)) for skill in gate.failing_skills[:MAX_FAILING_SKILLS]]
    hidden = len(gate.failing_skills) - MAX_FAILING_SKILLS
    return ", ".join(names) + (f" {_more(hidden, 'skills')}" if hidden > 0 else "")


def _gates_md(report: WeeklyReport, rows: int) -> list[str]:
    gates = report.gates
    lines = ["", "### Gates", ""]
    if not gates.total:
        return [*lines, f"No gate decision was recorded in {report.window.label}."]
    lines.append(
        f"{_count(gates.passed)} of {_count(gates.total)} gate decisions passed ({_percent(gates.pass_rate)})."
    )
    if not gates.recent_failures:
        return lines
    failed: Sequence[FailedGate]
    failed, more = _capped(gates.recent_failures, "failed gates", rows)
    lines += ["", "Recent failed gates, newest first:", ""]
    lines += _table(
        ["When", "PR", "Commit", "Failing skills", "Run"],
        ["---", "---:", "---", "---", "---"],
        (
            [
                _plain(_clip(_when(gate.created_at))),
                f"#{gate.pr_number}" if gate.pr_number is not None else _NOTHING,
                _code(gate.commit_sha[:7]) if gate.commit_sha else _NOTHING,
                _failing_skills(gate, _code),
                _md_link("run", gate.run_url),
            ]
            for gate in failed
        ),
    )
    return lines + more


def _markdown(report: WeeklyReport, heading: str, tiers: Sequence[str] | None, rows: int) -> str:
    lines = [f"## {heading}", ""]
    window = report.window
    footer = f"Window {_moment(window.since)} → {_moment(window.until)} · generated {_moment(report.generated_at)}."
    if report.empty:
        lines.append(empty_message(report))
        if report.tier_changes:
            lines += _tiers_md(report, tiers, rows)
    else:
        lines += _headline_md(report)
        lines += _runs_md(report, rows)
        lines += _tiers_md(report, tiers, rows)
        lines += _gates_md(report, rows)
    return "\n".join([*lines, "", f"<sub>{footer}</sub>"]) + "\n"


def render_markdown(report: WeeklyReport, *, title: str | None = None, tiers: Sequence[str] | None = None) -> str:
    """The report as GitHub-flavoured Markdown, for an issue body and the job step summary."""
    heading = _clip(" ".join((report_title(report) if title is None else title).split()), 250)
    for rows in MARKDOWN_ROW_STEPS:
        text = _markdown(report, heading, tiers, rows)
        if len(text) <= MARKDOWN_MAX_CHARS:
            break
    return text


# ---------------------------------------------------------------------------------------------------------
# Slack


def slack_escape(text: str) -> str:
    """Text with Slack's control characters (&, <, >) escaped, for mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_code(text: str) -> str:
    return "`" + slack_escape(_clip(text).replace("`", "'").replace("\n", " ")) + "`"


def _slack_link(url: str, text: str) -> str:
    url = slack_escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{url}|{slack_escape(text)}>"


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str, limit: int = SLACK_MAX_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _fit(text, limit)}


def _slack_list(heading: str, items: Sequence[str], noun: str) -> dict[str, Any]:
    """A section listing items, cut to fit SLACK_MAX_ITEMS and SLACK_MAX_TEXT with '…and N more'."""
    shown = list(items[:SLACK_MAX_ITEMS])

    def text(count: int) -> str:
        hidden = len(items) - count
        lines = [heading, *shown[:count]]
        if hidden:
            lines.append(_more(hidden, noun))
        return "\n".join(lines)

    count = len(shown)
    while count > 1 and len(text(count)) > SLACK_MAX_TEXT:
        count -= 1
    return {"type": "section", "text": _mrkdwn(text(count))}


def _slack_skill(skill: RunNumbers) -> str:
    parts = [
        _runs(skill.runs),
        f"{_percent(skill.success_rate)} succeeded" if skill.finished else "none finished",
        f"p50 {_duration(skill.p50_s)}",
        _cost(skill.cost_usd),
    ]
    return f"• {_slack_code(skill.skill_id or '(none)')} — " + slack_escape(" · ".join(parts))


def _slack_runbook(runbook: str | None) -> str:
    if not runbook:
        return "no runbook"
    if _is_url(runbook) and len(runbook) <= SLACK_MAX_URL // 2:
        return _slack_link(runbook, "runbook")
    return f"runbook {_slack_code(runbook)}"


def _slack_failure(failure: FailureCount) -> str:
    severity = f" · {slack_escape(_clip(failure.severity))}" if failure.severity else ""
    return f"• {_slack_code(failure.code)} — {_runs(failure.count)}{severity} · {_slack_runbook(failure.runbook)}"


def _slack_gate(gate: FailedGate) -> str:
    pr = f"PR #{gate.pr_number}" if gate.pr_number is not None else "no PR"
    if gate.run_url and _is_url(gate.run_url) and len(gate.run_url) <= SLACK_MAX_URL // 2:
        pr = _slack_link(gate.run_url, pr)
    parts = [
        pr,
        _slack_code(gate.commit_sha[:7]) if gate.commit_sha else "no commit",
        slack_escape(_clip(_when(gate.created_at))),
    ]
    failing = _failing_skills(gate, _slack_code)
    return "• " + " · ".join(parts) + f" — failing: {failing}"


def _slack_fields(report: WeeklyReport) -> dict[str, Any]:
    totals = report.totals
    fields = [
        ("Runs", _count(totals.runs)),
        ("Success rate", _success(totals)),
        ("p50 / p90", f"{_duration(totals.p50_s)} / {_duration(totals.p90_s)}"),
        ("Retries", _count(totals.retries)),
        ("Tokens", f"{_tokens(totals)} ({_count(totals.tokens_in)} in / {_count(totals.tokens_out)} out)"),
        ("Cost", _cost(totals.cost_usd)),
        ("Gate pass rate", _gate_rate(report)),
    ]
    return {
        "type": "section",
        "fields": [_mrkdwn(f"*{name}*\n{slack_escape(value)}", SLACK_MAX_FIELD) for name, value in fields][
            :SLACK_MAX_FIELDS
        ],
    }


def _slack_tail(report: WeeklyReport, report_url: str | None) -> list[dict[str, Any]]:
    window = report.window
    context = f"Generated {_moment(report.generated_at)} · window {_moment(window.since)} → {_moment(window.until)}"
    blocks: list[dict[str, Any]] = [{"type": "context", "elements": [_mrkdwn(slack_escape(context))]}]
    if report_url and len(report_url) <= SLACK_MAX_URL:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open the full report"}, "url": report_url}
        blocks.append({"type": "actions", "elements": [button]})
    return blocks


def _slack_summary(report: WeeklyReport) -> str:
    totals = report.totals
    parts = [_runs(totals.runs)]
    if totals.finished:
        parts.append(f"{_percent(totals.success_rate)} succeeded")
    if totals.p50_s is not None:
        parts.append(f"p50 {_duration(totals.p50_s)} / p90 {_duration(totals.p90_s)}")
    parts.append(f"{_cost(totals.cost_usd)} spent")
    if report.gates.total:
        parts.append(f"gates {_percent(report.gates.pass_rate)} passed")
    return f"{report_title(report)}: " + ", ".join(parts)


def render_slack(
    report: WeeklyReport, *, report_url: str | None = None, tiers: Sequence[str] | None = None
) -> dict[str, Any]:
    """The report as a Slack incoming-webhook payload: fallback text and Block Kit blocks within Slack's limits."""
    tier_lines = [
        f"• {_slack_code(change.skill_id)} {slack_escape(_tier_text(change, tiers))}" for change in report.tier_changes
    ]
    if report.empty:
        message = slack_escape(empty_message(report))
        blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(message)}]
        if tier_lines:
            blocks.append(_slack_list("*Tier changes*", tier_lines, "tier changes"))
        return {"text": message, "blocks": [*blocks, *_slack_tail(report, report_url)][:SLACK_MAX_BLOCKS]}
    header = {"type": "header", "text": {"type": "plain_text", "text": _fit(report_title(report), SLACK_MAX_HEADER)}}
    blocks = [header, _slack_fields(report)]
    skills = _skills_by_runs(report)
    if skills:
        blocks.append(_slack_list("*Skills by runs*", [_slack_skill(skill) for skill in skills], "skills"))
    if report.failures:
        lines = [_slack_failure(failure) for failure in report.failures]
        blocks.append(_slack_list("*Top failure codes*", lines, "failure codes"))
    if tier_lines:
        blocks.append(_slack_list("*Tier changes*", tier_lines, "tier changes"))
    if report.gates.recent_failures:
        lines = [_slack_gate(gate) for gate in report.gates.recent_failures]
        blocks.append(_slack_list("*Recent failed gates*", lines, "failed gates"))
    blocks += _slack_tail(report, report_url)
    return {"text": _fit(slack_escape(_slack_summary(report)), SLACK_MAX_TEXT), "blocks": blocks[:SLACK_MAX_BLOCKS]}


# ---------------------------------------------------------------------------------------------------------
# JSON


def _run_numbers_json(numbers: RunNumbers) -> dict[str, Any]:
    document: dict[str, Any] = {} if numbers.skill_id is None else {"skill_id": numbers.skill_id}
    return document | {
        "runs": numbers.runs,
        "finished": numbers.finished,
        "succeeded": numbers.succeeded,
        "success_rate": numbers.success_rate,
        "p50_s": numbers.p50_s,
        "p90_s": numbers.p90_s,
        "retries": numbers.retries,
        "tokens_in": numbers.tokens_in,
        "tokens_out": numbers.tokens_out,
        "cost_usd": numbers.cost_usd,
    }


def render_json(report: WeeklyReport) -> dict[str, Any]:
    """The report as a stable JSON document (json.dumps-able); `report_from_json` reads it back."""
    window, gates = report.window, report.gates
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "window": {"label": window.label, "since": window.since.isoformat(), "until": window.until.isoformat()},
        "generated_at": report.generated_at.isoformat(),
        "empty": report.empty,
        "totals": _run_numbers_json(report.totals),
        "skills": [_run_numbers_json(skill) for skill in report.skills],
        "daily": [
            {
                "day": day.day.isoformat(),
                "runs": day.runs,
                "finished": day.finished,
                "succeeded": day.succeeded,
                "success_rate": day.success_rate,
            }
            for day in report.daily
        ],
        "failures": [
            {"code": failure.code, "count": failure.count, "runbook": failure.runbook, "severity": failure.severity}
            for failure in report.failures
        ],
        "tier_changes": [
            {"skill_id": change.skill_id, "before": change.before, "after": change.after}
            for change in report.tier_changes
        ],
        "gates": {
            "total": gates.total,
            "passed": gates.passed,
            "pass_rate": gates.pass_rate,
            "recent_failures": [
                {
                    "created_at": gate.created_at,
                    "commit_sha": gate.commit_sha,
                    "pr_number": gate.pr_number,
                    "run_url": gate.run_url,
                    "failing_skills": list(gate.failing_skills),
                }
                for gate in gates.recent_failures
            ],
        },
    }


def report_from_json(document: Mapping[str, Any]) -> WeeklyReport:
    """The report a `render_json` document describes (its rates are recomputed, not read)."""
    window = document["window"]
    since, until = datetime.fromisoformat(window["since"]), datetime.fromisoformat(window["until"])
    numbers = {**document, "tiers": document.get("tier_changes") or []}
    return WeeklyReport.from_numbers(
        Window(since, until, str(window["label"])),
        numbers,
        generated_at=datetime.fromisoformat(document["generated_at"]),
    )


# ---------------------------------------------------------------------------------------------------------
# --format


def _markdown_text(report: WeeklyReport) -> str:
    return render_markdown(report)


def _slack_text(report: WeeklyReport) -> str:
    return json.dumps(render_slack(report), indent=2, ensure_ascii=False) + "\n"


def _json_text(report: WeeklyReport) -> str:
    return json.dumps(render_json(report), indent=2, ensure_ascii=False) + "\n"


#: The report as text per `--format` name.
RENDERERS: dict[str, Callable[[WeeklyReport], str]] = {
    "markdown": _markdown_text,
    "slack": _slack_text,
    "json": _json_text,
}
