-- replaces: 20261128000100 20261128000200 20261128000300 20261128000500 20261128000600 20261202100000 20261202110000 20261202130000 20261202130100 20261202180000 20261202185000
--
-- The whole schema from nothing, as the eleven migrations above left it (squashed before the
-- first release). shared/store/migrate.py reads the line above: a database that ran all
-- eleven gets this file recorded without running it; one that ran only some is refused
-- (docs/operations.md, "Baseline migration"). Values exist here only as AES-256-GCM
-- ciphertext; KEKs only wrapped by the root key.

-- Projects and members ------------------------------------------------------------------

-- MeshHook's projects table (created only if absent; compatible with MeshHook's own)
-- and per-project membership with the roles of MeshHook PRD #142.
create table if not exists public.projects (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null references auth.users (id) on delete cascade,
  name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.project_members (
  project_id uuid not null references public.projects (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('admin', 'editor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (project_id, user_id)
);

create index if not exists project_members_user_id_idx on public.project_members (user_id);

-- Row-level security asks "which projects does the caller belong to?"
-- (meshhook.member_project_ids) in every request-path statement, and its first half reads
-- projects by owner. Without an index that is a scan of every project on the platform per
-- statement: with 100,000 projects a create cost 48 ms of database time instead of 0.7 ms.
-- MeshHook's own projects table may already have such an index under another name, so one
-- is added only if no index leads with owner. (On a large table, build it first with
-- CREATE INDEX CONCURRENTLY on (owner): this then skips it.)
do $$
begin
  if not exists (
    select 1 from pg_index i
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
     where i.indrelid = 'public.projects'::regclass and a.attname = 'owner' and i.indpred is null
  ) then
    create index projects_owner_idx on public.projects (owner);
  end if;
end $$;

-- Private schema for helpers: not exposed through Supabase's Data API.
create schema if not exists meshhook;
revoke all on schema meshhook from public;

-- The role every request-path query runs under (SET ROLE per transaction). Row-level
-- security applies to it: it is not a superuser, owns nothing, and cannot bypass RLS.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'meshhook_api') then
    create role meshhook_api nologin nosuperuser noinherit nobypassrls;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

grant meshhook_api to current_user;
grant usage on schema meshhook to meshhook_api;

-- Key-encryption keys -------------------------------------------------------------------

create table public.secret_keks (
  id bigint generated always as identity primary key,
  state text not null default 'active' check (state in ('active', 'retired')),
  -- NULL once destroyed: a retired KEK that no DEK references any more.
  wrapped_key bytea,
  root_key_id text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz,
  destroyed_at timestamptz,
  check (wrapped_key is not null or destroyed_at is not null),
  check (state = 'retired' or destroyed_at is null)
);

-- Exactly one active KEK at any time (at most one by index; rotation swaps in one transaction).
create unique index secret_keks_one_active on public.secret_keks ((true)) where state = 'active';

-- A DEK may only be wrapped under the active KEK. FOR SHARE conflicts with the update that
-- retires a KEK, so a writer holding a stale keyring either finishes before the rotation
-- sees the KEK retired (and is then re-wrapped by it) or is refused after; no row can end
-- up under a KEK that rotation has destroyed.
create function meshhook.require_active_kek() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform 1 from public.secret_keks k where k.id = new.kek_id and k.state = 'active' for share;
  if not found then
    raise exception 'KEK % is not active', new.kek_id using errcode = 'MH001';
  end if;
  return new;
end;
$$;

-- Secrets and their versions --------------------------------------------------------------

-- A secret's metadata and the number of its current version; every value it has held is a
-- row of project_secret_versions (issue #13).
create table public.project_secrets (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  name text not null check (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  description text check (char_length(description) <= 500),
  version integer not null default 1 check (version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_used_at timestamptz,
  rotation_period_days integer check (rotation_period_days between 1 and 3650),
  -- When the current version was made (rotation reminders count from it). Description-only
  -- updates move updated_at, not this.
  version_created_at timestamptz not null default now(),
  constraint project_secrets_id_project_key unique (id, project_id)
);

-- Names are unique per project ignoring case: API_KEY and api_key would be confusing.
create unique index project_secrets_project_name_key
  on public.project_secrets (project_id, lower(name));

-- Each version has its own DEK, bound to its version number: its binding is
-- (project, secret, version [, KEK id]).
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

create trigger project_secret_versions_active_kek
  before insert or update of kek_id on public.project_secret_versions
  for each row execute function meshhook.require_active_kek();

-- Audit trail ----------------------------------------------------------------------------

-- Resolve writes ONE event per call (issue #17), naming every secret it returned in
-- secret_ids: a resolve of one name fills secret_id, secret_name and metadata {"version"}
-- too; a resolve of several leaves secret_id and secret_name NULL and lists {"id", "name",
-- "version"} of each secret in metadata.secrets, in name order. The audit query by secret
-- (shared/store/audit.py) matches secret_id = X or secret_ids @> {X}, each through its index.
create table public.secret_audit_events (
  id bigint generated always as identity primary key,
  project_id uuid,                -- NULL for system events (KEK rotation, rekey)
  secret_id uuid,                 -- no foreign key: the trail outlives the secret
  secret_name text,
  actor_type text not null check (actor_type in ('user', 'runner', 'service', 'system')),
  actor_id text,
  run_id text,
  action text not null,
  outcome text not null check (outcome in ('success', 'denied', 'failure')),
  metadata jsonb not null default '{}'::jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz not null default now(),
  secret_ids uuid[]
);

create index secret_audit_events_project_idx on public.secret_audit_events (project_id, id desc);
create index secret_audit_events_secret_idx on public.secret_audit_events (secret_id, id desc);
create index secret_audit_events_secret_ids_idx
  on public.secret_audit_events using gin (secret_ids) where secret_ids is not null;
-- Reveals are rate-limited per user and project, counted from the audit trail itself
-- (so the limit holds across every Lambda container). This index served that count when it
-- counted reveals only; shared/store/audit.py now counts reveals, copies and exports through
-- the next one, so a later migration may drop this one (kept here: the baseline builds
-- exactly what the files it replaces built).
create index secret_audit_events_actor_recent_idx
  on public.secret_audit_events (project_id, actor_id, created_at)
  where action = 'reveal' and outcome = 'success';
-- Reveals, copies and exports share one per-minute limit, counted from the audit trail.
create index secret_audit_events_reveals_idx
  on public.secret_audit_events (project_id, actor_id, created_at)
  where action in ('reveal', 'copy', 'export') and outcome = 'success';

-- The trail is append-only for every role, the owner included.
create function meshhook.reject_audit_change() returns trigger
language plpgsql
as $$
begin
  raise exception 'secret_audit_events is append-only' using errcode = 'insufficient_privilege';
end;
$$;

create trigger secret_audit_events_append_only
  before update or delete on public.secret_audit_events
  for each row execute function meshhook.reject_audit_change();

create trigger secret_audit_events_no_truncate
  before truncate on public.secret_audit_events
  for each statement execute function meshhook.reject_audit_change();

-- Who the caller is ------------------------------------------------------------------------
--
-- The caller is described by the verified JWT claims the service sets per transaction
-- (request.jwt.claims): a user (role "authenticated", sub = user id), a workflow run
-- (role "workflow_runner", project_id), or Supabase's service_role.

create function meshhook.claims() returns jsonb
language sql stable
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;

create function meshhook.is_service() returns boolean
language sql stable
as $$ select coalesce(meshhook.claims() ->> 'role' = 'service_role', false) $$;

-- The project a workflow-run token is scoped to, or NULL for any other caller.
create function meshhook.runner_project_id() returns uuid
language sql stable
as $$
  select case when meshhook.claims() ->> 'role' = 'workflow_runner'
              then (meshhook.claims() ->> 'project_id')::uuid end
$$;

create function meshhook.role_rank(p_role text) returns integer
language sql immutable
as $$ select array_position(array['viewer', 'editor', 'admin'], p_role) $$;

-- The caller's role in a project: the owner is an admin without a member row.
-- SECURITY DEFINER so policies can read membership without granting it to callers.
create function meshhook.project_role(p_project uuid) returns text
language sql stable security definer set search_path = ''
as $$
  select case
    when auth.uid() is null or meshhook.claims() ->> 'role' is distinct from 'authenticated' then null
    when exists (select 1 from public.projects p where p.id = p_project and p.owner = auth.uid())
      then 'admin'
    else (select m.role from public.project_members m
           where m.project_id = p_project and m.user_id = auth.uid())
  end
$$;

-- The projects in which the calling user holds at least p_min_role (MeshHook's
-- "list the caller's project ids" helper, role-aware).
create function meshhook.member_project_ids(p_min_role text) returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select p.id from public.projects p
   where p.owner = auth.uid() and meshhook.claims() ->> 'role' = 'authenticated'
  union
  select m.project_id from public.project_members m
   where m.user_id = auth.uid() and meshhook.claims() ->> 'role' = 'authenticated'
     and meshhook.role_rank(m.role) >= meshhook.role_rank(p_min_role)
$$;

-- Project metadata for a caller who belongs to it; nothing at all otherwise.
create function meshhook.project_for_caller(p_project uuid)
returns table (id uuid, name text, role text)
language sql stable security definer set search_path = ''
as $$
  select p.id, p.name,
         case when meshhook.is_service() then 'admin'
              when meshhook.runner_project_id() = p.id then 'runner'
              else meshhook.project_role(p.id) end
    from public.projects p
   where p.id = p_project
     and (meshhook.is_service() or meshhook.runner_project_id() = p.id
          or meshhook.project_role(p.id) is not null)
$$;

-- The functions so far (these helpers and the two trigger functions above) are the API
-- role's alone; each service function below gets its grants beside it. The trigger function
-- runner_touches_only_last_used keeps Postgres's default (a trigger's function is not
-- checked for EXECUTE when it fires).
revoke all on all functions in schema meshhook from public, anon, authenticated;
grant execute on all functions in schema meshhook to meshhook_api;

-- Row-level security ---------------------------------------------------------------------
--
-- Who may touch which rows, enforced by Postgres itself. The service checks roles too;
-- these policies are the last line, so a query that forgets its WHERE clause still
-- only sees the caller's projects.

-- Secret rows.
alter table public.project_secrets enable row level security;
revoke all on public.project_secrets from public, anon, authenticated, service_role;
grant select, insert, delete on public.project_secrets to meshhook_api;
-- Column privileges make id, project_id and name immutable, even to hand-written SQL.
grant update (description, version, updated_at, last_used_at, rotation_period_days, version_created_at)
  on public.project_secrets to meshhook_api;

-- Who may read, create and delete a secret: below, written once with its versions'.
create policy project_secrets_update on public.project_secrets for update to meshhook_api
  using ((select meshhook.is_service())
         or project_id = (select meshhook.runner_project_id())
         or project_id in (select meshhook.member_project_ids('editor')))
  with check ((select meshhook.is_service())
              or project_id = (select meshhook.runner_project_id())
              or project_id in (select meshhook.member_project_ids('editor')));

-- A workflow run may only record that it used a secret, never change one.
create function meshhook.runner_touches_only_last_used() returns trigger
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

create trigger project_secrets_runner_guard
  before update on public.project_secrets
  for each row execute function meshhook.runner_touches_only_last_used();

-- Secret versions. Versions are immutable on the request path (no UPDATE privilege at
-- all); only KEK rotation, running as the service's own role, re-wraps their DEKs.
alter table public.project_secret_versions enable row level security;
revoke all on public.project_secret_versions from public, anon, authenticated, service_role;
grant select, insert, delete on public.project_secret_versions to meshhook_api;

-- A secret and its versions follow the same membership rules, so they are written once for
-- both tables: read by any member, by a run of the project and by the service; created and
-- deleted by editors and admins. A version's policy checks its own project_id rather than
-- reading through its secret's row: that extra join cost about 50 us to plan and 50 us to
-- run on every read of a version. Only a secret's row is updated (project_secrets_update).
do $$
declare
  t text;
begin
  foreach t in array array['project_secrets', 'project_secret_versions'] loop
    execute format($p$create policy %I on public.%I for select to meshhook_api
      using ((select meshhook.is_service())
             or project_id = (select meshhook.runner_project_id())
             or project_id in (select meshhook.member_project_ids('viewer')))$p$, t || '_select', t);
    execute format($p$create policy %I on public.%I for insert to meshhook_api
      with check ((select meshhook.is_service())
                  or project_id in (select meshhook.member_project_ids('editor')))$p$, t || '_insert', t);
    execute format($p$create policy %I on public.%I for delete to meshhook_api
      using ((select meshhook.is_service())
             or project_id in (select meshhook.member_project_ids('editor')))$p$, t || '_delete', t);
  end loop;
end $$;

-- KEKs: never reachable from the request path or the Data API.
alter table public.secret_keks enable row level security;
revoke all on public.secret_keks from public, anon, authenticated, service_role, meshhook_api;

-- Audit trail.
alter table public.secret_audit_events enable row level security;
revoke all on public.secret_audit_events from public, anon, authenticated, service_role;
grant select, insert on public.secret_audit_events to meshhook_api;

create policy secret_audit_events_insert on public.secret_audit_events for insert to meshhook_api
  with check ((select meshhook.is_service())
              or project_id = (select meshhook.runner_project_id())
              or project_id in (select meshhook.member_project_ids('viewer')));

create policy secret_audit_events_select on public.secret_audit_events for select to meshhook_api
  using ((select meshhook.is_service())
         or project_id in (select meshhook.member_project_ids('admin')));

-- Projects and members, for MeshHook's own Data API use.
alter table public.project_members enable row level security;
revoke all on public.project_members from anon;

create policy project_members_select on public.project_members for select to authenticated
  using (project_id in (select meshhook.member_project_ids('viewer')));
create policy project_members_admin_write on public.project_members for all to authenticated
  using (project_id in (select meshhook.member_project_ids('admin')))
  with check (project_id in (select meshhook.member_project_ids('admin')));

grant execute on function meshhook.member_project_ids(text) to authenticated;
grant usage on schema meshhook to authenticated;

do $$
begin
  -- Only when this feature created the projects table; MeshHook's own keeps its policies.
  if not exists (select 1 from pg_policies where schemaname = 'public' and tablename = 'projects') then
    alter table public.projects enable row level security;
    revoke all on public.projects from anon;
    create policy projects_member_select on public.projects for select to authenticated
      using (id in (select meshhook.member_project_ids('viewer')));
    create policy projects_owner_write on public.projects for all to authenticated
      using (owner = auth.uid()) with check (owner = auth.uid());
  end if;
end $$;

-- The service's functions --------------------------------------------------------------

-- Resolve as a function, so its plan is cached per database session. A statement sent
-- by the client is planned on every call (no server-side prepared statements: the
-- service runs behind a transaction-mode pooler), and this one, with row-level security
-- expanded three times, cost more to plan than to run. SECURITY INVOKER: it runs as the
-- caller (meshhook_api), so every policy still applies. It reads the current version's
-- row, stamps last_used_at and writes one audit event for all it found.
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

revoke all on function meshhook.resolve_for_run(uuid, text[], text, text, text, inet, text) from public;
grant execute on function meshhook.resolve_for_run(uuid, text[], text, text, text, inet, text) to meshhook_api;

-- The checks below are statements that FAIL (issue #17), so a write whose every input is
-- known beforehand travels in one round trip with them: a refused caller's batch stops at
-- its check, and the transaction rolls back having changed nothing. The service maps the
-- codes back (shared/store/errors.py): MH404 is NotFound, exactly as for a missing project;
-- MH403 Forbidden; MH409 the limit's Conflict; MH410 unknown names; MH414 and MH412 a
-- missing or moved-on secret.

-- A resolve is all or nothing inside its one statement, so its COMMIT can travel
-- in the same round trip as the statement: if any requested name is not in the project,
-- the statement FAILS (MH410, the missing names as a JSON array in the detail; names only,
-- never a value), the transaction rolls back the last_used_at stamps and the audit event,
-- and the COMMIT behind it in the batch is never run.
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

-- How many secrets a project holds, for its limit. Under row-level security a count
-- evaluates the policy once per secret: 2.6 times the count itself (154 us instead of 61 us
-- at the default limit of 1,000 secrets). The policy cannot hide a row of a project from a
-- caller who may create in it, so for such a caller (an editor, an admin, the service) the
-- definer counts without it: the same number. Anyone else gets NULL here, and
-- meshhook.require_room then counts with the caller's own rights.
create function meshhook.secret_count(p_project uuid) returns bigint
language sql stable security definer set search_path = ''
as $$
  select count(*) from public.project_secrets s where s.project_id = p_project
   having meshhook.is_service()
       or coalesce(meshhook.role_rank(meshhook.project_role(p_project)), 0) >= meshhook.role_rank('editor')
$$;

revoke all on function meshhook.secret_count(uuid) from public, anon, authenticated;
grant execute on function meshhook.secret_count(uuid) to meshhook_api;

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
  -- A statement of its own after the lock (a VOLATILE function takes a new snapshot per
  -- statement), so it sees every create that committed while this one waited.
  held := coalesce(meshhook.secret_count(p_project),
                   (select count(*) from public.project_secrets s where s.project_id = p_project));
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

-- An update that names the version it replaces (If-Match) knows the new
-- version's number before it reads anything: it seals the value first and sends the whole
-- write at once. This locks the secret's row (FOR UPDATE, as a write that reads first does),
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

-- Sequence privileges ----------------------------------------------------------------------

-- The sequences behind the secret tables' ids (KEKs, audit events) would keep Supabase's
-- default grants: anon and authenticated could nextval()/setval() them through the Data
-- API (burn ids, or reset the audit sequence so inserts collide and audits fail). The
-- function stays so a later migration adding a secret table calls it again
-- (tests/security/test_sequences.py enumerates every sequence, so one forgotten fails).
-- Only this feature's sequences: MeshHook's own tables in public keep their grants.
create function meshhook.revoke_data_api_sequences() returns void
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
