"""Sync planning: what a sync would create, update, deprecate or leave alone. No database here."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "update", "deprecate", "unchanged"]
ACTIONS: tuple[Action, ...] = ("create", "update", "deprecate", "unchanged")


def normalize(value: Any) -> Any:
    """Plain JSON data (dicts with sorted keys, lists, scalars) from loaded YAML."""
    if isinstance(value, Mapping):
        return {str(key): normalize(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [normalize(item) for item in value]
    return value


def content_hash(spec: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a normalised spec."""
    canonical = json.dumps(normalize(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Current:
    """What the store holds for one entity."""

    spec: Mapping[str, Any]
    content_hash: str
    removed: bool


@dataclass(frozen=True)
class Change:
    """One entity's planned action; `diff` maps each changed field to (before, after)."""

    key: str
    action: Action
    spec: Mapping[str, Any] | None
    content_hash: str | None
    diff: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class EntityPlan:
    """The plan for one kind of entity (skills, tools or failure modes)."""

    kind: str
    changes: tuple[Change, ...]

    def counts(self) -> dict[str, int]:
        """How many entities each action touches: created, updated, deprecated, unchanged."""
        names = {"create": "created", "update": "updated", "deprecate": "deprecated", "unchanged": "unchanged"}
        counts = dict.fromkeys(names.values(), 0)
        for change in self.changes:
            counts[names[change.action]] += 1
        return counts

    @property
    def writes(self) -> bool:
        """True when applying the plan changes anything."""
        return any(change.action != "unchanged" for change in self.changes)


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    keys = sorted(set(before) | set(after))
    return {key: (before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)}


def plan_entities(kind: str, desired: Mapping[str, Mapping[str, Any]], current: Mapping[str, Current]) -> EntityPlan:
    """Compare the registry (desired) with the store (current); removed entities are deprecated, never deleted."""
    changes: list[Change] = []
    for key in sorted(desired):
        spec = normalize(desired[key])
        digest = content_hash(spec)
        existing = current.get(key)
        if existing is None:
            changes.append(Change(key, "create", spec, digest))
        elif existing.content_hash != digest or existing.removed:
            diff = _diff(existing.spec, spec)
            if existing.removed:
                diff["removed"] = (True, False)
            changes.append(Change(key, "update", spec, digest, diff))
        else:
            changes.append(Change(key, "unchanged", spec, digest))
    for key in sorted(set(current) - set(desired)):
        existing = current[key]
        action: Action = "unchanged" if existing.removed else "deprecate"
        changes.append(Change(key, action, None, existing.content_hash))
    return EntityPlan(kind, tuple(changes))
