"""The JSON-lines ledger: one line per command run, in `.skillci/ledger.jsonl`."""

from __future__ import annotations

import contextvars
import json
import os
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

LEDGER_ENV = "SKILLCI_LEDGER"
_SECRET_NAME = re.compile(r"token|secret|password|passwd|key|webhook|credential|auth", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@", re.IGNORECASE)
_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
#: Secret-looking names of URL query parameters and libpq keywords (`password`, `sslpassword`, `apikey`, ...).
_SECRET_PARAMETER = r"[\w.-]*?(?:pass|secret|token|key|auth|credential)[\w.-]*"
_QUERY_SECRET = re.compile(rf"(?P<lead>[?&;](?:{_SECRET_PARAMETER}))=[^&;#]*", re.IGNORECASE)
_CONNINFO_SECRET = re.compile(
    rf"(?P<lead>(?<![\w.-]){_SECRET_PARAMETER}\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S+)", re.IGNORECASE
)
_counts: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar("skillci_ledger_counts", default=None)

REDACTED = "***"


def note_counts(counts: Mapping[str, int]) -> None:
    """Record the counts of the command now running, for its ledger line."""
    current = dict(_counts.get() or {})
    current.update(counts)
    _counts.set(current)


def take_counts() -> dict[str, int]:
    """The counts noted so far, cleared for the next command."""
    counts = _counts.get() or {}
    _counts.set(None)
    return dict(counts)


def redact(name: str, value: object) -> object:
    """Hide secrets: values of secret-looking options, and credentials inside URLs."""
    if value is None or isinstance(value, bool):
        return value
    if _SECRET_NAME.search(name):
        return REDACTED
    if isinstance(value, (list, tuple)):
        return [redact(name, item) for item in value]
    text = str(value)
    if _URL_SCHEME.match(text):
        return redact_url(text)
    text = _CONNINFO_SECRET.sub(lambda m: f"{m.group('lead')}{REDACTED}", text)
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)


def redact_url(url: str) -> str:
    """A URL with its user information and secret-looking query values as `***`, whatever characters they hold.

    Parsed, not matched (see `_userinfo_end`): a password holding `/`, `?`, `:` or a space is hidden whole, and so
    are query parameters such as `password=`, `sslpassword=` and `apikey=`.
    """
    scheme = _URL_SCHEME.match(url)
    if scheme is None:
        return url
    rest = url[scheme.end() :]
    at = _userinfo_end(rest)
    if at >= 0:
        rest = f"{REDACTED}@{rest[at + 1 :]}"
    rest = _QUERY_SECRET.sub(lambda m: f"{m.group('lead')}={REDACTED}", rest)
    return url[: scheme.end()] + rest


def url_secrets(url: str) -> list[str]:
    """The secret values inside a URL, as written and percent-decoded: its password and secret query values."""
    scheme = _URL_SCHEME.match(url)
    if scheme is None:
        return []
    rest = url[scheme.end() :]
    at = _userinfo_end(rest)
    userinfo = rest[:at] if at >= 0 else ""
    found = [userinfo.split(":", 1)[1]] if ":" in userinfo else []
    found += [m.group(0).split("=", 1)[1] for m in _QUERY_SECRET.finditer(rest[at + 1 :])]
    return [piece for value in found for piece in dict.fromkeys((value, unquote(value))) if piece]


def _userinfo_end(rest: str) -> int:
    """Where the user information of a URL (after `scheme://`) ends: the index of its `@`, or -1 without one.

    It runs to the last `@` before the query, or to the last `@` at all when a `?` with no query after it comes
    first (a password holding `?`): `u:pa?ss@host`, not `host/db?user=a@b`.
    """
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at < 0 and query >= 0 and "=" not in rest[query : rest.rfind("@")]:
        at = rest.rfind("@")
    return at


def ledger_path(root: Path) -> Path | None:
    """Where the ledger goes: $SKILLCI_LEDGER, or .skillci/ledger.jsonl under root; None when turned off."""
    override = os.environ.get(LEDGER_ENV)
    if override is not None:
        return None if override in ("", "off", "0") else Path(override)
    return root / ".skillci" / "ledger.jsonl"


def correlation_id() -> str:
    """The GitHub run id when in Actions, else a fresh id."""
    return os.environ.get("GITHUB_RUN_ID") or uuid.uuid4().hex


def append(
    path: Path,
    *,
    command: str,
    arguments: Mapping[str, object],
    ok: bool,
    exit_code: int,
    duration_s: float,
    counts: Mapping[str, int],
) -> None:
    """Append one ledger line (a single write, so lines never interleave)."""
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "command": command,
        "arguments": {name: redact(name, value) for name, value in arguments.items()},
        "ok": ok,
        "exit_code": exit_code,
        "duration_ms": round(duration_s * 1000, 1),
        "counts": dict(counts),
        "correlation_id": correlation_id(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, default=str, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
