-- skillci store: benchmark results and the reads the bench and the scorer need. Safe to re-run.

-- A bench invocation names its results, so recording them twice (a retry) writes them once.
alter table ops.agent_benchmark_results add column if not exists bench_id text;
do $$
begin
    if not exists (select from pg_constraint where conname = 'agent_benchmark_results_bench_skill_key') then
        alter table ops.agent_benchmark_results
            add constraint agent_benchmark_results_bench_skill_key unique (bench_id, skill_id);
    end if;
end
$$;

-- What a bench needs to know before it runs: {"skill_ids": [...], "branch": text|null, "git_sha": text|null}
-- → {"known": [skill ids the store has], "baseline": {skill_id: {composite_score, tier, git_sha, branch,
-- created_at}}}. The baseline of a skill is its result at git_sha (the merge-base) when there is one, else
-- its latest result on branch (the default branch).
create or replace function ops.skillci_bench_context(payload jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
    with wanted as (
        select distinct jsonb_array_elements_text(coalesce(payload -> 'skill_ids', '[]')) as id
    ),
    ranked as (
        select r.skill_id, r.composite_score, r.tier, r.git_sha, r.branch, r.created_at,
               row_number() over (
                   partition by r.skill_id
                   order by (r.git_sha = payload ->> 'git_sha') is true desc, r.created_at desc, r.id desc
               ) as position
          from ops.agent_benchmark_results r
          join wanted w on w.id = r.skill_id
         where r.git_sha = payload ->> 'git_sha' or r.branch = payload ->> 'branch'
    )
    select jsonb_build_object(
        'known', coalesce(
            (select jsonb_agg(s.id order by s.id) from ops.skills s join wanted w on w.id = s.id), '[]'::jsonb),
        'baseline', coalesce(
            (select jsonb_object_agg(skill_id, jsonb_build_object(
                        'composite_score', composite_score, 'tier', tier, 'git_sha', git_sha,
                        'branch', branch, 'created_at', created_at))
               from ranked where position = 1), '{}'::jsonb));
$$;

-- Record a bench: {"runs": [run report payloads as for skillci_record_run], "results": [result rows]}, in one
-- transaction. Idempotent: runs by their idempotency keys, results by (bench_id, skill_id).
-- Returns {"runs": runs recorded, "results": results written now}.
create or replace function ops.skillci_record_bench(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    report jsonb;
    written integer;
begin
    for report in select * from jsonb_array_elements(coalesce(payload -> 'runs', '[]')) loop
        perform ops.skillci_record_run(report);
    end loop;
    insert into ops.agent_benchmark_results (
        skill_id, cache_key, composite_score, tier, cases_passed, cases_total, metrics, missing_metrics,
        git_sha, branch, bench_id)
    select r.skill_id, r.cache_key, r.composite_score, r.tier, r.cases_passed, r.cases_total, r.metrics,
           r.missing_metrics, r.git_sha, r.branch, r.bench_id
      from jsonb_populate_recordset(null::ops.agent_benchmark_results, coalesce(payload -> 'results', '[]')) r
    on conflict (bench_id, skill_id) do nothing;
    get diagnostics written = row_count;
    return jsonb_build_object('runs', jsonb_array_length(coalesce(payload -> 'runs', '[]')), 'results', written);
end
$$;

-- Numbers of finished runs per skill in a window, for scoring runs agents recorded:
-- {"skill_ids": [...], "since": timestamptz, "until": timestamptz|null, "source": text}
-- → {skill_id: {"runs", "passed", and the mean of each number over the runs that reported it}}.
-- A run counts in the window by when it finished (when it was recorded, if it never said); cancelled,
-- queued and running runs are not judged.
create or replace function ops.skillci_run_stats(payload jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select coalesce(jsonb_object_agg(skill_id, stats), '{}'::jsonb)
      from (
        select r.skill_id, jsonb_strip_nulls(jsonb_build_object(
                   'runs', count(*), 'passed', count(*) filter (where r.status = 'succeeded'),
                   'duration_s', avg(r.duration_s), 'ci_attempts', avg(r.ci_attempts),
                   'changed_lines', avg(r.changed_lines), 'time_to_green_s', avg(r.time_to_green_s),
                   'tokens_in', avg(r.tokens_in), 'tokens_out', avg(r.tokens_out), 'cost_usd', avg(r.cost_usd)
               )) as stats
          from ops.runs r
         where r.skill_id in (select jsonb_array_elements_text(coalesce(payload -> 'skill_ids', '[]')))
           and r.source = payload ->> 'source'
           and r.status in ('succeeded', 'failed', 'timed_out')
           and coalesce(r.finished_at, r.created_at) >= (payload ->> 'since')::timestamptz
           and (payload ->> 'until' is null or coalesce(r.finished_at, r.created_at) < (payload ->> 'until')::timestamptz)
         group by r.skill_id
      ) per_skill;
$$;

revoke all on function ops.skillci_bench_context(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_record_bench(jsonb) from public, anon, authenticated;
revoke all on function ops.skillci_run_stats(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_bench_context(jsonb) to service_role;
grant execute on function ops.skillci_record_bench(jsonb) to service_role;
grant execute on function ops.skillci_run_stats(jsonb) to service_role;
