-- Tenants (one company's workspace) and who belongs to each, with which role.

create type public.member_role as enum ('owner', 'admin', 'agent');

create table public.tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null constraint tenants_name_length check (char_length(btrim(name)) between 1 and 80),
  -- The address in URLs: /app/{slug}/…
  slug text not null constraint tenants_slug_key unique
    constraint tenants_slug_format check (slug ~ '^[a-z0-9-]{3,40}$'),
  created_at timestamptz not null default now()
);

create table public.memberships (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.member_role not null default 'agent',
  created_at timestamptz not null default now(),
  primary key (tenant_id, user_id)
);
-- The primary key serves lookups by tenant; this one serves "my tenants" and the user foreign key.
create index memberships_user_id_idx on public.memberships (user_id);
