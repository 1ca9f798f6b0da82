"""`skillci runs record`: record run reports (JSON) from an agent or a workflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from skillci import ledger
from skillci.errors import BadInput, ExitCode
from skillci.registry.yamlpos import YamlError, loads, span_at
from skillci.store import opened_store
from skillci.store.runs import REPORT_SCHEMA, ReportError, RunReport, build_report


def read_reports(text: str, *, source: str) -> list[RunReport]:
    """Parse and check one report object, or a list of them; errors name the source and line."""
    try:
        data, issues = loads(text)
    except YamlError as exc:
        raise BadInput(exc.message, file=source, line=exc.span.line) from None
    if issues:
        raise BadInput(issues[0].message, file=source, line=issues[0].span.line)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise BadInput("no run report in the input", file=source, line=1)
    validator = Draft202012Validator(REPORT_SCHEMA)
    reports = []
    for index, item in enumerate(items):
        prefix: tuple[str | int, ...] = (index,) if isinstance(data, list) else ()
        error = best_match(validator.iter_errors(item))
        if error is not None:
            path = ".".join(str(part) for part in error.absolute_path) or "report"
            span = span_at(data, (*prefix, *error.absolute_path))
            raise BadInput(f"{path}: {error.message}", file=source, line=span.line if span else 1)
        try:
            reports.append(build_report(item))
        except ReportError as exc:
            span = span_at(data, (*prefix, *exc.path))
            raise BadInput(exc.message, file=source, line=span.line if span else 1) from None
    return reports


def runs_record(*, root: Path, store: str | None, source: str, output_format: str, stream: TextIO | None = None) -> int:
    """Record each report in the file (or `-` for stdin), each in its own transaction."""
    out = stream or sys.stdout
    if source == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = Path(source).read_text(encoding="utf-8"), source
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from None
    reports = read_reports(text, source=name)
    recorded: list[dict[str, Any]] = []
    with opened_store(store, root=root) as opened:
        for report in reports:
            outcome = opened.record_run(report)
            recorded.append(
                {"id": outcome.id, "status": outcome.status, "previous": outcome.previous, "created": outcome.created}
            )
    ledger.note_counts({"runs": len(recorded)})
    if output_format == "json":
        out.write(json.dumps({"recorded": recorded}, indent=2) + "\n")
    else:
        for item in recorded:
            change = "created" if item["created"] else f"{item['previous']} -> {item['status']}"
            out.write(f"run {item['id']}: {item['status']} ({change})\n")
    return ExitCode.OK
