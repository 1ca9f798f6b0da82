-- skillci store: schema `ops` and its tables. Safe to re-run.
-- Keep in step with scripts/skillci/store/tables.py (tests/stores/test_migrations.py compares them).

create schema if not exists ops;

create table if not exists ops.skills (
    id varchar(64) not null primary key,
    name text not null,
    description text not null,
    executor varchar(64) not null,
    max_duration_s integer not null,
    owner text not null,
    status varchar(32) not null,
    version integer not null,
    spec jsonb not null,
    content_hash varchar(64) not null,
    removed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint skills_max_duration_s_range check (max_duration_s between 1 and 3600),
    constraint skills_version_positive check (version >= 1)
);

create table if not exists ops.skill_versions (
    id bigserial not null primary key,
    skill_id varchar(64) not null references ops.skills (id) on delete cascade,
    version integer not null,
    content_hash varchar(64) not null,
    spec jsonb not null,
    git_sha varchar(64),
    created_at timestamptz not null default now(),
    constraint skill_versions_skill_version_key unique (skill_id, version)
);

create table if not exists ops.tools (
    id varchar(64) not null primary key,
    description text not null,
    allowed_in_skills jsonb not null,
    spec jsonb not null,
    content_hash varchar(64) not null,
    removed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table if not exists ops.failure_modes (
    code varchar(128) not null primary key,
    category varchar(64) not null,
    severity varchar(16) not null,
    description text not null,
    runbook text not null,
    http_status integer,
    retryable boolean not null,
    ci_behavior varchar(32),
    spec jsonb not null,
    content_hash varchar(64) not null,
    removed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint failure_modes_severity_check check (severity in ('critical', 'high', 'medium', 'low'))
);

create table if not exists ops.runs (
    id varchar(36) not null primary key,
    skill_id varchar(64) not null references ops.skills (id),
    status varchar(16) not null,
    source varchar(16) not null,
    idempotency_key varchar(200) not null unique,
    case_id varchar(64),
    git_sha varchar(64),
    branch text,
    started_at timestamptz,
    finished_at timestamptz,
    duration_s double precision,
    ci_attempts integer,
    changed_lines integer,
    time_to_green_s double precision,
    tokens_in bigint,
    tokens_out bigint,
    cost_usd double precision,
    output jsonb,
    failure_code varchar(128),
    error_message text,
    error_fingerprint varchar(64),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint runs_status_check
        check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out')),
    constraint runs_source_check check (source in ('bench', 'production'))
);
create index if not exists runs_skill_created_idx on ops.runs (skill_id, created_at);
create index if not exists runs_created_idx on ops.runs (created_at);

create table if not exists ops.run_events (
    id bigserial not null primary key,
    run_id varchar(36) not null references ops.runs (id) on delete cascade,
    seq integer not null,
    event varchar(32) not null,
    state varchar(64),
    detail jsonb,
    created_at timestamptz not null default now(),
    constraint run_events_run_seq_key unique (run_id, seq)
);

create table if not exists ops.agent_errors (
    id bigserial not null primary key,
    fingerprint varchar(64) not null unique,
    failure_code varchar(128) not null,
    skill_id varchar(64),
    message text not null,
    count integer not null,
    first_seen timestamptz not null,
    last_seen timestamptz not null,
    last_run_id varchar(36),
    constraint agent_errors_count_positive check (count >= 1)
);
create index if not exists agent_errors_code_last_seen_idx on ops.agent_errors (failure_code, last_seen);

create table if not exists ops.agent_benchmark_results (
    id bigserial not null primary key,
    skill_id varchar(64) not null references ops.skills (id),
    cache_key varchar(64) not null,
    composite_score double precision,
    tier varchar(16),
    cases_passed integer not null,
    cases_total integer not null,
    metrics jsonb not null,
    missing_metrics jsonb not null,
    git_sha varchar(64),
    branch text,
    created_at timestamptz not null default now(),
    constraint agent_benchmark_results_cases_check check (cases_passed between 0 and cases_total)
);
create index if not exists agent_benchmark_results_skill_branch_idx
    on ops.agent_benchmark_results (skill_id, branch, created_at);

create table if not exists ops.gate_results (
    id bigserial not null primary key,
    passed boolean not null,
    thresholds jsonb not null,
    numbers jsonb not null,
    commit_sha varchar(64),
    pr_number integer,
    run_url text,
    created_at timestamptz not null default now()
);
create index if not exists gate_results_created_idx on ops.gate_results (created_at);

create table if not exists ops.notifications (
    id bigserial not null primary key,
    channel varchar(32) not null,
    period varchar(16) not null,
    idempotency_key varchar(200) not null unique,
    status varchar(16) not null,
    payload jsonb,
    sent_at timestamptz,
    created_at timestamptz not null default now(),
    constraint notifications_status_check check (status in ('sent', 'failed'))
);

create table if not exists ops.memory_entries (
    id bigserial not null primary key,
    owner_id varchar(64) not null,
    key text not null,
    value jsonb not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint memory_entries_owner_key_key unique (owner_id, key)
);
