"""The weekly report's renderers: Markdown (issue and job summary), Slack Block Kit within Slack's limits, JSON."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from helpers import REPO_ROOT
from skillci.gate.decision import tier_order
from skillci.weekly import render as weekly_render
from skillci.weekly.render import (
    DEFAULT_TIERS,
    RENDERERS,
    SLACK_MAX_BLOCKS,
    SLACK_MAX_FIELD,
    SLACK_MAX_FIELDS,
    SLACK_MAX_HEADER,
    SLACK_MAX_TEXT,
    date_range,
    render_json,
    render_markdown,
    render_slack,
    report_from_json,
    report_title,
)
from skillci.weekly.report import WeeklyReport, Window, iso_week, window_between

GENERATED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
W47 = iso_week("2026-W47")
EMPTY_SENTENCE = "No runs and no gate decisions were recorded in 2026-W47."


def _skill(skill_id: str, runs: int, **numbers: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "skill_id": skill_id,
        "runs": runs,
        "finished": runs,
        "succeeded": runs,
        "p50_s": 10.0,
        "p90_s": 20.0,
        "retries": 0,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_usd": 0.0,
    }
    return row | numbers


def _numbers(**overrides: Any) -> dict[str, Any]:
    numbers: dict[str, Any] = {
        "skills": [
            _skill(
                "fix-lint",
                20,
                finished=18,
                succeeded=15,
                p50_s=42.4,
                p90_s=185.0,
                retries=3,
                tokens_in=120_000,
                tokens_out=3_400,
                cost_usd=1.234,
            ),
            _skill("write-tests", 5, finished=4, succeeded=4, p50_s=4.3, p90_s=9.0, cost_usd=0.004),
        ],
        "totals": {
            "runs": 25,
            "finished": 22,
            "succeeded": 19,
            "p50_s": 42.4,
            "p90_s": 3725.0,
            "retries": 3,
            "tokens_in": 1_120_000,
            "tokens_out": 3_400,
            "cost_usd": 1234.5,
        },
        "daily": [
            {"day": "2026-11-16", "runs": 3, "finished": 2, "succeeded": 1},
            {"day": "2026-11-18", "runs": 7, "finished": 7, "succeeded": 7},
            {"day": "2026-11-19", "runs": 1, "finished": 0, "succeeded": 0},
            {"day": "2026-11-22", "runs": 14, "finished": 13, "succeeded": 11},
        ],
        "failures": [
            {
                "code": "E_TIMEOUT",
                "count": 3,
                "runbook": "https://runbooks.example/timeout (v2).md",
                "severity": "high",
            },
            {"code": "E_LINT", "count": 2, "runbook": "docs/runbooks/lint.md", "severity": None},
            {"code": "E_NEW", "count": 1, "runbook": None, "severity": None},
        ],
        "tiers": [
            {"skill_id": "fix-lint", "before": "B", "after": "A"},
            {"skill_id": "slow-skill", "before": "A", "after": "C"},
            {"skill_id": "write-tests", "before": None, "after": "B"},
        ],
        "gates": {
            "total": 8,
            "passed": 7,
            "recent_failures": [
                {
                    "created_at": "2026-11-18T14:03:27+00:00",
                    "commit_sha": "abcdef1234567890",
                    "pr_number": 12,
                    "run_url": "https://github.com/o/r/actions/runs/99",
                    "failing_skills": ["fix-lint", "slow-skill"],
                },
                {
                    "created_at": "2026-11-17T09:00:00+00:00",
                    "commit_sha": None,
                    "pr_number": None,
                    "run_url": None,
                    "failing_skills": [],
                },
            ],
        },
    }
    return numbers | overrides


def _report(numbers: dict[str, Any] | None = None, window: Window = W47) -> WeeklyReport:
    return WeeklyReport.from_numbers(window, _numbers() if numbers is None else numbers, generated_at=GENERATED)


def _empty() -> WeeklyReport:
    return WeeklyReport.from_numbers(W47, {}, generated_at=GENERATED)


def _section(markdown: str, heading: str) -> str:
    """The text of one `### heading` section (up to the next heading or the footer)."""
    start = markdown.index(f"### {heading}\n")
    rest = markdown[start + len(heading) + 5 :]
    end = min((i for i in (rest.find("\n### "), rest.find("\n<sub>")) if i >= 0), default=len(rest))
    return rest[:end]


def _table_rows(section: str) -> list[list[str]]:
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [re.split(r"(?<!\\)\|", row.strip())[1:-1] for row in rows[1:]]


def _mermaid_blocks(markdown: str) -> list[list[str]]:
    blocks = re.findall(r"```mermaid\n(.*?)```", markdown, re.S)
    return [[line.strip() for line in block.strip().splitlines()] for block in blocks]


# ---------------------------------------------------------------------------------------------------------
# Titles and numbers


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (iso_week("2026-W47"), "16–22 Nov 2026"),
        (iso_week("2026-W49"), "30 Nov – 6 Dec 2026"),
        (iso_week("2026-W53"), "28 Dec 2026 – 3 Jan 2027"),
        (window_between("2026-11-16", "2026-11-17"), "16 Nov 2026"),
    ],
)
def test_date_range_of_a_window(window: Window, expected: str) -> None:
    assert date_range(window) == expected


def test_title_line_names_the_week_and_its_days() -> None:
    markdown = render_markdown(_report())
    assert report_title(_report()) == "skillci weekly report — 2026-W47 (16–22 Nov 2026)"
    assert markdown.splitlines()[0] == "## skillci weekly report — 2026-W47 (16–22 Nov 2026)"
    assert render_markdown(_report(), title="Agents, week 47").splitlines()[0] == "## Agents, week 47"


def test_headline_shows_every_number_formatted() -> None:
    headline = render_markdown(_report()).splitlines()[2:5]
    assert headline[0] == "| Runs | Success rate | p50 / p90 | Retries | Tokens | Cost | Gate pass rate |"
    assert headline[2] == (
        "| 25 | 86.4% (19/22) | 42s / 1h 02m | 3 | 1,123,400 (1,120,000 in / 3,400 out) | $1,234.50 | 87.5% (7 of 8) |"
    )


def test_footer_gives_the_window_and_generation_time() -> None:
    last = render_markdown(_report()).rstrip("\n").splitlines()[-1]
    assert last == "<sub>Window 2026-11-16 00:00 UTC → 2026-11-23 00:00 UTC · generated 2026-11-23 06:00 UTC.</sub>"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (None, "—"),
        (4.3, "4.3s"),
        (42.4, "42s"),
        (59.6, "1m 00s"),
        (185.0, "3m 05s"),
        (3599.6, "1h 00m"),
        (3725, "1h 02m"),
    ],
)
def test_durations(seconds: float | None, expected: str) -> None:
    assert weekly_render._duration(seconds) == expected


@pytest.mark.parametrize(
    ("succeeded", "finished", "expected"),
    [
        (19, 22, "86.4% (19/22)"),
        (9999, 10000, ">99.9% (9,999/10,000)"),
        (1, 10000, "<0.1% (1/10,000)"),
        (0, 0, "— (none finished)"),
    ],
)
def test_success_rate_never_rounds_to_a_false_0_or_100(succeeded: int, finished: int, expected: str) -> None:
    totals = {"runs": finished or 1, "finished": finished, "succeeded": succeeded}
    row = _table_rows("\n".join(render_markdown(_report(_numbers(totals=totals))).splitlines()[2:5]))[0]
    assert row[1].strip() == expected


@pytest.mark.parametrize(
    ("usd", "expected"), [(0.0, "$0.00"), (0.004, "<$0.01"), (1.234, "$1.23"), (1234.5, "$1,234.50")]
)
def test_costs(usd: float, expected: str) -> None:
    assert weekly_render._cost(usd) == expected


# ---------------------------------------------------------------------------------------------------------
# Markdown sections


def test_skills_table_sorted_by_runs_then_skill_id() -> None:
    skills = [_skill("zeta", 5), _skill("beta", 20), _skill("alpha", 20), _skill("omega", 1), _skill("mid", 7)]
    rows = _table_rows(_section(render_markdown(_report(_numbers(skills=skills))), "Skills"))
    assert [row[0].strip() for row in rows] == ["`alpha`", "`beta`", "`mid`", "`zeta`", "`omega`"]


def test_skills_table_numbers() -> None:
    rows = _table_rows(_section(render_markdown(_report()), "Skills"))
    assert [cell.strip() for cell in rows[0]] == [
        "`fix-lint`",
        "20",
        "83.3% (15/18)",
        "42s",
        "3m 05s",
        "3",
        "123,400",
        "$1.23",
    ]
    assert [cell.strip() for cell in rows[1]] == [
        "`write-tests`",
        "5",
        "100.0% (4/4)",
        "4.3s",
        "9.0s",
        "0",
        "0",
        "<$0.01",
    ]


def test_skills_table_is_capped_with_a_count_of_the_rest() -> None:
    skills = [_skill(f"skill-{index:03d}", 1000 - index) for index in range(300)]
    section = _section(render_markdown(_report(_numbers(skills=skills))), "Skills")
    rows = _table_rows(section)
    assert len(rows) == weekly_render.MARKDOWN_MAX_ROWS == 100
    assert rows[-1][0].strip() == "`skill-099`"
    assert "…and 200 more skills, with fewer runs (the JSON report has them all)." in section


def test_a_huge_week_fits_a_github_issue_body() -> None:
    markdown = render_markdown(_huge_report())
    assert len(markdown) <= weekly_render.MARKDOWN_MAX_CHARS < 65_536
    skills = _table_rows(_section(markdown, "Skills"))
    assert len(skills) < weekly_render.MARKDOWN_MAX_ROWS
    assert f"…and {300 - len(skills)} more skills, with fewer runs" in markdown
    assert "…and" in _section(markdown, "Gates")
    assert markdown.rstrip("\n").splitlines()[-1].startswith("<sub>Window ")


def test_failure_codes_with_runbook_links_paths_and_none() -> None:
    rows = _table_rows(_section(render_markdown(_report()), "Top failure codes"))
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["`E_TIMEOUT`", "3", "high", "[runbook](https://runbooks.example/timeout%20%28v2%29.md)"],
        ["`E_LINT`", "2", "—", "`docs/runbooks/lint.md`"],
        ["`E_NEW`", "1", "—", "no runbook"],
    ]


def test_a_runbook_that_is_not_http_is_never_a_link() -> None:
    failures = [{"code": "E_X", "count": 1, "runbook": "javascript:alert(1)", "severity": None}]
    section = _section(render_markdown(_report(_numbers(failures=failures))), "Top failure codes")
    assert "`javascript:alert(1)`" in section
    assert "](" not in section


def test_tier_changes_with_arrows_in_benchmark_order() -> None:
    tiers = [
        {"skill_id": "down", "before": "A", "after": "F"},
        {"skill_id": "new", "before": None, "after": "B"},
        {"skill_id": "odd", "before": "gold", "after": "silver"},
        {"skill_id": "up", "before": "C", "after": "B"},
    ]
    rows = _table_rows(_section(render_markdown(_report(_numbers(tiers=tiers))), "Tier changes"))
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["`down`", "A → F ↓"],
        ["`new`", "new → B"],
        ["`odd`", "gold → silver"],
        ["`up`", "C → B ↑"],
    ]
    custom = render_markdown(_report(_numbers(tiers=tiers)), tiers=["gold", "silver", "bronze"])
    assert "gold → silver ↓" in custom


def test_default_tier_order_agrees_with_the_shipped_benchmark() -> None:
    benchmark = yaml.safe_load((REPO_ROOT / "ssot" / "agents" / "benchmark.yaml").read_text(encoding="utf-8"))
    shipped = tier_order(benchmark)
    assert len(shipped) >= 2
    assert [tier for tier in DEFAULT_TIERS if tier in shipped] == shipped


def test_gates_section_with_recent_failures() -> None:
    section = _section(render_markdown(_report()), "Gates")
    assert "7 of 8 gate decisions passed (87.5%)." in section
    rows = [[cell.strip() for cell in row] for row in _table_rows(section)]
    assert rows == [
        [
            "2026-11-18 14:03 UTC",
            "#12",
            "`abcdef1`",
            "`fix-lint`, `slow-skill`",
            "[run](https://github.com/o/r/actions/runs/99)",
        ],
        ["2026-11-17 09:00 UTC", "—", "—", "—", "—"],
    ]


def test_a_gate_with_many_failing_skills_names_ten() -> None:
    gate = {"created_at": "not a time", "failing_skills": [f"s{index}" for index in range(25)]}
    gates = {"total": 1, "passed": 0, "recent_failures": [gate]}
    row = _table_rows(_section(render_markdown(_report(_numbers(gates=gates))), "Gates"))[0]
    assert row[0].strip() == "not a time"
    assert row[3].strip().endswith("`s9` …and 15 more skills")
    assert "`s10`" not in row[3]


def test_table_cells_escape_pipes_and_newlines() -> None:
    skills = [_skill("a|b\nc", 3)]
    failures = [{"code": "E|1", "count": 1, "runbook": None, "severity": "high|\nlow"}]
    markdown = render_markdown(_report(_numbers(skills=skills, failures=failures)))
    assert "| `a\\|b c` | 3 |" in markdown
    assert "| `E\\|1` | 1 | high\\| low | no runbook |" in markdown
    assert weekly_render._cell("x|y\r\nz\nw") == "x\\|y z w"
    html = [{"code": "E_HTML", "count": 1, "runbook": None, "severity": "<details>&"}]
    assert "| `E_HTML` | 1 | &lt;details&gt;&amp; | no runbook |" in render_markdown(_report(_numbers(failures=html)))
    # Every table row still has its own number of columns.
    for row in _table_rows(_section(markdown, "Skills")):
        assert len(row) == 8


def test_backticks_in_names_keep_the_code_span_whole() -> None:
    markdown = render_markdown(_report(_numbers(skills=[_skill("we`ird", 1)])))
    assert "| ``` we`ird ``` |" not in markdown
    assert "| `` we`ird `` |" in markdown


# ---------------------------------------------------------------------------------------------------------
# The charts


def test_runs_chart_has_every_day_in_order() -> None:
    runs_chart, rate_chart = _mermaid_blocks(render_markdown(_report()))
    assert runs_chart == [
        "xychart-beta",
        'title "Runs per day (UTC)"',
        'x-axis ["Mon 16", "Tue 17", "Wed 18", "Thu 19", "Fri 20", "Sat 21", "Sun 22"]',
        'y-axis "Runs" 0 --> 14',
        "bar [3, 0, 7, 1, 0, 0, 14]",
    ]
    assert rate_chart == [
        "xychart-beta",
        'title "Success rate per day, % of finished runs"',
        'x-axis ["Mon 16", "Wed 18", "Sun 22"]',
        'y-axis "Success rate (%)" 0 --> 100',
        "line [50.0, 100.0, 84.6]",
    ]


def test_days_without_finished_runs_are_named_not_charted_as_zero() -> None:
    markdown = render_markdown(_report())
    sentence = "No run finished on Tue 17, Thu 19, Fri 20, Sat 21: those days have no success rate and are not charted."
    assert sentence in markdown.splitlines()


def test_a_single_rated_day_is_a_bar_and_no_finished_run_is_no_chart() -> None:
    daily = [{"day": "2026-11-20", "runs": 4, "finished": 4, "succeeded": 3}]
    charts = _mermaid_blocks(render_markdown(_report(_numbers(daily=daily))))
    assert charts[1][-1].strip() == "bar [75.0]"
    unfinished = [{"day": "2026-11-20", "runs": 4, "finished": 0, "succeeded": 0}]
    markdown = render_markdown(_report(_numbers(daily=unfinished)))
    assert len(_mermaid_blocks(markdown)) == 1
    assert "No run finished in the window, so there is no success rate to chart." in markdown


def test_a_long_window_labels_days_by_date() -> None:
    window = window_between("2026-11-01", "2026-12-01")
    runs_chart = _mermaid_blocks(render_markdown(_report(window=window)))[0]
    labels = re.findall(r'"([^"]+)"', runs_chart[2])
    assert len(labels) == 30
    assert labels[0] == "11-01"
    assert labels[-1] == "11-30"


def test_daily_numbers_table_lists_every_day() -> None:
    markdown = render_markdown(_report())
    details = markdown[markdown.index("<details>") : markdown.index("</details>")]
    rows = [[cell.strip() for cell in row] for row in _table_rows(details)]
    assert [row[0] for row in rows] == [day.isoformat() for day in W47.days]
    assert rows[0] == ["2026-11-16", "3", "2", "1", "50.0%"]
    assert rows[1] == ["2026-11-17", "0", "0", "0", "—"]


# ---------------------------------------------------------------------------------------------------------
# Empty and partial weeks


def test_empty_week_markdown_says_so_plainly() -> None:
    markdown = render_markdown(_empty())
    assert EMPTY_SENTENCE in markdown
    assert "```mermaid" not in markdown
    assert "|" not in markdown
    assert "###" not in markdown


def test_empty_week_still_shows_tier_changes() -> None:
    report = WeeklyReport.from_numbers(
        W47, {"tiers": [{"skill_id": "fix-lint", "before": "B", "after": "A"}]}, generated_at=GENERATED
    )
    markdown = render_markdown(report)
    assert EMPTY_SENTENCE in markdown
    assert "| `fix-lint` | B → A ↑ |" in markdown
    slack = render_slack(report)
    assert slack["text"] == EMPTY_SENTENCE
    assert "B → A ↑" in json.dumps(slack, ensure_ascii=False)


def test_empty_week_slack_is_one_plain_message() -> None:
    payload = render_slack(_empty())
    assert payload["text"] == EMPTY_SENTENCE
    assert [block["type"] for block in payload["blocks"]] == ["section", "context"]
    assert payload["blocks"][0]["text"]["text"] == EMPTY_SENTENCE
    assert [block["type"] for block in render_slack(_empty(), report_url="https://x.example/r")["blocks"]] == [
        "section",
        "context",
        "actions",
    ]


def test_empty_week_json() -> None:
    document = render_json(_empty())
    assert document["empty"] is True
    assert document["totals"]["runs"] == 0
    assert document["totals"]["success_rate"] is None
    assert document["gates"] == {"total": 0, "passed": 0, "pass_rate": None, "recent_failures": []}
    assert [day["runs"] for day in document["daily"]] == [0] * 7
    assert document["skills"] == document["failures"] == document["tier_changes"] == []


def test_runs_without_gates_and_gates_without_runs() -> None:
    no_gates = render_markdown(_report(_numbers(gates={})))
    assert "No gate decision was recorded in 2026-W47." in no_gates
    assert "— (no gate ran)" in no_gates
    gates_only = render_markdown(_report({"gates": {"total": 2, "passed": 2}}))
    assert "No runs were recorded in 2026-W47." in gates_only
    assert "```mermaid" not in gates_only
    assert "2 of 2 gate decisions passed (100.0%)." in gates_only
    assert EMPTY_SENTENCE not in gates_only


def test_a_week_with_runs_but_no_failures_or_tier_changes_says_so() -> None:
    markdown = render_markdown(_report(_numbers(failures=[], tiers=[])))
    assert _section(markdown, "Top failure codes").strip() == "No run of the window reported a failure code."
    assert _section(markdown, "Tier changes").strip() == "No skill changed tier."


# ---------------------------------------------------------------------------------------------------------
# Slack


def _texts(payload: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(where, text, limit) for every text object of the payload."""
    for index, block in enumerate(payload["blocks"]):
        kind = block["type"]
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            yield f"{index}:header", block["text"]["text"], SLACK_MAX_HEADER
        elif kind == "section":
            if "text" in block:
                yield f"{index}:section", block["text"]["text"], SLACK_MAX_TEXT
            fields = block.get("fields", [])
            assert len(fields) <= SLACK_MAX_FIELDS
            for field in fields:
                yield f"{index}:field", field["text"], SLACK_MAX_FIELD
        elif kind == "context":
            assert len(block["elements"]) <= 10
            for element in block["elements"]:
                yield f"{index}:context", element["text"], SLACK_MAX_TEXT
        elif kind == "actions":
            for element in block["elements"]:
                yield f"{index}:button", element["text"]["text"], 75
                yield f"{index}:url", element["url"], 3000


