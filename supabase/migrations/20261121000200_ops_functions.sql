-- skillci store: the functions through which skillci writes, so that each sync and each run report is one
-- transaction, also over PostgREST (supabase-py `rpc`). Safe to re-run.

-- What the registry tables hold now: one round trip, however many skills.
create or replace function ops.skillci_registry_state()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select jsonb_build_object(
        'skills', coalesce((
            select jsonb_agg(jsonb_build_object(
                'key', s.id, 'spec', s.spec, 'content_hash', s.content_hash, 'removed', s.removed_at is not null))
            from ops.skills s), '[]'::jsonb),
        'tools', coalesce((
            select jsonb_agg(jsonb_build_object(
                'key', t.id, 'spec', t.spec, 'content_hash', t.content_hash, 'removed', t.removed_at is not null))
            from ops.tools t), '[]'::jsonb),
        'failure_modes', coalesce((
            select jsonb_agg(jsonb_build_object(
                'key', f.code, 'spec', f.spec, 'content_hash', f.content_hash, 'removed', f.removed_at is not null))
            from ops.failure_modes f), '[]'::jsonb)
    )
$$;

-- Apply a sync plan: {"git_sha": …, "skills": {"upsert": [rows], "deprecate": [ids]}, "tools": {…},
-- "failure_modes": {…}}. Serialized by an advisory lock; every row is compared with what is stored under that
-- lock, so a plan applied twice (a retry, or two syncs started together) writes once. Returns what it wrote.
create or replace function ops.skillci_apply_sync(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    at timestamptz := now();
    sha text := payload ->> 'git_sha';
    created integer;
    updated integer;
    deprecated integer;
    result jsonb := '{}'::jsonb;
begin
    perform pg_advisory_xact_lock(hashtextextended('skillci.sync', 0));

    -- tools
    with incoming as (
        select * from jsonb_populate_recordset(null::ops.tools, coalesce(payload #> '{tools,upsert}', '[]'))
    ), changed as (
        select i.*, t.id is null as is_new
        from incoming i left join ops.tools t on t.id = i.id
        where t.id is null or t.content_hash <> i.content_hash or t.removed_at is not null
    ), written as (
        insert into ops.tools as t (id, description, allowed_in_skills, spec, content_hash, created_at, updated_at)
        select id, description, allowed_in_skills, spec, content_hash, at, at from changed
        on conflict (id) do update set
            description = excluded.description, allowed_in_skills = excluded.allowed_in_skills,
            spec = excluded.spec, content_hash = excluded.content_hash, removed_at = null, updated_at = at
        returning t.id
    )
    select count(*) filter (where c.is_new), count(*) filter (where not c.is_new) into created, updated
    from written w join changed c on c.id = w.id;
    with gone as (
        update ops.tools set removed_at = at, updated_at = at
        where removed_at is null
          and id in (select jsonb_array_elements_text(coalesce(payload #> '{tools,deprecate}', '[]')))
        returning 1
    )
    select count(*) into deprecated from gone;
    result := result || jsonb_build_object(
        'tools', jsonb_build_object('created', created, 'updated', updated, 'deprecated', deprecated));

    -- failure modes
    with incoming as (
        select * from jsonb_populate_recordset(
            null::ops.failure_modes, coalesce(payload #> '{failure_modes,upsert}', '[]'))
    ), changed as (
        select i.*, f.code is null as is_new
        from incoming i left join ops.failure_modes f on f.code = i.code
        where f.code is null or f.content_hash <> i.content_hash or f.removed_at is not null
    ), written as (
        insert into ops.failure_modes as f (
            code, category, severity, description, runbook, http_status, retryable, ci_behavior, spec,
            content_hash, created_at, updated_at)
        select code, category, severity, description, runbook, http_status, retryable, ci_behavior, spec,
            content_hash, at, at
        from changed
        on conflict (code) do update set
            category = excluded.category, severity = excluded.severity, description = excluded.description,
            runbook = excluded.runbook, http_status = excluded.http_status, retryable = excluded.retryable,
            ci_behavior = excluded.ci_behavior, spec = excluded.spec, content_hash = excluded.content_hash,
            removed_at = null, updated_at = at
        returning f.code
    )
    select count(*) filter (where c.is_new), count(*) filter (where not c.is_new) into created, updated
    from written w join changed c on c.code = w.code;
    with gone as (
        update ops.failure_modes set removed_at = at, updated_at = at
        where removed_at is null
          and code in (select jsonb_array_elements_text(coalesce(payload #> '{failure_modes,deprecate}', '[]')))
        returning 1
    )
    select count(*) into deprecated from gone;
    result := result || jsonb_build_object(
        'failure_modes', jsonb_build_object('created', created, 'updated', updated, 'deprecated', deprecated));

    -- skills: each created or updated skill gets its next version and one skill_versions row
    with incoming as (
        select * from jsonb_populate_recordset(null::ops.skills, coalesce(payload #> '{skills,upsert}', '[]'))
    ), changed as (
        select i.*, s.id is null as is_new, coalesce(s.version, 0) + 1 as next_version
        from incoming i left join ops.skills s on s.id = i.id
        where s.id is null or s.content_hash <> i.content_hash or s.removed_at is not null
    ), written as (
        insert into ops.skills as s (
            id, name, description, executor, max_duration_s, owner, status, version, spec, content_hash,
            created_at, updated_at)
        select id, name, description, executor, max_duration_s, owner, status, next_version, spec, content_hash,
            at, at
        from changed
        on conflict (id) do update set
            name = excluded.name, description = excluded.description, executor = excluded.executor,
            max_duration_s = excluded.max_duration_s, owner = excluded.owner, status = excluded.status,
            version = excluded.version, spec = excluded.spec, content_hash = excluded.content_hash,
            removed_at = null, updated_at = at
        returning s.id, s.version, s.spec, s.content_hash
    ), versions as (
        insert into ops.skill_versions (skill_id, version, content_hash, spec, git_sha, created_at)
        select id, version, content_hash, spec, sha, at from written
    )
    select count(*) filter (where c.is_new), count(*) filter (where not c.is_new) into created, updated
    from written w join changed c on c.id = w.id;
    with gone as (
        update ops.skills set status = 'deprecated', removed_at = at, updated_at = at
        where removed_at is null
          and id in (select jsonb_array_elements_text(coalesce(payload #> '{skills,deprecate}', '[]')))
        returning 1
    )
    select count(*) into deprecated from gone;
    result := result || jsonb_build_object(
        'skills', jsonb_build_object('created', created, 'updated', updated, 'deprecated', deprecated));
    return result;
end
$$;

-- Runs follow one state machine; any update that breaks it is refused, whoever writes.
create or replace function ops.skillci_run_transition_allowed(old_status text, new_status text)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select old_status = new_status
        or (old_status = 'queued' and new_status in ('running', 'cancelled'))
        or (old_status = 'running' and new_status in ('succeeded', 'failed', 'cancelled', 'timed_out'))
$$;

create or replace function ops.skillci_runs_check_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if not ops.skillci_run_transition_allowed(old.status, new.status) then
        raise exception 'illegal run transition: % -> %', old.status, new.status
            using errcode = 'check_violation', hint = 'runs go queued -> running -> succeeded | failed | cancelled | timed_out';
    end if;
    return new;
end
$$;

drop trigger if exists runs_check_transition on ops.runs;
create trigger runs_check_transition before update of status on ops.runs
    for each row execute function ops.skillci_runs_check_transition();

-- Record one run report: {"run": {…columns, idempotency_key required}, "events": [{seq, event, state, detail}],
-- "error": {"fingerprint", "failure_code", "message", "skill_id"} | null}. Idempotent: a report sent twice
-- changes nothing the second time; an error is counted once per run. Returns {"id", "status", "previous", "created"}.
create or replace function ops.skillci_record_run(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    incoming ops.runs;
    stored ops.runs;
    fresh boolean := false;
    err jsonb := payload -> 'error';
begin
    incoming := jsonb_populate_record(null::ops.runs, payload -> 'run');
    select * into stored from ops.runs where idempotency_key = incoming.idempotency_key for update;
    if not found then
        if not exists (select from ops.skills where id = incoming.skill_id) then
            raise exception 'skill % is not in the store (run `skillci sync` first)', incoming.skill_id
                using errcode = 'foreign_key_violation';
        end if;
        insert into ops.runs (
            id, skill_id, status, source, idempotency_key, case_id, git_sha, branch, started_at, finished_at,
            duration_s, ci_attempts, changed_lines, time_to_green_s, tokens_in, tokens_out, cost_usd, output,
            failure_code, error_message)
        values (
            incoming.id, incoming.skill_id, incoming.status, incoming.source, incoming.idempotency_key,
            incoming.case_id, incoming.git_sha, incoming.branch, incoming.started_at, incoming.finished_at,
            incoming.duration_s, incoming.ci_attempts, incoming.changed_lines, incoming.time_to_green_s,
            incoming.tokens_in, incoming.tokens_out, incoming.cost_usd, incoming.output, incoming.failure_code,
            incoming.error_message)
        on conflict (idempotency_key) do nothing;
        fresh := found;
        select * into stored from ops.runs where idempotency_key = incoming.idempotency_key for update;
        if fresh then
            stored.status := null;
        end if;
    end if;
    if not fresh then
        if stored.skill_id <> incoming.skill_id then
            raise exception 'run % belongs to skill %, not %', stored.id, stored.skill_id, incoming.skill_id
                using errcode = 'check_violation';
        end if;
        update ops.runs set
            status = incoming.status,
            case_id = coalesce(incoming.case_id, case_id), git_sha = coalesce(incoming.git_sha, git_sha),
            branch = coalesce(incoming.branch, branch), started_at = coalesce(incoming.started_at, started_at),
            finished_at = coalesce(incoming.finished_at, finished_at),
            duration_s = coalesce(incoming.duration_s, duration_s),
            ci_attempts = coalesce(incoming.ci_attempts, ci_attempts),
            changed_lines = coalesce(incoming.changed_lines, changed_lines),
            time_to_green_s = coalesce(incoming.time_to_green_s, time_to_green_s),
            tokens_in = coalesce(incoming.tokens_in, tokens_in), tokens_out = coalesce(incoming.tokens_out, tokens_out),
            cost_usd = coalesce(incoming.cost_usd, cost_usd), output = coalesce(incoming.output, output),
            failure_code = coalesce(incoming.failure_code, failure_code),
            error_message = coalesce(incoming.error_message, error_message),
            updated_at = now()
        where id = stored.id;
    end if;

    insert into ops.run_events (run_id, seq, event, state, detail, created_at)
    select stored.id, e.seq, e.event, e.state, e.detail, coalesce(e.created_at, now())
    from jsonb_populate_recordset(null::ops.run_events, coalesce(payload -> 'events', '[]')) e
    on conflict (run_id, seq) do nothing;

    if err is not null and err <> 'null'::jsonb
        and stored.error_fingerprint is distinct from err ->> 'fingerprint' then
        insert into ops.agent_errors as a (
            fingerprint, failure_code, skill_id, message, count, first_seen, last_seen, last_run_id)
        values (
            err ->> 'fingerprint', err ->> 'failure_code', err ->> 'skill_id', err ->> 'message', 1, now(), now(),
            stored.id)
        on conflict (fingerprint) do update set
            count = a.count + 1, last_seen = now(), last_run_id = excluded.last_run_id,
            message = excluded.message;
        update ops.runs set error_fingerprint = err ->> 'fingerprint' where id = stored.id;
    end if;

    return jsonb_build_object(
        'id', stored.id, 'status', incoming.status, 'previous', stored.status, 'created', fresh);
end
$$;

revoke all on function ops.skillci_registry_state() from public, anon, authenticated;
revoke all on function ops.skillci_apply_sync(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_record_run(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_registry_state() to service_role;
grant execute on function ops.skillci_apply_sync(jsonb) to service_role;
grant execute on function ops.skillci_record_run(jsonb) to service_role;
