-- skillci store: the weekly report, its delivery record and the nightly metrics snapshots; importing history
-- with its own timestamps (demo data, backfills). Safe to re-run.

-- The weekly report reads a window of runs skill by skill from this index alone (index-only scans).
create index if not exists runs_window_idx on ops.runs
    (skill_id, created_at, status, duration_s, ci_attempts, tokens_in, tokens_out, cost_usd, failure_code);

-- One row per UTC day: the numbers `skillci snapshot` took of it (a later snapshot of the day replaces it).
create table if not exists ops.metrics_snapshots (
    id bigserial not null primary key,
    day date not null,
    metrics jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint metrics_snapshots_day_key unique (day)
);

-- The security model of 20261121000100_ops_security.sql: anon nothing, authenticated reads, service_role all.
revoke all on ops.metrics_snapshots from public, anon, authenticated;
revoke all on sequence ops.metrics_snapshots_id_seq from public, anon, authenticated;
grant select on ops.metrics_snapshots to authenticated;
grant select, insert, update, delete on ops.metrics_snapshots to service_role;
grant usage, select on sequence ops.metrics_snapshots_id_seq to service_role;
alter table ops.metrics_snapshots enable row level security;
drop policy if exists service_role_all on ops.metrics_snapshots;
create policy service_role_all on ops.metrics_snapshots as permissive for all to service_role
    using (true) with check (true);
drop policy if exists authenticated_read on ops.metrics_snapshots;
create policy authenticated_read on ops.metrics_snapshots as permissive for select to authenticated using (true);

