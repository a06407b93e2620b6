-- Two deliveries of one tenant could deadlock in the reports rollup on a real server. A new
-- conversation's cycle locks the day's rollup row as soon as it opens, then at commit counts its
-- message in `message_volume` (that counter's row, then the day row again). Meanwhile another
-- delivery's commit counts its message: the same counter row first, then the day row. Each held
-- what the other wanted; PostgreSQL broke the tie after a second by failing one delivery, which the
-- provider then retried. Every rollup writer now takes one transaction lock per tenant before any
-- rollup row, so they queue in one order instead.
create or replace function private.lock_report_days(tenant uuid) returns void
language sql volatile set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('report-days:' || tenant::text, 0))
$$;
revoke all on function private.lock_report_days(uuid) from public;

create or replace function private.count_message_volume() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.lock_report_days(new.tenant_id);
  insert into public.message_volume as v (tenant_id, bucket_at, number_id, direction, sender, sender_user_id, messages)
  select new.tenant_id, date_bin('15 minutes', new.created_at, timestamptz '2000-01-01 00:00:00+00'),
    c.number_id, new.direction, new.sender, new.sender_user_id, 1
  from public.conversations c where c.id = new.conversation_id
  on conflict on constraint message_volume_key do update set messages = v.messages + 1;
  return null;
end $$;

create or replace function private.track_report_days_cycle() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  zone text;
  fact record;
begin
  select t.time_zone into zone from public.tenants t
  where t.id = case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
  if not found then return null; end if;
  perform private.lock_report_days(case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end);
  if tg_op = 'INSERT' then
    for fact in select f from private.report_cycle_facts(new, zone) f
        order by f.day, f.number_id, f.member_id nulls first loop
      perform private.apply_report_fact(fact.f, 1);
    end loop;
  elsif tg_op = 'DELETE' then
    for fact in select f from private.report_cycle_facts(old, zone) f
        order by f.day, f.number_id, f.member_id nulls first loop
      perform private.apply_report_fact(fact.f, -1);
    end loop;
  else
    for fact in
      select s.f, s.sign from (
        select f, -1 as sign from private.report_cycle_facts(old, zone) f
        union all
        select f, 1 from private.report_cycle_facts(new, zone) f
      ) s
      order by (s.f).day, (s.f).number_id, (s.f).member_id nulls first, s.sign
    loop
      perform private.apply_report_fact(fact.f, fact.sign);
    end loop;
  end if;
  return null;
end $$;
