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
