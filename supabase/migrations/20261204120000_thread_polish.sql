-- The chat's polish: the inbox says who wrote the last message (you, the AI or a teammate by
-- name), the AI's hand-over message and its note are written together (the note after it), and
-- turning AI back on leaves a note in the thread.

-- ---------------------------------------------------------------- who wrote the last message
alter table public.conversations
  add column last_message_sender text
    constraint conversations_last_message_sender_check
    check (last_message_sender in ('customer', 'agent', 'ai')),
  add column last_message_sender_user_id uuid;

-- Whoever bumps the preview (ingest, a reply, the AI) has just written the message it shows, so
-- the newest message that is not Parley's own note is its author. One indexed row per bump, and
-- no second update of the conversation (so no second broadcast).
create function private.keep_last_message_sender() returns trigger
language plpgsql set search_path = '' as $$
begin
  select m.sender, m.sender_user_id
    into new.last_message_sender, new.last_message_sender_user_id
  from public.messages m
  where m.conversation_id = new.id and m.sender <> 'system'
  order by m.created_at desc, m.id desc
  limit 1;
  return new;
end $$;
create trigger keep_last_message_sender before update on public.conversations
  for each row when (new.last_message_at is distinct from old.last_message_at)
  execute function private.keep_last_message_sender();
revoke all on function private.keep_last_message_sender() from public;

update public.conversations c set (last_message_sender, last_message_sender_user_id) = (
  select m.sender, m.sender_user_id from public.messages m
  where m.conversation_id = c.id and m.sender <> 'system'
  order by m.created_at desc, m.id desc limit 1)
where c.last_message_at is not null;

-- ---------------------------------------------------------------- inbox_conversations
-- As in 20261204100200, with the last message's sender and, for a member, their user id and name.
drop function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text, uuid);
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
  only_id uuid default null,
  view text default null,
  label_id uuid default null
) returns table (
  id uuid, tenant_id uuid, number_id uuid, contact_id uuid, status text, ai_active boolean,
  last_message_preview text, last_message_at timestamptz, last_message_direction text,
  last_inbound_at timestamptz, unread_count integer, sentiment text, summary text, insights_at timestamptz,
  created_at timestamptz, activity_at timestamptz,
  contact_name text, contact_wa_id text, contact_username text, contact_user_id text,
  number_name text, number_address text, number_provider text,
  assignee_id uuid, assigned_at timestamptz, escalated_at timestamptz, assignee_name text,
  label_ids uuid[], snoozed_until timestamptz,
  last_message_sender text, last_message_sender_user_id uuid, last_message_sender_name text
)
-- No `set search_path`, so the call is inlined and planned with its arguments (see 20261125150000).
language sql stable security invoker as $$
  select c.id, c.tenant_id, c.number_id, c.contact_id, c.status, c.ai_active,
    c.last_message_preview, c.last_message_at, c.last_message_direction,
    c.last_inbound_at, c.unread_count, c.sentiment, c.summary, c.insights_at,
    c.created_at, coalesce(c.last_message_at, c.created_at) as activity_at,
    ct.profile_name, ct.wa_id, ct.username, ct.user_id, n.display_name, n.address, n.provider,
    c.assignee_id, c.assigned_at, c.escalated_at, p.display_name,
    c.label_ids, c.snoozed_until,
    c.last_message_sender, c.last_message_sender_user_id, ps.display_name
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  left join public.profiles p on p.id = c.assignee_id
  left join public.profiles ps on ps.id = c.last_message_sender_user_id
  where c.tenant_id = inbox_conversations.tenant_id
    and (inbox_conversations.only_id is null or c.id = inbox_conversations.only_id)
    and (inbox_conversations.view is null
      or inbox_conversations.view = 'snoozed' and c.snoozed_until > now()
      or inbox_conversations.view <> 'snoozed' and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_conversations.view = 'all'
          or inbox_conversations.view = 'mine' and c.assignee_id = (select auth.uid())
          or inbox_conversations.view = 'unassigned' and c.assignee_id is null
          or inbox_conversations.view = 'escalated' and c.escalated_at is not null))
    and (inbox_conversations.label_id is null or c.label_ids @> array[inbox_conversations.label_id])
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
revoke all on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text, uuid)
  from public, anon;
