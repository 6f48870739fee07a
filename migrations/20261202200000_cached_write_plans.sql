-- The writes of the request path as PL/pgSQL functions, so that Postgres plans each once
-- per connection instead of once per request.
--
-- A statement sent as text (the service binds its parameters on the client, for the
-- transaction-mode pooler) is parsed and planned every time, and planning one under
-- row-level security plans each policy's sub-queries too: measured on a create, parsing and
-- planning were a third of its database time. A PL/pgSQL function keeps the plans of its
-- statements for the life of the server connection (the pooler's, so across clients),
-- like meshhook.resolve_for_run. SECURITY INVOKER: row-level security applies to every
-- statement inside exactly as it does to the same statement sent alone, and each still
-- fails the same way (a constraint, a policy, a trigger).
--
-- The service calls them from shared/store (secrets.py, versions.py, audit.py); each takes
-- arrays, one element per row, so a create of one secret and an import of many are the
-- same call. Nothing here checks who the caller is: the caller's statements before them do
-- (meshhook.require_role), and the policies underneath.

-- Secrets at version 1 (metadata only; their versions go in with insert_versions), in the
-- order given; the rows as stored, for the caller's own columns (shared/store/secrets.py META).
create function meshhook.insert_secrets(
  p_project uuid, p_ids uuid[], p_names text[], p_descriptions text[], p_days integer[]
) returns setof public.project_secrets
language plpgsql volatile security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  return query
  insert into public.project_secrets as s (id, project_id, name, description, version, rotation_period_days)
  select u.id, p_project, u.name, u.description, 1, u.days
    from unnest(p_ids, p_names, p_descriptions, p_days) with ordinality as u(id, name, description, days, n)
   order by u.n
  returning s.*;
end;
$$;

-- One version row per element, each recorded as made by the actor.
create function meshhook.insert_versions(
  p_project uuid, p_actor_type text, p_actor_id text, p_ids uuid[], p_versions integer[],
  p_kek_ids bigint[], p_wrapped_deks bytea[], p_ciphertexts bytea[]
) returns void
language plpgsql volatile security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  insert into public.project_secret_versions (secret_id, project_id, version, kek_id, wrapped_dek,
                                              ciphertext, created_by_type, created_by_id)
  select u.id, p_project, u.version, u.kek_id, u.dek, u.ct, p_actor_type, p_actor_id
    from unnest(p_ids, p_versions, p_kek_ids, p_wrapped_deks, p_ciphertexts) as u(id, version, kek_id, dek, ct);
end;
$$;

-- Point each secret at its new current version, then destroy every version older than the
-- last p_keep of it; the secrets' rows as stored.
create function meshhook.set_current_versions(p_ids uuid[], p_versions integer[], p_keep integer)
returns setof public.project_secrets
language plpgsql volatile security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  return query
  update public.project_secrets s set version = u.version, version_created_at = now(), updated_at = now()
    from unnest(p_ids, p_versions) as u(id, version)
   where s.id = u.id
  returning s.*;
  delete from public.project_secret_versions v
   using unnest(p_ids, p_versions) as u(id, version)
   where v.secret_id = u.id and v.version <= u.version - p_keep;
end;
$$;

-- One audit event per element. A NULL name with p_name_of_row reads the secret's name from
-- its row (a write that never read the row itself).
create function meshhook.insert_events(
  p_project uuid, p_actor_type text, p_actor_id text, p_run_id text, p_action text, p_outcome text,
  p_ip inet, p_user_agent text, p_secret_ids uuid[], p_secret_names text[], p_metadata jsonb[],
  p_name_of_row boolean
) returns void
language plpgsql volatile security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
begin
  insert into public.secret_audit_events (project_id, secret_id, secret_name, actor_type, actor_id,
                                          run_id, action, outcome, metadata, ip_address, user_agent)
  select p_project, u.id,
         coalesce(u.name, case when p_name_of_row
                               then (select s.name from public.project_secrets s where s.id = u.id) end),
         p_actor_type, p_actor_id, p_run_id, p_action, p_outcome, u.meta, p_ip, p_user_agent
    from unnest(p_secret_ids, p_secret_names, p_metadata) with ordinality as u(id, name, meta, n)
   order by u.n;
end;
$$;

revoke all on function meshhook.insert_secrets(uuid, uuid[], text[], text[], integer[]) from public, anon, authenticated;
revoke all on function meshhook.insert_versions(uuid, text, text, uuid[], integer[], bigint[], bytea[], bytea[])
  from public, anon, authenticated;
revoke all on function meshhook.set_current_versions(uuid[], integer[], integer) from public, anon, authenticated;
revoke all on function meshhook.insert_events(uuid, text, text, text, text, text, inet, text, uuid[], text[], jsonb[], boolean)
  from public, anon, authenticated;
grant execute on function meshhook.insert_secrets(uuid, uuid[], text[], text[], integer[]) to meshhook_api;
grant execute on function meshhook.insert_versions(uuid, text, text, uuid[], integer[], bigint[], bytea[], bytea[])
  to meshhook_api;
grant execute on function meshhook.set_current_versions(uuid[], integer[], integer) to meshhook_api;
grant execute on function meshhook.insert_events(uuid, text, text, text, text, text, inet, text, uuid[], text[], jsonb[], boolean)
  to meshhook_api;
