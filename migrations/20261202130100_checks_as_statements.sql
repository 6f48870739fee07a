-- The role check and the per-project limit as statements that FAIL (issue #17), so a write
-- whose every input is known beforehand (a create) travels in one round trip with them: a
-- refused caller's batch stops at its check, and the transaction rolls back having changed
-- nothing. The service maps the codes back (shared/store/errors.py): MH404 is NotFound,
-- exactly as for a missing project; MH403 Forbidden; MH409 the limit's Conflict.

-- The caller's role in the project if at least p_need (viewer < editor < admin; a
-- workflow run is below every role here: it may only resolve). SECURITY INVOKER:
-- project_for_caller reads membership with its own rights.
create function meshhook.require_role(p_project uuid, p_need text) returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare
  found text;
begin
  select f.role into found from meshhook.project_for_caller(p_project) f;
  if found is null then
    raise exception 'project not found' using errcode = 'MH404';
  end if;
  if found = 'runner' or coalesce(meshhook.role_rank(found), 0) < meshhook.role_rank(p_need) then
    raise exception 'this needs the % role in the project', p_need using errcode = 'MH403';
  end if;
  return found;
end;
$$;

-- Serialise creates within one project and count its secrets, under the lock: the count is
-- a statement of its own (a VOLATILE function takes a new snapshot per statement), so it
-- sees every create that committed while this one waited. Fails if p_adding more would
-- pass p_limit; the detail is the count (a number, never a name).
create function meshhook.require_room(p_project uuid, p_limit integer, p_adding integer) returns bigint
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  held bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended(p_project::text, 0));
  select count(*) into held from public.project_secrets s where s.project_id = p_project;
  if held + p_adding > p_limit then
    raise exception 'the project is full' using errcode = 'MH409', detail = held::text;
  end if;
  return held;
end;
$$;

revoke all on function meshhook.require_role(uuid, text) from public, anon, authenticated;
revoke all on function meshhook.require_room(uuid, integer, integer) from public, anon, authenticated;
grant execute on function meshhook.require_role(uuid, text) to meshhook_api;
grant execute on function meshhook.require_room(uuid, integer, integer) to meshhook_api;
