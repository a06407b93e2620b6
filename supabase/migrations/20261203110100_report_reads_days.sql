-- The report reads the daily rollup (conversation_report_days) instead of every cycle: about 60
-- rows a series for a 30-day report and its previous 30 days. Only the hourly volume of a one- or
-- two-day report still reads the 15-minute message_volume rows, and failed messages are read from
-- their partial index, as before. Medians and p90 come from the rollup's histograms (see
-- 20261203110000_report_days.sql for how exact they are).

create or replace function public.conversation_report(
  tenant_id uuid,
  first_day date,
  last_day date,
  number_id uuid default null,
  member_id uuid default null
) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  zone text;
  own boolean;
  days integer := conversation_report.last_day - conversation_report.first_day + 1;
  previous_first_day date;
  starts timestamptz;
  ends timestamptz;
  previous_starts timestamptz;
  member uuid := conversation_report.member_id;
  hourly boolean;
  result jsonb;
begin
  select t.time_zone into zone from public.tenants t where t.id = conversation_report.tenant_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'There is no such workspace, or you are not a member of it.';
  end if;
  if days < 1 or days > 400 then
    raise exception using errcode = '22023',
      message = 'Choose a period of 1 to 400 days whose first day is not after its last.';
  end if;
  own := not private.has_role(conversation_report.tenant_id, '{owner,admin}');
  -- An agent's report is always their own, whatever member they ask for.
  if own then member := (select auth.uid()); end if;
  previous_first_day := conversation_report.first_day - days;
  starts := conversation_report.first_day::timestamp at time zone zone;
  ends := (conversation_report.last_day + 1)::timestamp at time zone zone;
  previous_starts := previous_first_day::timestamp at time zone zone;
  hourly := days <= 2;

  with
  -- The tenant's rows (or the chosen member's) over both periods.
  report_days as materialized (
    select d.day >= conversation_report.first_day as current_period, d.*
    from public.conversation_report_days d
    where d.tenant_id = conversation_report.tenant_id
      and d.day >= previous_first_day and d.day <= conversation_report.last_day
      and (conversation_report.number_id is null or d.number_id = conversation_report.number_id)
      and (case when member is null then d.member_id is null else d.member_id = member end)
  ),
  -- Each period's histograms, bucket counts summed over its days, then read as percentiles.
  period_percentiles as (
    select b.current_period,
      private.histogram_percentiles(jsonb_object_agg(b.key, b.n) filter (where b.series = 'human'), '{0.5,0.9}') as human,
      private.histogram_percentiles(jsonb_object_agg(b.key, b.n) filter (where b.series = 'ai'), '{0.5,0.9}') as ai,
      private.histogram_percentiles(jsonb_object_agg(b.key, b.n) filter (where b.series = 'resolution'), '{0.5,0.9}')
        as resolution
    from (
      select d.current_period, s.series, e.key, sum(e.value::bigint) as n
      from report_days d,
        lateral (values ('human', d.human_seconds), ('ai', d.ai_seconds), ('resolution', d.resolution_seconds))
          s (series, buckets),
        jsonb_each_text(s.buckets) e
      group by 1, 2, 3
    ) b
    group by b.current_period
  ),
  period_figures as (
    select d.current_period,
      sum(d.opened) as opened, sum(d.ai_answered) as ai_answered, sum(d.escalated) as escalated,
      sum(d.positive) as positive, sum(d.neutral) as neutral, sum(d.negative) as negative,
      sum(d.human_responses) as human_responses, sum(d.ai_responses) as ai_responses,
      sum(d.resolved) as resolved, sum(d.resolved_by_ai) as resolved_by_ai,
      sum(d.messages_in) as messages_in, sum(d.messages_human) as messages_out_human,
      sum(d.messages_ai) as messages_out_ai,
      (select p.human from period_percentiles p where p.current_period = d.current_period) as human,
      (select p.ai from period_percentiles p where p.current_period = d.current_period) as ai,
      (select p.resolution from period_percentiles p where p.current_period = d.current_period) as resolution
    from report_days d group by d.current_period
  ),
  failed as (
    select m.failed_at >= starts as current_period, m.error_code, m.error_message
    from public.messages m
    where m.tenant_id = conversation_report.tenant_id and m.status = 'failed'
      and m.failed_at >= previous_starts and m.failed_at < ends
      and (member is null or m.sender_user_id = member)
      and (conversation_report.number_id is null or exists (select 1 from public.conversations c
        where c.id = m.conversation_id and c.number_id = conversation_report.number_id))
  ),
  periods as (
    select p.current_period from (values (true), (false)) p (current_period)
  ),
  figures as (
    select p.current_period, jsonb_build_object(
      'conversations_opened', coalesce(o.opened, 0),
      -- Customers' messages belong to no member: an agent's own report has none.
      'messages_in', case when not own then coalesce(o.messages_in, 0) end,
      'messages_out_human', coalesce(o.messages_out_human, 0),
      'messages_out_ai', coalesce(o.messages_out_ai, 0),
      'first_response_human_count', coalesce(o.human_responses, 0),
      'first_response_human_median', round(o.human[1]::numeric, 1),
      'first_response_human_p90', round(o.human[2]::numeric, 1),
      'first_response_ai_count', coalesce(o.ai_responses, 0),
      'first_response_ai_median', round(o.ai[1]::numeric, 1),
      'first_response_ai_p90', round(o.ai[2]::numeric, 1),
      'resolved', coalesce(o.resolved, 0),
      'resolved_by_ai', coalesce(o.resolved_by_ai, 0),
      'resolution_median', round(o.resolution[1]::numeric, 1),
      'resolution_p90', round(o.resolution[2]::numeric, 1),
      'ai_answered', coalesce(o.ai_answered, 0),
      'escalated', coalesce(o.escalated, 0),
      'escalation_rate', case when o.ai_answered > 0 then round(o.escalated::numeric / o.ai_answered, 4) end,
      'failed', (select count(*) from failed f where f.current_period = p.current_period),
      'sentiment', jsonb_build_object('positive', coalesce(o.positive, 0), 'neutral', coalesce(o.neutral, 0),
        'negative', coalesce(o.negative, 0))
    ) as figures
    from periods p
    left join period_figures o on o.current_period = p.current_period
  )
  select jsonb_build_object(
    'scope', case when own then 'own' else 'tenant' end,
    'time_zone', zone,
    'first_day', conversation_report.first_day,
    'last_day', conversation_report.last_day,
    'previous_first_day', previous_first_day,
    'granularity', case when hourly then 'hour' else 'day' end,
    'current', (select f.figures from figures f where f.current_period),
    'previous', (select f.figures from figures f where not f.current_period),
    -- Volume over the current period, one point per local hour or day, empty ones included.
    'volume', case when hourly then (
      select coalesce(jsonb_agg(jsonb_build_object(
        'at', to_char(slot.at at time zone zone, 'YYYY-MM-DD"T"HH24:MI'),
        'inbound', coalesce(counted.inbound, 0), 'human', coalesce(counted.human, 0), 'ai', coalesce(counted.ai, 0)
      ) order by slot.at), '[]')
      from generate_series(starts, ends - interval '1 second', interval '1 hour') slot (at)
      left join (
        select date_trunc('hour', v.bucket_at, zone) as at,
          sum(v.messages) filter (where v.direction = 'inbound') as inbound,
          sum(v.messages) filter (where v.sender = 'agent') as human,
          sum(v.messages) filter (where v.sender = 'ai') as ai
        from public.message_volume v
        where v.tenant_id = conversation_report.tenant_id and v.bucket_at >= starts and v.bucket_at < ends
          and (conversation_report.number_id is null or v.number_id = conversation_report.number_id)
          and (member is null or v.sender_user_id = member)
        group by 1
      ) counted on counted.at = date_trunc('hour', slot.at, zone)
    ) else (
      select coalesce(jsonb_agg(jsonb_build_object(
        'at', to_char(slot.day, 'YYYY-MM-DD"T"HH24:MI'),
        'inbound', coalesce(counted.inbound, 0), 'human', coalesce(counted.human, 0), 'ai', coalesce(counted.ai, 0)
      ) order by slot.day), '[]')
      -- Local days, whatever their length when the clocks change.
      from generate_series(conversation_report.first_day::timestamp, conversation_report.last_day::timestamp,
        interval '1 day') slot (day)
      left join (
        select d.day, sum(d.messages_in) as inbound, sum(d.messages_human) as human, sum(d.messages_ai) as ai
        from report_days d where d.current_period group by 1
      ) counted on counted.day = slot.day::date
    ) end,
    -- Per member: messages sent, first responses and resolutions in the current period.
    'members', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'user_id', m.member_id, 'messages_sent', m.messages_sent,
        'first_responses', m.first_responses, 'first_response_median', round(m.median[1]::numeric, 1),
        'resolved', m.resolved
      ) order by m.messages_sent desc, m.member_id), '[]')
      from (
        select d.member_id, sum(d.messages_human) as messages_sent, sum(d.own_responses) as first_responses,
          (select private.histogram_percentiles(jsonb_object_agg(b.key, b.n), '{0.5}')
           from (select e.key, sum(e.value::bigint) as n from unnest(array_agg(d.own_response_seconds)) h,
             jsonb_each_text(h) e group by 1) b) as median,
          sum(d.own_resolved) as resolved
        from public.conversation_report_days d
        where d.tenant_id = conversation_report.tenant_id
          and d.day >= conversation_report.first_day and d.day <= conversation_report.last_day
          and d.member_id is not null and (member is null or d.member_id = member)
          and (conversation_report.number_id is null or d.number_id = conversation_report.number_id)
        group by d.member_id
        having sum(d.messages_any) > 0 or sum(d.own_first_replies) > 0 or sum(d.own_resolved) > 0
      ) m
    ),
    -- Per number: conversations opened and messages either way in the current period.
    'numbers', (
      select coalesce(jsonb_agg(jsonb_build_object('number_id', n.number_id, 'opened', n.opened,
        'inbound', n.inbound, 'outbound', n.outbound) order by n.opened desc, n.number_id), '[]')
      from (
        select d.number_id, sum(d.opened) as opened, sum(d.messages_in) as inbound,
          sum(d.messages_human + d.messages_ai) as outbound
        from report_days d where d.current_period group by 1
        having sum(d.opened) > 0 or sum(d.messages_any) > 0
      ) n
    ),
    -- Inbound by weekday (1 Monday … 7 Sunday) and hour in the tenant's time zone.
    'heatmap', (
      select coalesce(jsonb_agg(jsonb_build_object('weekday', h.weekday, 'hour', h.hour, 'inbound', h.inbound)
        order by h.weekday, h.hour), '[]')
      from (
        select extract(isodow from d.day)::int as weekday, e.key::int as hour, sum(e.value::bigint) as inbound
        from report_days d, jsonb_each_text(d.inbound_hours) e where d.current_period group by 1, 2
      ) h
    ),
    'escalation_reasons', (
      select coalesce(jsonb_agg(jsonb_build_object('reason', e.reason, 'count', e.count)
        order by e.count desc, e.reason), '[]')
      from (
        select r.key as reason, sum(r.value::bigint) as count
        from report_days d, jsonb_each_text(d.escalation_reasons) r where d.current_period
        group by 1 order by 2 desc, 1 limit 10
      ) e
    ),
    'failures', (
      select coalesce(jsonb_agg(jsonb_build_object('error_code', f.error_code, 'reason', f.reason, 'count', f.count)
        order by f.count desc, f.reason), '[]')
      from (
        select f.error_code, coalesce(min(f.error_message), 'No reason given') as reason, count(*) as count
        from failed f where f.current_period group by 1 order by 3 desc, 2 limit 10
      ) f
    )
  ) into result;
  return result;
end $$;
