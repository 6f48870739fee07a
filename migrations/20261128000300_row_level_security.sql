-- Who may touch which rows, enforced by Postgres itself. The service checks roles too;
-- these policies are the last line, so a query that forgets its WHERE clause still
-- only sees the caller's projects.
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

revoke all on all functions in schema meshhook from public, anon, authenticated;
grant execute on all functions in schema meshhook to meshhook_api;

-- Secret rows ---------------------------------------------------------------------------

alter table public.project_secrets enable row level security;
revoke all on public.project_secrets from public, anon, authenticated, service_role;
grant select, insert, delete on public.project_secrets to meshhook_api;
-- Column privileges make id, project_id and name immutable, even to hand-written SQL.
grant update (description, version, kek_id, wrapped_dek, ciphertext, updated_at, last_used_at)
  on public.project_secrets to meshhook_api;

create policy project_secrets_select on public.project_secrets for select to meshhook_api
  using ((select meshhook.is_service())
         or project_id = (select meshhook.runner_project_id())
         or project_id in (select meshhook.member_project_ids('viewer')));

create policy project_secrets_insert on public.project_secrets for insert to meshhook_api
  with check ((select meshhook.is_service())
              or project_id in (select meshhook.member_project_ids('editor')));

create policy project_secrets_update on public.project_secrets for update to meshhook_api
  using ((select meshhook.is_service())
         or project_id = (select meshhook.runner_project_id())
         or project_id in (select meshhook.member_project_ids('editor')))
  with check ((select meshhook.is_service())
              or project_id = (select meshhook.runner_project_id())
              or project_id in (select meshhook.member_project_ids('editor')));

create policy project_secrets_delete on public.project_secrets for delete to meshhook_api
  using ((select meshhook.is_service())
         or project_id in (select meshhook.member_project_ids('editor')));

-- A workflow run may only record that it used a secret, never change one.
create function meshhook.runner_touches_only_last_used() returns trigger
language plpgsql
as $$
begin
  if meshhook.runner_project_id() is not null
     and (new.description, new.version, new.kek_id, new.wrapped_dek, new.ciphertext, new.updated_at)
         is distinct from
         (old.description, old.version, old.kek_id, old.wrapped_dek, old.ciphertext, old.updated_at)
  then
    raise exception 'a workflow run may not modify secrets' using errcode = 'insufficient_privilege';
  end if;
  return new;
end;
$$;

create trigger project_secrets_runner_guard
  before update on public.project_secrets
  for each row execute function meshhook.runner_touches_only_last_used();

-- KEKs: never reachable from the request path or the Data API ---------------------------

alter table public.secret_keks enable row level security;
revoke all on public.secret_keks from public, anon, authenticated, service_role, meshhook_api;

-- Audit trail ----------------------------------------------------------------------------

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

-- Projects and members, for MeshHook's own Data API use ----------------------------------

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
