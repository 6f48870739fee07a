-- Secret versions (issue #13): every value a secret has held is a row of
-- project_secret_versions, with its own DEK, bound to its version number. project_secrets
-- keeps the metadata and the number of the current version.
--
-- Today's rows move WITHOUT decrypting anything: a value's binding already is
-- (project, secret, version [, KEK id]), so a row's current ciphertext and wrapped DEK become
-- its version row byte for byte, and still open.
--
-- Live database: this file runs as ONE transaction (shared/store/migrate.py). It takes the
-- ACCESS EXCLUSIVE lock on project_secrets first, before reading a row, so no write can land
-- between the copy and the drop of the old columns (a lock taken later, as an upgrade, could
-- also deadlock with a request). Requests queue behind it for the few seconds the copy takes;
-- lock_timeout makes the migration give up (and change nothing) rather than sit in front of
-- traffic while a long transaction holds the table. Rerun it then. Old code still running
-- during a deploy gets errors (its columns are gone), never a wrong value.

set local lock_timeout = '10s';
lock table public.project_secrets in access exclusive mode;
-- The new table's foreign key locks secret_keks; take it now, in a fixed order.
lock table public.secret_keks in share row exclusive mode;

alter table public.project_secrets
  add column rotation_period_days integer check (rotation_period_days between 1 and 3650),
  -- When the current version was made (rotation reminders count from it). Description-only
  -- updates move updated_at, not this.
  add column version_created_at timestamptz,
  add constraint project_secrets_id_project_key unique (id, project_id);

-- Before this migration only updated_at says when the value last changed (it moves on a
-- description change too, so a reminder may come a little late, never early).
update public.project_secrets
   set version_created_at = case when version = 1 then created_at else updated_at end;
alter table public.project_secrets
  alter column version_created_at set not null,
  alter column version_created_at set default now();

create table public.project_secret_versions (
  secret_id uuid not null,
  project_id uuid not null,
  version integer not null check (version >= 1),
  kek_id bigint not null references public.secret_keks (id),
  wrapped_dek bytea not null,
  ciphertext bytea not null,
  created_at timestamptz not null default now(),
  created_by_type text not null check (created_by_type in ('user', 'runner', 'service', 'system')),
  created_by_id text,
  primary key (secret_id, version),
  -- Delete destroys every version; a version row cannot claim another project.
  foreign key (secret_id, project_id) references public.project_secrets (id, project_id)
    on delete cascade
);

-- Rotation looks for DEKs still under an older KEK.
create index project_secret_versions_kek_id_idx on public.project_secret_versions (kek_id);

-- The move. created_by comes from the audit event that made the version, when there is one.
insert into public.project_secret_versions
  (secret_id, project_id, version, kek_id, wrapped_dek, ciphertext, created_at, created_by_type, created_by_id)
select s.id, s.project_id, s.version, s.kek_id, s.wrapped_dek, s.ciphertext, s.version_created_at,
       coalesce(a.actor_type, 'system'), a.actor_id
  from public.project_secrets s
  left join lateral (
    select e.actor_type, e.actor_id from public.secret_audit_events e
     where e.secret_id = s.id and e.action in ('create', 'rotate') and e.outcome = 'success'
       and e.metadata ->> 'version' = s.version::text
     order by e.id desc limit 1
  ) a on true;

-- The old columns go, with what depended on them.
drop trigger project_secrets_active_kek on public.project_secrets;
drop index public.project_secrets_kek_id_idx;
alter table public.project_secrets
  drop column kek_id, drop column wrapped_dek, drop column ciphertext;

-- A DEK may only be wrapped under the active KEK (same function, same reasoning as before:
-- FOR SHARE on the KEK row conflicts with the update that retires it). Created after the
-- copy: a row moved mid-rotation may still be under a retired KEK, which rotation moves on.
create trigger project_secret_versions_active_kek
  before insert or update of kek_id on public.project_secret_versions
  for each row execute function meshhook.require_active_kek();

-- A workflow run may only record that it used a secret, never change one.
create or replace function meshhook.runner_touches_only_last_used() returns trigger
language plpgsql
as $$
begin
  if meshhook.runner_project_id() is not null
     and (new.description, new.version, new.updated_at, new.rotation_period_days, new.version_created_at)
         is distinct from
         (old.description, old.version, old.updated_at, old.rotation_period_days, old.version_created_at)
  then
    raise exception 'a workflow run may not modify secrets' using errcode = 'insufficient_privilege';
  end if;
  return new;
end;
$$;

grant update (rotation_period_days, version_created_at) on public.project_secrets to meshhook_api;

-- Row-level security: the same membership rules as project_secrets. Versions are immutable
-- on the request path (no UPDATE privilege at all); only KEK rotation, running as the
-- service's own role, re-wraps their DEKs.
alter table public.project_secret_versions enable row level security;
revoke all on public.project_secret_versions from public, anon, authenticated, service_role;
grant select, insert, delete on public.project_secret_versions to meshhook_api;

create policy project_secret_versions_select on public.project_secret_versions for select to meshhook_api
  using ((select meshhook.is_service())
         or project_id = (select meshhook.runner_project_id())
         or project_id in (select meshhook.member_project_ids('viewer')));

create policy project_secret_versions_insert on public.project_secret_versions for insert to meshhook_api
  with check ((select meshhook.is_service())
              or project_id in (select meshhook.member_project_ids('editor')));

create policy project_secret_versions_delete on public.project_secret_versions for delete to meshhook_api
  using ((select meshhook.is_service())
         or project_id in (select meshhook.member_project_ids('editor')));

-- The email of a user who is still a member (or the owner) of the project, for a caller
-- who belongs to it; NULL otherwise. auth.users stays unreadable to the API role.
create function meshhook.member_email(p_project uuid, p_user text) returns text
language sql stable security definer set search_path = ''
as $$
  select u.email from auth.users u
   where u.id = case when p_user ~ '^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$'
                     then p_user::uuid end
     and (meshhook.is_service() or meshhook.project_role(p_project) is not null)
     and (exists (select 1 from public.projects p where p.id = p_project and p.owner = u.id)
          or exists (select 1 from public.project_members m
                      where m.project_id = p_project and m.user_id = u.id))
$$;

revoke all on function meshhook.member_email(uuid, text) from public, anon, authenticated;
grant execute on function meshhook.member_email(uuid, text) to meshhook_api;

-- Resolve reads the current version's row. Same signature and result as before.
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

-- Reveals, copies and exports share one per-minute limit, counted from the audit trail. On
-- a large audit table, build this index first with CREATE INDEX CONCURRENTLY (same name)
-- and this statement does nothing.
create index if not exists secret_audit_events_reveals_idx
  on public.secret_audit_events (project_id, actor_id, created_at)
  where action in ('reveal', 'copy', 'export') and outcome = 'success';
