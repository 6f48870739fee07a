-- The sequences behind the secret tables' ids (KEKs, audit events) were left with
-- Supabase's default grants: anon and authenticated could nextval()/setval() them through
-- the Data API (burn ids, or reset the audit sequence so inserts collide and audits fail).
-- The tables' own privileges were revoked; their sequences are revoked here, and the
-- function is kept so a later migration adding a secret table calls it again
-- (tests/security/test_sequences.py enumerates every sequence, so one forgotten fails).
-- Only this feature's sequences: MeshHook's own tables in public keep their grants.

create or replace function meshhook.revoke_data_api_sequences() returns void
language plpgsql set search_path = ''
as $$
declare
  seq regclass;
begin
  for seq in
    select s.oid::regclass
      from pg_catalog.pg_class s
      join pg_catalog.pg_namespace n on n.oid = s.relnamespace
     where s.relkind = 'S'
       and (n.nspname = 'meshhook'
            or (n.nspname = 'public' and exists (
                  select 1
                    from pg_catalog.pg_depend d
                    join pg_catalog.pg_class t on t.oid = d.refobjid
                   where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = s.oid
                     and d.refclassid = 'pg_catalog.pg_class'::regclass
                     and d.deptype in ('a', 'i')
                     and (t.relname = 'project_secrets' or t.relname like 'secret\_%'))))
  loop
    execute format('revoke all on sequence %s from public, anon, authenticated, service_role', seq);
  end loop;
end;
$$;

revoke all on function meshhook.revoke_data_api_sequences() from public, anon, authenticated, service_role;

select meshhook.revoke_data_api_sequences();
