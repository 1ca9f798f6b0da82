-- skillci store: the security model. Safe to re-run.
--   anon           nothing at all
--   authenticated  reads every table; reads and writes only its own rows of memory_entries
--                  (owner_id = the JWT's `sub` claim)
--   service_role   reads and writes everything (CI and agents hold this key)
-- Row level security is on for every table; the table owner (the migrating user) is not subject to it.

revoke all on schema ops from public, anon;
grant usage on schema ops to authenticated, service_role;

revoke all on all tables in schema ops from public, anon, authenticated;
revoke all on all sequences in schema ops from public, anon, authenticated;
grant select on all tables in schema ops to authenticated;
grant insert, update, delete on ops.memory_entries to authenticated;
grant usage on sequence ops.memory_entries_id_seq to authenticated;
grant select, insert, update, delete on all tables in schema ops to service_role;
grant usage, select on all sequences in schema ops to service_role;

do $$
declare
    t text;
begin
    foreach t in array array[
        'skills', 'skill_versions', 'tools', 'failure_modes', 'runs', 'run_events', 'agent_errors',
        'agent_benchmark_results', 'gate_results', 'notifications', 'memory_entries'
    ] loop
        execute format('alter table ops.%I enable row level security', t);
        execute format('drop policy if exists service_role_all on ops.%I', t);
        execute format(
            'create policy service_role_all on ops.%I as permissive for all to service_role using (true) with check (true)',
            t
        );
        execute format('drop policy if exists authenticated_read on ops.%I', t);
        if t <> 'memory_entries' then
            execute format(
                'create policy authenticated_read on ops.%I as permissive for select to authenticated using (true)', t
            );
        end if;
    end loop;
end
$$;

drop policy if exists authenticated_own_rows on ops.memory_entries;
create policy authenticated_own_rows on ops.memory_entries as permissive for all to authenticated
    using (owner_id = (select auth.jwt() ->> 'sub'))
    with check (owner_id = (select auth.jwt() ->> 'sub'));
