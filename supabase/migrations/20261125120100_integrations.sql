-- Tenant-level provider integrations: today only Twilio (Meta's credentials belong to each number).
-- Rows are written only by the twilio-integration Edge Function (service role), after Twilio has
-- accepted the credentials; owners and admins read them. The auth token lives in
-- integration_secrets, which `authenticated` cannot touch at all.

create table public.integrations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  provider text not null constraint integrations_provider check (provider in ('twilio')),
  account_sid text not null constraint integrations_account_sid_format check (account_sid ~ '^AC[0-9a-fA-F]{32}$'),
  -- What Twilio calls the account (its friendly name), for "Connected to …".
  account_name text,
  -- connected: Twilio accepted the credentials when last used; failed: it refused them since.
  status text not null default 'connected' constraint integrations_status check (status in ('connected', 'failed')),
  last_error text,
  verified_at timestamptz not null default now(),
  connected_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint integrations_tenant_id_provider_key unique (tenant_id, provider)
);
create index integrations_connected_by_idx on public.integrations (connected_by);

-- One row per integration; the token is AES-GCM ciphertext made by _shared/crypto.ts.
create table public.integration_secrets (
  integration_id uuid primary key references public.integrations (id) on delete cascade,
  auth_token_ciphertext text not null,
  -- The last four characters, for the masked "••••1234" the UI shows.
  auth_token_last4 text not null,
  updated_at timestamptz not null default now()
);

alter table public.integrations enable row level security;
alter table public.integration_secrets enable row level security;
revoke all on table public.integrations, public.integration_secrets from public, anon, authenticated;
grant all on table public.integrations, public.integration_secrets to service_role;
grant select on table public.integrations to authenticated;
-- integration_secrets: no grant and no policy for anon or authenticated, on purpose.

create policy "owners and admins see their tenants' integrations" on public.integrations
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