def _huge_report() -> WeeklyReport:
    long_name = "very-long-skill-name-&-<script>-" * 200
    skills = [_skill(f"{long_name}{index:03d}", 1000 - index) for index in range(300)]
    failures = [
        {
            "code": f"E_{'&' * 300}_{index:03d}",
            "count": 500 - index,
            "runbook": f"docs/{'<' * 4000}.md",
            "severity": "x" * 3000,
        }
        for index in range(200)
    ]
    tiers = [{"skill_id": f"{long_name}{index:03d}", "before": "C", "after": "A"} for index in range(200)]
    gates = {
        "total": 400,
        "passed": 200,
        "recent_failures": [
            {
                "created_at": "2026-11-18T14:03:27+00:00",
                "commit_sha": "f" * 40,
                "pr_number": index,
                "run_url": "https://github.com/o/r/actions/runs/" + "9" * 2000,
                "failing_skills": [f"{long_name}{n}" for n in range(50)],
            }
            for index in range(200)
        ],
    }
    return _report(_numbers(skills=skills, failures=failures, tiers=tiers, gates=gates))


def test_slack_payload_keeps_every_block_kit_limit() -> None:
    payload = render_slack(_huge_report(), report_url="https://github.com/o/r/issues/7")
    assert len(payload["blocks"]) <= SLACK_MAX_BLOCKS
    seen = set()
    for where, text, limit in _texts(payload):
        assert len(text) <= limit, f"{where} is {len(text)} characters (limit {limit})"
        seen.add(where.split(":")[1])
    assert {"header", "section", "field", "context", "button", "url"} <= seen
    assert len(payload["text"]) <= SLACK_MAX_TEXT
    json.dumps(payload)


