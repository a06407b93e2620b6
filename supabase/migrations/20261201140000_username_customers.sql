-- Customers who hide their phone behind a WhatsApp username. Meta then identifies them by a
-- business-scoped user id (BSUID, `US.13491208655302741918`) with no phone; Twilio by
-- `From=whatsapp:<BSUID>` / `ExternalUserId`. A contact is known by phone, by user id, or both:
-- when a delivery names both and they were two contacts, they become one (the phone's).

alter table public.contacts alter column wa_id drop not null;
alter table public.contacts
  add column user_id text
    constraint contacts_user_id_format check (user_id ~ '^[A-Z]{2}\.[A-Za-z0-9]{1,128}$'),
  add column parent_user_id text
    constraint contacts_parent_user_id_length check (char_length(parent_user_id) <= 160),
  add column username text
    constraint contacts_username_length check (char_length(username) <= 100),
  add constraint contacts_identified check (wa_id is not null or user_id is not null),
  add constraint contacts_tenant_id_user_id_key unique (tenant_id, user_id);

-- How people see a customer: the name they chose, their username, their phone, or their user id.
create function private.contact_label(contact public.contacts) returns text
language sql immutable set search_path = '' as $$
  select coalesce(nullif(btrim(contact.profile_name), ''), nullif(btrim(contact.username), ''),
    '+' || contact.wa_id, contact.user_id)
$$;

-- One customer was two contacts (first seen by phone, then by username, or the other way): the
-- conversations, messages and reactions of `gone` move to `kept`, and `gone` is deleted.
create function private.merge_contacts(kept uuid, gone uuid) returns void
language plpgsql set search_path = '' as $$
declare
  moved public.conversations;
  target_id uuid;
begin
  for moved in select * from public.conversations c where c.contact_id = gone for update loop
    select c.id into target_id from public.conversations c
    where c.contact_id = kept and c.number_id is not distinct from moved.number_id for update;
    if target_id is null then
      update public.conversations c set contact_id = kept, updated_at = now() where c.id = moved.id;
    else
      update public.messages m set conversation_id = target_id where m.conversation_id = moved.id;
      update public.message_reactions r set conversation_id = target_id where r.conversation_id = moved.id;
      update public.notifications n set conversation_id = target_id where n.conversation_id = moved.id;
      update public.conversations c set
        unread_count = c.unread_count + moved.unread_count,
        last_inbound_at = greatest(c.last_inbound_at, moved.last_inbound_at),
        (last_message_at, last_message_preview, last_message_direction) = (
          select case when moved.last_message_at > c.last_message_at or c.last_message_at is null
                   then moved.last_message_at else c.last_message_at end,
                 case when moved.last_message_at > c.last_message_at or c.last_message_at is null
                   then moved.last_message_preview else c.last_message_preview end,
                 case when moved.last_message_at > c.last_message_at or c.last_message_at is null
                   then moved.last_message_direction else c.last_message_direction end),
        updated_at = now()
      where c.id = target_id;
      delete from public.conversations c where c.id = moved.id;
    end if;
  end loop;
  delete from public.contacts k where k.id = gone;
end $$;

-- The contact an inbound item is from, found by phone or user id, created when new, with the
-- identifiers and names the item brings filled in.
create function private.customer_contact(tenant_id uuid, item jsonb) returns uuid
language plpgsql set search_path = '' as $$
declare
  phone text := nullif(item ->> 'wa_id', '');
  bsuid text := nullif(item ->> 'user_id', '');
  parent text := nullif(item ->> 'parent_user_id', '');
  handle text := nullif(item ->> 'username', '');
  name text := nullif(item ->> 'profile_name', '');
  by_phone uuid;
  by_user uuid;
  found_id uuid;
begin
  if phone is not null then
    select k.id into by_phone from public.contacts k
    where k.tenant_id = customer_contact.tenant_id and k.wa_id = phone;
  end if;
  if bsuid is not null then
    select k.id into by_user from public.contacts k
    where k.tenant_id = customer_contact.tenant_id and k.user_id = bsuid;
  end if;
  if by_phone is not null and by_user is not null and by_phone <> by_user then
    perform private.merge_contacts(by_phone, by_user);
  end if;
  found_id := coalesce(by_phone, by_user);
  if found_id is null then
    insert into public.contacts as k (tenant_id, wa_id, user_id, parent_user_id, username, profile_name)
    values (customer_contact.tenant_id, phone, bsuid, parent, handle, name)
    on conflict do nothing
    returning k.id into found_id;
    if found_id is not null then
      return found_id;
    end if;
    -- Someone else stored this customer a moment ago.
    select k.id into found_id from public.contacts k
    where k.tenant_id = customer_contact.tenant_id and (k.wa_id = phone or k.user_id = bsuid);
  end if;
  -- A user id changes when the customer changes number: the newest one is the one to reply to.
  update public.contacts k set wa_id = coalesce(k.wa_id, phone), user_id = coalesce(bsuid, k.user_id),
    parent_user_id = coalesce(parent, k.parent_user_id), username = coalesce(handle, k.username),
    profile_name = coalesce(name, k.profile_name), updated_at = now()
  where k.id = found_id
    and (k.wa_id, k.user_id, k.parent_user_id, k.username, k.profile_name) is distinct from
      (coalesce(k.wa_id, phone), coalesce(bsuid, k.user_id), coalesce(parent, k.parent_user_id),
       coalesce(handle, k.username), coalesce(name, k.profile_name));
  return found_id;
end $$;

-- As in 20261125140200, with the contact found by phone or user id and named by its label.
create or replace function private.ingest_inbound_message(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  contact public.contacts;
  conversation public.conversations;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  received timestamptz := least(coalesce((item ->> 'sent_at')::timestamptz, now()), now());
  reopen_archived boolean;
  agent_active boolean;
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);

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

  select * into contact from public.contacts k where k.id = found_contact_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
  select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
    format('New message from %s', private.contact_label(contact)),
    private.message_preview(message_type, item ->> 'body', item -> 'media')
  from public.memberships ms where ms.tenant_id = number.tenant_id
  on conflict do nothing;

  select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id, 'inserted', true,
    'ai_reply', conversation.ai_active and number.active and coalesce(agent_active, false));
