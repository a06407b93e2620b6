-- WhatsApp numbers a tenant connected, through Twilio (the tenant's integration) or Meta's Cloud API
-- (credentials per number). Nothing here is secret: every member reads numbers; owners and admins
-- edit the display name, the assigned agent and the active flag, or delete a number, through REST.
-- Connecting needs the provider to accept the credentials first, so rows are inserted only by the
-- whatsapp-numbers Edge Function (service role). Meta's access token, app secret and webhook verify
-- token live in whatsapp_number_secrets, which `authenticated` cannot touch at all.

create table public.whatsapp_numbers (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  provider text not null constraint whatsapp_numbers_provider check (provider in ('twilio', 'meta')),
  display_name text not null
    constraint whatsapp_numbers_display_name_length check (char_length(btrim(display_name)) between 1 and 80),
  -- `whatsapp:+E164`: the address Twilio sends from; for Meta, the number Meta reports (display only).
  address text constraint whatsapp_numbers_address_format check (address ~ '^whatsapp:\+[1-9][0-9]{6,14}$'),
  -- Twilio numbers use the tenant's Twilio integration; it cannot be disconnected while they exist.
  -- No action rather than restrict: checked at the end of the statement, so deleting the tenant
  -- (which cascades to both) still works.
  integration_id uuid references public.integrations (id) on delete no action,
  -- Meta: the Graph API's phone number id and (optionally) the WhatsApp Business Account id.
  phone_number_id text constraint whatsapp_numbers_phone_number_id_format check (phone_number_id ~ '^[0-9]{1,32}$'),
  business_account_id text
    constraint whatsapp_numbers_business_account_id_format check (business_account_id ~ '^[0-9]{1,32}$'),
  -- Deleting an agent unassigns it; an agent that active numbers use cannot be deleted (see the rules).
  assigned_agent_id uuid references public.ai_agents (id) on delete set null,
  -- Active needs an assigned, active AI agent with WhatsApp enabled (whatsapp_number_rules).
  active boolean not null default false,
  -- Webhook health, written by the webhook functions.
  last_webhook_at timestamptz,
  last_error text,
  needs_attention boolean not null default false,
  connected_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint whatsapp_numbers_provider_fields check (
    (provider = 'twilio' and address is not null and integration_id is not null
      and phone_number_id is null and business_account_id is null)
    or (provider = 'meta' and phone_number_id is not null and integration_id is null)
  )
);
-- One number, one workspace: across all tenants, as a provider delivers each number's webhooks once.
create unique index whatsapp_numbers_twilio_address_key on public.whatsapp_numbers (address)
  where provider = 'twilio';
create unique index whatsapp_numbers_meta_phone_number_id_key on public.whatsapp_numbers (phone_number_id)
  where provider = 'meta';
create index whatsapp_numbers_tenant_id_idx on public.whatsapp_numbers (tenant_id, created_at);
create index whatsapp_numbers_integration_id_idx on public.whatsapp_numbers (integration_id);
create index whatsapp_numbers_assigned_agent_id_idx on public.whatsapp_numbers (assigned_agent_id);
create index whatsapp_numbers_connected_by_idx on public.whatsapp_numbers (connected_by);

-- Conversations (a later migration) reference numbers; the `on delete` rule goes on
-- conversations.number_id there. Intended: `on delete cascade`, so deleting a number deletes its
-- conversations and their messages, after the UI has warned how many will go.

-- Meta credentials of one number (Twilio numbers have no row). Ciphertext from _shared/crypto.ts.
create table public.whatsapp_number_secrets (
  number_id uuid primary key references public.whatsapp_numbers (id) on delete cascade,
  access_token_ciphertext text not null,
  access_token_last4 text not null,
  app_secret_ciphertext text not null,
  app_secret_last4 text not null,
  -- What Meta echoes on the webhook subscription check; generated, shown to owners and admins.
  verify_token text not null constraint whatsapp_number_secrets_verify_token_key unique,
  updated_at timestamptz not null default now()
);

-- Sentences for the UI instead of constraint names; what a number is cannot change after connecting.
create function private.prepare_whatsapp_number() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.display_name := btrim(coalesce(new.display_name, ''));
  if char_length(new.display_name) not between 1 and 80 then
    raise exception using errcode = '22023', message = 'A number needs a display name of 1 to 80 characters.';
  end if;
  if new.address is not null and new.address !~ '^whatsapp:\+[1-9][0-9]{6,14}$' then
    raise exception using errcode = '22023',
      message = format('"%s" is not a WhatsApp address. Write it as whatsapp: followed by the number in international format, for example whatsapp:+14155238886.', new.address);
  end if;
  if tg_op = 'UPDATE' then
    if (new.tenant_id, new.provider, new.integration_id, new.phone_number_id)
       is distinct from (old.tenant_id, old.provider, old.integration_id, old.phone_number_id)
       or (new.provider = 'twilio' and new.address is distinct from old.address) then
      raise exception using errcode = '22023',
        message = 'The provider and address of a connected number cannot change. Delete the number and connect the new one instead.';
    end if;
    new.updated_at := now();
  end if;
  return new;
end $$;
create trigger prepare_whatsapp_number before insert or update on public.whatsapp_numbers
  for each row execute function private.prepare_whatsapp_number();

alter table public.whatsapp_numbers enable row level security;
alter table public.whatsapp_number_secrets enable row level security;
revoke all on table public.whatsapp_numbers, public.whatsapp_number_secrets from public, anon, authenticated;
grant all on table public.whatsapp_numbers, public.whatsapp_number_secrets to service_role;
grant select, delete on table public.whatsapp_numbers to authenticated;
grant update (display_name, assigned_agent_id, active) on table public.whatsapp_numbers to authenticated;
-- whatsapp_number_secrets: no grant and no policy for anon or authenticated, on purpose.

create policy "members see their tenants' numbers" on public.whatsapp_numbers
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create policy "owners and admins edit numbers" on public.whatsapp_numbers
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

create policy "owners and admins delete numbers" on public.whatsapp_numbers
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
