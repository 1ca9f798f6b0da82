-- skillci store: quality-gate decisions. Safe to re-run.

-- A gate run names its decision, so recording it twice (a retry) writes it once. Rows from before this
-- migration have no key.
alter table ops.gate_results add column if not exists idempotency_key varchar(200);
do $$
begin
    if not exists (
        select from pg_constraint
         where conrelid = 'ops.gate_results'::regclass and conname = 'gate_results_idempotency_key_key'
    ) then
        alter table ops.gate_results
            add constraint gate_results_idempotency_key_key unique (idempotency_key);
    end if;
end
$$;

-- Record one gate decision: {"passed": boolean, "thresholds": object, "numbers": object,
-- "idempotency_key": text (1 to 200 characters), "commit_sha": text|null (at most 64 characters),
-- "pr_number": positive integer|null, "run_url": text|null}; no other keys. Idempotent: a decision whose
-- idempotency_key is already stored is not written again (whatever else it says).
-- Returns {"id": the row's id, "created": whether it was written now}. A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_record_gate(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    unknown text;
    key text := payload ->> 'idempotency_key';
    pr numeric;
    gate_id bigint;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'gate record: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    select string_agg(k, ', ' order by k) into unknown
      from jsonb_object_keys(payload) k
     where k not in ('passed', 'thresholds', 'numbers', 'commit_sha', 'pr_number', 'run_url', 'idempotency_key');
    if unknown is not null then
        raise exception 'gate record: unknown key(s) %', unknown using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'passed') is distinct from 'boolean' then
        raise exception 'gate record: passed must be true or false' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'thresholds') is distinct from 'object' then
        raise exception 'gate record: thresholds must be a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'numbers') is distinct from 'object' then
        raise exception 'gate record: numbers must be a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'idempotency_key') is distinct from 'string' or length(key) not between 1 and 200 then
        raise exception 'gate record: idempotency_key must be a string of 1 to 200 characters'
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(jsonb_typeof(payload -> 'commit_sha'), 'null') not in ('null', 'string')
        or length(payload ->> 'commit_sha') > 64 then
        raise exception 'gate record: commit_sha must be a string of at most 64 characters or null'
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(jsonb_typeof(payload -> 'pr_number'), 'null') not in ('null', 'number') then
        raise exception 'gate record: pr_number must be a positive integer or null'
            using errcode = 'invalid_parameter_value';
    end if;
    pr := (payload ->> 'pr_number')::numeric;
    if pr <> trunc(pr) or pr not between 1 and 2147483647 then
        raise exception 'gate record: pr_number must be a positive integer or null'
            using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(jsonb_typeof(payload -> 'run_url'), 'null') not in ('null', 'string') then
        raise exception 'gate record: run_url must be a string or null' using errcode = 'invalid_parameter_value';
    end if;

    insert into ops.gate_results (passed, thresholds, numbers, commit_sha, pr_number, run_url, idempotency_key)
    values ((payload ->> 'passed')::boolean, payload -> 'thresholds', payload -> 'numbers', payload ->> 'commit_sha',
            pr::integer, payload ->> 'run_url', key)
    on conflict (idempotency_key) do nothing
    returning id into gate_id;
    if found then
        return jsonb_build_object('id', gate_id, 'created', true);
    end if;
    select id into gate_id from ops.gate_results where idempotency_key = key;
    return jsonb_build_object('id', gate_id, 'created', false);
end
$$;

revoke all on function ops.skillci_record_gate(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_record_gate(jsonb) to service_role;
