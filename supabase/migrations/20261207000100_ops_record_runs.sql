-- skillci store: record a list of run reports all or nothing. Safe to re-run.

-- {"runs": [payload of ops.skillci_record_run, …]} → [{"id", "status", "previous", "created"}, …], in order, in
-- one transaction. A refused report refuses them all: the error keeps its SQLSTATE and its message starts with
-- `report N: ` (N counts from 0), so the caller can name the report's file and line.
create or replace function ops.skillci_record_runs(payload jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    outcomes jsonb[] := '{}';  -- appended in place: a jsonb `||` per report would copy the list each time
    done integer := 0;
    report jsonb;
begin
    if jsonb_typeof(payload -> 'runs') is distinct from 'array' then
        raise exception 'runs must be a JSON array' using errcode = 'invalid_parameter_value';
    end if;
    -- One exception block around the loop, not one per report: each block is a subtransaction, and ten
    -- thousand of them in one transaction cost more than the reports. `done` keeps its value in the handler.
    begin
        for report in select value from jsonb_array_elements(payload -> 'runs') loop
            outcomes := array_append(outcomes, ops.skillci_record_run(report));
            done := done + 1;
        end loop;
    exception when others then
        raise exception 'report %: %', done, sqlerrm using errcode = sqlstate;
    end;
    return to_jsonb(outcomes);
end
$$;

revoke all on function ops.skillci_record_runs(jsonb) from public, anon, authenticated;
grant execute on function ops.skillci_record_runs(jsonb) to service_role;
