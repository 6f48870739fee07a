-- A resolve is all or nothing inside its one statement (issue #17), so its COMMIT can travel
-- in the same round trip as the statement: if any requested name is not in the project,
-- the statement FAILS (MH410, the missing names as a JSON array in the detail; names only,
-- never a value), the transaction rolls back the last_used_at stamps and the audit event,
-- and the COMMIT behind it in the batch is never run. Before, the service compared the
-- rows with the names itself and sent the COMMIT in a second trip.
--
-- The service calls it as (shared/store/secrets.py, resolve_sealed)
--   with r as materialized (select * from meshhook.resolve_for_run(...))
--   select r.* from r where meshhook.require_every_name((select array_agg(...) from r), names)
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
