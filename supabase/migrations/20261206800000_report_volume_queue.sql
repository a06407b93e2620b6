-- One tenant's deliveries committed one at a time. Each message counted itself at commit: it took
-- the tenant's rollup lock (20261204140000), added one to its 15-minute counter in
-- `message_volume`, whose trigger added it to the day's row in `conversation_report_days`, and
-- held both rows and the lock until its commit was on disk. Measured on PostgreSQL 15 with
-- track_functions, ten connections calling ingest_whatsapp_delivery spent 29 ms a call waiting in
-- lock_report_days, and a tenant's ingest stayed near half the rate of plain message inserts.
--
-- A message now only appends its count to a queue: no lock, no shared row. The queue is folded
-- into `message_volume` (and through its trigger into the daily rollup) a tenant at a time, under
-- the tenant's rollup lock, one upsert per counter instead of one per message: every few seconds
-- from pg_cron or the local stack's scheduler, and before a report is read
-- (`public.count_report_messages`), so a report counts every message committed before it.

create table private.message_volume_queue (
  tenant_id uuid not null,
  bucket_at timestamptz not null,
  number_id uuid not null,
  direction text not null,
  sender text not null,
  sender_user_id uuid,
  messages integer not null
);
-- No foreign keys: each would lock the tenant's and the number's rows once more per message. A
-- count whose number (or tenant) is gone by the fold is dropped there, as its counter would be.
create index message_volume_queue_tenant_idx on private.message_volume_queue (tenant_id);
revoke all on table private.message_volume_queue from public, anon, authenticated;

create or replace function private.count_message_volume() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into private.message_volume_queue
    (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
  select new.tenant_id, date_bin('15 minutes', new.created_at, timestamptz '2000-01-01 00:00:00+00'),
    c.number_id, new.direction, new.sender, new.sender_user_id, 1
  from public.conversations c where c.id = new.conversation_id;
  return null;
end $$;

-- Moves one tenant's queued counts into its counters. Counts committed while it runs stay queued
-- for the next fold; two folds of one tenant take turns on the rollup lock, and each queued row is
-- deleted, so counted, by one of them.
create function private.fold_message_volume(tenant uuid) returns void
language plpgsql security definer set search_path = '' as $$
begin
  perform private.lock_report_days(tenant);
  with taken as (
    delete from private.message_volume_queue q where q.tenant_id = tenant
    returning q.bucket_at, q.number_id, q.direction, q.sender, q.sender_user_id, q.messages
  )
  insert into public.message_volume as v
    (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
  select tenant, t.bucket_at, t.number_id, t.direction, t.sender, t.sender_user_id, sum(t.messages)
  from taken t
  join public.whatsapp_numbers n on n.id = t.number_id and n.tenant_id = tenant
  group by t.bucket_at, t.number_id, t.direction, t.sender, t.sender_user_id
  -- Counters in one order, so folds and other rollup writers never wait on each other in a circle.
  order by t.bucket_at, t.number_id, t.direction, t.sender, t.sender_user_id
  on conflict on constraint message_volume_key do update set messages = v.messages + excluded.messages;
end $$;
revoke all on function private.fold_message_volume(uuid) from public;

-- Every tenant's queue, for the schedule: each tenant in a transaction of its own, so a tenant's
-- rollup lock is held only while its own counts fold, never through the other tenants'. A
-- procedure (transactions are committed inside it) without SECURITY DEFINER or SET, which
-- PostgreSQL requires for that: it runs as pg_cron's job owner or the local scheduler, and every
-- name is qualified.
create procedure private.fold_all_message_volume()
language plpgsql as $$
declare
  tenant uuid;
begin
  for tenant in select distinct q.tenant_id from private.message_volume_queue q order by 1 loop
    begin
      perform private.fold_message_volume(tenant);
    exception when foreign_key_violation then
      -- A number deleted while its counts folded: they stay queued, and the next run drops them.
      null;
    end;
    commit;
  end loop;
end $$;
revoke all on procedure private.fold_all_message_volume() from public;

-- What a report reader calls first, as a member of the tenant: its queued counts are folded, so
-- conversation_report (and message_volume) count every message committed before.
create function public.count_report_messages(tenant_id uuid) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if not private.has_role(count_report_messages.tenant_id, '{owner,admin,agent}') then
    raise exception using errcode = 'P0002', message = 'There is no such workspace, or you are not a member of it.';
  end if;
  perform private.fold_message_volume(count_report_messages.tenant_id);
end $$;
revoke all on function public.count_report_messages(uuid) from public, anon;
grant execute on function public.count_report_messages(uuid) to authenticated;

-- What was counted before this migration stays; nothing is queued yet.

-- As the snooze wake-up (20261204100100): pg_cron where the server has it, every ten seconds
-- (pg_cron 1.5 and later); an older pg_cron, which counts in minutes, runs it every minute.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    begin
      execute $sql$select cron.schedule('fold-message-volume', '10 seconds',
        'select private.fold_all_message_volume()')$sql$;
    exception when others then
      execute $sql$select cron.schedule('fold-message-volume', '* * * * *',
        'select private.fold_all_message_volume()')$sql$;
    end;
  end if;
end $$;
