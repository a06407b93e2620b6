-- A conversation has an assignee (a member of its tenant) or none, and is marked escalated while
-- the AI's hand-over waits for a person. The inbox reads them as views: Mine, Unassigned, All and
-- Escalated.

-- The foreign key to the membership (not the user) keeps the assignee a member: someone who leaves
-- or is removed from the workspace leaves their conversations unassigned.
alter table public.conversations
  add column assignee_id uuid,
  add column assigned_at timestamptz,
  -- When the AI handed the conversation to people; cleared when AI is back on or it is closed.
  add column escalated_at timestamptz,
  add constraint conversations_assignee_membership_fkey foreign key (tenant_id, assignee_id)
    references public.memberships (tenant_id, user_id) on delete set null (assignee_id);

-- Mine and Unassigned page like the inbox (activity, newest first) within one assignee or none;
-- the index also serves the foreign key.
create index conversations_tenant_assignee_activity_idx on public.conversations
  (tenant_id, assignee_id, coalesce(last_message_at, created_at) desc, id desc);
create index conversations_tenant_escalated_activity_idx on public.conversations
  (tenant_id, coalesce(last_message_at, created_at) desc, id desc) where escalated_at is not null;

-- assigned_at follows the assignee (also when the foreign key unassigns a departed member); an
-- escalation ends when AI is turned back on or the conversation leaves the open state.
create function private.keep_assignment_fields() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.assignee_id is distinct from old.assignee_id then
    new.assigned_at := case when new.assignee_id is null then null else now() end;
  end if;
  if new.escalated_at is not null
    and ((new.ai_active and not old.ai_active) or (new.status <> 'open' and old.status = 'open')) then
    new.escalated_at := null;
  end if;
  return new;
end $$;
create trigger keep_assignment_fields before update on public.conversations
  for each row execute function private.keep_assignment_fields();

-- ai_escalate notifies every member; the first of those notifications marks the conversation
-- escalated. It assigns nobody, so an unassigned hand-over lands in Unassigned and Escalated.
create function private.mark_conversation_escalated() returns trigger
language plpgsql set search_path = '' as $$
begin
  update public.conversations c set escalated_at = new.created_at
  where c.id = new.conversation_id and c.escalated_at is null;
  return null;
end $$;
create trigger mark_conversation_escalated after insert on public.notifications
  for each row when (new.kind = 'escalation' and new.conversation_id is not null)
  execute function private.mark_conversation_escalated();

-- A member's reply in an unassigned conversation makes it theirs. Only messages queued for the
-- customer count (a note is never queued), and only from a member of the conversation's tenant.
create function private.assign_on_reply() returns trigger
language plpgsql set search_path = '' as $$
begin
  update public.conversations c set assignee_id = new.sender_user_id
  where c.id = new.conversation_id and c.assignee_id is null
    and exists (select 1 from public.memberships m
                where m.tenant_id = c.tenant_id and m.user_id = new.sender_user_id);
  return null;
end $$;
create trigger assign_on_reply after insert on public.messages
  for each row when (new.sender = 'agent' and new.direction = 'outbound'
    and new.status = 'queued' and new.sender_user_id is not null)
  execute function private.assign_on_reply();

revoke all on function private.keep_assignment_fields(), private.mark_conversation_escalated(),
  private.assign_on_reply() from public;

-- ---------------------------------------------------------------- assign_conversation
-- security definer: members may not write assignee_id directly (its column grant is absent); the
-- role rules below are the only way to change it. Agents take (when unassigned or already theirs)
-- and release their own; owners and admins assign any member or nobody. Assigning someone else
-- notifies them.
create function public.assign_conversation(conversation_id uuid, assignee_id uuid default null)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  caller_role public.member_role;
  conversation public.conversations;
  contact public.contacts;
  current_name text;
  caller_name text;
