-- The inbox learns labels and snoozes: inbox_conversations filters by a label (`label_id`) and
-- returns each row's `label_ids` and `snoozed_until`; a Snoozed view holds what is snoozed, and
-- Mine, Unassigned, All and Escalated hold only what is awake. A conversation whose snooze time has
-- passed is awake here even before the wake-up job clears it.
--
-- `view` null now means no view at all (a snoozed conversation included): what the chat page
-- asks for one conversation by id. The inbox list always names its view.

drop function public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid, text);
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
  label_ids uuid[], snoozed_until timestamptz
)
-- No `set search_path`, so the call is inlined and planned with its arguments (see 20261125150000).
language sql stable security invoker as $$
  select c.id, c.tenant_id, c.number_id, c.contact_id, c.status, c.ai_active,
    c.last_message_preview, c.last_message_at, c.last_message_direction,
    c.last_inbound_at, c.unread_count, c.sentiment, c.summary, c.insights_at,
    c.created_at, coalesce(c.last_message_at, c.created_at) as activity_at,
    ct.profile_name, ct.wa_id, ct.username, ct.user_id, n.display_name, n.address, n.provider,
    c.assignee_id, c.assigned_at, c.escalated_at, p.display_name,
    c.label_ids, c.snoozed_until
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  left join public.profiles p on p.id = c.assignee_id
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

-- ---------------------------------------------------------------- inbox_view_counts
-- As in 20261203120000, with Snoozed, the other views counting only what is awake, and an optional
-- label (the counts follow the list's label filter).
drop function public.inbox_view_counts(uuid, text, uuid);
create function public.inbox_view_counts(
  tenant_id uuid, status text default null, number_id uuid default null, label_id uuid default null
)
returns table (mine integer, unassigned integer, all_conversations integer, escalated integer, snoozed integer)
language plpgsql stable security invoker set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
begin
  select count(*) into mine from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id = caller
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or c.label_ids @> array[inbox_view_counts.label_id])
    limit 1000) counted;
  select count(*) into unassigned from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id is null
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or c.label_ids @> array[inbox_view_counts.label_id])
    limit 1000) counted;
  select count(*) into all_conversations from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or c.label_ids @> array[inbox_view_counts.label_id])
    limit 1000) counted;
  select count(*) into escalated from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.escalated_at is not null
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or c.label_ids @> array[inbox_view_counts.label_id])
    limit 1000) counted;
  select count(*) into snoozed from (
    select 1 from public.conversations c
    where c.tenant_id = inbox_view_counts.tenant_id and c.snoozed_until > now()
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or c.label_ids @> array[inbox_view_counts.label_id])
    limit 1000) counted;
  return next;
end $$;
revoke all on function public.inbox_view_counts(uuid, text, uuid, uuid) from public, anon;
grant execute on function public.inbox_view_counts(uuid, text, uuid, uuid) to authenticated, service_role;