-- The weekly report's numbers for runs and gate decisions created in [since, until):
-- {"since": timestamptz, "until": timestamptz, "top_failures": 0..1000, "recent_gates": 0..1000} →
-- {"skills": [...], "totals": {...}, "daily": [...], "failures": [...], "tiers": [...], "gates": {...}}.
-- The shape and every definition are in scripts/skillci/weekly.py; the SQLite store computes the same numbers
-- (scripts/skillci/store/sql.py). Ids and codes are ordered bytewise (collate "C"), as SQLite orders them.
-- A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_weekly_report(payload jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
set work_mem = '64MB'
set jit = off
as $$
declare
    since timestamptz;
    until timestamptz;
    top_n integer;
    recent_n integer;
    option text;
    per_skill jsonb;
    totals jsonb;
    daily jsonb;
    failures jsonb;
    tiers jsonb;
    gates jsonb;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'weekly report: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'since') is distinct from 'string'
        or jsonb_typeof(payload -> 'until') is distinct from 'string'
        or payload ->> 'since' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' or payload ->> 'until' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then
        raise exception 'weekly report: since and until must be ISO 8601 times' using errcode = 'invalid_parameter_value';
    end if;
    begin
        since := (payload ->> 'since')::timestamptz;
        until := (payload ->> 'until')::timestamptz;
    exception when others then
        raise exception 'weekly report: since and until must be ISO 8601 times' using errcode = 'invalid_parameter_value';
    end;
    if until <= since then
        raise exception 'weekly report: until must be after since' using errcode = 'invalid_parameter_value';
    end if;
    foreach option in array array['top_failures', 'recent_gates'] loop
        if jsonb_typeof(payload -> option) is distinct from 'number' then
            raise exception 'weekly report: % must be an integer from 0 to 1000', option
                using errcode = 'invalid_parameter_value';
        elsif (payload ->> option)::numeric not between 0 and 1000
            or (payload ->> option)::numeric <> trunc((payload ->> option)::numeric) then
            raise exception 'weekly report: % must be an integer from 0 to 1000', option
                using errcode = 'invalid_parameter_value';
        end if;
    end loop;
    top_n := (payload ->> 'top_failures')::integer;
    recent_n := (payload ->> 'recent_gates')::integer;

    -- Every pass reads a window of runs skill by skill: one range of runs_window_idx per skill (index-only).
    -- Per skill and all together (the empty grouping set) in one pass; percentiles over finished runs.
    with grouped as (
        select grouping(s.id) = 1 as whole, s.id as skill_id,
               count(*) as runs,
               count(*) filter (where r.status in ('succeeded', 'failed', 'timed_out')) as finished,
               count(*) filter (where r.status = 'succeeded') as succeeded,
               percentile_cont(array[0.5, 0.9]::double precision[]) within group (order by r.duration_s)
                   filter (where r.status in ('succeeded', 'failed', 'timed_out')) as pct,
               coalesce(sum(r.ci_attempts - 1) filter (where r.ci_attempts > 1), 0) as retries,
               coalesce(sum(r.tokens_in), 0) as tokens_in,
               coalesce(sum(r.tokens_out), 0) as tokens_out,
               coalesce(sum(r.cost_usd), 0) as cost_usd
          from ops.skills s
          join lateral (
            select x.status, x.duration_s, x.ci_attempts, x.tokens_in, x.tokens_out, x.cost_usd
              from ops.runs x
             where x.skill_id = s.id and x.created_at >= since and x.created_at < until
          ) r on true
         group by grouping sets ((s.id), ())
    ), numbers as (
        select g.whole, g.skill_id, jsonb_build_object(
                   'runs', g.runs, 'finished', g.finished, 'succeeded', g.succeeded,
                   'p50_s', g.pct[1], 'p90_s', g.pct[2], 'retries', g.retries,
                   'tokens_in', g.tokens_in, 'tokens_out', g.tokens_out, 'cost_usd', g.cost_usd) as body
          from grouped g
    )
    select coalesce(jsonb_agg(jsonb_build_object('skill_id', n.skill_id) || n.body
                              order by n.skill_id collate "C") filter (where not n.whole), '[]'::jsonb),
           (jsonb_agg(n.body) filter (where n.whole)) -> 0
      into per_skill, totals
      from numbers n;

    -- Each UTC day the window touches is one range of created_at (no per-run date arithmetic), read skill by
    -- skill; so are the failure codes. (work_mem keeps the percentiles' sorts in memory; compiling these
    -- queries (jit) costs more than it saves.)
    with days as (
        select d::date as day,
               greatest(d at time zone 'UTC', since) as starts, least((d + interval '1 day') at time zone 'UTC', until) as ends
          from generate_series(date_trunc('day', since at time zone 'UTC'),
                               (until at time zone 'UTC') - interval '1 microsecond', interval '1 day') d
    ), counted as (
        select d.day, sum(c.runs) as runs, sum(c.finished) as finished, sum(c.succeeded) as succeeded
          from days d
          cross join ops.skills s
          cross join lateral (
            select count(*) as runs,
                   count(*) filter (where x.status in ('succeeded', 'failed', 'timed_out')) as finished,
                   count(*) filter (where x.status = 'succeeded') as succeeded
              from ops.runs x
             where x.skill_id = s.id and x.created_at >= d.starts and x.created_at < d.ends
          ) c
         group by d.day
        having sum(c.runs) > 0
    )
    select coalesce(jsonb_agg(jsonb_build_object(
               'day', to_char(c.day, 'YYYY-MM-DD'), 'runs', c.runs, 'finished', c.finished,
               'succeeded', c.succeeded) order by c.day), '[]'::jsonb)
      into daily
      from counted c;

    select coalesce(jsonb_agg(jsonb_build_object(
               'code', f.code, 'count', f.count, 'runbook', m.runbook, 'severity', m.severity)
               order by f.count desc, f.code collate "C"), '[]'::jsonb)
      into failures
      from (
        select c.code, sum(c.count) as count
          from ops.skills s
          cross join lateral (
            select x.failure_code as code, count(*) as count
              from ops.runs x
             where x.skill_id = s.id and x.created_at >= since and x.created_at < until and x.failure_code is not null
             group by x.failure_code
          ) c
         group by c.code
         order by sum(c.count) desc, c.code collate "C"
         limit top_n
      ) f
      left join ops.failure_modes m on m.code = f.code;

    with latest as (
        select distinct on (b.skill_id) b.skill_id, b.tier
          from ops.agent_benchmark_results b
         where b.created_at < until
         order by b.skill_id, b.created_at desc, b.id desc
    ), earlier as (
        select distinct on (b.skill_id) b.skill_id, b.tier
          from ops.agent_benchmark_results b
         where b.created_at < since
         order by b.skill_id, b.created_at desc, b.id desc
    )
    select coalesce(jsonb_agg(jsonb_build_object('skill_id', l.skill_id, 'before', e.tier, 'after', l.tier)
                              order by l.skill_id collate "C"), '[]'::jsonb)
      into tiers
      from latest l
      left join earlier e on e.skill_id = l.skill_id
     where e.tier is distinct from l.tier;

    select jsonb_build_object(
               'total', count(*), 'passed', count(*) filter (where g.passed),
               'recent_failures', coalesce((
                   select jsonb_agg(jsonb_build_object(
                              'created_at', to_char(f.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                              'commit_sha', f.commit_sha, 'pr_number', f.pr_number, 'run_url', f.run_url,
                              'failing_skills', case when jsonb_typeof(f.numbers -> 'failing_skills') = 'array'
                                                     then f.numbers -> 'failing_skills' else '[]'::jsonb end)
                              order by f.created_at desc, f.id desc)
                     from (
                       select x.* from ops.gate_results x
                        where x.created_at >= since and x.created_at < until and not x.passed
                        order by x.created_at desc, x.id desc
                        limit recent_n
                     ) f), '[]'::jsonb))
      into gates
      from ops.gate_results g
     where g.created_at >= since and g.created_at < until;

    return jsonb_build_object(
        'skills', per_skill, 'totals', totals, 'daily', daily, 'failures', failures, 'tiers', tiers, 'gates', gates);
end
$$;

-- The status of one notification, "sent" or "failed", or null when none was recorded:
-- {"idempotency_key": text (1 to 200 characters)}. A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_notification_status(payload jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    -- ops.notifications has a column named payload too: the argument is read here, before any query
    key text := payload ->> 'idempotency_key';
    valid boolean := jsonb_typeof(payload -> 'idempotency_key') is not distinct from 'string';
begin
    if not valid or length(key) not between 1 and 200 then
        raise exception 'notification: idempotency_key must be a string of 1 to 200 characters'
            using errcode = 'invalid_parameter_value';
    end if;
    return (select to_jsonb(n.status) from ops.notifications n where n.idempotency_key = key);
end
$$;

-- Record one delivery attempt: {"channel": text (1 to 32 characters), "period": text (1 to 16),
-- "idempotency_key": text (1 to 200), "status": "sent" | "failed", "payload": object | null}; no other keys.
-- An upsert on idempotency_key: the last attempt's status and payload are kept; sent_at is the time of the
-- call when it was sent, else null. Returns {"id", "status"}. A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_record_notification(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    unknown text;
    body jsonb;
    written jsonb;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'notification: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    select string_agg(k, ', ' order by k) into unknown
      from jsonb_object_keys(payload) k
     where k not in ('channel', 'period', 'idempotency_key', 'status', 'payload');
    if unknown is not null then
        raise exception 'notification: unknown key(s) %', unknown using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'channel') is distinct from 'string'
        or length(payload ->> 'channel') not between 1 and 32 then
        raise exception 'notification: channel must be a string of 1 to 32 characters'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'period') is distinct from 'string'
        or length(payload ->> 'period') not between 1 and 16 then
        raise exception 'notification: period must be a string of 1 to 16 characters'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'idempotency_key') is distinct from 'string'
        or length(payload ->> 'idempotency_key') not between 1 and 200 then
        raise exception 'notification: idempotency_key must be a string of 1 to 200 characters'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'status') is distinct from 'string' or payload ->> 'status' not in ('sent', 'failed') then
        raise exception 'notification: status must be sent or failed' using errcode = 'invalid_parameter_value';
    end if;
    if coalesce(jsonb_typeof(payload -> 'payload'), 'null') not in ('null', 'object') then
        raise exception 'notification: payload must be a JSON object or null' using errcode = 'invalid_parameter_value';
    end if;

    body := nullif(payload -> 'payload', 'null'::jsonb);
    insert into ops.notifications as n (channel, period, idempotency_key, status, payload, sent_at)
    values (payload ->> 'channel', payload ->> 'period', payload ->> 'idempotency_key', payload ->> 'status', body,
            case when payload ->> 'status' = 'sent' then now() end)
    on conflict (idempotency_key) do update set
        channel = excluded.channel, period = excluded.period, status = excluded.status,
        payload = excluded.payload, sent_at = excluded.sent_at
    returning jsonb_build_object('id', n.id, 'status', n.status) into written;
    return written;
