-- A delivery's messages keep the provider's order. Meta batches a customer's quick messages into
-- one webhook, stored in one transaction, so every row took the same now() and a thread read by
-- (created_at, id) shuffled them by their random ids. PGlite's clock also counts whole
-- milliseconds, so two deliveries a millisecond apart tied the same way. Each inbound message and
-- echo is now stamped just after the newest message of its conversation, which the ingest holds
-- locked, and the conversation's last_message_at is that same stamp.
--
-- ingest_inbound_message is 20261206600000's, with the stamp, and the notification reusing the
-- preview the conversation update just computed; ingest_echo is 20261201140200's, with the stamp.

-- now(), or a microsecond after the conversation's newest message when that is not older: a
-- batch, or an earlier delivery on the same clock tick.
create function private.next_message_time(conversation public.conversations) returns timestamptz
language sql stable set search_path = '' as $$
  select case when conversation.last_message_at >= now()
    then conversation.last_message_at + interval '1 microsecond' else now() end
$$;
revoke all on function private.next_message_time(public.conversations) from public;

create or replace function private.ingest_inbound_message(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  contact public.contacts;
  conversation public.conversations;
  created_id uuid;
  auto_assignee uuid;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  received timestamptz := least(coalesce((item ->> 'sent_at')::timestamptz, now()), now());
  reopen_archived boolean;
  agent_active boolean;
  unread_before integer;
  status_before text;
  stamped timestamptz;
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);

  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for update;
  if not found then
    insert into public.conversations as c (tenant_id, number_id, contact_id)
    values (number.tenant_id, number.id, found_contact_id)
    on conflict on constraint conversations_number_id_contact_id_key do nothing
    returning c.id into created_id;
    select * into conversation from public.conversations c
    where c.number_id = number.id and c.contact_id = found_contact_id for update;
    if created_id is not null then
      select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
      if not (conversation.ai_active and number.active and coalesce(agent_active, false)) then
        auto_assignee := private.round_robin_assignee(number);
      end if;
    end if;
  end if;
  unread_before := conversation.unread_count;
  stamped := private.next_message_time(conversation);
  status_before := conversation.status;

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
    -- A conversation opened by a reaction is rare: its pick gets a statement of its own.
    if auto_assignee is not null then
      update public.conversations c set assignee_id = auto_assignee, updated_at = now()
      where c.id = conversation.id
      returning * into conversation;
      perform private.tell_round_robin_assignee(conversation, null);
    end if;
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;

  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media, location,
    content, reply_to_provider_id, reply_to_message_id, provider, provider_message_id, status, created_at)
  values (number.tenant_id, conversation.id, 'inbound', 'customer', message_type, item ->> 'body',
    item -> 'media', item -> 'location', item -> 'content', item ->> 'reply_to_provider_id',
    (select r.id from public.messages r where r.conversation_id = conversation.id
      and r.provider_message_id = item ->> 'reply_to_provider_id'),
    number.provider, item ->> 'provider_message_id', 'received', stamped)
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
    last_message_at = stamped,
    last_message_direction = 'inbound',
    last_inbound_at = greatest(c.last_inbound_at, received),
    unread_count = c.unread_count + 1,
    status = case when c.status = 'closed' or (c.status = 'archived' and reopen_archived) then 'open' else c.status end,
    assignee_id = coalesce(c.assignee_id, auto_assignee),
    updated_at = now()
  where c.id = conversation.id
  returning * into conversation;

  select * into contact from public.contacts k where k.id = found_contact_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
  select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
    format('New message from %s', private.contact_label(contact)),
    conversation.last_message_preview
  from public.memberships ms where ms.tenant_id = number.tenant_id
    and ms.user_id is distinct from auto_assignee
    and case
      when created_id is null and conversation.assignee_id is not null then ms.user_id = conversation.assignee_id
      else created_id is not null or unread_before = 0
        or (status_before in ('closed', 'archived') and conversation.status = 'open')
    end
  on conflict do nothing;
  if auto_assignee is not null then
    perform private.tell_round_robin_assignee(conversation, stored_message_id);
  end if;

  select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id, 'inserted', true,
    'ai_reply', conversation.ai_active and number.active and coalesce(agent_active, false));
end $$;

create or replace function private.ingest_echo(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  conversation public.conversations;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  stamped timestamptz;
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);
  insert into public.conversations as c (tenant_id, number_id, contact_id)
  values (number.tenant_id, number.id, found_contact_id)
  on conflict on constraint conversations_number_id_contact_id_key do nothing;
  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for update;
  stamped := private.next_message_time(conversation);

  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media,
    location, content, provider, provider_message_id, status, sent_at, created_at)
  values (number.tenant_id, conversation.id, 'outbound', 'agent', message_type, item ->> 'body',
    item -> 'media', item -> 'location', jsonb_build_object('echo', true, 'original', item -> 'content'),
    number.provider, item ->> 'provider_message_id', 'sent',
    least(coalesce((item ->> 'sent_at')::timestamptz, now()), now()), stamped)
  on conflict on constraint messages_provider_message_id_key do nothing
  returning m.id into stored_message_id;
  if stored_message_id is null then
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;
  update public.conversations c set
    last_message_preview = private.message_preview(message_type, item ->> 'body', item -> 'media'),
    last_message_at = stamped, last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id,
    'inserted', true, 'ai_reply', false);
end $$;
