"""What the code under benchmark sees of skillci's environment, and what it can never learn from it.

An agent gets an allow-listed environment (AGENT_ENV, the LC_* and PYTHON* families, the names the team lists in
`skillci.yaml` `bench.agent_env`, and the run's `SKILLCI_*` variables), never skillci's own. skillci's secrets are
also wiped from the environment block the kernel shows as `/proc/<pid>/environ` (an agent runs as the same user and
could read its parent's), and known secret values are redacted from whatever a run stores or prints.
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from skillci.ledger import REDACTED, url_secrets
from skillci.store.runs import map_scalars

#: Variables every agent gets from skillci's environment, when set.
AGENT_ENV = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM"}
    | {"VIRTUAL_ENV", "CI"}
)
#: …and every variable whose name starts with one of these.
AGENT_ENV_PREFIXES = ("LC_", "PYTHON")
#: The variables of skillci's own secrets (and the usual CI credentials); also any *_TOKEN, *_SECRET, *_PASSWORD.
SECRET_ENV = frozenset(
    {
        "SKILLCI_STORE",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SLACK_WEBHOOK_URL",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "PGPASSWORD",
        "DATABASE_URL",
    }
)
_SECRET_NAME = re.compile(r"(_TOKEN|_SECRET|_PASSWORD|_KEY|_WEBHOOK_URL)$")
#: A value shorter than this is not redacted (it would blank common words and numbers).
MIN_SECRET_LENGTH = 6


def is_secret(name: str) -> bool:
    """Whether a variable holds a secret: a known one, or a *_TOKEN, *_SECRET, *_PASSWORD, *_KEY name."""
    return name in SECRET_ENV or bool(_SECRET_NAME.search(name))


def agent_environment(passed: Iterable[str], run: Mapping[str, str]) -> dict[str, str]:
    """An agent's environment: the allow-list and the names passed on purpose from skillci's, then the run's."""
    wanted = set(passed)
    environment = {
        name: value
        for name, value in os.environ.items()
        if name in AGENT_ENV or name.startswith(AGENT_ENV_PREFIXES) or name in wanted
    }
    environment.update(run)
    return environment


def secret_values(store: str | None = None) -> tuple[str, ...]:
    """The secret values skillci knows: its secret variables' values, the --store URL, and the passwords and
    secret query values inside them (parsed as the ledger parses them: a password may hold `/` or `?`)."""
    values = {value for name, value in os.environ.items() if is_secret(name)}
    if store:
        values.add(store)
    for value in list(values):
        values.update(url_secrets(value))
    # Longest first, so that a URL is replaced whole before the password inside it.
    return tuple(sorted((value for value in values if len(value) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def redact(value: Any, secrets: Sequence[str]) -> Any:
    """A copy of a JSON value (or a string) with every known secret value replaced by ***."""
    if not secrets:
        return value

    def scrub(item: Any) -> Any:
        if isinstance(item, str):
            for secret in secrets:
                if secret in item:
                    item = item.replace(secret, REDACTED)
        return item

    return map_scalars(value, scrub)


def hide_secrets() -> list[str]:
    """Overwrite skillci's secret values in its initial environment block, the one `/proc/<pid>/environ` shows to
    any process of the same user; os.environ and the C environment keep them. Returns the names hidden (none where
    the block cannot be found)."""
    block = _environment_block()
    if block is None:
        return []
    start, data = block
    hidden = []
    offset = 0
    for entry in data.split(b"\0"):
        name, equals, value = entry.partition(b"=")
        text = name.decode("utf-8", "replace")
        if equals and value and is_secret(text) and text in os.environ:
            ctypes.memset(start + offset + len(name) + 1, ord("*"), len(value))
            os.environ[text] = os.environ[text]  # setenv: the C environment now points at a copy
            hidden.append(text)
        offset += len(entry) + 1
    return hidden


def _environment_block() -> tuple[int, bytes] | None:
    """(address, bytes) of this process's initial environment block (Linux: /proc/self/stat fields 50 and 51)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])
        with open("/proc/self/environ", "rb") as environ:
            data = environ.read()
    except (OSError, IndexError, ValueError):
        return None
    if not start or end <= start or len(data) != end - start:
        return None
    return start, data
