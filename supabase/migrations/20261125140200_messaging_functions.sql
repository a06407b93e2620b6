-- The pipeline's SQL: one call per webhook delivery (ingest_whatsapp_delivery), one per step of a
-- send (queue, record sent or failed), and the lookups the functions need. Delivery and credential
-- functions are security definer and callable only by service_role (the webhook and send Edge
-- Functions); queue_outbound_message and requeue_failed_message run for signed-in members and check
-- membership themselves, because authenticated has no insert or free update on messages.

-- queued < sent < delivered < read; `received` is an inbound message's only status.
create function public.message_status_rank(status text) returns integer
language sql immutable set search_path = '' as $$
  select case status when 'queued' then 1 when 'sent' then 2 when 'delivered' then 3 when 'read' then 4
    when 'failed' then 5 else 0 end
$$;

-- Whether a status callback may move a message from `current` to `next`: forward only, whatever
-- order callbacks arrive in; failed from anything but read; nothing leaves failed but a retry.
create function public.message_status_advances(current text, next text) returns boolean
language sql immutable set search_path = '' as $$
  select case
    when current = 'failed' then false
    when next = 'failed' then current <> 'read'
    else public.message_status_rank(next) > public.message_status_rank(current)
  end
$$;

-- The inbox line for a message: its text, or what it is.
create function private.message_preview(type text, body text, media jsonb) returns text
language sql immutable set search_path = '' as $$
  select left(coalesce(nullif(btrim(body), ''), nullif(btrim(media ->> 'caption'), ''), case type
    when 'image' then 'Photo' when 'audio' then 'Voice message' when 'video' then 'Video'
    when 'document' then coalesce(media ->> 'filename', 'Document') when 'sticker' then 'Sticker'
    when 'location' then 'Location' when 'contacts' then 'Contact card' when 'template' then 'Template message'
    when 'unsupported' then 'A message WhatsApp cannot show here'
    else 'Message' end), 200)
$$;

