-- Invitations to join a tenant. Only a hash of the token is stored: the token itself is shown once,
-- to the inviter, and travels in the invitation link.

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  email text not null constraint invitations_email_format
    check (email = lower(btrim(email)) and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  role public.member_role not null default 'agent',
  token_hash text not null constraint invitations_token_hash_key unique,
  invited_by uuid references auth.users (id) on delete set null,
  accepted_by uuid references auth.users (id) on delete set null,
  accepted_at timestamptz,
  expires_at timestamptz not null default now() + interval '7 days',
  created_at timestamptz not null default now()
);
create index invitations_tenant_id_idx on public.invitations (tenant_id);
create index invitations_invited_by_idx on public.invitations (invited_by);
create index invitations_accepted_by_idx on public.invitations (accepted_by);