@pytest.mark.parametrize(
    ("heading", "total", "noun"),
    [
        ("*Skills by runs*", 300, "skills"),
        ("*Top failure codes*", 200, "failure codes"),
        ("*Tier changes*", 200, "tier changes"),
        ("*Recent failed gates*", 200, "failed gates"),
    ],
)
def test_slack_long_lists_end_with_how_many_more(heading: str, total: int, noun: str) -> None:
    payload = render_slack(_huge_report())
    (text,) = [
        block["text"]["text"]
        for block in payload["blocks"]
        if block.get("text", {}).get("text", "").startswith(heading)
    ]
    shown = sum(1 for line in text.splitlines() if line.startswith("• "))
    assert 1 <= shown <= weekly_render.SLACK_MAX_ITEMS
    assert text.splitlines()[-1] == f"…and {total - shown:,} more {noun}"


def test_slack_list_that_overflows_3000_characters_drops_items_not_the_note() -> None:
    failures = [
        {"code": f"E_{'&' * 99}{index}", "count": 9, "runbook": f"docs/{'&' * 95}.md", "severity": None}
        for index in range(6)
    ]
    payload = render_slack(_report(_numbers(failures=failures)))
    (text,) = [
        block["text"]["text"]
        for block in payload["blocks"]
        if "*Top failure codes*" in block.get("text", {}).get("text", "")
    ]
    shown = sum(1 for line in text.splitlines() if line.startswith("• "))
    assert len(text) <= SLACK_MAX_TEXT
    assert shown < 6
    assert text.endswith(f"…and {6 - shown} more failure codes")


