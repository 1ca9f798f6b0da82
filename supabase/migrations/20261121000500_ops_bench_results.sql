-- skillci store: the bench results recorded at one commit, for the quality gate. Safe to re-run.

-- The latest recorded bench result of each wanted skill at one commit: {"git_sha": text (4 to 64 hex
-- characters, compared ignoring case), "skill_ids": [text]} → {skill_id: {"skill_id", "composite_score",
-- "tier", "cases_passed", "cases_total", "metrics", "missing_metrics", "branch", "created_at" (ISO 8601 in UTC,
-- e.g. 2026-11-21T10:00:00.000000+00:00)}}. The latest is the one with the greatest created_at, ties broken by
-- the greatest id. Skills without a result at the commit (or not in the store) are absent; no skills → {}.
-- A bad payload raises SQLSTATE 22023.
create or replace function ops.skillci_commit_results(payload jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    sha text;
    latest jsonb;
begin
    if jsonb_typeof(payload) is distinct from 'object' then
        raise exception 'commit results: expected a JSON object' using errcode = 'invalid_parameter_value';
    end if;
    sha := payload ->> 'git_sha';
    if jsonb_typeof(payload -> 'git_sha') is distinct from 'string' or sha !~ '^[0-9a-fA-F]{4,64}$' then
        raise exception 'commit results: git_sha must be a string of 4 to 64 hex characters'
            using errcode = 'invalid_parameter_value';
    end if;
    if jsonb_typeof(payload -> 'skill_ids') is distinct from 'array' then
        raise exception 'commit results: skill_ids must be a list of strings' using errcode = 'invalid_parameter_value';
    end if;
    if exists (select from jsonb_array_elements(payload -> 'skill_ids') e where jsonb_typeof(e) <> 'string') then
        raise exception 'commit results: skill_ids must be a list of strings' using errcode = 'invalid_parameter_value';
    end if;

    select coalesce(jsonb_object_agg(r.skill_id, jsonb_build_object(
               'skill_id', r.skill_id, 'composite_score', r.composite_score, 'tier', r.tier,
               'cases_passed', r.cases_passed, 'cases_total', r.cases_total, 'metrics', r.metrics,
               'missing_metrics', r.missing_metrics, 'branch', r.branch,
               'created_at', to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))),
           '{}'::jsonb)
      into latest
      from (
        select distinct on (b.skill_id) b.*
          from ops.agent_benchmark_results b
         where b.skill_id in (select jsonb_array_elements_text(payload -> 'skill_ids'))
           and lower(b.git_sha) = lower(sha)
         order by b.skill_id, b.created_at desc, b.id desc
      ) r;
    return latest;
end
$$;

revoke all on function ops.skillci_commit_results(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_commit_results(jsonb) to service_role;