grant execute on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text, uuid)
  to authenticated, service_role;

-- ---------------------------------------------------------------- broadcast_conversation
-- As in 20261203120000, the record also carries the last message's author's name, as
-- inbox_conversations does (the sender and their user id come with the row itself).
create or replace function private.broadcast_conversation() returns trigger
language plpgsql set search_path = '' as $$
declare
  inbox_row jsonb;
begin
  if tg_op <> 'DELETE' then
    select to_jsonb(new) || jsonb_build_object(
        'activity_at', coalesce(new.last_message_at, new.created_at),
        'contact_name', ct.profile_name, 'contact_wa_id', ct.wa_id,
        'contact_username', ct.username, 'contact_user_id', ct.user_id,
        'number_name', n.display_name, 'number_address', n.address, 'number_provider', n.provider,
        'assignee_name', p.display_name, 'last_message_sender_name', ps.display_name)
      into inbox_row
      from (select new.contact_id as contact_id, new.number_id as number_id,
                   new.assignee_id as assignee_id,
                   new.last_message_sender_user_id as sender_user_id) c
      left join public.contacts ct on ct.id = c.contact_id
      left join public.whatsapp_numbers n on n.id = c.number_id
      left join public.profiles p on p.id = c.assignee_id
      left join public.profiles ps on ps.id = c.sender_user_id;
  end if;
  perform realtime.send(
    jsonb_build_object(
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
      'record', inbox_row,
      'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) end),
    'conversations', 'tenant:' || coalesce(new.tenant_id, old.tenant_id)::text, true);
  return null;
end $$;
revoke all on function private.broadcast_conversation() from public;

-- ---------------------------------------------------------------- ai_hand_over
-- ai_escalate and the hand-over message in one transaction: both carry the same time, and the
-- thread shows Parley's note after the message it explains. Without `handover` (the window is
-- closed, so nothing may be sent) it only escalates. Returns whether this call escalated (false
-- when AI was already off) and the queued hand-over's id, for the caller to deliver.
create function public.ai_hand_over(conversation_id uuid, reason text, handover text default null)
returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  queued public.messages;
begin
  if not public.ai_escalate(ai_hand_over.conversation_id, ai_hand_over.reason) then
    return jsonb_build_object('escalated', false, 'message_id', null);
  end if;
  if ai_hand_over.handover is null then
    return jsonb_build_object('escalated', true, 'message_id', null);
  end if;
  queued := public.queue_ai_message(ai_hand_over.conversation_id, ai_hand_over.handover);
  return jsonb_build_object('escalated', true, 'message_id', queued.id);
end $$;
revoke all on function public.ai_hand_over(uuid, text, text) from public, anon, authenticated;
grant execute on function public.ai_hand_over(uuid, text, text) to service_role;

-- ---------------------------------------------------------------- AI back on
-- A person turning AI back on leaves a note in the thread, naming them when they are known.
-- security definer: members may not insert messages themselves.
create function private.note_ai_back_on() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  turned_on_by text;
begin
  select nullif(btrim(p.display_name), '') into turned_on_by
  from public.profiles p where p.id = (select auth.uid());
  perform private.add_system_note(new,
    case when turned_on_by is null then 'AI replies are on again for this conversation.'
      else format('AI replies are on again for this conversation (turned on by %s).', turned_on_by) end);
  return null;
end $$;
create trigger note_ai_back_on after update of ai_active on public.conversations
  for each row when (new.ai_active and not old.ai_active)
  execute function private.note_ai_back_on();
revoke all on function private.note_ai_back_on() from public;
