"""YAML loading that keeps the line and column of every node.

The loader walks libyaml's event stream itself instead of composing a node graph:
it never recurses (deep nesting cannot overflow the C stack), it bounds alias
expansion (in nodes and in characters of text), and it reports duplicate keys at the duplicate's line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml import events
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from skillci.registry.findings import Span

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    MERGE_TAG,
}
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

MAX_DEPTH = 100
MIN_ALIAS_BUDGET = 100_000
#: Aliases may repeat at most this many characters of scalar text, or as many as the file holds if more: a few
#: aliases of one 100 KB string would otherwise pass the node budget and blow up whatever copies the data.
MIN_ALIAS_CHARS = 1_000_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


class YMap(dict[str, Any]):
    """A mapping that remembers where it, its keys and its values are."""

    __slots__ = ("key_spans", "span", "value_spans")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.key_spans: dict[str, Span] = {}
        self.value_spans: dict[str, Span] = {}


class YList(list[Any]):
    """A sequence that remembers where it and its items are."""

    __slots__ = ("item_spans", "span")

    def __init__(self, span: Span) -> None:
        super().__init__()
        self.span = span
        self.item_spans: list[Span] = []


class YamlError(Exception):
    """A file that cannot be read as one YAML document."""

    def __init__(self, code: str, message: str, span: Span, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.span = span
        self.hint = hint


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """A problem found while loading that does not stop the load."""

    code: str
    message: str
    span: Span
    hint: str


@dataclass(slots=True)
class YamlDocument:
    """One loaded file: its data, its lines and what the loader noticed."""

    path: Path
    data: Any
    lines: list[str]
    issues: list[YamlIssue]


def _span(event: Any) -> Span:
    start, end = event.start_mark, event.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _line_col(text: str, position: int) -> Span:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return Span.at(line, column)


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if event.style or tag == "!":
            return event.value
        tag = _RESOLVER.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == STR_TAG:
            return event.value
    if tag not in _SCALAR_TAGS:
        raise YamlError(
            "yaml-tag",
            f"unsupported YAML tag {tag!r}",
            _span(event),
            "registry files hold plain data; remove the tag",
        )
    if tag in (STR_TAG, MERGE_TAG, "tag:yaml.org,2002:timestamp"):
        return event.value
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
        if isinstance(value, float) and not math.isfinite(value):
            raise YamlError(
                "yaml-non-finite",
                f"{event.value!r} is not a finite number",
                _span(event),
                "registries hold finite numbers",
            )
        return value
    except (ValueError, yaml.YAMLError) as exc:
        raise YamlError(
            "yaml-syntax", f"cannot read {event.value!r} as {tag.rsplit(':', 1)[-1]}: {exc}", _span(event)
        ) from None


class _Frame:
    __slots__ = ("anchor", "chars", "container", "merge_next", "merges", "pending_key", "pending_key_span", "size")

    def __init__(self, container: YMap | YList, anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.size = 1
        self.chars = 0
        self.pending_key: str | None = None
        self.pending_key_span: Span | None = None
        self.merge_next = False
        self.merges: list[YMap] = []


def _events(text: str) -> Any:
    return yaml.parse(text, Loader=_LOADER)


def loads(text: str) -> tuple[Any, list[YamlIssue]]:
    """Parse one YAML document from text into YMap/YList/scalars with positions."""
    issues: list[YamlIssue] = []
    anchors: dict[str, tuple[Any, int, int]] = {}  # name → (value, nodes, characters of its scalars)
    open_anchors: set[str] = set()
    stack: list[_Frame] = []
    root: Any = None
    have_root = False
    documents = 0
    real_nodes = 0
    expanded = 0
    expanded_chars = 0
    chars_budget = max(MIN_ALIAS_CHARS, len(text))

    def attach(value: Any, span: Span, size: int, chars: int, plain_merge_key: bool = False) -> None:
        nonlocal root, have_root
        if not stack:
            root, have_root = value, True
            return
        frame = stack[-1]
        frame.size += size
        frame.chars += chars
        container = frame.container
        if isinstance(container, YList):
            container.append(value)
            container.item_spans.append(span)
            return
        if frame.pending_key is None:
            if isinstance(value, (YMap, YList)):
                raise YamlError("yaml-key-type", "a mapping key must be a plain value, not a collection", span)
            key = value if isinstance(value, str) else str(value)
            frame.merge_next = plain_merge_key
            if key in container and not plain_merge_key:  # merges land only at the mapping's end
                first = container.key_spans[key]
                issues.append(
                    YamlIssue(
                        "yaml-duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first.line})",
                        span,
                        "remove one of the two entries; YAML keeps only one of them",
                    )
                )
            frame.pending_key = key
            frame.pending_key_span = span
            return
        key, key_span = frame.pending_key, frame.pending_key_span
        frame.pending_key = None
        assert key_span is not None
        if frame.merge_next:
            frame.merge_next = False
            sources = value if isinstance(value, YList) else [value]
            for source in sources:
                if not isinstance(source, YMap):
                    raise YamlError("yaml-syntax", "a merge key '<<' takes a mapping or a list of mappings", span)
                frame.merges.append(source)
            return
        container[key] = value
        container.key_spans[key] = key_span
        container.value_spans[key] = span

    try:
        for event in _events(text):
            if isinstance(event, events.ScalarEvent):
                real_nodes += 1
                top = stack[-1] if stack else None
                if (
                    event.tag is None
                    and top is not None
                    and isinstance(top.container, YMap)
                    and top.pending_key is None
                ):
                    value = event.value  # keys keep their text: `on:` stays "on"
                else:
                    value = _scalar(event)
                if event.anchor:
                    anchors[event.anchor] = (value, 1, len(event.value))
                plain_merge = event.tag is None and not event.style and event.value == "<<"
                attach(value, _span(event), 1, len(event.value), plain_merge)
            elif isinstance(event, (events.MappingStartEvent, events.SequenceStartEvent)):
                real_nodes += 1
                if event.tag not in _COLLECTION_TAGS:
                    raise YamlError("yaml-tag", f"unsupported YAML tag {event.tag!r}", _span(event))
                if len(stack) >= MAX_DEPTH:
                    raise YamlError(
                        "yaml-too-deep",
                        f"nesting deeper than {MAX_DEPTH} levels",
                        _span(event),
                        "flatten the structure",
                    )
                container: YMap | YList = (
                    YMap(_span(event)) if isinstance(event, events.MappingStartEvent) else YList(_span(event))
                )
                if event.anchor:
                    open_anchors.add(event.anchor)
                stack.append(_Frame(container, event.anchor))
            elif isinstance(event, (events.MappingEndEvent, events.SequenceEndEvent)):
                frame = stack.pop()
                done = frame.container
                start = done.span
                end: Any = event.end_mark
                done.span = Span(start.line, start.column, end.line + 1, end.column + 1)
                if isinstance(done, YMap) and frame.merges:
                    for source in frame.merges:
                        for key, value in source.items():
                            if key not in done:
                                done[key] = value
                                done.key_spans[key] = source.key_spans[key]
                                done.value_spans[key] = source.value_spans[key]
                if frame.anchor:
                    open_anchors.discard(frame.anchor)
                    anchors[frame.anchor] = (done, frame.size, frame.chars)
                attach(done, done.span, frame.size, frame.chars)
            elif isinstance(event, events.AliasEvent):
                name = event.anchor
                if name in open_anchors:
                    raise YamlError("yaml-alias", f"alias *{name} refers to itself", _span(event))
                if name not in anchors:
                    raise YamlError("yaml-alias", f"alias *{name} has no anchor in this document", _span(event))
                value, size, chars = anchors[name]
                expanded += size
                expanded_chars += chars
                if expanded > max(MIN_ALIAS_BUDGET, real_nodes):
                    raise YamlError(
                        "yaml-alias-limit",
                        f"aliases expand to more than {max(MIN_ALIAS_BUDGET, real_nodes)} nodes",
                        _span(event),
                        "this looks like an alias bomb; write the data out instead of nesting aliases",
                    )
                if expanded_chars > chars_budget:
                    raise YamlError(
                        "yaml-alias-limit",
                        f"aliases repeat more than {chars_budget:,} characters of text (the file holds {len(text):,})",
                        _span(event),
                        "this looks like an alias bomb; write the data out instead of repeating large values",
                    )
                attach(value, _span(event), size, chars)
            elif isinstance(event, events.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlError(
                        "yaml-multiple-documents",
                        "more than one YAML document in this file",
                        _span(event),
                        "a registry file holds exactly one document; remove the extra '---'",
                    )
                anchors.clear()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span.at(mark.line + 1, mark.column + 1) if mark is not None else Span.at(1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if "\\t" in problem or "tab" in problem:
            hint = "YAML indentation uses spaces; replace the tab"
        raise YamlError("yaml-syntax", f"invalid YAML: {problem}", span, hint) from None
    except yaml.reader.ReaderError as exc:
        raise YamlError("yaml-encoding", f"invalid character: {exc.reason}", _line_col(text, exc.position)) from None
    except yaml.YAMLError as exc:
        raise YamlError("yaml-syntax", f"invalid YAML: {exc}", Span.at(1)) from None
    return (root if have_root else None), issues


def load_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> YamlDocument:
    """Read and parse a YAML file; raises YamlError for anything that is not one readable document."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlError("file-unreadable", f"cannot read file: {exc.strerror}", Span.at(1)) from None
    if size > max_bytes:
        raise YamlError(
            "file-too-large",
            f"file is {size} bytes, over the limit of {max_bytes}",
            Span.at(1),
            "split the registry or raise limits.max_file_bytes in skillci.yaml",
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(
            "yaml-encoding",
            f"file is not UTF-8 (byte 0x{raw[exc.start]:02x})",
            Span.at(line, column),
            "save the file as UTF-8",
        ) from None
    lines = text.splitlines()
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
        raise YamlError("yaml-empty", "file is empty", Span.at(1), "add the registry content or remove the file")
    data, issues = loads(text)
    return YamlDocument(path=path, data=data, lines=lines, issues=issues)


def span_at(data: Any, path: tuple[str | int, ...], *, key: bool = False) -> Span | None:
    """The span of the node at path inside data (of its key when key=True), if known."""
    node = data
    span: Span | None = getattr(data, "span", None)
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            spans = node.key_spans if (key and last) else node.value_spans
            span = spans.get(part, span)
            node = node[part]
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            span = node.item_spans[part]
            node = node[part]
        else:
            break
    return span


#: The position of a node whose position was not kept (a tree from the parse memo, see skillci.registry.memo).
NOWHERE = Span(0, 0, 0, 0)


def plain_tree(node: Any) -> Any:
    """A loaded tree as plain JSON values; TypeError when JSON cannot hold it exactly (a key that is not text)."""
    if isinstance(node, dict):
        if not all(isinstance(key, str) for key in node):
            raise TypeError("a mapping key is not text")
        return {key: plain_tree(value) for key, value in node.items()}
    if isinstance(node, list):
        return [plain_tree(item) for item in node]
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    raise TypeError(f"cannot keep {type(node).__name__} as JSON")


def bare_tree(data: Any) -> Any:
    """YMap/YList from plain JSON values, every position NOWHERE."""
    if isinstance(data, dict):
        mapping = YMap(NOWHERE)
        for key, value in data.items():
            mapping[key] = bare_tree(value) if isinstance(value, (dict, list)) else value
        return mapping
    if isinstance(data, list):
        sequence = YList(NOWHERE)
        sequence.extend(bare_tree(item) if isinstance(item, (dict, list)) else item for item in data)
        sequence.item_spans = [NOWHERE] * len(sequence)
        return sequence
    return data
