-- Credential health is a state, not a latch. A number that works again loses its "needs attention"
-- and its last error, and the next rejection is a new incident that tells owners and admins again
-- (once per incident, however many sends fail inside it).
-- * A credentials incident opens when a provider rejects a number's credentials
--   (flag_number_credentials) and closes when the credentials are shown to work: a send the
--   provider accepted, a reconnect it verified (record_credentials_working), or a Twilio webhook,
--   which Twilio signs with the same auth token Parley sends with.
-- * A verified Meta webhook proves the app secret, not the access token: it clears other trouble
--   but leaves an open credentials incident alone, so an expired token does not flap between
--   healthy and broken (and alert again) with every customer message.

-- Open credentials incidents, one per number at most (the primary key is what makes "once").
create table private.number_credential_incidents (
  number_id uuid primary key references public.whatsapp_numbers (id) on delete cascade,
  error text not null,
  opened_at timestamptz not null default now()
);
alter table private.number_credential_incidents enable row level security;
revoke all on table private.number_credential_incidents from public, anon, authenticated;

-- Numbers flagged before incidents were kept: their flag stands until the credentials work again.
insert into private.number_credential_incidents (number_id, error)
select n.id, n.last_error from public.whatsapp_numbers n
where n.needs_attention and n.last_error is not null
on conflict do nothing;

-- The number works (a signed webhook was stored, or its credentials were just accepted): clears
-- needs_attention and last_error, and a Twilio integration's failed status. Called for every
-- successful webhook, so it only reads when there is nothing to clear. Security definer (search_path
-- '') because it writes the private incidents and integrations whatever the caller's role.
create function private.mark_number_healthy(number_id uuid) returns void
language plpgsql security definer set search_path = '' as $$
declare
  number record;
begin
  select n.provider, n.needs_attention, n.last_error, n.integration_id into number
  from public.whatsapp_numbers n where n.id = mark_number_healthy.number_id;
  if not found then return; end if;
  if number.provider = 'twilio' then
    delete from private.number_credential_incidents c where c.number_id = mark_number_healthy.number_id;
    update public.integrations i set status = 'connected', last_error = null, verified_at = now(), updated_at = now()
    where i.id = number.integration_id and i.status = 'failed';
  elsif exists (select 1 from private.number_credential_incidents c where c.number_id = mark_number_healthy.number_id) then
    return;
  end if;
  if number.needs_attention or number.last_error is not null then
    update public.whatsapp_numbers n set needs_attention = false, last_error = null
    where n.id = mark_number_healthy.number_id;
  end if;
end $$;

-- The provider accepted these numbers' credentials just now (a send, or a verified reconnect):
-- their credentials incidents close and the numbers are healthy again. Service role only.
create function public.record_credentials_working(number_ids uuid[]) returns void
language plpgsql security definer set search_path = '' as $$
declare
  working uuid;
begin
  foreach working in array coalesce(record_credentials_working.number_ids, '{}') loop
    delete from private.number_credential_incidents c where c.number_id = working;
    perform private.mark_number_healthy(working);
  end loop;
end $$;

-- Credentials stopped working: the number needs attention with the provider's sentence, and the
-- tenant's owners and admins are told when the incident opens (not again until it closes).
-- Returns whether they were told now.
create or replace function public.flag_number_credentials(number_id uuid, error text) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
  opened boolean;
begin
  select * into number from public.whatsapp_numbers n where n.id = flag_number_credentials.number_id;
  if not found then return false; end if;
  insert into private.number_credential_incidents (number_id, error)
  values (number.id, flag_number_credentials.error)
  on conflict on constraint number_credential_incidents_pkey do nothing
  returning true into opened;
  update public.whatsapp_numbers n set needs_attention = true, last_error = flag_number_credentials.error
  where n.id = number.id
    and (not n.needs_attention or n.last_error is distinct from flag_number_credentials.error);
  if not coalesce(opened, false) then return false; end if;
  update public.integrations i set status = 'failed', last_error = flag_number_credentials.error, updated_at = now()
  where i.id = number.integration_id;
  insert into public.notifications (tenant_id, recipient_id, kind, number_id, title, body)
  select number.tenant_id, ms.user_id, 'credentials', number.id,
    format('%s needs attention', number.display_name), flag_number_credentials.error
  from public.memberships ms
  where ms.tenant_id = number.tenant_id and ms.role in ('owner', 'admin');
  return true;
end $$;

revoke all on function private.mark_number_healthy(uuid) from public, anon, authenticated;
revoke all on function public.record_credentials_working(uuid[]) from public, anon, authenticated;
grant execute on function public.record_credentials_working(uuid[]) to service_role;