end $$;

-- As in 20261125160000, with the customer named by their label (a username customer has no phone).
create or replace function public.ai_escalate(conversation_id uuid, reason text) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  contact public.contacts;
begin
  update public.conversations c set ai_active = false, updated_at = now()
  where c.id = ai_escalate.conversation_id and c.ai_active
  returning * into conversation;
  if not found then return false; end if;
  update private.ai_reply_jobs j set consecutive_failures = 0, updated_at = now()
  where j.conversation_id = conversation.id;
  perform private.add_system_note(conversation,
    format('AI replies are off for this conversation: %s A person should reply.', ai_escalate.reason));
  select * into contact from public.contacts k where k.id = conversation.contact_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
  select conversation.tenant_id, ms.user_id, 'escalation', conversation.id,
    format('%s needs a person', private.contact_label(contact)), ai_escalate.reason
  from public.memberships ms where ms.tenant_id = conversation.tenant_id;
  return true;
end $$;

-- As in 20261125150000, returning the customer's username and user id too, and finding them by
-- username.
drop function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid);
create function public.inbox_conversations(
  tenant_id uuid,
  status text default null,
  number_id uuid default null,
  unread_only boolean default false,
  sentiment text default null,
  search text default null,
  after_activity_at timestamptz default null,
  after_id uuid default null,
  page_size integer default 25,
  only_id uuid default null
) returns table (
  id uuid, tenant_id uuid, number_id uuid, contact_id uuid, status text, ai_active boolean,
  last_message_preview text, last_message_at timestamptz, last_message_direction text,
  last_inbound_at timestamptz, unread_count integer, sentiment text, summary text, insights_at timestamptz,
  created_at timestamptz, activity_at timestamptz,
  contact_name text, contact_wa_id text, contact_username text, contact_user_id text,
  number_name text, number_address text, number_provider text
)
-- No `set search_path`, so the call is inlined and planned with its arguments (see 20261125150000).
language sql stable security invoker as $$
  select c.id, c.tenant_id, c.number_id, c.contact_id, c.status, c.ai_active,
    c.last_message_preview, c.last_message_at, c.last_message_direction,
    c.last_inbound_at, c.unread_count, c.sentiment, c.summary, c.insights_at,
    c.created_at, coalesce(c.last_message_at, c.created_at) as activity_at,
    ct.profile_name, ct.wa_id, ct.username, ct.user_id, n.display_name, n.address, n.provider
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  where c.tenant_id = inbox_conversations.tenant_id
    and (inbox_conversations.only_id is null or c.id = inbox_conversations.only_id)
    and (inbox_conversations.status is null or c.status = inbox_conversations.status)
    and (inbox_conversations.number_id is null or c.number_id = inbox_conversations.number_id)
    and (not coalesce(inbox_conversations.unread_only, false) or c.unread_count > 0)
    and (inbox_conversations.sentiment is null or c.sentiment = inbox_conversations.sentiment)
    and (nullif(btrim(inbox_conversations.search), '') is null
      or ct.profile_name ilike '%' || btrim(inbox_conversations.search) || '%'
      or ct.username ilike '%' || btrim(inbox_conversations.search) || '%'
      -- A phone number as people type it (+52 55 1234-5678): its digits, found anywhere in the wa id.
      or btrim(inbox_conversations.search) ~ '^[+0-9 ().-]+$'
        and char_length(regexp_replace(inbox_conversations.search, '[^0-9]', '', 'g')) >= 3
        and ct.wa_id like '%' || regexp_replace(inbox_conversations.search, '[^0-9]', '', 'g') || '%'
      or exists (select 1 from public.messages m where m.conversation_id = c.id
        and m.body ilike '%' || btrim(inbox_conversations.search) || '%'))
    -- The plain bound lets the index range start at the cursor; the row comparison breaks ties.
    and (inbox_conversations.after_activity_at is null
      or coalesce(c.last_message_at, c.created_at) <= inbox_conversations.after_activity_at
        and (coalesce(c.last_message_at, c.created_at), c.id)
          < (inbox_conversations.after_activity_at, inbox_conversations.after_id))
  order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
  limit least(greatest(coalesce(inbox_conversations.page_size, 25), 1), 100)
$$;

revoke all on function private.contact_label(public.contacts), private.merge_contacts(uuid, uuid),
  private.customer_contact(uuid, jsonb) from public;
revoke all on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid)
  from public, anon;
grant execute on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid)
  to authenticated, service_role;