end
$$;

-- Record the metrics snapshot of one UTC day: {"day": "YYYY-MM-DD", "metrics": object}, replacing that day's
-- earlier snapshot (same row, new metrics). Returns {"id", "created"}. A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_record_snapshot(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    snapshot_day date;
    snapshot_id bigint;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'snapshot: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'day') is distinct from 'string'
        or payload ->> 'day' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
        raise exception 'snapshot: day must be a date like 2026-11-20' using errcode = 'invalid_parameter_value';
    end if;
    begin
        snapshot_day := (payload ->> 'day')::date;
    exception when others then
        raise exception 'snapshot: day must be a date like 2026-11-20' using errcode = 'invalid_parameter_value';
    end;
    if jsonb_typeof(payload -> 'metrics') is distinct from 'object' then
        raise exception 'snapshot: metrics must be a JSON object' using errcode = 'invalid_parameter_value';
    end if;

    insert into ops.metrics_snapshots (day, metrics)
    values (snapshot_day, payload -> 'metrics')
    on conflict (day) do nothing
    returning id into snapshot_id;
    if found then
        return jsonb_build_object('id', snapshot_id, 'created', true);
    end if;
    update ops.metrics_snapshots set metrics = payload -> 'metrics', updated_at = now()
     where day = snapshot_day
    returning id into snapshot_id;
    return jsonb_build_object('id', snapshot_id, 'created', false);
end
$$;

-- Import rows that carry their own created_at (demo data, backfills), in one transaction:
-- {"runs": [runs rows], "bench_results": [agent_benchmark_results rows], "gates": [gate_results rows]}.
-- Idempotent: runs and gates by idempotency_key, bench results by (bench_id, skill_id); rows already stored
-- are kept. Returns the rows written now per table: {"runs", "bench_results", "gates"}.
create or replace function ops.skillci_record_history(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    runs_written integer;
    results_written integer;
    gates_written integer;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'history: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    if exists (select from jsonb_array_elements(coalesce(payload -> 'runs', '[]')) e
                where jsonb_typeof(e -> 'idempotency_key') is distinct from 'string'
                   or jsonb_typeof(e -> 'created_at') is distinct from 'string')
        or exists (select from jsonb_array_elements(coalesce(payload -> 'gates', '[]')) e
                    where jsonb_typeof(e -> 'idempotency_key') is distinct from 'string'
                       or jsonb_typeof(e -> 'created_at') is distinct from 'string')
        or exists (select from jsonb_array_elements(coalesce(payload -> 'bench_results', '[]')) e
                    where jsonb_typeof(e -> 'bench_id') is distinct from 'string'
                       or jsonb_typeof(e -> 'created_at') is distinct from 'string') then
        raise exception 'history: every row needs created_at and its key (idempotency_key, or bench_id for results)'
            using errcode = 'invalid_parameter_value';
    end if;

    insert into ops.runs (
        id, skill_id, status, source, idempotency_key, case_id, git_sha, branch, started_at, finished_at,
        duration_s, ci_attempts, changed_lines, time_to_green_s, tokens_in, tokens_out, cost_usd, output,
        failure_code, error_message, error_fingerprint, created_at, updated_at)
    select r.id, r.skill_id, r.status, coalesce(r.source, 'production'), r.idempotency_key, r.case_id, r.git_sha,
           r.branch, r.started_at, r.finished_at, r.duration_s, r.ci_attempts, r.changed_lines, r.time_to_green_s,
           r.tokens_in, r.tokens_out, r.cost_usd, r.output, r.failure_code, r.error_message, r.error_fingerprint,
           r.created_at, r.created_at
      from jsonb_populate_recordset(null::ops.runs, coalesce(payload -> 'runs', '[]')) r
    on conflict (idempotency_key) do nothing;
    get diagnostics runs_written = row_count;

    insert into ops.agent_benchmark_results (
        skill_id, cache_key, composite_score, tier, cases_passed, cases_total, metrics, missing_metrics,
        git_sha, branch, bench_id, created_at)
    select b.skill_id, b.cache_key, b.composite_score, b.tier, b.cases_passed, b.cases_total, b.metrics,
           b.missing_metrics, b.git_sha, b.branch, b.bench_id, b.created_at
      from jsonb_populate_recordset(
               null::ops.agent_benchmark_results, coalesce(payload -> 'bench_results', '[]')) b
    on conflict (bench_id, skill_id) do nothing;
    get diagnostics results_written = row_count;

    insert into ops.gate_results (passed, thresholds, numbers, commit_sha, pr_number, run_url, idempotency_key,
                                  created_at)
    select g.passed, g.thresholds, g.numbers, g.commit_sha, g.pr_number, g.run_url, g.idempotency_key, g.created_at
      from jsonb_populate_recordset(null::ops.gate_results, coalesce(payload -> 'gates', '[]')) g
    on conflict (idempotency_key) do nothing;
    get diagnostics gates_written = row_count;

    return jsonb_build_object('runs', runs_written, 'bench_results', results_written, 'gates', gates_written);
end
$$;

revoke all on function ops.skillci_weekly_report(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_notification_status(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_record_notification(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_record_snapshot(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_record_history(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_weekly_report(jsonb) to service_role;
grant execute on function ops.skillci_notification_status(jsonb) to service_role;
grant execute on function ops.skillci_record_notification(jsonb) to service_role;
grant execute on function ops.skillci_record_snapshot(jsonb) to service_role;
grant execute on function ops.skillci_record_history(jsonb) to service_role;
