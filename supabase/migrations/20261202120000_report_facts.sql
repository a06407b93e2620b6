-- What the reports count, kept as the inbox works so a report never re-reads every message:
--   tenants.time_zone           the tenant's days, hours and heatmap are read in this zone
--   conversation_cycles         one row each time a conversation opens until it is closed:
--                               first customer message, first human and AI replies, hand-over to a
--                               person (escalation), resolution and by whom, sentiment
--   message_volume              messages per 15 minutes, number, direction, sender and member
--                               (15 minutes, because some time zones are 30 or 45 minutes off UTC)
-- Both are written by triggers only, so every path that stores a message or closes a conversation
-- keeps them, and backfilled from what is stored.

-- ---------------------------------------------------------------- the tenant's time zone
alter table public.tenants add column time_zone text not null default 'UTC';
grant update (time_zone) on table public.tenants to authenticated;

-- A check constraint may not read pg_timezone_names; a trigger may, and answers in words.
create function private.check_tenant_time_zone() returns trigger
language plpgsql set search_path = '' as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
    raise exception using errcode = '22023',
      message = format('%s is not a time zone Parley knows. Choose one such as Europe/Berlin or America/New_York.', new.time_zone);
  end if;
  return new;
end $$;
revoke all on function private.check_tenant_time_zone() from public;
create trigger check_tenant_time_zone before insert or update of time_zone on public.tenants
  for each row execute function private.check_tenant_time_zone();

-- ---------------------------------------------------------------- conversation cycles
create table public.conversation_cycles (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  -- The conversation's number, copied so reports filter by number without reading conversations.
  number_id uuid not null references public.whatsapp_numbers (id) on delete cascade,
  opened_at timestamptz not null,
  -- The customer's first message in this cycle: first responses are measured from here.
  first_inbound_at timestamptz,
  -- The first reply after first_inbound_at from a person, and who sent it; the same for the AI.
  first_human_reply_at timestamptz,
  first_human_reply_by uuid references auth.users (id) on delete set null,
  first_ai_reply_at timestamptz,
  -- The AI handed the conversation to people (ai_escalate), and the reason it gave.
  escalated_at timestamptz,
  escalation_reason text,
  resolved_at timestamptz,
  -- The member who closed or archived it; null when no person did (a service or a backfill).
  resolved_by uuid references auth.users (id) on delete set null,
  -- The conversation's latest insight while this was its newest cycle.
  sentiment text constraint conversation_cycles_sentiment check (sentiment in ('positive', 'neutral', 'negative')),
  constraint conversation_cycles_resolution check (resolved_at is null or resolved_at >= opened_at)
);
-- At most one open cycle per conversation; triggers find it through this index.
create unique index conversation_cycles_open_key on public.conversation_cycles (conversation_id)
  where resolved_at is null;
create index conversation_cycles_conversation_id_idx on public.conversation_cycles (conversation_id, opened_at desc);
-- Reports read a period's cycles by when they opened and by when they were resolved.
create index conversation_cycles_tenant_opened_idx on public.conversation_cycles (tenant_id, opened_at);
create index conversation_cycles_tenant_resolved_idx on public.conversation_cycles (tenant_id, resolved_at)
  where resolved_at is not null;
create index conversation_cycles_number_id_idx on public.conversation_cycles (number_id);
create index conversation_cycles_first_human_reply_by_idx on public.conversation_cycles (first_human_reply_by);
create index conversation_cycles_resolved_by_idx on public.conversation_cycles (resolved_by);

-- ---------------------------------------------------------------- message volume
create table public.message_volume (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  bucket_at timestamptz not null,
  number_id uuid not null references public.whatsapp_numbers (id) on delete cascade,
  direction text not null constraint message_volume_direction check (direction in ('inbound', 'outbound')),
  sender text not null constraint message_volume_sender check (sender in ('customer', 'agent', 'ai', 'system')),
  -- No foreign key: a member who leaves keeps their counts (a key with `set null` would merge rows).
  sender_user_id uuid,
  messages integer not null constraint message_volume_messages check (messages >= 0),
  constraint message_volume_key unique nulls not distinct (tenant_id, bucket_at, number_id, direction, sender, sender_user_id)
);
create index message_volume_number_id_idx on public.message_volume (number_id);
create index message_volume_sender_user_idx on public.message_volume (sender_user_id, bucket_at)
  where sender_user_id is not null;

