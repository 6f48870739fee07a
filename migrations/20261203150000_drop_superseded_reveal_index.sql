-- Drops secret_audit_events_actor_recent_idx, which no statement can use any more.
--
-- The reveal limit once counted successful reveals only, through that partial index
-- (action = 'reveal'). Reveals, copies and exports now share one limit, counted through
-- secret_audit_events_reveals_idx (action in ('reveal', 'copy', 'export')): a query on
-- those three actions can't use an index restricted to one of them, so the old index only
-- cost an index insert per successful reveal. The baseline keeps building it (it builds
-- exactly what the files it replaced built); this drops it.
drop index if exists public.secret_audit_events_actor_recent_idx;
