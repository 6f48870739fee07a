-- Two more checks as statements that FAIL (issue #17; the pattern of
-- ..._checks_as_statements.sql), so a resolve and an update that names the version it
-- replaces each travel in ONE round trip, COMMIT included. The service maps the codes back
-- (shared/store/errors.py).
--
-- A resolve is all or nothing inside its one statement, so its COMMIT can travel
-- in the same round trip as the statement: if any requested name is not in the project,
-- the statement FAILS (MH410, the missing names as a JSON array in the detail; names only,
-- never a value), the transaction rolls back the last_used_at stamps and the audit event,
-- and the COMMIT behind it in the batch is never run. Before, the service compared the
-- rows with the names itself and sent the COMMIT in a second trip.
--
-- The service calls it as (shared/store/secrets.py, resolve_sealed)
--   with r as materialized (select * from meshhook.resolve_for_run(...))
--   select <the columns that open a value> from r
--    where meshhook.require_every_name((select array_agg(lowered_name) from r), names)
-- The missing names are the requested ones absent from what resolve_for_run returned, in
-- its own snapshot: no second look at the table, so no race can name a wrong set.
create function meshhook.require_every_name(p_found text[], p_wanted text[]) returns boolean
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  missing jsonb;
begin
  select jsonb_agg(w order by w) into missing
    from unnest(p_wanted) w
   where w <> all(coalesce(p_found, '{}'));
  if missing is not null then
    raise exception 'unknown secrets' using errcode = 'MH410', detail = missing::text;
  end if;
  return true;
end;
$$;

revoke all on function meshhook.require_every_name(text[], text[]) from public, anon, authenticated;
grant execute on function meshhook.require_every_name(text[], text[]) to meshhook_api;

-- An update that names the version it replaces (If-Match) knows the new
-- version's number before it reads anything: it seals the value first and sends the whole
-- write at once. This locks the secret's row, as the write's own SELECT ... FOR UPDATE did,
-- and fails if there is no such secret the caller can see (MH414: 404) or it is at another
-- version (MH412: 412, the version it is at in the detail). Returns the secret's name.
create function meshhook.require_version(p_project uuid, p_secret uuid, p_version integer) returns text
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  found_version integer;
  found_name text;
begin
  select s.version, s.name into found_version, found_name
    from public.project_secrets s
   where s.project_id = p_project and s.id = p_secret
     for update;
  if found_version is null then
    raise exception 'secret not found' using errcode = 'MH414';
  end if;
  if found_version <> p_version then
    raise exception 'the secret has moved on' using errcode = 'MH412', detail = found_version::text;
  end if;
  return found_name;
end;
$$;

revoke all on function meshhook.require_version(uuid, uuid, integer) from public, anon, authenticated;
grant execute on function meshhook.require_version(uuid, uuid, integer) to meshhook_api;
