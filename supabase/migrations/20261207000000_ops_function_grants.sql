-- Every function of schema ops is for service_role (and the owner) only: the run state machine's check was
-- still executable by PUBLIC, as every new function is by default.
revoke all on function ops.skillci_run_transition_allowed(text, text) from public, anon, authenticated;
revoke all on function ops.skillci_runs_check_transition() from public, anon, authenticated;
grant execute on function ops.skillci_run_transition_allowed(text, text) to service_role;
