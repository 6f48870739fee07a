-- Key-encryption keys, secrets and the audit trail. Values exist here only as
-- AES-256-GCM ciphertext; KEKs only wrapped by the root key.

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

create table public.project_secrets (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  name text not null check (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  description text check (char_length(description) <= 500),
  version integer not null default 1 check (version >= 1),
  kek_id bigint not null references public.secret_keks (id),
  wrapped_dek bytea not null,
  ciphertext bytea not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_used_at timestamptz
);

-- Names are unique per project ignoring case: API_KEY and api_key would be confusing.
create unique index project_secrets_project_name_key
  on public.project_secrets (project_id, lower(name));
-- Rotation looks for DEKs still under an older KEK.
create index project_secrets_kek_id_idx on public.project_secrets (kek_id);

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
  created_at timestamptz not null default now()
);

create index secret_audit_events_project_idx on public.secret_audit_events (project_id, id desc);
create index secret_audit_events_secret_idx on public.secret_audit_events (secret_id, id desc);

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

create trigger project_secrets_active_kek
  before insert or update of kek_id on public.project_secrets
  for each row execute function meshhook.require_active_kek();
