-- MeshHook's own tables that this service lives beside, from their published shape
-- (MeshHook's core-tables and RLS migrations): projects, the legacy plaintext secrets,
-- audit_log, the user_project_ids() helper, row-level security with policies in MeshHook's
-- style (for every role, no TO clause; ownership through auth.uid()).
-- A test fixture only: it runs on a database that already has Supabase's auth schema
-- (migrations/compat/ on plain Postgres), BEFORE this service's migrations.

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  owner uuid not null,                        -- a user id; MeshHook declares no foreign key
  name text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index idx_projects_owner on public.projects (owner);

create function public.update_updated_at_column() returns trigger language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end;
$$;

create trigger update_projects_updated_at before update on public.projects
  for each row execute function public.update_updated_at_column();

-- "Encrypted" by name only: MeshHook's web code stores the value's UTF-8 bytes as they are.
create table public.secrets (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  key text not null,
  value_encrypted bytea not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (project_id, key)
);
create index idx_secrets_project_id on public.secrets (project_id);
create trigger update_secrets_updated_at before update on public.secrets
  for each row execute function public.update_updated_at_column();

create table public.audit_log (
  id bigserial primary key,
  project_id uuid references public.projects (id) on delete cascade,
  user_id uuid not null,
  action text not null,
  resource_type text not null,
  resource_id uuid,
  metadata jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz not null default now()
);
create index idx_audit_log_project_id on public.audit_log (project_id);

alter table public.projects enable row level security;
alter table public.secrets enable row level security;
alter table public.audit_log enable row level security;

-- The caller's projects: those they own (MeshHook has no members yet).
create function public.user_project_ids() returns setof uuid
language sql security definer stable
as $$
  select id from public.projects where owner = auth.uid();
$$;

create policy "Users can view own projects" on public.projects
  for select using (owner = auth.uid());
create policy "Users can create own projects" on public.projects
  for insert with check (owner = auth.uid());
create policy "Users can update own projects" on public.projects
  for update using (owner = auth.uid()) with check (owner = auth.uid());
create policy "Users can delete own projects" on public.projects
  for delete using (owner = auth.uid());

create policy "Users can view secrets in own projects" on public.secrets
  for select using (project_id in (select public.user_project_ids()));
create policy "Users can create secrets in own projects" on public.secrets
  for insert with check (project_id in (select public.user_project_ids()));
create policy "Users can update secrets in own projects" on public.secrets
  for update using (project_id in (select public.user_project_ids()))
  with check (project_id in (select public.user_project_ids()));
create policy "Users can delete secrets in own projects" on public.secrets
  for delete using (project_id in (select public.user_project_ids()));

create policy "Users can view audit logs in own projects" on public.audit_log
  for select using (project_id in (select public.user_project_ids()) or user_id = auth.uid());
create policy "Users can create audit logs in own projects" on public.audit_log
  for insert with check (project_id in (select public.user_project_ids()) or user_id = auth.uid());