def test_slack_headline_fields_and_fallback_text() -> None:
    payload = render_slack(_report(), report_url="https://github.com/o/r/issues/7")
    header, fields = payload["blocks"][:2]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": report_title(_report())}}
    assert [field["text"] for field in fields["fields"]] == [
        "*Runs*\n25",
        "*Success rate*\n86.4% (19/22)",
        "*p50 / p90*\n42s / 1h 02m",
        "*Retries*\n3",
        "*Tokens*\n1,123,400 (1,120,000 in / 3,400 out)",
        "*Cost*\n$1,234.50",
        "*Gate pass rate*\n87.5% (7 of 8)",
    ]
    assert payload["text"] == (
        "skillci weekly report — 2026-W47 (16–22 Nov 2026): 25 runs, 86.4% succeeded, "
        "p50 42s / p90 1h 02m, $1,234.50 spent, gates 87.5% passed"
    )
    assert payload["blocks"][-1] == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open the full report"},
                "url": "https://github.com/o/r/issues/7",
            }
        ],
    }
    assert all(block["type"] != "actions" for block in render_slack(_report())["blocks"])


def test_slack_sections_list_skills_failures_tiers_and_gates() -> None:
    texts = [
        block["text"]["text"]
        for block in render_slack(_report())["blocks"]
        if "text" in block and block["type"] == "section"
    ]
    skills, failures, tiers, gates = texts
    assert skills.splitlines()[1:] == [
        "• `fix-lint` — 20 runs · 83.3% succeeded · p50 42s · $1.23",
        "• `write-tests` — 5 runs · 100.0% succeeded · p50 4.3s · &lt;$0.01",
    ]
    assert failures.splitlines()[1:] == [
        "• `E_TIMEOUT` — 3 runs · high · <https://runbooks.example/timeout%20(v2).md|runbook>",
        "• `E_LINT` — 2 runs · runbook `docs/runbooks/lint.md`",
        "• `E_NEW` — 1 run · no runbook",
    ]
    assert tiers.splitlines()[1:] == ["• `fix-lint` B → A ↑", "• `slow-skill` A → C ↓", "• `write-tests` new → B"]
    assert gates.splitlines()[1:] == [
        "• <https://github.com/o/r/actions/runs/99|PR #12> · `abcdef1` · 2026-11-18 14:03 UTC — failing: `fix-lint`, `slow-skill`",
        "• no PR · no commit · 2026-11-17 09:00 UTC — failing: —",
    ]


