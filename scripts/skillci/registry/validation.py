"""Registry validation: load every file with positions, check it against its schema, then across files."""

from __future__ import annotations

import contextlib
import errno
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from skillci.config import Config
from skillci.registry import regexes, schemas
from skillci.registry.findings import Finding, Severity, Span, ValidationResult, quote
from skillci.registry.formula import VARIABLES, FormulaError, parse_formula
from skillci.registry.memo import ParseMemo
from skillci.registry.yamlpos import YamlDocument, YamlError, YList, YMap, load_file, span_at

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Path_ = tuple[str | int, ...]

#: Hints for cross-file finding codes; docs/findings.md lists them all.
HINTS: dict[str, str] = {
    "duplicate-skill-id": "skill ids must be unique; rename or remove one",
    "duplicate-tool-id": "tool ids must be unique; rename or remove one",
    "duplicate-failure-code": "failure codes must be unique; rename or remove one",
    "duplicate-metric-id": "metric ids must be unique; rename or remove one",
    "duplicate-case-id": "case ids must be unique within a cases file",
    "state-machine-order": "list the states in the configured order ({states}), each at most once",
    "unknown-tool": "add the tool to {tools} or remove it from allowed_tools",
    "tool-not-allowed": "add the skill id to the tool's allowed_in_skills, or use another tool",
    "tool-none-not-alone": "'__none__' means no tools: use it alone or drop it",
    "tool-wildcard-not-alone": "'*' already allows every skill: use it alone",
    "unknown-skill": "allowed_in_skills names a skill that is not in {skills}",
    "runbook-missing": "create the runbook or fix the path",
    "runbook-escape": "runbooks must be repository-relative paths that stay inside the repository",
    "runbook-orphan": "add a failure mode that uses this runbook, or delete it",
    "metric-weights-sum": "metric weights must add up to 1",
    "tier-order": "list tiers from best to worst with strictly decreasing min_score",
    "tier-floor": "runs scoring below the lowest tier get no tier; a lowest tier at min_score 0 catches them",
    "unknown-tier": "production_min_tier must name one of the tiers",
    "formula-syntax": "write an arithmetic expression, e.g. max(0, 1 - changed_lines / 200)",
    "formula-unknown-variable": "known variables: " + ", ".join(VARIABLES),
    "formula-forbidden": "formulas may use numbers, the known variables, arithmetic and min/max/abs/round/clamp",
    "band-order": "thresholds go perfect → good → marginal, each no better than the one before",
    "band-unknown-variable": "known variables: " + ", ".join(VARIABLES),
    "benchmark-command-missing": "add benchmark.command: the command that runs one case",
    "cases-missing": "create the cases file or fix benchmark.cases",
    "path-escape": "use a repository-relative path without '..'",
    "regex-invalid": "fix the regular expression",
    "regex-backtracking": "drop the inner or the outer quantifier, e.g. (a+)+ → a+; the bench gives a regex "
    f"{regexes.REGEX_TIMEOUT_S:g} s",
    "json-schema-invalid": "fix the JSON Schema of this assertion",
    "case-state-order": "expected states must follow the skill's state_machine in order",
    "file-missing": "create the file or point paths.{kind} in skillci.yaml at it",
}


#: Let jsonschema-rs accept files before jsonschema looks at them (tests turn it off to compare the two).
FAST_SCHEMA_CHECK = True


class _Unplaced(Exception):
    """A finding in a file whose data came from the memo, without positions."""


#: The schema of each kind of registry file.
_SCHEMAS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "skills": lambda config: schemas.skills_schema(config.enums),
    "tools": lambda config: schemas.tools_schema(),
    "failure_modes": lambda config: schemas.failure_modes_schema(config.enums),
    "benchmark": lambda config: schemas.benchmark_schema(),
    "cases": lambda config: schemas.cases_schema(config.enums),
}


