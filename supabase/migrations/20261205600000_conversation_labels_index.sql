-- The label filter, served by an index as an agent sees it. Under row-level security Postgres lets
-- an index serve a condition only when its operator is leakproof, so that no row the policy hides
-- can leak through an error. Array containment (`label_ids @> array[...]`) is not leakproof: as
-- an agent, filtering the inbox by a label read every conversation of the tenant (about 100 ms at
-- 100k conversations for a label on 1 in 500), although the GIN index answers it in a fraction of
-- a millisecond for the table's owner. Equality on uuids is leakproof, so the labels are also kept
-- as one row per conversation and label, which the filter and the counts now join.
--
-- `conversations.label_ids` stays the source of truth (label_conversation and unlabel_conversation
-- write it, the inbox row carries it); a trigger keeps this table in step, and only when the labels
-- change, so the per-message update of a conversation does not touch it.

create table public.conversation_labels (
  label_id uuid not null references public.labels (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  primary key (label_id, conversation_id)
);
create index conversation_labels_conversation_id_idx on public.conversation_labels (conversation_id);
create index conversation_labels_tenant_id_idx on public.conversation_labels (tenant_id);

alter table public.conversation_labels enable row level security;
revoke all on table public.conversation_labels from public, anon, authenticated;
grant select on table public.conversation_labels to authenticated;
grant all on table public.conversation_labels to service_role;
-- Read only: members change labels through label_conversation and unlabel_conversation.
create policy "members read their tenants' conversation labels" on public.conversation_labels
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- security definer: the member labelling a conversation may not write this table themselves.
create function private.sync_conversation_labels() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  delete from public.conversation_labels cl
  where cl.conversation_id = new.id and not (cl.label_id = any (new.label_ids));
  insert into public.conversation_labels (label_id, conversation_id, tenant_id)
  select distinct label, new.id, new.tenant_id from unnest(new.label_ids) label
  on conflict do nothing;
  return null;
end $$;
revoke all on function private.sync_conversation_labels() from public;
create trigger sync_conversation_labels_on_insert after insert on public.conversations
  for each row when (cardinality(new.label_ids) > 0)
  execute function private.sync_conversation_labels();
create trigger sync_conversation_labels_on_update after update of label_ids on public.conversations
  for each row when (old.label_ids is distinct from new.label_ids)
  execute function private.sync_conversation_labels();

insert into public.conversation_labels (label_id, conversation_id, tenant_id)
select distinct label, c.id, c.tenant_id from public.conversations c, unnest(c.label_ids) label
on conflict do nothing;

-- ---------------------------------------------------------------- inbox_conversations
-- As in 20261204120000, with the label filter as a join on conversation_labels.
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
  left join public.conversation_labels cl
    on cl.label_id = inbox_conversations.label_id and cl.conversation_id = c.id
  where c.tenant_id = inbox_conversations.tenant_id
    and (inbox_conversations.only_id is null or c.id = inbox_conversations.only_id)
    and (inbox_conversations.view is null
      or inbox_conversations.view = 'snoozed' and c.snoozed_until > now()
      or inbox_conversations.view <> 'snoozed' and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_conversations.view = 'all'
          or inbox_conversations.view = 'mine' and c.assignee_id = (select auth.uid())
          or inbox_conversations.view = 'unassigned' and c.assignee_id is null
          or inbox_conversations.view = 'escalated' and c.escalated_at is not null))
    -- Written as an outer join, not `exists`: with a label the planner turns it into an inner join
    -- and starts from whichever side is smaller (a rare label's few rows, or the tenant's newest
    -- conversations for a common one); without one the join is removed. An `exists` under this
    -- OR is never pulled up, so a rare label walked the tenant's conversations.
    and (inbox_conversations.label_id is null or cl.label_id is not null)
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
-- As in 20261204100200, with the label joined from conversation_labels as the list joins it. Each
-- statement is planned for the call's own values (`plan_cache_mode`): only then does the outer
-- join become an inner one with a label (the planner may start from the label's rows) and vanish
-- without one.
create or replace function public.inbox_view_counts(
  tenant_id uuid, status text default null, number_id uuid default null, label_id uuid default null
)
returns table (mine integer, unassigned integer, all_conversations integer, escalated integer, snoozed integer)
language plpgsql stable security invoker set search_path = '' set plan_cache_mode = force_custom_plan as $$
declare
  caller uuid := (select auth.uid());
begin
  select count(*) into mine from (
    select 1 from public.conversations c
    left join public.conversation_labels cl
      on cl.label_id = inbox_view_counts.label_id and cl.conversation_id = c.id
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id = caller
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or cl.label_id is not null)
    limit 1000) counted;
  select count(*) into unassigned from (
    select 1 from public.conversations c
    left join public.conversation_labels cl
      on cl.label_id = inbox_view_counts.label_id and cl.conversation_id = c.id
    where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id is null
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or cl.label_id is not null)
    limit 1000) counted;
  select count(*) into all_conversations from (
    select 1 from public.conversations c
    left join public.conversation_labels cl
      on cl.label_id = inbox_view_counts.label_id and cl.conversation_id = c.id
    where c.tenant_id = inbox_view_counts.tenant_id
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or cl.label_id is not null)
    limit 1000) counted;
  select count(*) into escalated from (
    select 1 from public.conversations c
    left join public.conversation_labels cl
      on cl.label_id = inbox_view_counts.label_id and cl.conversation_id = c.id
    where c.tenant_id = inbox_view_counts.tenant_id and c.escalated_at is not null
      and (c.snoozed_until is null or c.snoozed_until <= now())
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or cl.label_id is not null)
    limit 1000) counted;
  select count(*) into snoozed from (
    select 1 from public.conversations c
    left join public.conversation_labels cl
      on cl.label_id = inbox_view_counts.label_id and cl.conversation_id = c.id
    where c.tenant_id = inbox_view_counts.tenant_id and c.snoozed_until > now()
      and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
      and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      and (inbox_view_counts.label_id is null or cl.label_id is not null)
    limit 1000) counted;
  return next;
end $$;