begin
  if caller is null then
    raise exception using errcode = '42501', message = 'Sign in to assign conversations.';
  end if;
  -- The role is checked before the row is locked, so nobody can hold another tenant's row.
  caller_role := private.role_in((select c.tenant_id from public.conversations c
                                  where c.id = assign_conversation.conversation_id));
  if caller_role is not null then
    select * into conversation from public.conversations c
    where c.id = assign_conversation.conversation_id for update;
  end if;
  if caller_role is null or conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  if assign_conversation.assignee_id is not null and not exists (
    select 1 from public.memberships m
    where m.tenant_id = conversation.tenant_id and m.user_id = assign_conversation.assignee_id
  ) then
    raise exception using errcode = 'P0001',
      message = 'That person is not a member of this workspace, so the conversation cannot be assigned to them.';
  end if;
  if conversation.assignee_id is not distinct from assign_conversation.assignee_id then
    return conversation;
  end if;
  if caller_role = 'agent' then
    if assign_conversation.assignee_id is not null and assign_conversation.assignee_id <> caller then
      raise exception using errcode = '42501',
        message = 'Agents can take conversations for themselves; ask an owner or admin to assign it to someone else.';
    end if;
    if conversation.assignee_id is not null and conversation.assignee_id <> caller then
      select p.display_name into current_name from public.profiles p where p.id = conversation.assignee_id;
      raise exception using errcode = '42501',
        message = format('This conversation is assigned to %s. Ask them, an owner or an admin to reassign it.',
          coalesce(current_name, 'another member'));
    end if;
  end if;
  update public.conversations c set assignee_id = assign_conversation.assignee_id, updated_at = now()
  where c.id = conversation.id
  returning * into conversation;
  if conversation.assignee_id is not null and conversation.assignee_id <> caller then
    select * into contact from public.contacts k where k.id = conversation.contact_id;
    select p.display_name into caller_name from public.profiles p where p.id = caller;
    insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
    values (conversation.tenant_id, conversation.assignee_id, 'assignment', conversation.id,
      format('%s assigned you the conversation with %s', coalesce(caller_name, 'A teammate'),
        private.contact_label(contact)),
      conversation.last_message_preview);
  end if;
  return conversation;
end $$;
revoke all on function public.assign_conversation(uuid, uuid) from public, anon;
grant execute on function public.assign_conversation(uuid, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- inbox_conversations
-- As in 20261201140000, with a view (null or 'all', 'mine', 'unassigned', 'escalated') and the
-- assignee, their name and the escalation on each row.
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
  only_id uuid default null,
  view text default null
) returns table (
  id uuid, tenant_id uuid, number_id uuid, contact_id uuid, status text, ai_active boolean,
  last_message_preview text, last_message_at timestamptz, last_message_direction text,
  last_inbound_at timestamptz, unread_count integer, sentiment text, summary text, insights_at timestamptz,
  created_at timestamptz, activity_at timestamptz,
  contact_name text, contact_wa_id text, contact_username text, contact_user_id text,
  number_name text, number_address text, number_provider text,
  assignee_id uuid, assigned_at timestamptz, escalated_at timestamptz, assignee_name text
)
-- No `set search_path`, so the call is inlined and planned with its arguments (see 20261125150000).
language sql stable security invoker as $$
  select c.id, c.tenant_id, c.number_id, c.contact_id, c.status, c.ai_active,
    c.last_message_preview, c.last_message_at, c.last_message_direction,
    c.last_inbound_at, c.unread_count, c.sentiment, c.summary, c.insights_at,
    c.created_at, coalesce(c.last_message_at, c.created_at) as activity_at,
    ct.profile_name, ct.wa_id, ct.username, ct.user_id, n.display_name, n.address, n.provider,
    c.assignee_id, c.assigned_at, c.escalated_at, p.display_name
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  left join public.profiles p on p.id = c.assignee_id
  where c.tenant_id = inbox_conversations.tenant_id
    and (inbox_conversations.only_id is null or c.id = inbox_conversations.only_id)
    and (coalesce(inbox_conversations.view, 'all') = 'all'
      or inbox_conversations.view = 'mine' and c.assignee_id = (select auth.uid())
      or inbox_conversations.view = 'unassigned' and c.assignee_id is null
      or inbox_conversations.view = 'escalated' and c.escalated_at is not null)
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
revoke all on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text)
  from public, anon;
grant execute on function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text)
  to authenticated, service_role;

-- ---------------------------------------------------------------- inbox_view_counts
-- How many conversations each view holds under the status and number filters, each counted up to
-- 1000 (a tab shows "999+" beyond), so a count reads at most that many index entries. Plpgsql with
-- plain statements, so each count is planned with the arguments it was given.
create function public.inbox_view_counts(tenant_id uuid, status text default null, number_id uuid default null)
returns table (mine integer, unassigned integer, all_conversations integer, escalated integer)
language plpgsql stable security invoker set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
begin
  select count(*) into mine from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id = caller
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
    limit 1000) counted;
  select count(*) into unassigned from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id is null
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
    limit 1000) counted;
  select count(*) into all_conversations from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
    limit 1000) counted;
  select count(*) into escalated from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.escalated_at is not null
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
    limit 1000) counted;
  return next;
end $$;
revoke all on function public.inbox_view_counts(uuid, text, uuid) from public, anon;
grant execute on function public.inbox_view_counts(uuid, text, uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- broadcast_conversation
-- As in 20261202100000, the record also carries the assignee's name, as inbox_conversations does
-- (assignee_id, assigned_at and escalated_at come with the row itself).
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
        'assignee_name', p.display_name)
      into inbox_row
      from (select new.contact_id as contact_id, new.number_id as number_id,
                   new.assignee_id as assignee_id) c
      left join public.contacts ct on ct.id = c.contact_id
      left join public.whatsapp_numbers n on n.id = c.number_id
      left join public.profiles p on p.id = c.assignee_id;
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