-- Reports read failed messages by when they failed; few rows, so a partial index.
create index messages_tenant_failed_idx on public.messages (tenant_id, failed_at) where status = 'failed';

-- ---------------------------------------------------------------- access
alter table public.conversation_cycles enable row level security;
alter table public.message_volume enable row level security;
revoke all on table public.conversation_cycles, public.message_volume from public, anon, authenticated;
grant all on table public.conversation_cycles, public.message_volume to service_role;
grant select on table public.conversation_cycles, public.message_volume to authenticated;

-- Owners and admins see the tenant's figures; an agent sees the cycles they answered first or
-- resolved, and the messages they sent.
create policy "owners and admins see their tenants' cycles" on public.conversation_cycles
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "agents see the cycles they answered or resolved" on public.conversation_cycles
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[])
    and (first_human_reply_by = (select auth.uid()) or resolved_by = (select auth.uid())));
create policy "owners and admins see their tenants' message volume" on public.message_volume
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "agents see the volume of their own messages" on public.message_volume
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[])
    and sender_user_id = (select auth.uid()));

-- ---------------------------------------------------------------- triggers
-- All security definer: they write the report tables, which no member may write, for whoever
-- stored the message or changed the conversation (a member, a function, the service role).

-- A customer's message opens a cycle on an open conversation that has none (a conversation kept
-- archived stays quiet), and stamps the cycle's first inbound; replies after it stamp the first
-- human and AI replies. least() keeps the earliest whatever order concurrent writers commit in,
-- and each write waits on the cycle's row lock, so no stamp is lost.
create function private.track_cycle_message() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if new.direction = 'inbound' then
    insert into public.conversation_cycles as cy (tenant_id, conversation_id, number_id, opened_at, first_inbound_at)
    select new.tenant_id, c.id, c.number_id, new.created_at, new.created_at
    from public.conversations c where c.id = new.conversation_id and c.status = 'open'
    on conflict (conversation_id) where resolved_at is null do update
      set first_inbound_at = least(cy.first_inbound_at, excluded.first_inbound_at)
      where cy.first_inbound_at is null or excluded.first_inbound_at < cy.first_inbound_at;
  elsif new.sender in ('agent', 'ai') then
    update public.conversation_cycles cy set
      first_human_reply_at = case when new.sender = 'agent'
        then least(cy.first_human_reply_at, new.created_at) else cy.first_human_reply_at end,
      first_human_reply_by = case when new.sender = 'agent'
          and (cy.first_human_reply_at is null or new.created_at < cy.first_human_reply_at)
        then new.sender_user_id else cy.first_human_reply_by end,
      first_ai_reply_at = case when new.sender = 'ai'
        then least(cy.first_ai_reply_at, new.created_at) else cy.first_ai_reply_at end
    where cy.conversation_id = new.conversation_id and cy.resolved_at is null
      and cy.first_inbound_at <= new.created_at
      and case when new.sender = 'agent'
        then cy.first_human_reply_at is null or new.created_at < cy.first_human_reply_at
        else cy.first_ai_reply_at is null or new.created_at < cy.first_ai_reply_at end;
  end if;
  return null;
end $$;

-- A new conversation opens a cycle; closing or archiving resolves the open one (by the member who
-- did it); reopening opens one from the customer's message that reopened it, if any (ingest
-- stores the message before it reopens), or from now. Sentiment follows the newest cycle.
create function private.track_cycle_conversation() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'INSERT' then
    if new.status = 'open' then
      insert into public.conversation_cycles (tenant_id, conversation_id, number_id, opened_at)
      values (new.tenant_id, new.id, new.number_id, new.created_at)
      on conflict (conversation_id) where resolved_at is null do nothing;
    end if;
    return null;
  end if;
  if new.status <> 'open' and old.status = 'open' then
    update public.conversation_cycles cy set resolved_at = greatest(now(), cy.opened_at), resolved_by = (select auth.uid())
    where cy.conversation_id = new.id and cy.resolved_at is null;
  elsif new.status = 'open' and old.status <> 'open' then
    insert into public.conversation_cycles (tenant_id, conversation_id, number_id, opened_at, first_inbound_at)
    select new.tenant_id, new.id, new.number_id, coalesce(min(m.created_at), now()), min(m.created_at)
    from public.messages m
    where m.conversation_id = new.id and m.direction = 'inbound'
      and m.created_at >= coalesce((select max(cy.resolved_at) from public.conversation_cycles cy
        where cy.conversation_id = new.id), '-infinity')
    on conflict (conversation_id) where resolved_at is null do nothing;
  end if;
  if new.sentiment is distinct from old.sentiment then
    update public.conversation_cycles cy set sentiment = new.sentiment
    where cy.id = (select c2.id from public.conversation_cycles c2 where c2.conversation_id = new.id
      order by c2.opened_at desc limit 1);
  end if;
  return null;