@dataclass
class _Context:
    config: Config
    result: ValidationResult
    memo: ParseMemo | None = None
    documents: dict[str, YamlDocument] = field(default_factory=dict)
    skill_ids: set[str] = field(default_factory=set)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    memo_keys: dict[str, str] = field(default_factory=dict)
    proven: set[str] = field(default_factory=set)
    schema_clean: set[str] = field(default_factory=set)
    fast_validators: dict[str, Any] = field(default_factory=dict)
    #: Runbooks already reported as loops of symlinks.
    loops: set[str] = field(default_factory=set)

    def schema_accepts(self, kind: str, data: Any) -> bool:
        """jsonschema-rs's quick verdict, True only when it is sure data matches the kind's schema.

        It is about a hundred times faster than jsonschema, which then only explains the files that do not
        match (and has the last word on them); tests check the two agree on every example registry.
        """
        if not FAST_SCHEMA_CHECK:
            return False
        import jsonschema_rs

        if kind not in self.fast_validators:
            self.fast_validators[kind] = jsonschema_rs.validator_for(self.schema(kind))
        try:
            return bool(self.fast_validators[kind].is_valid(data))
        except (ValueError, TypeError, OverflowError):  # data JSON cannot hold (a key that is not text)
            return False

    def schema(self, kind: str) -> dict[str, Any]:
        """The schema of one kind of file, built once."""
        if kind not in self.schemas:
            self.schemas[kind] = _SCHEMAS[kind](self.config)
        return self.schemas[kind]

    def report(
        self,
        code: str,
        file: str,
        span: Span | None,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        hint: str | None = None,
        **hint_values: str,
    ) -> None:
        if file in self.proven:
            raise _Unplaced  # a remembered file has no positions: validate again from the files themselves
        text = HINTS.get(code, "") if hint is None else hint
        if hint_values:
            text = text.format(**hint_values)
        self.result.add(Finding(code, severity, file, span or Span.at(1), message, text))

    def load(self, relative: str, kind: str) -> YamlDocument | None:
        """Load one registry file, reporting anything that stops it from being read."""
        if relative in self.documents:
            return self.documents[relative]
        path = _inside(self.config.root, relative)
        if path is None:
            self.report("path-escape", relative, None, f"{kind} file resolves outside the repository")
            return None
        if not _is_file(path):
            self.report("file-missing", relative, None, f"{kind} file not found", kind=kind)
            return None
        document = self._remembered(relative, kind, path)
        if document is not None:
            return document
        try:
            document = load_file(path, max_bytes=self.config.max_file_bytes)
        except YamlError as exc:
            self.report(exc.code, relative, exc.span, exc.message, hint=exc.hint)
            if exc.code not in ("file-too-large", "yaml-encoding"):
                with contextlib.suppress(OSError):
                    self.result.sources[relative] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            return None
        self.result.files.append(relative)
        self.result.sources[relative] = document.lines
        for issue in document.issues:
            self.report(issue.code, relative, issue.span, issue.message, hint=issue.hint)
        self.documents[relative] = document
        return document

    def _remembered(self, relative: str, kind: str, path: Path) -> YamlDocument | None:
        """The document from the memo when these exact bytes were clean before (no finding, schema matched)."""
        if self.memo is None:
            return None
        try:
            if path.stat().st_size > self.config.max_file_bytes:
                return None
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None
        key = self.memo.key(self.schema(kind), raw)
        tree = self.memo.tree(key)
        if tree is None:
            self.memo_keys[relative] = key
            return None
        document = YamlDocument(path=path, data=tree, lines=text.splitlines(), issues=[])
        self.result.files.append(relative)
        self.result.sources[relative] = document.lines
        self.documents[relative] = document
        self.proven.add(relative)
        return document

    def remember_clean(self) -> None:
        """Remember every file read this time that matched its schema and has no finding at all."""
        if self.memo is None:
            return
        found = {finding.file for finding in self.result.findings}
        for relative, key in self.memo_keys.items():
            document = self.documents.get(relative)
            if document is not None and relative in self.schema_clean and relative not in found:
                self.memo.remember(key, document.data)
        self.memo.save()


