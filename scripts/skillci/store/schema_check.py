"""What the shipped Postgres migrations create, and which of it a database lacks (for `db migrate` to repair)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_TABLE = re.compile(r"create table if not exists (ops\.\w+)", re.IGNORECASE)
_INDEX = re.compile(r"create (?:unique )?index if not exists (\w+)\s+on (ops)\.", re.IGNORECASE)
_FUNCTION = re.compile(r"create (?:or replace )?function (ops\.\w+)\(([^)]*)\)", re.IGNORECASE)
_TRIGGER = re.compile(r"create trigger (\w+)\s.*?\bon (ops\.\w+)", re.IGNORECASE | re.DOTALL)
_POLICY = re.compile(r"create policy (\w+) on (ops\.\w+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SchemaObjects:
    """The objects the migrations create: tables, indexes, functions (signatures), triggers and named policies."""

    tables: tuple[str, ...]
    indexes: tuple[str, ...]
    functions: tuple[str, ...]
    triggers: tuple[tuple[str, str], ...]
    policies: tuple[tuple[str, str], ...]


def _signature(name: str, arguments: str) -> str:
    """`ops.f(payload jsonb, n int)` as to_regprocedure wants it: `ops.f(jsonb,int)`."""
    types = [argument.split()[-1] for argument in arguments.split(",") if argument.strip()]
    return f"{name}({','.join(types)})"


def schema_objects(migrations: Sequence[str]) -> SchemaObjects:
    """Every object the migrations' SQL creates by a literal name (policies made in a loop are checked as
    row level security on each table with at least one policy)."""
    text = "\n".join(migrations)
    return SchemaObjects(
        tables=tuple(dict.fromkeys(_TABLE.findall(text))),
        indexes=tuple(dict.fromkeys(f"{schema}.{name}" for name, schema in _INDEX.findall(text))),
        functions=tuple(dict.fromkeys(_signature(name, arguments) for name, arguments in _FUNCTION.findall(text))),
        triggers=tuple(dict.fromkeys(_TRIGGER.findall(text))),
        policies=tuple(dict.fromkeys(_POLICY.findall(text))),
    )


_MISSING = """
select 'table ' || name from unnest(%(tables)s::text[]) as t(name) where to_regclass(name) is null
union all
select 'index ' || name from unnest(%(indexes)s::text[]) as i(name) where to_regclass(name) is null
union all
select 'function ' || name from unnest(%(functions)s::text[]) as f(name) where to_regprocedure(name) is null
union all
select 'trigger ' || name || ' on ' || tab from unnest(%(trigger_names)s::text[], %(trigger_tables)s::text[]) as g(name, tab)
 where not exists (select from pg_trigger where tgname = name and tgrelid = to_regclass(tab))
union all
select 'policy ' || name || ' on ' || tab from unnest(%(policy_names)s::text[], %(policy_tables)s::text[]) as p(name, tab)
 where not exists (select from pg_policy where polname = name and polrelid = to_regclass(tab))
union all
select 'row level security on ' || name from unnest(%(tables)s::text[]) as s(name)
 where to_regclass(name) is not null
   and not exists (
       select from pg_class c where c.oid = to_regclass(name) and c.relrowsecurity
          and exists (select from pg_policy where polrelid = c.oid))
"""


def missing_objects(cursor: Any, objects: SchemaObjects) -> list[str]:
    """What of objects the database lacks, one description each (empty when everything is there)."""
    cursor.execute(
        _MISSING,
        {
            "tables": list(objects.tables),
            "indexes": list(objects.indexes),
            "functions": list(objects.functions),
            "trigger_names": [name for name, _ in objects.triggers],
            "trigger_tables": [table for _, table in objects.triggers],
            "policy_names": [name for name, _ in objects.policies],
            "policy_tables": [table for _, table in objects.policies],
        },
    )
    return [str(row[0]) for row in cursor.fetchall()]
