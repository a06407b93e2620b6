-- A tenant's ingest was capped by its reports rollup. Each message adds one to its 15-minute
-- counter at commit, under the tenant's rollup lock (20261204140000), and the counter's trigger
-- then took the old counter's facts off the daily rollup and put the new counter's on: two or
-- four full-width upserts of the day's row, each merging seven histograms. Measured on
-- PostgreSQL 15 with pg_stat_statements, that tail held the lock about 8 ms per message, so one
-- tenant's deliveries committed at most about 120 a second whatever the cores.
--
-- A counter that only grew (same bucket, number, direction and sender) now adds the difference
-- alone, and to the day's message columns alone: one narrow update per fact row. Every other
-- change (a counter moved or removed, a rebuild) keeps the general path.

-- Adds (sign 1) or takes away (sign -1) a message fact's counts on its day row; a row that is not
-- there yet, or a count taken away (which may leave the row empty), goes the general way.
create function private.apply_report_messages(f public.conversation_report_days, sign integer) returns void
language plpgsql security definer set search_path = '' as $$
begin
  if sign > 0 then
    update public.conversation_report_days d set
      messages_any = d.messages_any + f.messages_any,
      messages_in = d.messages_in + f.messages_in,
      messages_human = d.messages_human + f.messages_human,
      messages_ai = d.messages_ai + f.messages_ai,
      inbound_hours = case when f.inbound_hours = '{}' then d.inbound_hours
        else private.histogram_merge(d.inbound_hours, f.inbound_hours) end
    where d.tenant_id = f.tenant_id and d.day = f.day
      and (d.number_id = f.number_id or d.number_id is null and f.number_id is null)
      and (d.member_id = f.member_id or d.member_id is null and f.member_id is null);
    if found then return; end if;
  end if;
  perform private.apply_report_fact(f, sign);
end $$;
revoke all on function private.apply_report_messages(public.conversation_report_days, integer) from public;

-- As in 20261203110000, with the counter that only grew counted by its difference.
create or replace function private.track_report_days_volume() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  zone text;
  fact record;
  grown public.message_volume;
begin
  select t.time_zone into zone from public.tenants t
  where t.id = case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
  if not found then return null; end if;
  if tg_op = 'UPDATE'
    and (old.tenant_id, old.bucket_at, old.number_id, old.direction, old.sender, old.sender_user_id)
      is not distinct from (new.tenant_id, new.bucket_at, new.number_id, new.direction, new.sender, new.sender_user_id)
  then
    if new.messages = old.messages then return null; end if;
    grown := new;
    grown.messages := abs(new.messages - old.messages);
    for fact in select f from private.report_volume_facts(grown, zone) f
        order by f.day, f.number_id, f.member_id nulls first loop
      perform private.apply_report_messages(fact.f, sign(new.messages - old.messages)::integer);
    end loop;
  elsif tg_op = 'INSERT' then
    for fact in select f from private.report_volume_facts(new, zone) f
        order by f.day, f.number_id, f.member_id nulls first loop
      perform private.apply_report_fact(fact.f, 1);
    end loop;
  elsif tg_op = 'DELETE' then
    for fact in select f from private.report_volume_facts(old, zone) f
        order by f.day, f.number_id, f.member_id nulls first loop
      perform private.apply_report_fact(fact.f, -1);
    end loop;
  else
    for fact in
      select s.f, s.sign from (
        select f, -1 as sign from private.report_volume_facts(old, zone) f
        union all
        select f, 1 from private.report_volume_facts(new, zone) f
      ) s
      order by (s.f).day, (s.f).number_id, (s.f).member_id nulls first, s.sign
    loop
      perform private.apply_report_fact(fact.f, fact.sign);
    end loop;
  end if;
  return null;
end $$;