end $$;

-- ai_escalate notifies every member with the reason; the first notification marks the cycle.
create function private.track_cycle_escalation() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.conversation_cycles cy set escalated_at = new.created_at, escalation_reason = new.body
  where cy.conversation_id = new.conversation_id and cy.resolved_at is null and cy.escalated_at is null;
  return null;
end $$;

-- Counted at commit (a deferred trigger), so the row lock on a busy 15-minute counter is held
-- only while committing, not for the rest of an ingest.
create function private.count_message_volume() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.message_volume as v (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
  select new.tenant_id, date_bin('15 minutes', new.created_at, timestamptz '2000-01-01 00:00:00+00'),
    c.number_id, new.direction, new.sender, new.sender_user_id, 1
  from public.conversations c where c.id = new.conversation_id
  on conflict on constraint message_volume_key do update set messages = v.messages + 1;
  return null;
end $$;

revoke all on function private.track_cycle_message(), private.track_cycle_conversation(),
  private.track_cycle_escalation(), private.count_message_volume() from public;

create trigger track_cycle_message after insert on public.messages
  for each row execute function private.track_cycle_message();
create trigger track_cycle_conversation after insert or update of status, sentiment on public.conversations
  for each row execute function private.track_cycle_conversation();
create trigger track_cycle_escalation after insert on public.notifications
  for each row when (new.kind = 'escalation' and new.conversation_id is not null)
  execute function private.track_cycle_escalation();
create constraint trigger count_message_volume after insert on public.messages
  deferrable initially deferred
  for each row execute function private.count_message_volume();

-- ---------------------------------------------------------------- backfill
-- One cycle per existing conversation, opened when it was created; closed and archived ones count
-- as resolved at their last change (the best time stored), by no one in particular.
insert into public.conversation_cycles (tenant_id, conversation_id, number_id, opened_at, first_inbound_at,
  first_human_reply_at, first_human_reply_by, first_ai_reply_at, escalated_at, escalation_reason,
  resolved_at, sentiment)
select c.tenant_id, c.id, c.number_id, least(c.created_at, firsts.first_inbound_at), firsts.first_inbound_at,
  human.created_at, human.sender_user_id, ai.created_at, escalation.created_at, escalation.body,
  case when c.status <> 'open' then greatest(c.updated_at, c.created_at, firsts.first_inbound_at) end, c.sentiment
from public.conversations c
cross join lateral (
  select min(m.created_at) as first_inbound_at from public.messages m
  where m.conversation_id = c.id and m.direction = 'inbound'
) firsts
left join lateral (
  select m.created_at, m.sender_user_id from public.messages m
  where m.conversation_id = c.id and m.sender = 'agent' and m.created_at >= firsts.first_inbound_at
  order by m.created_at limit 1
) human on true
left join lateral (
  select m.created_at from public.messages m
  where m.conversation_id = c.id and m.sender = 'ai' and m.created_at >= firsts.first_inbound_at
  order by m.created_at limit 1
) ai on true
left join lateral (
  select n.created_at, n.body from public.notifications n
  where n.conversation_id = c.id and n.kind = 'escalation'
  order by n.created_at limit 1
) escalation on true;

insert into public.message_volume (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
select m.tenant_id, date_bin('15 minutes', m.created_at, timestamptz '2000-01-01 00:00:00+00'), c.number_id,
  m.direction, m.sender, m.sender_user_id, count(*)
from public.messages m join public.conversations c on c.id = m.conversation_id
group by 1, 2, 3, 4, 5, 6;
