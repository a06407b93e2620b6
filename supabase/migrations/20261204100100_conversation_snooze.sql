-- Snooze: a member puts an open conversation away until a time (in an hour, tomorrow at 9:00 or
-- next Monday at 9:00 in the workspace's time zone, or a time they pick). It leaves the inbox's
-- views for Snoozed, and comes back by itself when the time comes, telling its assignee; a new
-- message from the customer brings it back at once.
--
-- The views read `snoozed_until > now()` as snoozed, so a conversation whose time has passed is
-- awake even before private.wake_snoozed_conversations() clears the column and tells the assignee.
-- That function runs every minute: from pg_cron where the extension is there (hosted Supabase),
-- and from the local stack's own timer (supabase/local/scheduler.ts) everywhere else.

alter table public.conversations add column snoozed_until timestamptz;
-- What the wake-up reads: only the snoozed conversations, soonest first.
create index conversations_snoozed_until_idx on public.conversations (snoozed_until)
  where snoozed_until is not null;
-- The Snoozed view pages like the inbox within one workspace's snoozed conversations.
create index conversations_tenant_snoozed_activity_idx on public.conversations
  (tenant_id, coalesce(last_message_at, created_at) desc, id desc) where snoozed_until is not null;

-- A snooze ends when the customer writes (ingest moves the last message to an inbound one) or the
-- conversation leaves the open state (closed, archived).
create function private.end_snooze() returns trigger
language plpgsql set search_path = '' as $$
begin
  if (new.last_message_direction = 'inbound' and new.last_message_at is distinct from old.last_message_at)
    or new.status <> 'open' then
    new.snoozed_until := null;
  end if;
  return new;
end $$;
revoke all on function private.end_snooze() from public;
create trigger end_snooze before update on public.conversations
  for each row when (old.snoozed_until is not null)
  execute function private.end_snooze();

-- ---------------------------------------------------------------- snooze_conversation
-- security definer: snoozed_until has no column grant, so the rules below are the only way in.
-- Every member of the conversation's workspace may snooze it: either `until` (a moment) or a
-- `preset`: 'hour', 'tomorrow' (9:00 tomorrow) or 'next_week' (Monday 9:00), both in the
-- workspace's time zone.
create function public.snooze_conversation(
  conversation_id uuid,
  until timestamptz default null,
  preset text default null
) returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  zone text;
  wake_at timestamptz;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'Sign in to snooze conversations.';
  end if;
  if private.role_in((select c.tenant_id from public.conversations c
                      where c.id = snooze_conversation.conversation_id)) is not null then
    select * into conversation from public.conversations c
    where c.id = snooze_conversation.conversation_id for update;
  end if;
  if conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  if conversation.status <> 'open' then
    raise exception using errcode = 'P0001',
      message = format('Only open conversations can be snoozed, and this one is %s. Reopen it first.', conversation.status);
  end if;
  select t.time_zone into zone from public.tenants t where t.id = conversation.tenant_id;
  zone := coalesce(zone, 'UTC');
  if snooze_conversation.until is not null and snooze_conversation.preset is not null then
    raise exception using errcode = '22023',
      message = 'Choose either a preset or a time to snooze until, not both.';
  end if;
  wake_at := case snooze_conversation.preset
    when 'hour' then now() + interval '1 hour'
    when 'tomorrow' then (((now() at time zone zone)::date + 1) + time '09:00') at time zone zone
    when 'next_week' then
      ((date_trunc('week', now() at time zone zone)::date + 7) + time '09:00') at time zone zone
    else snooze_conversation.until
  end;
  if snooze_conversation.preset is not null and snooze_conversation.preset not in ('hour', 'tomorrow', 'next_week') then
    raise exception using errcode = '22023',
      message = format('%s is not a snooze preset. Choose hour, tomorrow or next_week, or give a time.', snooze_conversation.preset);
  end if;
  if wake_at is null then
    raise exception using errcode = '22023',
      message = 'Choose when the conversation should come back: in an hour, tomorrow, next week or at a time you pick.';
  end if;
  if wake_at <= now() + interval '1 minute' then
    raise exception using errcode = '22023',
      message = 'Choose a time at least a minute from now to snooze until.';
  end if;
  if wake_at > now() + interval '1 year' then
    raise exception using errcode = '22023',
      message = 'A conversation can be snoozed for at most a year. Choose an earlier time.';
  end if;
  update public.conversations c set snoozed_until = wake_at, updated_at = now()
  where c.id = conversation.id
  returning * into conversation;
  return conversation;
end $$;

-- Brings a snoozed conversation back now. Any member may; one that is not snoozed stays as it is.
create function public.unsnooze_conversation(conversation_id uuid)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'Sign in to snooze conversations.';
  end if;
  if private.role_in((select c.tenant_id from public.conversations c
                      where c.id = unsnooze_conversation.conversation_id)) is not null then
    update public.conversations c set snoozed_until = null, updated_at = now()
    where c.id = unsnooze_conversation.conversation_id and c.snoozed_until is not null
    returning * into conversation;
    if conversation.id is null then
      select * into conversation from public.conversations c
      where c.id = unsnooze_conversation.conversation_id;
    end if;
  end if;
  if conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  return conversation;
end $$;

revoke all on function public.snooze_conversation(uuid, timestamptz, text),
  public.unsnooze_conversation(uuid) from public, anon;
grant execute on function public.snooze_conversation(uuid, timestamptz, text),
  public.unsnooze_conversation(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- wake_snoozed_conversations
-- Wakes every conversation whose time has come and tells each assignee once: the update clears
-- the time in the same statement that picks the rows, so a second run (or two at once: the second
-- waits for the first's row locks, then finds the time cleared) wakes and tells nobody again.
-- Returns how many woke.
create function private.wake_snoozed_conversations() returns integer
language plpgsql security definer set search_path = '' as $$
declare
  woken_count integer;
begin
  with woken as (
    update public.conversations c set snoozed_until = null, updated_at = now()
    where c.snoozed_until <= now()
    returning c.id, c.tenant_id, c.contact_id, c.assignee_id, c.last_message_preview
  ), told as (
    insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
    select w.tenant_id, w.assignee_id, 'snooze', w.id,
      format('The conversation with %s is back from snooze', private.contact_label(k)),
      w.last_message_preview
    from woken w join public.contacts k on k.id = w.contact_id
    where w.assignee_id is not null
  )
  select count(*) into woken_count from woken;
  return woken_count;
end $$;
revoke all on function private.wake_snoozed_conversations() from public;
grant execute on function private.wake_snoozed_conversations() to service_role;

-- Hosted Supabase has pg_cron: enable it where the server offers it and run the wake-up every
-- minute. A server without it (PGlite, a plain PostgreSQL) skips this; a server that offers it but
-- cannot load it (not in shared_preload_libraries) leaves it off too, and says so.
do $$
begin
  if exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron')
    and not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    begin
      create extension pg_cron;
    exception when others then
      raise notice 'pg_cron could not be enabled (%); snoozed conversations wake when their views are read and through another scheduler.', sqlerrm;
    end;
  end if;
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $sql$select cron.schedule('wake-snoozed-conversations', '* * * * *',
      'select private.wake_snoozed_conversations()')$sql$;
  end if;
end $$;
