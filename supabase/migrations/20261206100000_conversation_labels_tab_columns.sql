-- The tabs' counts under a common label, each read from one index. With a label on 1 in 7 of 100k
-- conversations, every count joined the label's 14k rows to the conversations to learn whose they
-- are, whether escalated, whether snoozed (p50 52 ms as an agent). Each label row now also carries
-- the few columns the tabs and the list's filters decide on, so a count under a label reads only
-- `conversation_labels`, through an index that starts at the label and, for Mine and Unassigned,
-- at the assignee.
--
-- The columns are kept by a trigger that fires only when one of them changes on a labelled
-- conversation (assignment, escalation, snooze, closing, reopening); for an ordinary message its
-- condition is checked and nothing runs.

alter table public.conversation_labels
  add column status text not null default 'open',
  add column number_id uuid,
  add column assignee_id uuid,
  add column escalated_at timestamptz,
  add column snoozed_until timestamptz;

update public.conversation_labels cl
set status = c.status, number_id = c.number_id, assignee_id = c.assignee_id,
  escalated_at = c.escalated_at, snoozed_until = c.snoozed_until
from public.conversations c
where c.id = cl.conversation_id;

create index conversation_labels_assignee_idx on public.conversation_labels (label_id, assignee_id);
create index conversation_labels_escalated_idx on public.conversation_labels (label_id)
  where escalated_at is not null;
create index conversation_labels_snoozed_idx on public.conversation_labels (label_id, snoozed_until)
  where snoozed_until is not null;

-- As in 20261205600000, with the tab columns on each new row.
create or replace function private.sync_conversation_labels() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  delete from public.conversation_labels cl
  where cl.conversation_id = new.id and not (cl.label_id = any (new.label_ids));
  insert into public.conversation_labels (
    label_id, conversation_id, tenant_id, status, number_id, assignee_id, escalated_at, snoozed_until
  )
  select distinct label, new.id, new.tenant_id, new.status, new.number_id, new.assignee_id,
    new.escalated_at, new.snoozed_until
  from unnest(new.label_ids) label
  on conflict do nothing;
  return null;
end $$;

create function private.sync_conversation_label_columns() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.conversation_labels cl
  set status = new.status, number_id = new.number_id, assignee_id = new.assignee_id,
    escalated_at = new.escalated_at, snoozed_until = new.snoozed_until
  where cl.conversation_id = new.id;
  return null;
end $$;
revoke all on function private.sync_conversation_label_columns() from public;
-- Not `update of <columns>`: such a trigger misses a column that a before trigger changes
-- (a customer's message ends a snooze, AI back on ends an escalation); the condition sees them.
create trigger sync_conversation_label_columns after update on public.conversations
  for each row when (cardinality(new.label_ids) > 0
    and (old.status, old.number_id, old.assignee_id, old.escalated_at, old.snoozed_until)
      is distinct from (new.status, new.number_id, new.assignee_id, new.escalated_at, new.snoozed_until))
  execute function private.sync_conversation_label_columns();

-- ---------------------------------------------------------------- inbox_view_counts
-- Without a label, each tab counts conversations as in 20261204100200. With one, it counts the
-- label's rows alone. Same five statements, same cap of 1,000.
create or replace function public.inbox_view_counts(
  tenant_id uuid, status text default null, number_id uuid default null, label_id uuid default null
)
returns table (mine integer, unassigned integer, all_conversations integer, escalated integer, snoozed integer)
language plpgsql stable security invoker set search_path = '' set plan_cache_mode = force_custom_plan as $$
declare
  caller uuid := (select auth.uid());
begin
  if inbox_view_counts.label_id is null then
    select count(*) into mine from (
      select 1 from public.conversations c
      where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id = caller
        and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into unassigned from (
      select 1 from public.conversations c
      where c.tenant_id = inbox_view_counts.tenant_id and c.assignee_id is null
        and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into all_conversations from (
      select 1 from public.conversations c
      where c.tenant_id = inbox_view_counts.tenant_id
        and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into escalated from (
      select 1 from public.conversations c
      where c.tenant_id = inbox_view_counts.tenant_id and c.escalated_at is not null
        and (c.snoozed_until is null or c.snoozed_until <= now())
        and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into snoozed from (
      select 1 from public.conversations c
      where c.tenant_id = inbox_view_counts.tenant_id and c.snoozed_until > now()
        and (inbox_view_counts.status is null or c.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or c.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
  else
    select count(*) into mine from (
      select 1 from public.conversation_labels cl
      where cl.label_id = inbox_view_counts.label_id and cl.tenant_id = inbox_view_counts.tenant_id
        and cl.assignee_id = caller
        and (cl.snoozed_until is null or cl.snoozed_until <= now())
        and (inbox_view_counts.status is null or cl.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or cl.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into unassigned from (
      select 1 from public.conversation_labels cl
      where cl.label_id = inbox_view_counts.label_id and cl.tenant_id = inbox_view_counts.tenant_id
        and cl.assignee_id is null
        and (cl.snoozed_until is null or cl.snoozed_until <= now())
        and (inbox_view_counts.status is null or cl.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or cl.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into all_conversations from (
      select 1 from public.conversation_labels cl
      where cl.label_id = inbox_view_counts.label_id and cl.tenant_id = inbox_view_counts.tenant_id
        and (cl.snoozed_until is null or cl.snoozed_until <= now())
        and (inbox_view_counts.status is null or cl.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or cl.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into escalated from (
      select 1 from public.conversation_labels cl
      where cl.label_id = inbox_view_counts.label_id and cl.tenant_id = inbox_view_counts.tenant_id
        and cl.escalated_at is not null
        and (cl.snoozed_until is null or cl.snoozed_until <= now())
        and (inbox_view_counts.status is null or cl.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or cl.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
    select count(*) into snoozed from (
      select 1 from public.conversation_labels cl
      where cl.label_id = inbox_view_counts.label_id and cl.tenant_id = inbox_view_counts.tenant_id
        and cl.snoozed_until > now()
        and (inbox_view_counts.status is null or cl.status = inbox_view_counts.status)
        and (inbox_view_counts.number_id is null or cl.number_id = inbox_view_counts.number_id)
      limit 1000) counted;
  end if;
  return next;
end $$;