def test_slack_escapes_control_characters_in_user_data() -> None:
    skills = [_skill("<!channel> & <@U123>", 4)]
    failures = [{"code": "E<&>", "count": 1, "runbook": None, "severity": "<b>"}]
    payload = render_slack(_report(_numbers(skills=skills, failures=failures)))
    text = json.dumps(payload, ensure_ascii=False)
    assert "`&lt;!channel&gt; &amp; &lt;@U123&gt;`" in text
    assert "`E&lt;&amp;&gt;` — 1 run · &lt;b&gt;" in text
    assert "<!channel>" not in text
    assert "<@U123>" not in text


def test_slack_header_of_a_very_long_label_is_cut() -> None:
    window = Window(W47.since, W47.until, "x" * 500)
    header = render_slack(_report(window=window))["blocks"][0]["text"]["text"]
    assert len(header) == SLACK_MAX_HEADER
    assert header.endswith("…")


def test_slack_skills_sorted_like_the_markdown_table() -> None:
    skills = [_skill("zeta", 5), _skill("beta", 20), _skill("alpha", 20)]
    section = render_slack(_report(_numbers(skills=skills)))["blocks"][2]["text"]["text"]
    assert [line.split("`")[1] for line in section.splitlines()[1:]] == ["alpha", "beta", "zeta"]


