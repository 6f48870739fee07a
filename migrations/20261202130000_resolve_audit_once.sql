-- Resolve writes ONE audit event per call (issue #17), naming every secret it returned in
-- secret_ids, instead of one row per secret (50 names were 50 rows). A resolve of one name
-- keeps the old row exactly (secret_id, secret_name, metadata {"version"}) and secret_ids
-- holds its id too; a resolve of several leaves secret_id and secret_name NULL and lists
-- {"id", "name", "version"} of each secret in metadata.secrets, in name order.
--
-- The audit query by secret (shared/store/audit.py) matches secret_id = X or
-- secret_ids @> {X}, each through its index, and shows a matching multi-secret event as
-- that secret's own (its id, name and version), so the API answers as before.
--
-- Live database: adding a NULL column is instant; the index build blocks audit inserts
-- (every write) while it scans the table. On a large trail, build it first with
-- CREATE INDEX CONCURRENTLY (same name) and this statement does nothing.

alter table public.secret_audit_events add column secret_ids uuid[];

create index if not exists secret_audit_events_secret_ids_idx
  on public.secret_audit_events using gin (secret_ids) where secret_ids is not null;

-- Same signature and result as before; the audit CTE inserts one row for all found.
create or replace function meshhook.resolve_for_run(
  p_project uuid, p_names text[], p_actor_type text, p_actor_id text, p_run_id text,
  p_ip inet, p_user_agent text
) returns table (
  lowered_name text, id uuid, project_id uuid, name text, description text, version integer,
  created_at timestamptz, updated_at timestamptz, last_used_at timestamptz, kek_id bigint,
  wrapped_dek bytea, ciphertext bytea
)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  with found as (
    select s.id, s.project_id, s.name, s.description, s.version, s.created_at,
           s.updated_at, s.last_used_at, v.kek_id, v.wrapped_dek, v.ciphertext
      from public.project_secrets s
      join public.project_secret_versions v on v.secret_id = s.id and v.version = s.version
     where s.project_id = p_project and lower(s.name) = any(p_names)
  ), stamped as (
    -- At most once a minute per secret, and never waiting on a row another run is
    -- stamping (SKIP LOCKED): concurrent runs must not queue or deadlock here.
    update public.project_secrets s set last_used_at = now()
     where s.id in (select t.id from public.project_secrets t
                     where t.id in (select f.id from found f)
                       and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute')
                     for update skip locked)
  ), audit as (
    insert into public.secret_audit_events (project_id, secret_id, secret_name, secret_ids,
           actor_type, actor_id, run_id, action, outcome, metadata, ip_address, user_agent)
    select p_project,
           case when count(*) = 1 then min(f.id::text)::uuid end,
           case when count(*) = 1 then min(f.name) end,
           array_agg(f.id order by f.name),
           p_actor_type, p_actor_id, p_run_id, 'resolve', 'success',
           case when count(*) = 1 then jsonb_build_object('version', min(f.version))
                else jsonb_build_object('secrets', jsonb_agg(jsonb_build_object(
                       'id', f.id, 'name', f.name, 'version', f.version) order by f.name)) end,
           p_ip, p_user_agent
      from found f
    having count(*) > 0
  )
  select lower(f.name), f.id, f.project_id, f.name, f.description, f.version, f.created_at,
         f.updated_at, coalesce(f.last_used_at, now()), f.kek_id, f.wrapped_dek, f.ciphertext
    from found f;
end;
$$;
