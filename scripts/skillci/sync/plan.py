"""Sync planning: what a sync would create, update, deprecate or leave alone. No database here."""

from __future__ import annotations

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
    """sha256 of the canonical JSON of a spec (sorted keys, no whitespace): layout and key order do not count."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib  # 4 ms to load OpenSSL: only when a plan is made

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


#: The registry's kinds of entity, in the order a sync applies them, and the key of each.
KINDS: dict[str, str] = {"tools": "id", "failure_modes": "code", "skills": "id"}

#: The table columns each kind's rows carry, besides `spec` and `content_hash` (all come from the spec).
ROW_COLUMNS: dict[str, tuple[str, ...]] = {
    "tools": ("id", "description", "allowed_in_skills"),
    "failure_modes": (
        "code",
        "category",
        "severity",
        "description",
        "runbook",
        "http_status",
        "retryable",
        "ci_behavior",
    ),
    "skills": ("id", "name", "description", "executor", "max_duration_s", "owner", "status"),
}

#: The order in which results show the kinds.
DISPLAY_ORDER = ("skills", "tools", "failure_modes")

#: What a store holds: for each kind, each key's current state.
RegistryState = Mapping[str, Mapping[str, Current]]


def desired_state(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The registry's entities by kind and key, from the validated documents (keyed by kind)."""
    lists = {"skills": ("skills", "skills"), "tools": ("tools", "tools"), "failure_modes": ("failure_modes",) * 2}
    desired: dict[str, dict[str, Any]] = {}
    for kind, key in KINDS.items():
        document, list_key = lists[kind]
        items = (data.get(document) or {}).get(list_key) or []
        desired[kind] = {str(item[key]): normalize(item) for item in items}
    return desired


def state_from_json(document: Mapping[str, Any]) -> dict[str, dict[str, Current]]:
    """A RegistryState from the JSON a store returns: {kind: [{key, spec, content_hash, removed}]}."""
    return {
        kind: {
            str(row["key"]): Current(row["spec"], str(row["content_hash"]), bool(row["removed"]))
            for row in document.get(kind) or []
        }
        for kind in KINDS
    }


def row_for(kind: str, spec: Mapping[str, Any], digest: str) -> dict[str, Any]:
    """The table row of one entity: its columns, its whole spec and its content hash."""
    return {**{column: spec.get(column) for column in ROW_COLUMNS[kind]}, "spec": spec, "content_hash": digest}


@dataclass(frozen=True)
class SyncPlan:
    """The plan for the whole registry: one EntityPlan per kind."""

    entities: Mapping[str, EntityPlan]

    @property
    def writes(self) -> bool:
        """True when applying the plan changes anything."""
        return any(plan.writes for plan in self.entities.values())

    def counts(self) -> dict[str, dict[str, int]]:
        """Counts per kind: created, updated, deprecated, unchanged."""
        return {kind: self.entities[kind].counts() for kind in DISPLAY_ORDER if kind in self.entities}

    def payload(self, *, git_sha: str | None) -> dict[str, Any]:
        """What a store applies: rows to create or update and keys to deprecate, per kind."""
        payload: dict[str, Any] = {"git_sha": git_sha}
        for kind, plan in self.entities.items():
            upsert = [
                row_for(kind, change.spec, change.content_hash)
                for change in plan.changes
                if change.action in ("create", "update") and change.spec is not None and change.content_hash
            ]
            deprecate = [change.key for change in plan.changes if change.action == "deprecate"]
            payload[kind] = {"upsert": upsert, "deprecate": deprecate}
        return payload


def plan_sync(desired: Mapping[str, Mapping[str, Any]], state: RegistryState) -> SyncPlan:
    """Plan a sync of every kind: the registry (desired) against what the store holds (state)."""
    return SyncPlan({kind: plan_entities(kind, desired.get(kind, {}), state.get(kind, {})) for kind in KINDS})
