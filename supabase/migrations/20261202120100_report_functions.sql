-- The Reports page's figures in one call, read through RLS (security invoker): owners and admins
-- get the tenant's, an agent only their own, because the report tables' policies show an agent
-- nothing else and the function narrows what the shared tables (messages) would show.
--
-- A period is a run of whole days in the tenant's time zone, first_day to last_day inclusive; the
-- previous period is as many days just before it. Times are in seconds, to a tenth.

create function public.conversation_report(
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
  starts := conversation_report.first_day::timestamp at time zone zone;
  ends := (conversation_report.last_day + 1)::timestamp at time zone zone;
  previous_starts := (conversation_report.first_day - days)::timestamp at time zone zone;
  hourly := days <= 2;

  with
  -- Cycles opened in either period: volume, first responses, escalations, sentiment.
  opened as (
    select cy.opened_at >= starts as current_period, cy.*
    from public.conversation_cycles cy
    where cy.tenant_id = conversation_report.tenant_id
      and cy.opened_at >= previous_starts and cy.opened_at < ends
      and (conversation_report.number_id is null or cy.number_id = conversation_report.number_id)
      and (member is null or cy.first_human_reply_by = member or cy.resolved_by = member)
  ),
  -- A person's wait starts at the hand-over when the AI escalated before anyone answered.
  responses as (
    select o.current_period, o.first_human_reply_by,
      extract(epoch from o.first_human_reply_at - case when o.escalated_at > o.first_inbound_at
        and o.escalated_at <= o.first_human_reply_at then o.escalated_at else o.first_inbound_at end) as human_seconds,
      extract(epoch from o.first_ai_reply_at - o.first_inbound_at) as ai_seconds
    from opened o where o.first_inbound_at is not null
  ),
  opened_figures as (
    select o.current_period,
      count(*) as opened,
      count(*) filter (where o.first_ai_reply_at is not null) as ai_answered,
      count(*) filter (where o.escalated_at is not null) as escalated,
      count(*) filter (where o.sentiment = 'positive') as positive,
      count(*) filter (where o.sentiment = 'neutral') as neutral,
      count(*) filter (where o.sentiment = 'negative') as negative
    from opened o group by o.current_period
  ),
  response_figures as (
    select r.current_period,
      count(r.human_seconds) as human_responses,
      round(percentile_cont(0.5) within group (order by r.human_seconds)::numeric, 1) as human_median,
      round(percentile_cont(0.9) within group (order by r.human_seconds)::numeric, 1) as human_p90,
      count(r.ai_seconds) as ai_responses,
      round(percentile_cont(0.5) within group (order by r.ai_seconds)::numeric, 1) as ai_median,
      round(percentile_cont(0.9) within group (order by r.ai_seconds)::numeric, 1) as ai_p90
    from responses r group by r.current_period
  ),
  -- Cycles resolved in either period, whenever they opened.
  resolved as (
    select cy.resolved_at >= starts as current_period, cy.resolved_by,
      extract(epoch from cy.resolved_at - cy.opened_at) as seconds,
      cy.first_ai_reply_at is not null and cy.first_human_reply_at is null and cy.escalated_at is null as by_ai
    from public.conversation_cycles cy
    where cy.tenant_id = conversation_report.tenant_id
      and cy.resolved_at >= previous_starts and cy.resolved_at < ends
      and (conversation_report.number_id is null or cy.number_id = conversation_report.number_id)
      and (member is null or cy.first_human_reply_by = member or cy.resolved_by = member)
  ),
  resolved_figures as (
    select r.current_period, count(*) as resolved, count(*) filter (where r.by_ai) as resolved_by_ai,
      round(percentile_cont(0.5) within group (order by r.seconds)::numeric, 1) as median,
      round(percentile_cont(0.9) within group (order by r.seconds)::numeric, 1) as p90
    from resolved r group by r.current_period
  ),
  volume as (
    select v.bucket_at >= starts as current_period, v.*
    from public.message_volume v
    where v.tenant_id = conversation_report.tenant_id
      and v.bucket_at >= previous_starts and v.bucket_at < ends
      and (conversation_report.number_id is null or v.number_id = conversation_report.number_id)
      and (member is null or v.sender_user_id = member)
  ),
  volume_figures as (
    select v.current_period,
      coalesce(sum(v.messages) filter (where v.direction = 'inbound'), 0) as messages_in,
      coalesce(sum(v.messages) filter (where v.sender = 'agent'), 0) as messages_out_human,
      coalesce(sum(v.messages) filter (where v.sender = 'ai'), 0) as messages_out_ai
    from volume v group by v.current_period
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
      'messages_in', case when not own then coalesce(v.messages_in, 0) end,
      'messages_out_human', coalesce(v.messages_out_human, 0),
      'messages_out_ai', coalesce(v.messages_out_ai, 0),
      'first_response_human_count', coalesce(r.human_responses, 0),
      'first_response_human_median', r.human_median,
      'first_response_human_p90', r.human_p90,
      'first_response_ai_count', coalesce(r.ai_responses, 0),
      'first_response_ai_median', r.ai_median,
      'first_response_ai_p90', r.ai_p90,
      'resolved', coalesce(s.resolved, 0),
      'resolved_by_ai', coalesce(s.resolved_by_ai, 0),
      'resolution_median', s.median,
      'resolution_p90', s.p90,
      'ai_answered', coalesce(o.ai_answered, 0),
      'escalated', coalesce(o.escalated, 0),
      'escalation_rate', case when o.ai_answered > 0 then round(o.escalated::numeric / o.ai_answered, 4) end,
      'failed', (select count(*) from failed f where f.current_period = p.current_period),
      'sentiment', jsonb_build_object('positive', coalesce(o.positive, 0), 'neutral', coalesce(o.neutral, 0),
        'negative', coalesce(o.negative, 0))
    ) as figures
    from periods p
    left join opened_figures o on o.current_period = p.current_period
    left join response_figures r on r.current_period = p.current_period
    left join resolved_figures s on s.current_period = p.current_period
    left join volume_figures v on v.current_period = p.current_period
  )
  select jsonb_build_object(
    'scope', case when own then 'own' else 'tenant' end,
    'time_zone', zone,
    'first_day', conversation_report.first_day,
    'last_day', conversation_report.last_day,
    'previous_first_day', conversation_report.first_day - days,
    'granularity', case when hourly then 'hour' else 'day' end,
    'current', (select f.figures from figures f where f.current_period),
    'previous', (select f.figures from figures f where not f.current_period),
    -- Volume over the current period, one point per local hour or day, empty ones included.
    'volume', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'at', to_char(slot.at at time zone zone, 'YYYY-MM-DD"T"HH24:MI'),
        'inbound', coalesce(counted.inbound, 0), 'human', coalesce(counted.human, 0), 'ai', coalesce(counted.ai, 0)
      ) order by slot.at), '[]')
      from (
        select hour_slot as at from generate_series(starts, ends - interval '1 second', interval '1 hour') hour_slot
        where hourly
        -- Local midnights: a day is 23 or 25 hours long when the clocks change.
        union all
        select day_slot at time zone zone from generate_series(conversation_report.first_day::timestamp,
          conversation_report.last_day::timestamp, interval '1 day') day_slot
        where not hourly
      ) slot
      left join (
        select date_trunc(case when hourly then 'hour' else 'day' end, v.bucket_at, zone) as at,
          sum(v.messages) filter (where v.direction = 'inbound') as inbound,
          sum(v.messages) filter (where v.sender = 'agent') as human,
          sum(v.messages) filter (where v.sender = 'ai') as ai
        from volume v where v.current_period group by 1
      ) counted on counted.at = date_trunc(case when hourly then 'hour' else 'day' end, slot.at, zone)
    ),
    -- Per member: messages sent, first responses and resolutions in the current period.
    'members', (
      select coalesce(jsonb_agg(jsonb_build_object(
        'user_id', who.user_id, 'messages_sent', coalesce(sent.messages, 0),
        'first_responses', coalesce(answered.responses, 0), 'first_response_median', answered.median,
        'resolved', coalesce(closed.resolved, 0)
      ) order by coalesce(sent.messages, 0) desc, who.user_id), '[]')
      from (
        select v.sender_user_id as user_id from volume v where v.current_period and v.sender_user_id is not null
        union select r.first_human_reply_by from responses r where r.current_period and r.first_human_reply_by is not null
        union select s.resolved_by from resolved s where s.current_period and s.resolved_by is not null
      ) who
      left join (select v.sender_user_id, sum(v.messages) as messages from volume v
        where v.current_period and v.sender = 'agent' group by 1) sent on sent.sender_user_id = who.user_id
      left join (select r.first_human_reply_by, count(r.human_seconds) as responses,
          round(percentile_cont(0.5) within group (order by r.human_seconds)::numeric, 1) as median
        from responses r where r.current_period group by 1) answered on answered.first_human_reply_by = who.user_id
      left join (select s.resolved_by, count(*) as resolved from resolved s
        where s.current_period group by 1) closed on closed.resolved_by = who.user_id
      where member is null or who.user_id = member
    ),
    -- Per number: conversations opened and messages either way in the current period.
    'numbers', (
      select coalesce(jsonb_agg(jsonb_build_object('number_id', n.number_id, 'opened', n.opened,
        'inbound', n.inbound, 'outbound', n.outbound) order by n.opened desc, n.number_id), '[]')
      from (
        select coalesce(o.number_id, v.number_id) as number_id, coalesce(o.opened, 0) as opened,
          coalesce(v.inbound, 0) as inbound, coalesce(v.outbound, 0) as outbound
        from (select o.number_id, count(*) as opened from opened o where o.current_period group by 1) o
        full join (select v.number_id, sum(v.messages) filter (where v.direction = 'inbound') as inbound,
            sum(v.messages) filter (where v.sender in ('agent', 'ai')) as outbound
          from volume v where v.current_period group by 1) v on v.number_id = o.number_id
      ) n
    ),
    -- Inbound by weekday (1 Monday … 7 Sunday) and hour in the tenant's time zone.
    'heatmap', (
      select coalesce(jsonb_agg(jsonb_build_object('weekday', h.weekday, 'hour', h.hour, 'inbound', h.inbound)
        order by h.weekday, h.hour), '[]')
      from (
        select extract(isodow from v.bucket_at at time zone zone)::int as weekday,
          extract(hour from v.bucket_at at time zone zone)::int as hour, sum(v.messages) as inbound
        from volume v where v.current_period and v.direction = 'inbound' group by 1, 2
      ) h
    ),
    'escalation_reasons', (
      select coalesce(jsonb_agg(jsonb_build_object('reason', e.reason, 'count', e.count)
        order by e.count desc, e.reason), '[]')
      from (
        select coalesce(nullif(btrim(o.escalation_reason), ''), 'No reason given') as reason, count(*) as count
        from opened o where o.current_period and o.escalated_at is not null group by 1 order by 2 desc, 1 limit 10
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

revoke all on function public.conversation_report(uuid, date, date, uuid, uuid) from public, anon;
grant execute on function public.conversation_report(uuid, date, date, uuid, uuid) to authenticated, service_role;

-- The tenant's today, for the page's period picker.
create function public.tenant_today(tenant_id uuid) returns date
language sql stable set search_path = '' as $$
  select (now() at time zone t.time_zone)::date from public.tenants t where t.id = tenant_today.tenant_id
$$;
revoke all on function public.tenant_today(uuid) from public, anon;
grant execute on function public.tenant_today(uuid) to authenticated, service_role;
