"""Sync planning, without a database."""

from __future__ import annotations

from skillci.registry.yamlpos import loads
from skillci.sync.plan import Current, content_hash, normalize, plan_entities


def test_content_hash_ignores_key_order_and_yaml_positions() -> None:
    a, _ = loads("id: x\nname: X\ntags: [a, b]\n")
    b, _ = loads("name: X\n\ntags: [a, b]\nid: x\n")
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash({**normalize(a), "tags": ["b", "a"]})
    assert normalize(a) == {"id": "x", "name": "X", "tags": ["a", "b"]}


def test_plan_creates_updates_deprecates_and_leaves_alone() -> None:
    same = {"id": "same", "name": "Same"}
    changed_before = {"id": "changed", "name": "Old", "owner": "a"}
    changed_after = {"id": "changed", "name": "New", "owner": "a"}
    current = {
        "same": Current(same, content_hash(same), removed=False),
        "changed": Current(changed_before, content_hash(changed_before), removed=False),
        "gone": Current({"id": "gone"}, content_hash({"id": "gone"}), removed=False),
        "long-gone": Current({"id": "long-gone"}, content_hash({"id": "long-gone"}), removed=True),
    }
    desired = {"same": same, "changed": changed_after, "new": {"id": "new"}}
    plan = plan_entities("skills", desired, current)
    actions = {change.key: change.action for change in plan.changes}
    assert actions == {
        "changed": "update",
        "new": "create",
        "same": "unchanged",
        "gone": "deprecate",
        "long-gone": "unchanged",
    }
    update = next(change for change in plan.changes if change.key == "changed")
    assert update.diff == {"name": ("Old", "New")}
    assert plan.counts() == {"created": 1, "updated": 1, "deprecated": 1, "unchanged": 2}
    assert plan.writes


def test_a_removed_entity_that_returns_is_an_update() -> None:
    spec = {"id": "back"}
    plan = plan_entities("tools", {"back": spec}, {"back": Current(spec, content_hash(spec), removed=True)})
    (change,) = plan.changes
    assert (change.action, change.diff) == ("update", {"removed": (True, False)})


def test_no_change_writes_nothing() -> None:
    spec = {"id": "a", "name": "A"}
    plan = plan_entities("skills", {"a": spec}, {"a": Current(spec, content_hash(spec), removed=False)})
    assert not plan.writes
    assert plan.counts() == {"created": 0, "updated": 0, "deprecated": 0, "unchanged": 1}


def test_the_payload_carries_rows_to_write_and_keys_to_deprecate() -> None:
    from skillci.sync.plan import plan_sync, row_for

    tool = {"id": "git", "description": "Git", "allowed_in_skills": ["*"]}
    skill = {
        "id": "s",
        "name": "S",
        "description": "d",
        "executor": "e",
        "max_duration_s": 5,
        "owner": "o",
        "status": "active",
    }
    state = {"skills": {"gone": Current({"id": "gone"}, "h", removed=False)}, "tools": {}, "failure_modes": {}}

    plan = plan_sync({"skills": {"s": skill}, "tools": {"git": tool}}, state)
    payload = plan.payload(git_sha="abc1234")

    assert plan.writes
    assert payload["git_sha"] == "abc1234"
    assert payload["skills"] == {"upsert": [row_for("skills", skill, content_hash(skill))], "deprecate": ["gone"]}
    assert payload["skills"]["upsert"][0]["spec"] == skill and payload["skills"]["upsert"][0]["max_duration_s"] == 5
    assert payload["tools"]["upsert"][0]["allowed_in_skills"] == ["*"]
    assert payload["failure_modes"] == {"upsert": [], "deprecate": []}
    assert list(plan.counts()) == ["skills", "tools", "failure_modes"]


def test_desired_state_keys_entities_by_id_and_code() -> None:
    from skillci.sync.plan import desired_state

    data = {
        "skills": {"skills": [{"id": "a", "name": "A"}]},
        "tools": {"tools": [{"id": "t"}]},
        "failure_modes": {"failure_modes": [{"code": "X.Y"}]},
    }
    assert desired_state(data) == {
        "tools": {"t": {"id": "t"}},
        "failure_modes": {"X.Y": {"code": "X.Y"}},
        "skills": {"a": {"id": "a", "name": "A"}},
    }
