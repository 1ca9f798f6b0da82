"""Run reports: what an agent or a workflow says about one run, checked before any store sees it."""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from skillci.errors import BadInput

#: Every state a run can be in.
RUN_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "timed_out")

#: The states in which a run has been judged (a cancelled run is not a verdict on the agent).
FINISHED_STATES = ("succeeded", "failed", "timed_out")

#: The numbers a run may report, each averaged over the runs that reported it when runs are scored together.
RUN_NUMBERS = ("duration_s", "ci_attempts", "changed_lines", "time_to_green_s", "tokens_in", "tokens_out", "cost_usd")

#: The run state machine: from each state, the states a run may move to (staying put is always allowed).
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "cancelled"}),
    "running": frozenset({"succeeded", "failed", "cancelled", "timed_out"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
    "timed_out": frozenset(),
}

#: Run ids derive from idempotency keys in this namespace, so a retried report names the same run.
RUN_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8d3b-5e7f-9a0b-1c2d3e4f5a6b")

#: The bounds of what both stores hold (SQLite and Postgres): a double, a 32-bit integer column, a bigint column.
DOUBLE_MAX = 1.7976931348623157e308
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_NUMBER = {"type": "number", "minimum": 0, "maximum": DOUBLE_MAX}
_COUNT = {"type": "integer", "minimum": 0, "maximum": INT32_MAX}
_BIG_COUNT = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_TIME = {"type": "string", "minLength": 1, "maxLength": 64}

#: The run numbers that are integers.
_INTEGERS = ("ci_attempts", "changed_lines", "tokens_in", "tokens_out")

#: JSON Schema of one run report (the input of `skillci runs record`).
REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["idempotency_key", "skill_id", "status"],
    "properties": {
        "idempotency_key": _TEXT,
        "skill_id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,63}$"},
        "status": {"enum": list(RUN_STATES)},
        "source": {"enum": ["bench", "production"]},
        "case_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "git_sha": {"type": "string", "pattern": "^[0-9a-f]{7,64}$"},
        "branch": {"type": "string", "maxLength": 255},
        "started_at": _TIME,
        "finished_at": _TIME,
        "duration_s": _NUMBER,
        "ci_attempts": _COUNT,
        "changed_lines": _COUNT,
        "time_to_green_s": _NUMBER,
        "tokens_in": _BIG_COUNT,
        "tokens_out": _BIG_COUNT,
        "cost_usd": _NUMBER,
        "output": {},
        "events": {
            "type": "array",
            "maxItems": 10000,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["event"],
                "properties": {
                    "seq": {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                    "event": {"type": "string", "minLength": 1, "maxLength": 32},
                    "state": {"type": "string", "minLength": 1, "maxLength": 64},
                    "detail": {},
                    "at": _TIME,
                },
            },
        },
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "maxLength": 128, "pattern": r"^[A-Z][A-Z0-9_]*(\.[A-Z][A-Z0-9_]*)+$"},
                "message": {"type": "string", "minLength": 1, "maxLength": 4000},
            },
        },
    },
}

_VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b(?:0x)?[0-9a-f]{8,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:/[\w.@+-]+){2,}/?"), "<path>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
]


def normalize_message(message: str) -> str:
    """An error message with its volatile parts (ids, times, paths, quoted values, numbers) replaced."""
    text = message.strip()
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip()