# ---------------------------------------------------------------------------------------------------------
# JSON and --format


def test_json_round_trips_the_report() -> None:
    report = _report()
    document = json.loads(json.dumps(render_json(report)))
    assert report_from_json(document) == report
    empty = _empty()
    assert report_from_json(json.loads(json.dumps(render_json(empty)))) == empty


def test_json_document_shape_and_numbers() -> None:
    document = render_json(_report())
    assert list(document) == [
        "format",
        "version",
        "window",
        "generated_at",
        "empty",
        "totals",
        "skills",
        "daily",
        "failures",
        "tier_changes",
        "gates",
    ]
    assert document["window"] == {
        "label": "2026-W47",
        "since": "2026-11-16T00:00:00+00:00",
        "until": "2026-11-23T00:00:00+00:00",
    }
    assert document["generated_at"] == "2026-11-23T06:00:00+00:00"
    assert document["totals"]["success_rate"] == pytest.approx(19 / 22)
    assert document["totals"]["cost_usd"] == 1234.5
    assert document["skills"][0] | {"success_rate": None} == {
        "skill_id": "fix-lint",
        "runs": 20,
        "finished": 18,
        "succeeded": 15,
        "success_rate": None,
        "p50_s": 42.4,
        "p90_s": 185.0,
        "retries": 3,
        "tokens_in": 120_000,
        "tokens_out": 3_400,
        "cost_usd": 1.234,
    }
    assert [day["day"] for day in document["daily"]] == [day.isoformat() for day in W47.days]
    assert document["daily"][0]["success_rate"] == 0.5
    assert document["gates"]["pass_rate"] == 0.875
    assert document["gates"]["recent_failures"][0]["failing_skills"] == ["fix-lint", "slow-skill"]
    assert document["tier_changes"][2] == {"skill_id": "write-tests", "before": None, "after": "B"}


def test_renderers_by_format_name_return_text() -> None:
    report = _report()
    assert set(RENDERERS) == {"markdown", "slack", "json"}
    assert RENDERERS["markdown"](report) == render_markdown(report)
    assert json.loads(RENDERERS["slack"](report)) == render_slack(report)
    assert json.loads(RENDERERS["json"](report)) == render_json(report)
    for render in RENDERERS.values():
        assert render(_empty()).endswith("\n")
        assert "2026-W47" in render(_empty())


def test_the_module_imports_no_cli_github_or_store() -> None:
    tree = ast.parse((REPO_ROOT / "scripts" / "skillci" / "weekly" / "render.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    forbidden = {"click", "github", "skillci.github", "skillci.store", "skillci.cli"}
    assert not {name for name in imported if name in forbidden or name.startswith("skillci.store.")}
    assert "skillci.weekly.report" in imported