-- Applies one status to the message with this provider id; a status for an id not stored yet
-- (the callback beat the send's answer) waits in pending_message_statuses. Statuses for ids never
-- stored (messages sent from elsewhere on the same number) would wait forever, so parking one
-- prunes those older than a day: a send's own statuses arrive within seconds of its answer.
create index pending_message_statuses_received_at_idx on private.pending_message_statuses (received_at);

create function private.apply_message_status(provider text, item jsonb) returns void
language plpgsql set search_path = '' as $$
declare
  next_status text := item ->> 'status';
  occurred timestamptz := coalesce((item ->> 'occurred_at')::timestamptz, now());
  found_id uuid;
begin
  select m.id into found_id from public.messages m
  where m.provider = apply_message_status.provider and m.provider_message_id = item ->> 'provider_message_id'
  for update;
  if found_id is null then
    delete from private.pending_message_statuses p where p.received_at < now() - interval '1 day';
    insert into private.pending_message_statuses (provider, provider_message_id, status, error_code, error_message, occurred_at)
    values (apply_message_status.provider, item ->> 'provider_message_id', next_status,
            item ->> 'error_code', item ->> 'error_message', occurred);
    return;
  end if;
  update public.messages m set
    status = next_status,
    sent_at = coalesce(m.sent_at, case when next_status in ('sent', 'delivered', 'read') then occurred end),
    delivered_at = coalesce(m.delivered_at, case when next_status in ('delivered', 'read') then occurred end),
    read_at = coalesce(m.read_at, case when next_status = 'read' then occurred end),
    failed_at = case when next_status = 'failed' then occurred else m.failed_at end,
    error_code = case when next_status = 'failed' then item ->> 'error_code' else m.error_code end,
    error_message = case when next_status = 'failed' then item ->> 'error_message' else m.error_message end,
    updated_at = now()
  where m.id = found_id and public.message_status_advances(m.status, next_status);
end $$;

-- Stores one inbound message (or reaction) of a number: contact, conversation, message once,
-- conversation fields, notifications. Returns {message_id, conversation_id, inserted, ai_reply}.
create function private.ingest_inbound_message(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  conversation public.conversations;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  received timestamptz := least(coalesce((item ->> 'sent_at')::timestamptz, now()), now());
  reopen_archived boolean;
  agent_active boolean;
begin
  insert into public.contacts as c (tenant_id, wa_id, profile_name)
  values (number.tenant_id, item ->> 'wa_id', nullif(item ->> 'profile_name', ''))
  on conflict on constraint contacts_tenant_id_wa_id_key do nothing
  returning c.id into found_contact_id;
  if found_contact_id is null then
    select c.id into found_contact_id from public.contacts c
    where c.tenant_id = number.tenant_id and c.wa_id = item ->> 'wa_id';
    update public.contacts c set profile_name = item ->> 'profile_name', updated_at = now()
    where c.id = found_contact_id and nullif(item ->> 'profile_name', '') is not null
      and c.profile_name is distinct from item ->> 'profile_name';
  end if;

  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for update;
  if not found then
    insert into public.conversations as c (tenant_id, number_id, contact_id)
    values (number.tenant_id, number.id, found_contact_id)
    on conflict on constraint conversations_number_id_contact_id_key do nothing;
    select * into conversation from public.conversations c
    where c.number_id = number.id and c.contact_id = found_contact_id for update;
  end if;

  if message_type = 'reaction' then
    if coalesce(item #>> '{reaction,emoji}', '') = '' then
      delete from public.message_reactions r
      where r.conversation_id = conversation.id and r.target_provider_id = item #>> '{reaction,target_provider_id}'
        and r.reactor = 'customer';
    else
      insert into public.message_reactions as r (tenant_id, conversation_id, message_id, target_provider_id, reactor, emoji, provider_message_id, reacted_at)
      values (number.tenant_id, conversation.id,
        (select m.id from public.messages m where m.conversation_id = conversation.id
          and m.provider_message_id = item #>> '{reaction,target_provider_id}'),
        item #>> '{reaction,target_provider_id}', 'customer', item #>> '{reaction,emoji}',
        item ->> 'provider_message_id', received)
      on conflict on constraint message_reactions_target_key do update
        set emoji = excluded.emoji, provider_message_id = excluded.provider_message_id,
            reacted_at = excluded.reacted_at, message_id = coalesce(r.message_id, excluded.message_id)
        where r.emoji is distinct from excluded.emoji;
    end if;
    -- A reaction is the customer writing: it opens the 24-hour window too.
    update public.conversations c set last_inbound_at = greatest(c.last_inbound_at, received), updated_at = now()
    where c.id = conversation.id and c.last_inbound_at is distinct from greatest(c.last_inbound_at, received);
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;

  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media, location,
    content, reply_to_provider_id, reply_to_message_id, provider, provider_message_id, status)
  values (number.tenant_id, conversation.id, 'inbound', 'customer', message_type, item ->> 'body',
    item -> 'media', item -> 'location', item -> 'content', item ->> 'reply_to_provider_id',
    (select r.id from public.messages r where r.conversation_id = conversation.id
      and r.provider_message_id = item ->> 'reply_to_provider_id'),
    number.provider, item ->> 'provider_message_id', 'received')
  on conflict on constraint messages_provider_message_id_key do nothing
  returning m.id into stored_message_id;

  if stored_message_id is null then
    -- A retry or duplicate delivery: already stored, nothing changes.
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;

  update public.message_reactions r set message_id = stored_message_id
  where r.conversation_id = conversation.id and r.message_id is null
    and r.target_provider_id = item ->> 'provider_message_id';

  select t.reopen_archived_on_inbound into reopen_archived from public.tenants t where t.id = number.tenant_id;
  update public.conversations c set
    last_message_preview = private.message_preview(message_type, item ->> 'body', item -> 'media'),
    last_message_at = now(),
    last_message_direction = 'inbound',
    last_inbound_at = greatest(c.last_inbound_at, received),
    unread_count = c.unread_count + 1,
    status = case when c.status = 'closed' or (c.status = 'archived' and reopen_archived) then 'open' else c.status end,
    updated_at = now()
  where c.id = conversation.id
  returning * into conversation;

  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
  select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
    format('New message from %s', coalesce(nullif(item ->> 'profile_name', ''), '+' || (item ->> 'wa_id'))),
    private.message_preview(message_type, item ->> 'body', item -> 'media')
  from public.memberships ms where ms.tenant_id = number.tenant_id
  on conflict do nothing;

  select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id, 'inserted', true,
    'ai_reply', conversation.ai_active and number.active and coalesce(agent_active, false));
end $$;

-- One webhook delivery, in one transaction: keeps the raw delivery in webhook_events, stores every
-- inbound message and applies every status. An item that fails is recorded as the event's error
-- (and on the number's card) while the others are kept, so nothing is lost and it can be replayed.
create function public.ingest_whatsapp_delivery(
  provider text, number_id uuid, headers jsonb, raw_body text,
  messages jsonb default '[]', statuses jsonb default '[]', parse_error text default null
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
  event_id uuid;
  item jsonb;
  outcome jsonb;
  results jsonb := '[]';
  errors text[] := '{}';
begin
  select * into number from public.whatsapp_numbers n where n.id = ingest_whatsapp_delivery.number_id;
  insert into public.webhook_events (tenant_id, provider, number_id, headers, raw_body, signature_valid)
  values (number.tenant_id, ingest_whatsapp_delivery.provider, number.id, coalesce(headers, '{}'), raw_body, true)
  returning id into event_id;
  if parse_error is not null then
    errors := errors || parse_error;
  end if;
  if number.id is null then
    errors := errors || 'The number this delivery is for is no longer connected.'::text;
  else
    for item in select value from jsonb_array_elements(coalesce(messages, '[]')) loop
      begin
        outcome := private.ingest_inbound_message(number, item);
        results := results || jsonb_build_array(outcome || jsonb_build_object('provider_message_id', item ->> 'provider_message_id'));
      exception when others then
        errors := errors || format('Message %s could not be stored: %s', item ->> 'provider_message_id', sqlerrm);
      end;
    end loop;
    for item in select value from jsonb_array_elements(coalesce(statuses, '[]')) loop
      begin
        perform private.apply_message_status(number.provider, item);
      exception when others then
        errors := errors || format('Status %s for %s could not be applied: %s', item ->> 'status', item ->> 'provider_message_id', sqlerrm);
      end;
    end loop;
  end if;

  update public.webhook_events e set processed_at = now(),
    error = nullif(array_to_string(errors, ' '), '')
  where e.id = event_id;
  if number.id is not null then
    if cardinality(errors) > 0 then
      update public.whatsapp_numbers n set last_webhook_at = now(), needs_attention = true,
        last_error = format('A delivery from %s could not be fully stored: %s It is kept and can be replayed.',
          initcap(number.provider), array_to_string(errors, ' '))
      where n.id = number.id;
    elsif number.last_webhook_at is null or number.last_webhook_at < now() - interval '1 minute' then
      -- Health, not a log: once a minute is enough and keeps busy numbers from rewriting the row.
      update public.whatsapp_numbers n set last_webhook_at = now() where n.id = number.id;
    end if;
  end if;
  return jsonb_build_object('event_id', event_id, 'messages', results,
    'error', nullif(array_to_string(errors, ' '), ''));
end $$;

-- The Twilio number a delivery is for, found by its `To` address and AccountSid (with or without
-- a Messaging Service), with the encrypted auth token to check the signature.
create function public.twilio_webhook_number(account_sid text, address text)
returns table (number_id uuid, tenant_id uuid, auth_token_ciphertext text)
language sql stable security definer set search_path = '' as $$
  select n.id, n.tenant_id, s.auth_token_ciphertext
  from public.whatsapp_numbers n
  join public.integrations i on i.id = n.integration_id
  join public.integration_secrets s on s.integration_id = i.id
  where n.provider = 'twilio' and n.address = twilio_webhook_number.address
    and i.account_sid = twilio_webhook_number.account_sid
$$;

-- The Meta numbers of a delivery with their encrypted app secrets.
create function public.meta_webhook_numbers(phone_number_ids text[])
returns table (number_id uuid, tenant_id uuid, phone_number_id text, app_secret_ciphertext text)
language sql stable security definer set search_path = '' as $$
  select n.id, n.tenant_id, n.phone_number_id, s.app_secret_ciphertext
  from public.whatsapp_numbers n join public.whatsapp_number_secrets s on s.number_id = n.id
  where n.provider = 'meta' and n.phone_number_id = any (meta_webhook_numbers.phone_number_ids)
$$;

-- Whether a verify token belongs to a connected Meta number (the subscription handshake).
create function public.meta_verify_token_exists(verify_token text) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from public.whatsapp_number_secrets s where s.verify_token = meta_verify_token_exists.verify_token)
$$;

-- What sending from a number needs: the provider's address and the encrypted credentials.
create function public.number_send_credentials(number_id uuid)
returns table (provider text, address text, phone_number_id text, account_sid text, secret_ciphertext text)
language sql stable security definer set search_path = '' as $$
  select n.provider, n.address, n.phone_number_id, i.account_sid,
    coalesce(s.auth_token_ciphertext, ns.access_token_ciphertext)
  from public.whatsapp_numbers n
  left join public.integrations i on i.id = n.integration_id
  left join public.integration_secrets s on s.integration_id = i.id
  left join public.whatsapp_number_secrets ns on ns.number_id = n.id
  where n.id = number_send_credentials.number_id
$$;

-- An agent's reply, stored as queued before the provider is called. Members only (42501 otherwise,
-- which the function answers as "not found").
create function public.queue_outbound_message(conversation_id uuid, body text default null, template jsonb default null)
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  queued public.messages;
  number_provider text;
begin
  select * into conversation from public.conversations c where c.id = queue_outbound_message.conversation_id;
  if not found or not private.is_member(conversation.tenant_id) then
    raise exception using errcode = '42501', message = 'There is no such conversation.';
  end if;
  select n.provider into number_provider from public.whatsapp_numbers n where n.id = conversation.number_id;
  insert into public.messages (tenant_id, conversation_id, direction, sender, sender_user_id, type, body, content,
    provider, status, queued_at)
  values (conversation.tenant_id, conversation.id, 'outbound', 'agent', (select auth.uid()),
    case when template is null then 'text' else 'template' end, body, template, number_provider, 'queued', now())
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview(queued.type, coalesce(body, template ->> 'name'), null),
    last_message_at = now(), last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;

-- Sends a failed message again: the same row goes back to queued.
create function public.requeue_failed_message(message_id uuid) returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  message public.messages;
begin
  select * into message from public.messages m where m.id = requeue_failed_message.message_id for update;
  if not found or not private.is_member(message.tenant_id) then
    raise exception using errcode = '42501', message = 'There is no such message.';
  end if;
  if message.direction <> 'outbound' or message.status <> 'failed' then
    raise exception using errcode = 'P0001', message = 'Only a message that failed to send can be sent again.';
  end if;
  update public.messages m set status = 'queued', provider_message_id = null, error_code = null,
    error_message = null, failed_at = null, sent_at = null, delivered_at = null, read_at = null,
    queued_at = now(), updated_at = now()
  where m.id = message.id
  returning * into message;
  return message;
end $$;

-- The provider accepted a message: store its id and status, then apply any status that arrived first.
create function public.record_message_sent(message_id uuid, provider_message_id text, status text default 'queued')
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  message public.messages;
  pending record;
begin
  update public.messages m set provider_message_id = record_message_sent.provider_message_id,
    status = case when public.message_status_advances(m.status, record_message_sent.status) then record_message_sent.status else m.status end,
    sent_at = case when record_message_sent.status = 'sent' then now() else m.sent_at end,
    updated_at = now()
  where m.id = record_message_sent.message_id
  returning * into message;
  for pending in
    delete from private.pending_message_statuses p
    where p.provider = message.provider and p.provider_message_id = record_message_sent.provider_message_id
    returning p.*
  loop
    perform private.apply_message_status(message.provider, jsonb_build_object(
      'provider_message_id', pending.provider_message_id, 'status', pending.status,
      'error_code', pending.error_code, 'error_message', pending.error_message, 'occurred_at', pending.occurred_at));
  end loop;
  select * into message from public.messages m where m.id = record_message_sent.message_id;
  return message;
end $$;

-- The provider refused a message: failed, with its code and a sentence a person understands.
create function public.record_message_failed(message_id uuid, error_code text, error_message text)
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  message public.messages;
begin
  update public.messages m set status = 'failed', error_code = record_message_failed.error_code,
    error_message = record_message_failed.error_message, failed_at = now(), updated_at = now()
  where m.id = record_message_failed.message_id
  returning * into message;
  return message;
end $$;

-- Credentials stopped working: the number needs attention, and the tenant's owners and admins are
-- told once (not again until someone fixes the number). Returns whether they were told now.
create function public.flag_number_credentials(number_id uuid, error text) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
begin
  update public.whatsapp_numbers n set needs_attention = true, last_error = flag_number_credentials.error
  where n.id = flag_number_credentials.number_id and not n.needs_attention
  returning * into number;
  if not found then
    update public.whatsapp_numbers n set last_error = flag_number_credentials.error
    where n.id = flag_number_credentials.number_id and n.last_error is distinct from flag_number_credentials.error;
    return false;
  end if;
  update public.integrations i set status = 'failed', last_error = flag_number_credentials.error, updated_at = now()
  where i.id = number.integration_id;
  insert into public.notifications (tenant_id, recipient_id, kind, number_id, title, body)
  select number.tenant_id, ms.user_id, 'credentials', number.id,
    format('%s needs attention', number.display_name), flag_number_credentials.error
  from public.memberships ms
  where ms.tenant_id = number.tenant_id and ms.role in ('owner', 'admin');
  return true;
end $$;

revoke all on function private.message_preview(text, text, jsonb), private.apply_message_status(text, jsonb),
  private.ingest_inbound_message(public.whatsapp_numbers, jsonb) from public;
revoke all on function
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, text),
  public.twilio_webhook_number(text, text),
  public.meta_webhook_numbers(text[]),
  public.meta_verify_token_exists(text),
  public.number_send_credentials(uuid),
  public.record_message_sent(uuid, text, text),
  public.record_message_failed(uuid, text, text),
  public.flag_number_credentials(uuid, text)
  from public, anon, authenticated;
grant execute on function
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, text),
  public.twilio_webhook_number(text, text),
  public.meta_webhook_numbers(text[]),
  public.meta_verify_token_exists(text),
  public.number_send_credentials(uuid),
  public.record_message_sent(uuid, text, text),
  public.record_message_failed(uuid, text, text),
  public.flag_number_credentials(uuid, text)
  to service_role;
revoke all on function public.queue_outbound_message(uuid, text, jsonb), public.requeue_failed_message(uuid)
  from public, anon;
grant execute on function public.queue_outbound_message(uuid, text, jsonb), public.requeue_failed_message(uuid)
  to authenticated, service_role;
grant execute on function public.message_status_rank(text), public.message_status_advances(text, text)
  to authenticated, service_role;
