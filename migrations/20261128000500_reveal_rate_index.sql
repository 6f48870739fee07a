-- Reveals are rate-limited per user and project, counted from the audit trail itself
-- (so the limit holds across every Lambda container). This index keeps the count cheap.
create index secret_audit_events_actor_recent_idx
  on public.secret_audit_events (project_id, actor_id, created_at)
  where action = 'reveal' and outcome = 'success';