def error_fingerprint(failure_code: str, message: str, skill_id: str | None) -> str:
    """The identity of an error: failure code + normalised message + skill."""
    key = "\0".join((failure_code, normalize_message(message), skill_id or ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def run_id_for(idempotency_key: str) -> str:
    """The run id a report with this idempotency key names (stable across retries)."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, idempotency_key))


def transition_allowed(old: str, new: str) -> bool:
    """Whether a run in state old may move to state new."""
    return old == new or new in TRANSITIONS[old]


def illegal_transition(run_id: str, old: str, new: str) -> BadInput:
    """The error for a refused transition."""
    return BadInput(f"illegal run transition for run {run_id}: {old} -> {new}")


@dataclass(frozen=True)
class RunReport:
    """One checked run report, in the shape the stores apply."""

    run: dict[str, Any]
    events: list[dict[str, Any]]
    error: dict[str, Any] | None
    #: Where the report was read (file, line), for the message that refuses it.
    origin: tuple[str, int] | None = field(default=None, compare=False)

    def rejected(self, message: str) -> BadInput:
        """The error refusing this report, at the file and line it was read from."""
        file, line = self.origin or (None, None)
        return BadInput(message, file=file, line=line)

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON the stores' record function takes."""
        return {"run": self.run, "events": self.events, "error": self.error}


@dataclass(frozen=True)
class RunOutcome:
    """What recording a report did: the run, its previous state (None when created) and its state now."""

    id: str
    status: str
    previous: str | None
    created: bool


class ReportError(BadInput):
    """A report that passed the schema but not a closer check; `path` locates the offending value."""

    def __init__(self, message: str, *, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path) or "report"


def _timestamp(value: str, path: tuple[str | int, ...]) -> str:
    where = _where(path)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{where}: {value!r} is not an ISO 8601 date-time", path=path) from None
    if parsed.tzinfo is None:
        raise ReportError(f"{where}: {value!r} has no time zone (add Z or +00:00)", path=path)
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise ReportError(f"{where}: {value!r} is outside the years 1 to 9999 in UTC", path=path) from None
    return parsed.isoformat()


#: What no store keeps the same way: NUL (PostgreSQL refuses it) and lone surrogates (not Unicode; SQLite refuses them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable_scalar(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def map_scalars(value: Any, change: Callable[[Any], Any]) -> Any:
    """A copy of a JSON value with change() applied to every scalar and key (iterative: no depth breaks it)."""
    holder: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(holder, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, Mapping):
            copy = {change(name): child for name, child in item.items()}
            container[key] = copy
            stack.extend((copy, name) for name in copy)
        elif isinstance(item, (list, tuple)):
            items = list(item)
            container[key] = items
            stack.extend((items, index) for index in range(len(items)))
        else:
            container[key] = change(item)
    return holder[0]


def storable(value: Any) -> Any:
    """A copy of a JSON value every store keeps alike: NUL and lone surrogates as U+FFFD, NaN and infinities null."""
    return map_scalars(value, _storable_scalar)


def _check_text(value: Any, path: tuple[str | int, ...]) -> None:
    """Refuse what neither store can hold in text or JSON: NUL, lone surrogates, numbers beyond a double."""
    if isinstance(value, str):
        if "\0" in value:
            raise ReportError(f"{_where(path)}: text must not contain NUL (\\u0000)", path=path)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ReportError(f"{_where(path)}: text must not contain a lone surrogate", path=path) from None
    elif isinstance(value, float) and not abs(value) <= DOUBLE_MAX:
        raise ReportError(f"{_where(path)}: {value} is beyond the range of a double", path=path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_text(key, path)  # a bad key is named by its object: the message must not print it
            _check_text(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, (*path, index))


def build_report(data: Mapping[str, Any]) -> RunReport:
    """A RunReport from schema-checked report data (made storable): run id, defaults, timestamps, error fingerprint."""
    return _report_of(storable(data))


def _report_of(data: Mapping[str, Any]) -> RunReport:
    """A RunReport from schema-checked data every store can hold (storable, or refused otherwise)."""
    run: dict[str, Any] = {key: value for key, value in data.items() if key not in ("events", "error")}
    run["id"] = run_id_for(str(data["idempotency_key"]))
    for key in _INTEGERS:
        if isinstance(run.get(key), float):  # 1e3 is an integer to JSON Schema, and must be one to the stores
            run[key] = int(run[key])
    run.setdefault("source", "production")
    for key in ("started_at", "finished_at"):
        if key in run:
            run[key] = _timestamp(run[key], (key,))
    events = []
    for index, event in enumerate(data.get("events") or [], start=1):
        row = {"seq": int(event.get("seq", index)), "event": event["event"], "state": event.get("state")}
        row["detail"] = event.get("detail")
        if "at" in event:
            row["created_at"] = _timestamp(event["at"], ("events", index - 1, "at"))
        events.append(row)
    seqs = [event["seq"] for event in events]
    if len(seqs) != len(set(seqs)):
        raise ReportError("events: two events share one seq", path=("events",))
    error = None
    if data.get("error"):
        code, message = data["error"]["code"], data["error"]["message"]
        skill = str(data["skill_id"])
        error = {
            "fingerprint": error_fingerprint(code, message, skill),
            "failure_code": code,
            "message": message,
            "skill_id": skill,
        }
        run["failure_code"], run["error_message"] = code, message
    return RunReport(run=run, events=events, error=error)


def read_reports(text: str, *, source: str) -> list[RunReport]:
    """Parse and check one report object, or a list of them; errors name the source and line, and each report
    keeps its own (its `origin`) for the stores' refusals.

    JSON is read as JSON (`1e-05` is a number), one report at a time with the line it starts on, and checked
    by jsonschema-rs; the YAML loader (positions, duplicate keys, input that is not JSON) and jsonschema (the
    messages) are only asked when something is wrong, or when the input is not plain JSON.
    """
    from jsonschema.exceptions import best_match

    from skillci.registry.schemas import schema_validator
    from skillci.registry.yamlpos import span_at

    fast = _json_reports(text)
    tree: list[Any] = []  # the YAML loader's positioned data, made once, when a position is first needed

    def line_of(path: tuple[str | int, ...]) -> int:
        if not tree:
            tree.append(_positioned(text, source))
        span = span_at(tree[0], path)
        return span.line if span else 1

    if fast is None:
        tree.append(_positioned(text, source))
        try:
            values = json.loads(text, parse_constant=_not_a_json_number)
        except ValueError:
            values = tree[0]  # YAML that is not JSON: the loader's values
        is_list = isinstance(values, list)
        items: list[Any] = values if is_list else [values]
        lines = [line_of((index,) if is_list else ()) for index in range(len(items))]
    else:
        items, lines, is_list = fast
    if not items:
        raise BadInput("no run report in the input", file=source, line=1)
    checker = _fast_checker()
    validator = None
    reports = []
    for index, (item, line) in enumerate(zip(items, lines, strict=True)):
        prefix: tuple[str | int, ...] = (index,) if is_list else ()
        if not checker(item):
            validator = validator or schema_validator(REPORT_SCHEMA)
            error = best_match(validator.iter_errors(item))
            if error is not None:
                path = ".".join(str(part) for part in error.absolute_path) or "report"
                raise BadInput(f"{path}: {error.message}", file=source, line=line_of((*prefix, *error.absolute_path)))
        try:
            _check_text(item, ())  # refused here; what the bench records is made storable instead
            report = _report_of(item)
        except ReportError as exc:
            raise BadInput(exc.message, file=source, line=line_of((*prefix, *exc.path))) from None
        reports.append(replace(report, origin=(source, line)))
    return reports


class _DuplicateKey(ValueError):
    """A JSON object names a key twice (the YAML loader then says where)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _DuplicateKey()
    return found


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _json_reports(text: str) -> tuple[list[Any], list[int], bool] | None:
    """(reports, the line each starts on, whether the input is a list) for plain JSON; None for anything else
    (YAML, a duplicate key, NaN, trailing text), which the YAML loader then reads and explains."""
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_not_a_json_number)
    items: list[Any] = []
    starts: list[int] = []
    try:
        at = _JSON_SPACE.match(text, 0).end()  # type: ignore[union-attr]
        is_list = text.startswith("[", at)
        if not is_list:
            value, end = decoder.raw_decode(text, at)
            items, starts = [value], [at]
        else:
            at = _JSON_SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
            end = at + 1 if text.startswith("]", at) else -1
            while end < 0:
                value, after = decoder.raw_decode(text, at)
                items.append(value)
                starts.append(at)
                at = _JSON_SPACE.match(text, after).end()  # type: ignore[union-attr]
                if text.startswith("]", at):
                    end = at + 1
                elif text.startswith(",", at):
                    at = _JSON_SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
                else:
                    return None
    except (ValueError, RecursionError):  # not JSON, a duplicate key, NaN or Infinity, absurd nesting
        return None
    if _JSON_SPACE.match(text, end).end() != len(text) or not all(map(_shallow, items)):  # type: ignore[union-attr]
        return None
    lines, line, counted = [], 1, 0
    for start in starts:
        line += text.count("\n", counted, start)
        counted = start
        lines.append(line)
    return items, lines, is_list


def _shallow(value: Any) -> bool:
    """Whether value nests no deeper than the YAML loader allows (deeper input goes to it, which says where)."""
    from skillci.registry.yamlpos import MAX_DEPTH

    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        item, depth = level.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_DEPTH:
            return False
        level.extend((child, depth + 1) for child in children)
    return True


def _positioned(text: str, source: str) -> Any:
    """The input read by the YAML loader (positions for messages); its refusals are bad input at their line."""
    from skillci.registry.yamlpos import YamlError, loads

    try:
        data, issues = loads(text)
    except YamlError as exc:
        raise BadInput(exc.message, file=source, line=exc.span.line) from None
    if issues:
        raise BadInput(issues[0].message, file=source, line=issues[0].span.line)
    return data


def _fast_checker() -> Callable[[Any], bool]:
    """jsonschema-rs's verdict on one report: True only when it is sure the report matches REPORT_SCHEMA."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(REPORT_SCHEMA)

    def check(item: Any) -> bool:
        try:
            return bool(validator.is_valid(item))
        except (ValueError, TypeError, OverflowError):  # a value JSON Schema's Rust side cannot hold
            return False

    return check


def _not_a_json_number(name: str) -> float:
    """NaN and Infinity are not JSON: such input is read by the YAML loader, where they are strings."""
    raise ValueError(f"{name} is not a JSON number")
