-- The 30-day report on a busy tenant read its cycles several times over: wide rows materialized,
-- numeric epochs, one sort per percentile. Now each period's cycles are read once into narrow rows
-- (double precision seconds), each pair of percentiles is one sort, and the function has the
-- memory to sort in RAM. Covering indexes let both reads and the failed messages' come from the
-- index alone (once vacuum has marked the pages all-visible), not from the wide rows.

create index conversation_cycles_report_opened_idx on public.conversation_cycles (tenant_id, opened_at)
  include (number_id, first_human_reply_by, resolved_by, first_inbound_at, first_human_reply_at,
    first_ai_reply_at, escalated_at, sentiment);
drop index public.conversation_cycles_tenant_opened_idx;
create index conversation_cycles_report_resolved_idx on public.conversation_cycles (tenant_id, resolved_at)
  include (number_id, first_human_reply_by, resolved_by, opened_at, first_human_reply_at, first_ai_reply_at,
    escalated_at)
  where resolved_at is not null;
drop index public.conversation_cycles_tenant_resolved_idx;
create index messages_report_failed_idx on public.messages (tenant_id, failed_at)
  include (sender_user_id, conversation_id, error_code, error_message) where status = 'failed';
drop index public.messages_tenant_failed_idx;

create or replace function public.conversation_report(
  tenant_id uuid,
  first_day date,
  last_day date,
  number_id uuid default null,
  member_id uuid default null
) returns jsonb
language plpgsql stable set search_path = '' set work_mem = '64MB' as $$
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
  opened as materialized (
    select cy.opened_at >= starts as current_period, cy.number_id, cy.first_human_reply_by,
      cy.first_ai_reply_at is not null as ai_answered, cy.escalated_at is not null as escalated,
      cy.sentiment,
      -- A person's wait starts at the hand-over when the AI escalated before anyone answered.
      date_part('epoch', cy.first_human_reply_at - case when cy.escalated_at > cy.first_inbound_at
        and cy.escalated_at <= cy.first_human_reply_at then cy.escalated_at else cy.first_inbound_at end) as human_seconds,
      date_part('epoch', cy.first_ai_reply_at - cy.first_inbound_at) as ai_seconds
    from public.conversation_cycles cy
    where cy.tenant_id = conversation_report.tenant_id
      and cy.opened_at >= previous_starts and cy.opened_at < ends
      and (conversation_report.number_id is null or cy.number_id = conversation_report.number_id)
      and (member is null or cy.first_human_reply_by = member or cy.resolved_by = member)
  ),
  -- One pass per period; each pair of percentiles is one sort.
  opened_figures as (
    select o.current_period,
      count(*) as opened,
      count(*) filter (where o.ai_answered) as ai_answered,
      count(*) filter (where o.escalated) as escalated,
      count(*) filter (where o.sentiment = 'positive') as positive,
      count(*) filter (where o.sentiment = 'neutral') as neutral,
      count(*) filter (where o.sentiment = 'negative') as negative,
      count(o.human_seconds) as human_responses,
      percentile_cont('{0.5,0.9}'::float8[]) within group (order by o.human_seconds) as human,
      count(o.ai_seconds) as ai_responses,
      percentile_cont('{0.5,0.9}'::float8[]) within group (order by o.ai_seconds) as ai
    from opened o group by o.current_period
  ),
  -- Cycles resolved in either period, whenever they opened.
  resolved as materialized (
    select cy.resolved_at >= starts as current_period, cy.resolved_by,
      date_part('epoch', cy.resolved_at - cy.opened_at) as seconds,
      cy.first_ai_reply_at is not null and cy.first_human_reply_at is null and cy.escalated_at is null as by_ai
    from public.conversation_cycles cy
    where cy.tenant_id = conversation_report.tenant_id
      and cy.resolved_at >= previous_starts and cy.resolved_at < ends
      and (conversation_report.number_id is null or cy.number_id = conversation_report.number_id)
      and (member is null or cy.first_human_reply_by = member or cy.resolved_by = member)
  ),
  resolved_figures as (
    select r.current_period, count(*) as resolved, count(*) filter (where r.by_ai) as resolved_by_ai,
      percentile_cont('{0.5,0.9}'::float8[]) within group (order by r.seconds) as seconds
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
      'first_response_human_count', coalesce(o.human_responses, 0),
      'first_response_human_median', round(o.human[1]::numeric, 1),
      'first_response_human_p90', round(o.human[2]::numeric, 1),
      'first_response_ai_count', coalesce(o.ai_responses, 0),
      'first_response_ai_median', round(o.ai[1]::numeric, 1),
      'first_response_ai_p90', round(o.ai[2]::numeric, 1),
      'resolved', coalesce(s.resolved, 0),
      'resolved_by_ai', coalesce(s.resolved_by_ai, 0),
      'resolution_median', round(s.seconds[1]::numeric, 1),
      'resolution_p90', round(s.seconds[2]::numeric, 1),
      'ai_answered', coalesce(o.ai_answered, 0),
      'escalated', coalesce(o.escalated, 0),
      'escalation_rate', case when o.ai_answered > 0 then round(o.escalated::numeric / o.ai_answered, 4) end,
      'failed', (select count(*) from failed f where f.current_period = p.current_period),
      'sentiment', jsonb_build_object('positive', coalesce(o.positive, 0), 'neutral', coalesce(o.neutral, 0),
        'negative', coalesce(o.negative, 0))
    ) as figures
    from periods p
    left join opened_figures o on o.current_period = p.current_period
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
        union select o.first_human_reply_by from opened o where o.current_period and o.first_human_reply_by is not null
        union select s.resolved_by from resolved s where s.current_period and s.resolved_by is not null
      ) who
      left join (select v.sender_user_id, sum(v.messages) as messages from volume v
        where v.current_period and v.sender = 'agent' group by 1) sent on sent.sender_user_id = who.user_id
      left join (select o.first_human_reply_by, count(o.human_seconds) as responses,
          round(percentile_cont(0.5) within group (order by o.human_seconds)::numeric, 1) as median
        from opened o where o.current_period and o.first_human_reply_by is not null
        group by 1) answered on answered.first_human_reply_by = who.user_id
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
        select coalesce(nullif(btrim(cy.escalation_reason), ''), 'No reason given') as reason, count(*) as count
        from public.conversation_cycles cy
        where cy.tenant_id = conversation_report.tenant_id and cy.escalated_at is not null
          and cy.opened_at >= starts and cy.opened_at < ends
          and (conversation_report.number_id is null or cy.number_id = conversation_report.number_id)
          and (member is null or cy.first_human_reply_by = member or cy.resolved_by = member)
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

