-- Less work for every stored message.
--
-- Two indexes are rewritten on every message for readers that no longer need them. Each message
-- rewrites its conversation's row, and that update changes indexed columns, so every index of the
-- table takes a new entry:
-- - conversations_tenant_inbox_idx (tenant_id, last_message_at): since 20261206300000 the inbox
--   and its tabs order by activity_at, through their own four indexes;
-- - conversations_label_ids_idx (GIN on label_ids): since 20261205600000 the label filter and the
--   tab counts join conversation_labels, because array containment cannot use an index under
--   row-level security. Its last reader was the trigger that takes a deleted label off its
--   conversations; it now finds them through conversation_labels, before the delete cascades
--   there.
drop index public.conversations_tenant_inbox_idx;

create or replace function private.remove_deleted_label() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.conversations c set label_ids = array_remove(c.label_ids, old.id)
  where c.id in (select cl.conversation_id from public.conversation_labels cl where cl.label_id = old.id);
  return old;
end $$;
drop trigger remove_deleted_label on public.labels;
create trigger remove_deleted_label before delete on public.labels
  for each row execute function private.remove_deleted_label();
drop index public.conversations_label_ids_idx;

-- The two expressions ingest evaluates for every message were SQL functions with their own
-- search_path. Postgres never inlines a function that sets a configuration parameter, and
-- PostgreSQL 15 plans a SQL function's body again on every call of the statement that calls it:
-- with one connection and pg_stat_statements, 0.05 ms and 0.04 ms of a 1.1 ms ingest call. Without
-- the setting they are inlined into the calling statement and cost nothing of their own.
-- What a search_path could change: the functions and operators they name are written with their
-- schema (pg_catalog), but nullif and a simple case compare with the `=` found on the caller's
-- path. Only their owner may execute them (EXECUTE stays revoked from public, and inlining still
-- checks it), and every caller is one of our functions, which all run with search_path = '', so
-- that `=` is always pg_catalog's. Supabase's security advisor lists them as functions with a
-- mutable search_path for this reason.
create or replace function private.message_preview(type text, body text, media jsonb) returns text
language sql immutable as $$
  select pg_catalog.left(coalesce(
    nullif(pg_catalog.btrim(body), ''),
    nullif(pg_catalog.btrim(media operator(pg_catalog.->>) 'caption'), ''),
    case type
      when 'image' then 'Photo' when 'audio' then 'Voice message' when 'video' then 'Video'
      when 'document' then coalesce(media operator(pg_catalog.->>) 'filename', 'Document')
      when 'sticker' then 'Sticker' when 'location' then 'Location' when 'contacts' then 'Contact card'
      when 'template' then 'Template message'
      when 'unsupported' then 'A message WhatsApp cannot show here'
      else 'Message' end), 200)
$$;

create or replace function private.next_message_time(conversation public.conversations) returns timestamptz
language sql stable as $$
  select case when conversation.last_message_at operator(pg_catalog.>=) pg_catalog.now()
    then conversation.last_message_at operator(pg_catalog.+) interval '1 microsecond'
    else pg_catalog.now() end
$$;

-- The label a notification gives a customer, inlined for the same reason.
create or replace function private.contact_label(contact public.contacts) returns text
language sql immutable as $$
  select coalesce(nullif(pg_catalog.btrim(contact.profile_name), ''),
    nullif(pg_catalog.btrim(contact.username), ''),
    '+' operator(pg_catalog.||) contact.wa_id, contact.user_id)
$$;

-- ingest_inbound_message is 20261206900000's, written so that each statement's plan is kept.
--
-- PL/pgSQL plans a statement for its first five calls with the values of that call, then keeps a
-- plan for any values unless that plan is estimated dearer than the average of the first five.
-- Three statements folded to nothing when a value was null (no reply quoted, no AI agent on the
-- number, no one to notify), so those five were cheap and the kept plan never won: on a session
-- opened once the tables had grown, all three were planned again on every message (with ten
-- connections, 0.15 ms for the message insert and 0.28 ms for the notification insert, of wall
-- time, besides the statement itself). Each now runs only when there is something for it to do,
-- so its plan is the same for every call. The tenant's reopen setting is read only for an archived
-- conversation, and the contact only when someone is notified. The conversation is locked as its
-- update locks it (no key update): another transaction's row that merely references it, such as a
-- message, need not wait for this delivery's commit.
create or replace function private.ingest_inbound_message(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  contact public.contacts;
  conversation public.conversations;
  created_id uuid;
  auto_assignee uuid;
  stored_message_id uuid;
  reply_to_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  received timestamptz := least(coalesce((item ->> 'sent_at')::timestamptz, now()), now());
  reopen_archived boolean := false;
  agent_active boolean := false;
  unread_before integer;
  status_before text;
  stamped timestamptz;
  notify_everyone boolean;
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);

  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for no key update;
  if not found then
    insert into public.conversations as c (tenant_id, number_id, contact_id)
    values (number.tenant_id, number.id, found_contact_id)
    on conflict on constraint conversations_number_id_contact_id_key do nothing
    returning c.id into created_id;
    select * into conversation from public.conversations c
    where c.number_id = number.id and c.contact_id = found_contact_id for no key update;
    if created_id is not null then
      if number.assigned_agent_id is not null then
        select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
      end if;
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

  if item ->> 'reply_to_provider_id' is not null then
    select r.id into reply_to_id from public.messages r
    where r.conversation_id = conversation.id and r.provider_message_id = item ->> 'reply_to_provider_id';
  end if;
  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media, location,
    content, reply_to_provider_id, reply_to_message_id, provider, provider_message_id, status, created_at)
  values (number.tenant_id, conversation.id, 'inbound', 'customer', message_type, item ->> 'body',
    item -> 'media', item -> 'location', item -> 'content', item ->> 'reply_to_provider_id', reply_to_id,
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

  if conversation.status = 'archived' then
    select t.reopen_archived_on_inbound into reopen_archived from public.tenants t where t.id = number.tenant_id;
  end if;
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

  -- Who hears of it: an assigned conversation tells its assignee of every message; otherwise the
  -- whole team hears of a new conversation, of the first unread message, and of a reopening.
  -- The member round robin just picked has been told already.
  notify_everyone := case
    when created_id is null and conversation.assignee_id is not null then false
    when created_id is not null or unread_before = 0
      or (status_before in ('closed', 'archived') and conversation.status = 'open') then true
  end;
  if notify_everyone is not null then
    select * into contact from public.contacts k where k.id = found_contact_id;
  end if;
  if notify_everyone then
    insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
    select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
      format('New message from %s', private.contact_label(contact)), conversation.last_message_preview
    from public.memberships ms
    where ms.tenant_id = number.tenant_id and ms.user_id is distinct from auto_assignee
    on conflict do nothing;
  elsif not notify_everyone then
    -- Only an existing conversation gets here, so round robin picked no one.
    insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
    select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
      format('New message from %s', private.contact_label(contact)), conversation.last_message_preview
    from public.memberships ms
    where ms.tenant_id = number.tenant_id and ms.user_id = conversation.assignee_id
    on conflict do nothing;
  end if;
  if auto_assignee is not null then
    perform private.tell_round_robin_assignee(conversation, stored_message_id);
  end if;

  if number.assigned_agent_id is not null then
    select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
  end if;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id, 'inserted', true,
    'ai_reply', conversation.ai_active and number.active and coalesce(agent_active, false));
end $$;
