-- What else Meta sends to the same callback URL, besides customers' messages and statuses:
-- * `smb_message_echoes`: messages the business sent from the WhatsApp Business app (or another
--   tool) on a coexistence number; they belong in the thread as outbound messages;
-- * `message_template_status_update`: a template approved, rejected, paused or disabled;
-- * `phone_number_quality_update` and `account_update`: quality, messaging limits and account
--   standing, shown on the number's card.
-- Those without a phone number id name the WhatsApp Business Account (`entry.id`), so a delivery is
-- matched to Parley's numbers by phone number id or by business account.

-- What Meta last said about a number's standing (quality, messaging limit, account events).
alter table public.whatsapp_numbers
  add column provider_notice text
    constraint whatsapp_numbers_provider_notice_length check (char_length(provider_notice) <= 500),
  add column provider_notice_at timestamptz;

drop function public.meta_webhook_numbers(text[]);
-- The Meta numbers a delivery names, by phone number id or business account, with app secrets.
create function public.meta_webhook_numbers(phone_number_ids text[], business_account_ids text[] default '{}')
returns table (number_id uuid, tenant_id uuid, phone_number_id text, business_account_id text,
  app_secret_ciphertext text)
language sql stable security definer set search_path = '' as $$
  select n.id, n.tenant_id, n.phone_number_id, n.business_account_id, s.app_secret_ciphertext
  from public.whatsapp_numbers n join public.whatsapp_number_secrets s on s.number_id = n.id
  where n.provider = 'meta' and (n.phone_number_id = any (meta_webhook_numbers.phone_number_ids)
    or n.business_account_id = any (meta_webhook_numbers.business_account_ids))
$$;

-- A message the business sent from elsewhere (the WhatsApp Business app on a coexistence number):
-- stored once as outbound and sent, shown in the thread; it neither counts as unread nor opens the
-- customer's window.
create function private.ingest_echo(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  conversation public.conversations;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);
  insert into public.conversations as c (tenant_id, number_id, contact_id)
  values (number.tenant_id, number.id, found_contact_id)
  on conflict on constraint conversations_number_id_contact_id_key do nothing;
  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for update;

  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media,
    location, content, provider, provider_message_id, status, sent_at)
  values (number.tenant_id, conversation.id, 'outbound', 'agent', message_type, item ->> 'body',
    item -> 'media', item -> 'location', jsonb_build_object('echo', true, 'original', item -> 'content'),
    number.provider, item ->> 'provider_message_id', 'sent',
    least(coalesce((item ->> 'sent_at')::timestamptz, now()), now()))
  on conflict on constraint messages_provider_message_id_key do nothing
  returning m.id into stored_message_id;
  if stored_message_id is null then
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;
  update public.conversations c set
    last_message_preview = private.message_preview(message_type, item ->> 'body', item -> 'media'),
    last_message_at = now(), last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id,
    'inserted', true, 'ai_reply', false);
end $$;

-- One account event for a number: a template's new status, or a notice about the number.
-- Returns whether it concerned this number.
create function private.apply_account_event(number public.whatsapp_numbers, event jsonb) returns boolean
language plpgsql set search_path = '' as $$
declare
  display_digits text := regexp_replace(coalesce(event ->> 'display_phone_number', ''), '[^0-9]', '', 'g');
begin
  if event ->> 'kind' = 'template_status' then
    update public.whatsapp_templates t set status = lower(event ->> 'status'),
      rejection_reason = case when lower(event ->> 'status') = 'rejected' then nullif(event ->> 'reason', 'NONE') end,
      synced_at = now()
    where t.number_id = number.id
      and (t.provider_template_id = event ->> 'template_id'
        or t.name = event ->> 'name' and t.language = event ->> 'language');
    return found;
  end if;
  -- A notice names the number by its display phone; without one it is about the whole account.
  if display_digits <> '' and coalesce(number.address, '') <> ''
     and regexp_replace(number.address, '[^0-9]', '', 'g') <> display_digits then
    return false;
  end if;
  update public.whatsapp_numbers n set provider_notice = left(event ->> 'sentence', 500),
    provider_notice_at = now()
  where n.id = number.id;
  return true;
end $$;

revoke all on function private.ingest_echo(public.whatsapp_numbers, jsonb),
  private.apply_account_event(public.whatsapp_numbers, jsonb) from public;
revoke all on function public.meta_webhook_numbers(text[], text[]) from public, anon, authenticated;
grant execute on function public.meta_webhook_numbers(text[], text[]) to service_role;
