-- Resolve as a function, so its plan is cached per database session. A statement sent
-- by the client is planned on every call (no server-side prepared statements: the
-- service runs behind a transaction-mode pooler), and this one, with row-level security
-- expanded three times, cost more to plan than to run. SECURITY INVOKER: it runs as the
-- caller (meshhook_api), so every policy still applies.
create function meshhook.resolve_for_run(
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
           s.updated_at, s.last_used_at, s.kek_id, s.wrapped_dek, s.ciphertext
      from public.project_secrets s
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
    insert into public.secret_audit_events (project_id, secret_id, secret_name, actor_type,
           actor_id, run_id, action, outcome, metadata, ip_address, user_agent)
    select p_project, f.id, f.name, p_actor_type, p_actor_id, p_run_id, 'resolve', 'success',
           jsonb_build_object('version', f.version), p_ip, p_user_agent
      from found f
  )
  select lower(f.name), f.id, f.project_id, f.name, f.description, f.version, f.created_at,
         f.updated_at, coalesce(f.last_used_at, now()), f.kek_id, f.wrapped_dek, f.ciphertext
    from found f;
end;
$$;

revoke all on function meshhook.resolve_for_run(uuid, text[], text, text, text, inet, text) from public;
grant execute on function meshhook.resolve_for_run(uuid, text[], text, text, text, inet, text) to meshhook_api;