def _location(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "mapping"


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _schema_finding(error: ValidationError, data: Any) -> tuple[str, Span | None, str, str]:
    path: Path_ = tuple(error.absolute_path)
    where = _location(path)
    span = span_at(data, path)
    validator = str(error.validator)
    expected: Any = error.validator_value
    schema: Any = error.schema
    code = "schema-" + re.sub(r"(?<!^)(?=[A-Z])", "-", validator).lower()
    instance = error.instance
    hint = ""
    if validator == "type":
        expected = error.validator_value
        names = [
            {"object": "mapping", "array": "list"}.get(t, t)
            for t in (expected if isinstance(expected, list) else [expected])
        ]
        wanted = " or ".join(_article(str(name)) for name in names)
        message = f"{where} must be {wanted}, not {_article(_json_type(instance))}"
    elif validator == "required":
        missing = [name for name in expected if isinstance(instance, dict) and name not in instance]
        message = f"{where} is missing required key {quote(missing[0] if missing else '?')}"
    elif validator == "additionalProperties" and isinstance(instance, dict):
        known = set(schema.get("properties", {}))
        extra = [key for key in instance if key not in known and not str(key).startswith("x-")]
        key = extra[0] if extra else "?"
        span = span_at(data, (*path, key), key=True) or span
        message = f"{where} has unknown key {quote(key)}"
        if known:
            hint = "allowed keys: " + ", ".join(sorted(known)) + " (and x-… extensions)"
    elif validator == "enum":
        choices = ", ".join(str(choice) for choice in expected)
        message = f"{where} is {quote(instance)}, expected one of: {choices}"
        hint = "the allowed values come from enums in skillci.yaml"
    elif validator == "pattern":
        if "propertyNames" in error.absolute_schema_path and isinstance(instance, str):
            span = span_at(data, (*path, instance), key=True) or span  # the key itself, not its mapping
            where = f"{where} key"
        message = f"{where} {quote(instance)} does not match {expected}"
        if expected == schemas.ID_PATTERN:
            hint = "ids use lowercase ASCII letters and digits, joined by '-' or '_'"
        elif expected == schemas.FAILURE_CODE_PATTERN:
            hint = "failure codes are dot-namespaced upper case, e.g. AGENT.PLAN_EMPTY"
    elif validator in ("oneOf", "anyOf"):
        message = f"{where}: {schema.get('description', 'does not match any allowed form')}"
    elif validator in ("minProperties", "maxProperties") and isinstance(instance, dict) and "expect" in where:
        message = f"{where} must hold exactly one assertion, not {len(instance)}"
    else:
        message = f"{where}: {error.message}"
        if len(message) > 240:
            message = message[:239] + "…"
    return code, span, message, hint


def _validate_schema(ctx: _Context, relative: str, data: Any, kind: str) -> bool:
    """Report every schema violation; True when there was none (or the memo already knew these bytes clean)."""
    if relative in ctx.proven:
        return True
    if ctx.schema_accepts(kind, data):
        ctx.schema_clean.add(relative)
        return True
    clean = True  # jsonschema is imported only to explain a file that does not match
    for error in schemas.schema_validator(ctx.schema(kind)).iter_errors(data):
        code, span, message, hint = _schema_finding(error, data)
        ctx.report(code, relative, span, message, hint=hint)
        clean = False
    if clean:
        ctx.schema_clean.add(relative)
    return clean


def _items(data: Any, key: str) -> list[tuple[int, YMap]]:
    """The mapping entries of a top-level list, with their indexes."""
    if not isinstance(data, YMap) or not isinstance(data.get(key), YList):
        return []
    return [(index, item) for index, item in enumerate(data[key]) if isinstance(item, YMap)]


def _check_unique(ctx: _Context, relative: str, data: Any, list_key: str, id_key: str, code: str, noun: str) -> None:
    seen: dict[str, int] = {}
    for index, item in _items(data, list_key):
        value = item.get(id_key)
        if not isinstance(value, str):
            continue
        span = span_at(data, (list_key, index, id_key))
        if value in seen:
            ctx.report(code, relative, span, f"duplicate {noun} {quote(value)} (first defined at line {seen[value]})")
        elif span is not None:
            seen[value] = span.line


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _inside(root: Path, relative: str) -> Path | None:
    """The resolved path when relative stays inside root (symlinks followed), else None."""
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or "\\" in relative or relative.startswith("~"):
        return None
    try:
        resolved = (root / relative).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    if resolved != root and root not in resolved.parents:
        return None
    return resolved


def _symlink_loop(path: Path) -> bool:
    """Whether resolving path goes round a loop of symlinks."""
    try:
        path.resolve()
    except RuntimeError:
        return True
    except (OSError, ValueError) as exc:
        return getattr(exc, "errno", None) == errno.ELOOP
    return False


def _report_loop(ctx: _Context, path: Path) -> None:
    """A runbook that is a loop of symlinks is an unreadable file, reported once, at the file."""
    name = path.relative_to(ctx.config.root).as_posix()
    if name not in ctx.loops:
        ctx.loops.add(name)
        ctx.report("file-unreadable", name, Span.at(1), f"runbook {quote(name)} is a loop of symlinks")


def _is_file(path: Path) -> bool:
    """Path.is_file that says False for names the OS refuses (too long, NUL bytes)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _check_skills(ctx: _Context, relative: str, data: Any, tools: dict[str, list[str]] | None) -> None:
    states = ctx.config.enums.states
    order = {state: index for index, state in enumerate(states)}
    _check_unique(ctx, relative, data, "skills", "id", "duplicate-skill-id", "skill id")
    for index, skill in _items(data, "skills"):
        skill_id = skill.get("id") if isinstance(skill.get("id"), str) else f"#{index}"
        machine = skill.get("state_machine")
        if isinstance(machine, YList):
            last = -1
            for position, state in enumerate(machine):
                if not isinstance(state, str) or state not in order:
                    continue
                if order[state] <= last:
                    ctx.report(
                        "state-machine-order",
                        relative,
                        span_at(data, ("skills", index, "state_machine", position)),
                        f"skill {quote(skill_id)}: state {quote(state)} is out of order or repeated",
                        states=" → ".join(states),
                    )
                    break
                last = order[state]
        allowed = skill.get("allowed_tools")
        if isinstance(allowed, YList):
            names = [tool for tool in allowed if isinstance(tool, str)]
            for position, tool in enumerate(allowed):
                if not isinstance(tool, str):
                    continue
                span = span_at(data, ("skills", index, "allowed_tools", position))
                if tool == schemas.NONE_TOOL:
                    if len(names) > 1:
                        ctx.report(
                            "tool-none-not-alone",
                            relative,
                            span,
                            f"skill {quote(skill_id)}: '__none__' is listed with other tools",
                        )
                    continue
                if tools is None:
                    continue
                if tool not in tools:
                    ctx.report(
                        "unknown-tool",
                        relative,
                        span,
                        f"skill {quote(skill_id)} allows tool {quote(tool)}, which is not in the tools registry",
                        tools=ctx.config.paths.tools,
                    )
                elif "*" not in tools[tool] and skill_id not in tools[tool]:
                    ctx.report(
                        "tool-not-allowed",
                        relative,
                        span,
                        f"tool {quote(tool)} does not allow skill {quote(skill_id)} (allowed_in_skills: {', '.join(tools[tool])})",
                    )
        _check_skill_benchmark(ctx, relative, data, index, skill, str(skill_id))


def _check_skill_benchmark(ctx: _Context, relative: str, data: Any, index: int, skill: YMap, skill_id: str) -> None:
    bench = skill.get("benchmark")
    if not isinstance(bench, YMap):
        return
    base: Path_ = ("skills", index, "benchmark")
    globs = bench.get("paths")
    if isinstance(globs, YList):
        for position, pattern in enumerate(globs):
            if isinstance(pattern, str) and (
                PurePosixPath(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts
            ):
                ctx.report(
                    "path-escape",
                    relative,
                    span_at(data, (*base, "paths", position)),
                    f"skill {quote(skill_id)}: benchmark path {quote(pattern)} leaves the repository",
                )
    cases = bench.get("cases")
    if not isinstance(cases, str):
        return
    if "command" not in bench:
        ctx.report(
            "benchmark-command-missing",
            relative,
            span_at(data, base, key=False),
            f"skill {quote(skill_id)} has benchmark cases but no benchmark.command",
        )
    if _CONTROL.search(cases):
        return  # the schema reports control characters in paths
    span = span_at(data, (*base, "cases"))
    resolved = _inside(ctx.config.root, cases)
    if resolved is None:
        ctx.report(
            "path-escape", relative, span, f"skill {quote(skill_id)}: cases path {quote(cases)} leaves the repository"
        )
        return
    if not _is_file(resolved):
        ctx.report("cases-missing", relative, span, f"skill {quote(skill_id)}: cases file {quote(cases)} not found")
        return
    first_time = cases not in ctx.documents
    document = ctx.load(cases, "cases")
    if document is None:
        return
    if first_time and not _validate_schema(ctx, cases, document.data, "cases"):
        return
    local = first_time and cases not in ctx.proven  # checks of the file alone; a remembered file passed them
    if local:
        _check_unique(ctx, cases, document.data, "cases", "id", "duplicate-case-id", "case id")
    _check_cases(ctx, cases, document.data, skill, skill_id, local)


def _check_regex(ctx: _Context, relative: str, span: Span | None, pattern: str) -> None:
    error = regexes.compile_error(pattern)
    if error is not None:
        ctx.report("regex-invalid", relative, span, f"invalid regular expression: {error}")
    elif regexes.nested_quantifier(pattern):
        ctx.report(
            "regex-backtracking",
            relative,
            span,
            f"regular expression {quote(pattern)} repeats a repeat: it can take exponential time on output that "
            f"almost matches",
            severity=Severity.WARNING,
        )


def _check_cases(ctx: _Context, relative: str, data: Any, skill: YMap, skill_id: str, first_time: bool) -> None:
    machine = skill.get("state_machine")
    states = list(machine) if isinstance(machine, YList) else list(ctx.config.enums.states)
    for index, case in _items(data, "cases"):
        expect = case.get("expect")
        if not isinstance(expect, YList):
            continue
        for position, assertion in enumerate(expect):
            if not isinstance(assertion, YMap):
                continue
            path: Path_ = ("cases", index, "expect", position)
            if first_time and isinstance(assertion.get("regex"), str):
                _check_regex(ctx, relative, span_at(data, (*path, "regex")), assertion["regex"])
            if first_time and isinstance(assertion.get("json_schema"), dict):
                from jsonschema import Draft202012Validator
                from jsonschema.exceptions import SchemaError

                try:
                    Draft202012Validator.check_schema(assertion["json_schema"])
                except SchemaError as exc:
                    ctx.report(
                        "json-schema-invalid",
                        relative,
                        span_at(data, (*path, "json_schema")),
                        f"invalid JSON Schema: {exc.message[:200]}",
                    )
            expected = assertion.get("states")
            if isinstance(expected, YList):
                position_in_machine = 0
                for state_index, state in enumerate(expected):
                    try:
                        position_in_machine = states.index(state, position_in_machine) + 1
                    except ValueError:
                        ctx.report(
                            "case-state-order",
                            relative,
                            span_at(data, (*path, "states", state_index)),
                            f"state {quote(state)} is not next in skill {quote(skill_id)}'s state_machine ({' → '.join(map(str, states))})",
                        )
                        break


def _check_tools(ctx: _Context, relative: str, data: Any) -> dict[str, list[str]]:
    _check_unique(ctx, relative, data, "tools", "id", "duplicate-tool-id", "tool id")
    tools: dict[str, list[str]] = {}
    for index, tool in _items(data, "tools"):
        tool_id = tool.get("id")
        allowed = tool.get("allowed_in_skills")
        if not isinstance(tool_id, str) or not isinstance(allowed, YList):
            continue
        names = [name for name in allowed if isinstance(name, str)]
        tools.setdefault(tool_id, names)
        for position, name in enumerate(allowed):
            if not isinstance(name, str):
                continue
            span = span_at(data, ("tools", index, "allowed_in_skills", position))
            if name == "*":
                if len(names) > 1:
                    ctx.report(
                        "tool-wildcard-not-alone",
                        relative,
                        span,
                        f"tool {quote(tool_id)}: '*' is listed with skill ids",
                    )
            elif ctx.skill_ids and name not in ctx.skill_ids:
                ctx.report(
                    "unknown-skill",
                    relative,
                    span,
                    f"tool {quote(tool_id)} allows skill {quote(name)}, which is not in the skills registry",
                    severity=Severity.WARNING,
                    skills=ctx.config.paths.skills,
                )
    return tools


def _check_failure_modes(ctx: _Context, relative: str, data: Any) -> None:
    _check_unique(ctx, relative, data, "failure_modes", "code", "duplicate-failure-code", "failure code")
    root = ctx.config.root
    referenced: set[Path] = set()
    for index, mode in _items(data, "failure_modes"):
        runbook = mode.get("runbook")
        code = mode.get("code", f"#{index}")
        if not isinstance(runbook, str) or _CONTROL.search(runbook):
            continue  # the schema reports wrong types and control characters
        span = span_at(data, ("failure_modes", index, "runbook"))
        if _symlink_loop(root / runbook):
            _report_loop(ctx, root / runbook)
            continue
        resolved = _inside(root, runbook)
        if resolved is None:
            ctx.report(
                "runbook-escape",
                relative,
                span,
                f"{quote(code)}: runbook {quote(runbook)} points outside the repository",
            )
            continue
        if not _is_file(resolved):
            ctx.report("runbook-missing", relative, span, f"{quote(code)}: runbook {quote(runbook)} not found")
            continue
        referenced.add(resolved)
    for directory in sorted({path.parent for path in referenced}):
        for candidate in sorted(directory.glob("*.md")):
            if _symlink_loop(candidate):
                _report_loop(ctx, candidate)
                continue
            if candidate.resolve() in referenced or candidate.name.lower() in ("readme.md", "index.md"):
                continue
            name = candidate.relative_to(root).as_posix()
            ctx.report(
                "runbook-orphan",
                name,
                Span.at(1),
                f"runbook {quote(name)} belongs to no failure code in {relative}",
                severity=Severity.WARNING,
            )


def _formula_span(span: Span | None, column: int, document: YamlDocument) -> Span | None:
    if span is None or span.line != span.end_line:
        return span
    line = document.lines[span.line - 1] if span.line <= len(document.lines) else ""
    quoted = span.column <= len(line) and line[span.column - 1] in "'\""
    start = span.column + (1 if quoted else 0) + column - 1
    return Span(span.line, start, span.line, start + 1)


def _check_benchmark(ctx: _Context, relative: str, document: YamlDocument) -> None:
    data = document.data
    if not isinstance(data, YMap):
        return
    tiers = data.get("tiers")
    tier_names: list[str] = []
    if isinstance(tiers, YMap):
        previous: tuple[str, float] | None = None
        lowest: float | None = None
        for name, tier in tiers.items():
            tier_names.append(name)
            score = tier.get("min_score") if isinstance(tier, YMap) else None
            if not isinstance(score, (int, float)) or isinstance(score, bool):
                continue
            if previous is not None and score >= previous[1]:
                ctx.report(
                    "tier-order",
                    relative,
                    span_at(data, ("tiers", name, "min_score")),
                    f"tier {quote(name)} needs {score}, not less than tier {quote(previous[0])} above it ({previous[1]})",
                )
            previous = (name, score)
            lowest = score
        if lowest is not None and lowest > 0:
            ctx.report(
                "tier-floor",
                relative,
                span_at(data, ("tiers",), key=True),
                f"the lowest tier needs {lowest}: a composite below that gets no tier",
                severity=Severity.WARNING,
            )
    production = data.get("production_min_tier")
    if isinstance(production, str) and tier_names and production not in tier_names:
        ctx.report(
            "unknown-tier",
            relative,
            span_at(data, ("production_min_tier",)),
            f"production_min_tier {quote(production)} is not a tier ({', '.join(quote(name) for name in tier_names)})",
        )
    metrics = data.get("metrics")
    if not isinstance(metrics, YList):
        return
    _check_unique(ctx, relative, data, "metrics", "id", "duplicate-metric-id", "metric id")
    weights = [m.get("weight") for m in metrics if isinstance(m, YMap)]
    numeric = [w for w in weights if isinstance(w, (int, float)) and not isinstance(w, bool)]
    if len(numeric) == len(weights) and abs(sum(numeric) - 1.0) > 1e-6:
        ctx.report(
            "metric-weights-sum",
            relative,
            span_at(data, ("metrics",), key=True),
            f"metric weights add up to {round(sum(numeric), 6)}, not 1",
        )
    for index, metric in _items(data, "metrics"):
        scoring = metric.get("scoring")
        metric_id = metric.get("id", f"#{index}")
        if not isinstance(scoring, YMap):
            continue
        if isinstance(scoring.get("formula"), str):
            span = span_at(data, ("metrics", index, "scoring", "formula"))
            try:
                parse_formula(scoring["formula"])
            except FormulaError as exc:
                ctx.report(
                    exc.code,
                    relative,
                    _formula_span(span, exc.column, document),
                    f"metric {quote(metric_id)}: {exc.message}",
                )
            continue
        variable = scoring.get("variable")
        if isinstance(variable, str) and variable not in VARIABLES:
            ctx.report(
                "band-unknown-variable",
                relative,
                span_at(data, ("metrics", index, "scoring", "variable")),
                f"metric {quote(metric_id)}: unknown variable {quote(variable)}",
            )
        bands: list[Any] = [scoring.get(band) for band in ("perfect", "good", "marginal")]
        if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in bands):
            higher = scoring.get("higher_is_better") is True
            ordered = bands[0] >= bands[1] >= bands[2] if higher else bands[0] <= bands[1] <= bands[2]
            if not ordered:
                direction = "decrease" if higher else "increase"
                ctx.report(
                    "band-order",
                    relative,
                    span_at(data, ("metrics", index, "scoring"), key=False),
                    f"metric {quote(metric_id)}: band thresholds must {direction} from perfect to marginal",
                )


def validate_registry(config: Config, *, memo: ParseMemo | None = None) -> ValidationResult:
    """Validate the registry of one checkout: every file, its schema and the cross-file rules.

    With a memo, files whose exact bytes were clean before skip parsing and the schema check; a finding in
    one of them starts validation again without the memo, so findings always come from a real parse.
    """
    if memo is not None:
        try:
            return _validate(config, memo)
        except _Unplaced:
            pass
    return _validate(config, None)


def _validate(config: Config, memo: ParseMemo | None) -> ValidationResult:
    result = ValidationResult(root=config.root, config=config)
    ctx = _Context(config=config, result=result, memo=memo)
    paths = config.paths

    skills = ctx.load(paths.skills, "skills")
    tools_doc = ctx.load(paths.tools, "tools")
    modes = ctx.load(paths.failure_modes, "failure_modes")
    bench = ctx.load(paths.benchmark, "benchmark")

    if skills is not None:
        _validate_schema(ctx, paths.skills, skills.data, "skills")
        ctx.skill_ids = {item["id"] for _, item in _items(skills.data, "skills") if isinstance(item.get("id"), str)}
    tools: dict[str, list[str]] | None = None
    if tools_doc is not None:
        _validate_schema(ctx, paths.tools, tools_doc.data, "tools")
        tools = _check_tools(ctx, paths.tools, tools_doc.data)
    if skills is not None:
        _check_skills(ctx, paths.skills, skills.data, tools)
    if modes is not None:
        _validate_schema(ctx, paths.failure_modes, modes.data, "failure_modes")
        _check_failure_modes(ctx, paths.failure_modes, modes.data)
    if bench is not None:
        _validate_schema(ctx, paths.benchmark, bench.data, "benchmark")
        _check_benchmark(ctx, paths.benchmark, bench)

    loaded = {"skills": skills, "tools": tools_doc, "failure_modes": modes, "benchmark": bench}
    result.data = {kind: document.data for kind, document in loaded.items() if document is not None}
    registry_files = {paths.skills, paths.tools, paths.failure_modes, paths.benchmark}
    result.data["cases"] = {path: doc.data for path, doc in ctx.documents.items() if path not in registry_files}
    result.counts = {
        "skills": len(_items(skills.data, "skills")) if skills else 0,
        "tools": len(_items(tools_doc.data, "tools")) if tools_doc else 0,
        "failure_modes": len(_items(modes.data, "failure_modes")) if modes else 0,
        "metrics": len(_items(bench.data, "metrics")) if bench else 0,
        "errors": result.errors,
        "warnings": result.warnings,
    }
    ctx.remember_clean()
    return result
