-- What a Supabase project already has and a plain Postgres lacks: the API roles and the auth helpers the
-- migrations' policies use. Each piece is created only when missing, exactly as Supabase defines it.
-- Roles belong to the whole cluster, while the migrate lock is per database: a migration of another database may
-- create a role between the check and the creation, which is then as good as done.
do $$
declare
    role_name text;
begin
    foreach role_name in array array['anon', 'authenticated', 'service_role'] loop
        if not exists (select from pg_roles where rolname = role_name) then
            begin
                execute format('create role %I nologin noinherit', role_name);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

do $$
begin
    if to_regprocedure('auth.role()') is null then
        execute $f$
            create function auth.role() returns text language sql stable as $b$
                select coalesce(
                    nullif(current_setting('request.jwt.claim.role', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
                )::text
            $b$
        $f$;
    end if;
    if to_regprocedure('auth.jwt()') is null then
        execute $f$
            create function auth.jwt() returns jsonb language sql stable as $b$
                select coalesce(
                    nullif(current_setting('request.jwt.claim', true), ''),
                    nullif(current_setting('request.jwt.claims', true), '')
                )::jsonb
            $b$
        $f$;
    end if;
    if to_regprocedure('auth.uid()') is null then
        execute $f$
            create function auth.uid() returns uuid language sql stable as $b$
                select coalesce(
                    nullif(current_setting('request.jwt.claim.sub', true), ''),
                    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
                )::uuid
            $b$
        $f$;
    end if;
end
$$;

create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
