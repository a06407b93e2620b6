-- The 30-day report on a busy tenant read every cycle of both periods (100k rows) and sorted them
-- for each percentile. Now triggers keep a daily rollup, one row per tenant × day in the tenant's
-- time zone × number × member (null: the whole tenant), and the report reads about 60 rows a
-- series instead of the cycles.
--
-- Response and resolution times are kept as histograms (jsonb: bucket → count) whose buckets are
-- the time rounded to 0.1 s below 10 s and to 3 significant figures above (300 s, 1680 s, 7200 s,
-- 5430 s, 12300 s). Medians and p90 are interpolated between buckets exactly as percentile_cont
-- interpolates between values, so they are exact whenever every time is a bucket (whole minutes,
-- for instance) and otherwise within 0.5% (0.05 s under 10 s) of the exact figure.
--
-- Each row counts a cycle by the day it opened (opened, replies, escalations, sentiment) and by
-- the day it was resolved (resolutions); a member's row counts the cycles they answered first or
-- resolved, as an agent's report always has, plus what they did themselves (the members list).

create table public.conversation_report_days (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  day date not null,
  -- No foreign keys on number and member: a number or member removed keeps the tenant's history,
  -- and the rollup must accept a cycle's subtraction after its number is gone.
  number_id uuid not null,
  member_id uuid,
  opened integer not null default 0,
  ai_answered integer not null default 0,
  escalated integer not null default 0,
  positive integer not null default 0,
  neutral integer not null default 0,
  negative integer not null default 0,
  human_responses integer not null default 0,
  human_seconds jsonb not null default '{}',
  ai_responses integer not null default 0,
  ai_seconds jsonb not null default '{}',
  escalation_reasons jsonb not null default '{}',
  -- The member's own first replies (member rows only).
  own_first_replies integer not null default 0,
  own_responses integer not null default 0,
  own_response_seconds jsonb not null default '{}',
  resolved integer not null default 0,
  resolved_by_ai integer not null default 0,
  resolution_seconds jsonb not null default '{}',
  own_resolved integer not null default 0,
  -- Messages of every sender, then inbound, a person's and the AI's; inbound by local hour.
  messages_any integer not null default 0,
  messages_in integer not null default 0,
  messages_human integer not null default 0,
  messages_ai integer not null default 0,
  inbound_hours jsonb not null default '{}',
  constraint conversation_report_days_key unique nulls not distinct (tenant_id, day, number_id, member_id)
);
create index conversation_report_days_member_idx on public.conversation_report_days (member_id, day)
  where member_id is not null;

alter table public.conversation_report_days enable row level security;
revoke all on table public.conversation_report_days from public, anon, authenticated;
grant all on table public.conversation_report_days to service_role;
grant select on table public.conversation_report_days to authenticated;
create policy "owners and admins see their tenants' report days" on public.conversation_report_days
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "agents see their own report days" on public.conversation_report_days
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]) and member_id = (select auth.uid()));

-- ---------------------------------------------------------------- histograms
-- The helpers that build a cycle's facts carry no `set search_path` (every name in them is
-- schema-qualified) so the planner can inline them: a SET clause costs a settings change per call
-- and forbids inlining, which made rebuilding a busy tenant's rollup minutes instead of seconds.
create function private.histogram_bucket(seconds double precision) returns text
language sql immutable as $$
  select case
    when seconds is null then null
    when abs(seconds) < 10 then round(seconds::numeric, 1)::text
    else round(seconds::numeric, 2 - floor(log(abs(seconds)::numeric))::int)::text
  end
$$;

-- a + sign × b, bucket by bucket; empty buckets are dropped.
create function private.histogram_merge(a jsonb, b jsonb, sign integer default 1) returns jsonb
language plpgsql immutable set search_path = '' as $$
declare
  entry record;
  n bigint;
begin
  a := coalesce(a, '{}');
  for entry in select e.key, e.value::bigint as count from jsonb_each_text(coalesce(b, '{}')) e loop
    n := coalesce((a ->> entry.key)::bigint, 0) + sign * entry.count;
    if n = 0 then a := a - entry.key; else a := a || jsonb_build_object(entry.key, n); end if;
  end loop;
  return a;
end $$;

-- percentile_cont over a histogram's buckets, one result per fraction; null when it is empty.
create function private.histogram_percentiles(buckets jsonb, fractions double precision[])
returns double precision[]
language plpgsql immutable set search_path = '' as $$
declare
  total bigint;
  fraction double precision;
  rank double precision;
  low_rank bigint;
  high_rank bigint;
  low_value double precision;
  high_value double precision;
  seen bigint;
  entry record;
  result double precision[] := '{}';
begin
  select sum(e.value::bigint) into total from jsonb_each_text(coalesce(buckets, '{}')) e;
  if coalesce(total, 0) = 0 then return null; end if;
  foreach fraction in array fractions loop
    rank := fraction * (total - 1);
    low_rank := floor(rank);
    high_rank := ceil(rank);
    low_value := null;
    seen := 0;
    for entry in select e.key::double precision as seconds, e.value::bigint as count
        from jsonb_each_text(buckets) e order by 1 loop
      seen := seen + entry.count;
      if low_value is null and seen > low_rank then low_value := entry.seconds; end if;
      if seen > high_rank then high_value := entry.seconds; exit; end if;
    end loop;
    result := result || (low_value + (rank - low_rank) * (high_value - low_value));
  end loop;
  return result;
end $$;

revoke all on function private.histogram_bucket(double precision), private.histogram_merge(jsonb, jsonb, integer),
  private.histogram_percentiles(jsonb, double precision[]) from public;
-- The report runs as the member asking (security invoker) and reads its percentiles with this.
grant execute on function private.histogram_percentiles(jsonb, double precision[]) to authenticated, service_role;

-- ---------------------------------------------------------------- what a cycle and a volume row add
-- A cycle's rows: the tenant's and each member's it involves, on the day it opened and (once
-- resolved) the day it was resolved.
create function private.report_cycle_facts(cy public.conversation_cycles, zone text)
returns setof public.conversation_report_days
language sql stable as $$
  with times as (
    select
      -- A person's wait starts at the hand-over when the AI escalated before anyone answered.
      date_part('epoch', cy.first_human_reply_at - case when cy.escalated_at > cy.first_inbound_at
        and cy.escalated_at <= cy.first_human_reply_at then cy.escalated_at else cy.first_inbound_at end) as human,
      date_part('epoch', cy.first_ai_reply_at - cy.first_inbound_at) as ai,
      date_part('epoch', cy.resolved_at - cy.opened_at) as resolution
  ),
  members as (
    select null::uuid as member_id
    union
    select m from unnest(array[cy.first_human_reply_by, cy.resolved_by]) m where m is not null
  )
  select cy.tenant_id, (cy.opened_at at time zone zone)::date, cy.number_id, w.member_id,
    1, (cy.first_ai_reply_at is not null)::int, (cy.escalated_at is not null)::int,
    coalesce(cy.sentiment = 'positive', false)::int, coalesce(cy.sentiment = 'neutral', false)::int,
    coalesce(cy.sentiment = 'negative', false)::int,
    (t.human is not null)::int,
    case when t.human is not null then jsonb_build_object(private.histogram_bucket(t.human), 1) else '{}'::jsonb end,
    (t.ai is not null)::int,
    case when t.ai is not null then jsonb_build_object(private.histogram_bucket(t.ai), 1) else '{}'::jsonb end,
    case when cy.escalated_at is not null
      then jsonb_build_object(coalesce(nullif(btrim(cy.escalation_reason), ''), 'No reason given'), 1)
      else '{}'::jsonb end,
    coalesce(w.member_id = cy.first_human_reply_by, false)::int,
    coalesce(w.member_id = cy.first_human_reply_by and t.human is not null, false)::int,
    case when w.member_id = cy.first_human_reply_by and t.human is not null
      then jsonb_build_object(private.histogram_bucket(t.human), 1) else '{}'::jsonb end,
    0, 0, '{}'::jsonb, 0, 0, 0, 0, 0, '{}'::jsonb
  from times t, members w
  union all
  select cy.tenant_id, (cy.resolved_at at time zone zone)::date, cy.number_id, w.member_id,
    0, 0, 0, 0, 0, 0, 0, '{}'::jsonb, 0, '{}'::jsonb, '{}'::jsonb, 0, 0, '{}'::jsonb,
    1, coalesce(cy.first_ai_reply_at is not null and cy.first_human_reply_at is null and cy.escalated_at is null, false)::int,
    jsonb_build_object(private.histogram_bucket(t.resolution), 1),
    coalesce(w.member_id = cy.resolved_by, false)::int,
    0, 0, 0, 0, '{}'::jsonb
  from times t, members w
  where cy.resolved_at is not null
$$;

-- A 15-minute volume row: the tenant's day, and the member's when a member sent the messages.
create function private.report_volume_facts(v public.message_volume, zone text)
returns setof public.conversation_report_days
language sql stable as $$
  select v.tenant_id, (v.bucket_at at time zone zone)::date, v.number_id, w.member_id,
    0, 0, 0, 0, 0, 0, 0, '{}'::jsonb, 0, '{}'::jsonb, '{}'::jsonb, 0, 0, '{}'::jsonb, 0, 0, '{}'::jsonb, 0,
    v.messages, case when v.direction = 'inbound' then v.messages else 0 end,
    case when v.sender = 'agent' then v.messages else 0 end, case when v.sender = 'ai' then v.messages else 0 end,
    case when v.direction = 'inbound' and v.messages <> 0
      then jsonb_build_object(extract(hour from v.bucket_at at time zone zone)::int, v.messages) else '{}'::jsonb end
  from (select null::uuid as member_id union all select v.sender_user_id where v.sender_user_id is not null) w
$$;

-- Adds (sign 1) or takes away (sign -1) one fact. Every count of a row comes with an opened
-- cycle, a resolved one or a message, so a row with none of those three is empty.
create function private.apply_report_fact(f public.conversation_report_days, sign integer) returns void
language sql security definer set search_path = '' as $$
  insert into public.conversation_report_days as d values (
    f.tenant_id, f.day, f.number_id, f.member_id,
    sign * f.opened, sign * f.ai_answered, sign * f.escalated, sign * f.positive, sign * f.neutral, sign * f.negative,
    sign * f.human_responses, private.histogram_merge('{}', f.human_seconds, sign),
    sign * f.ai_responses, private.histogram_merge('{}', f.ai_seconds, sign),
    private.histogram_merge('{}', f.escalation_reasons, sign),
    sign * f.own_first_replies, sign * f.own_responses, private.histogram_merge('{}', f.own_response_seconds, sign),
    sign * f.resolved, sign * f.resolved_by_ai, private.histogram_merge('{}', f.resolution_seconds, sign),
    sign * f.own_resolved,
    sign * f.messages_any, sign * f.messages_in, sign * f.messages_human, sign * f.messages_ai,
    private.histogram_merge('{}', f.inbound_hours, sign))
  on conflict on constraint conversation_report_days_key do update set
    opened = d.opened + excluded.opened, ai_answered = d.ai_answered + excluded.ai_answered,
    escalated = d.escalated + excluded.escalated, positive = d.positive + excluded.positive,
    neutral = d.neutral + excluded.neutral, negative = d.negative + excluded.negative,
    human_responses = d.human_responses + excluded.human_responses,
    human_seconds = private.histogram_merge(d.human_seconds, excluded.human_seconds),
    ai_responses = d.ai_responses + excluded.ai_responses,
    ai_seconds = private.histogram_merge(d.ai_seconds, excluded.ai_seconds),
    escalation_reasons = private.histogram_merge(d.escalation_reasons, excluded.escalation_reasons),
    own_first_replies = d.own_first_replies + excluded.own_first_replies,
    own_responses = d.own_responses + excluded.own_responses,
    own_response_seconds = private.histogram_merge(d.own_response_seconds, excluded.own_response_seconds),
    resolved = d.resolved + excluded.resolved, resolved_by_ai = d.resolved_by_ai + excluded.resolved_by_ai,
    resolution_seconds = private.histogram_merge(d.resolution_seconds, excluded.resolution_seconds),
    own_resolved = d.own_resolved + excluded.own_resolved,
    messages_any = d.messages_any + excluded.messages_any, messages_in = d.messages_in + excluded.messages_in,
    messages_human = d.messages_human + excluded.messages_human, messages_ai = d.messages_ai + excluded.messages_ai,
    inbound_hours = private.histogram_merge(d.inbound_hours, excluded.inbound_hours);
  -- A row left with nothing (a resolution moved to another day) goes, as a rebuild would not make it.
  delete from public.conversation_report_days d
  where sign < 0 and d.tenant_id = f.tenant_id and d.day = f.day and d.number_id = f.number_id
    and (d.member_id = f.member_id or (d.member_id is null and f.member_id is null))
    and d.opened = 0 and d.resolved = 0 and d.messages_any = 0;
$$;

-- ---------------------------------------------------------------- triggers
-- Security definer: they write the rollup, which no member may write, for whoever changed a
-- cycle or the volume. A change takes the old row's facts away and adds the new row's, in key
-- order (the tenant's row before members'), so concurrent writers lock rows in the same order.
create function private.track_report_days_cycle() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  zone text;
  fact record;
begin
  select t.time_zone into zone from public.tenants t
  where t.id = case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
  if not found then return null; end if;
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

create function private.track_report_days_volume() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  zone text;
  fact record;
begin
  select t.time_zone into zone from public.tenants t
  where t.id = case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
  if not found then return null; end if;
  if tg_op = 'INSERT' then
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

-- Everything of one tenant from its cycles and volume: the backfill, and a new time zone's days.
-- Set-based: counts summed per row, histograms' buckets summed per row and series.
create function private.rebuild_report_days(tenant uuid) returns void
language plpgsql security definer set search_path = '' as $$
declare
  zone text;
begin
  select t.time_zone into zone from public.tenants t where t.id = tenant;
  delete from public.conversation_report_days d where d.tenant_id = tenant;
  insert into public.conversation_report_days
  with report_facts as materialized (
    select f.* from public.conversation_cycles cy, private.report_cycle_facts(cy, zone) f where cy.tenant_id = tenant
    union all
    select f.* from public.message_volume v, private.report_volume_facts(v, zone) f where v.tenant_id = tenant
  ),
  counts as (
    select f.day, f.number_id, f.member_id,
      sum(f.opened) as opened, sum(f.ai_answered) as ai_answered, sum(f.escalated) as escalated,
      sum(f.positive) as positive, sum(f.neutral) as neutral, sum(f.negative) as negative,
      sum(f.human_responses) as human_responses, sum(f.ai_responses) as ai_responses,
      sum(f.own_first_replies) as own_first_replies, sum(f.own_responses) as own_responses,
      sum(f.resolved) as resolved, sum(f.resolved_by_ai) as resolved_by_ai, sum(f.own_resolved) as own_resolved,
      sum(f.messages_any) as messages_any, sum(f.messages_in) as messages_in,
      sum(f.messages_human) as messages_human, sum(f.messages_ai) as messages_ai
    from report_facts f group by 1, 2, 3
  ),
  buckets as (
    select f.day, f.number_id, f.member_id, s.series, e.key, sum(e.value::bigint) as n
    from report_facts f,
      lateral (values ('human', f.human_seconds), ('ai', f.ai_seconds), ('reasons', f.escalation_reasons),
        ('own', f.own_response_seconds), ('resolution', f.resolution_seconds), ('hours', f.inbound_hours)) s (series, buckets),
      jsonb_each_text(s.buckets) e
    group by 1, 2, 3, 4, 5
  ),
  histograms as (
    select b.day, b.number_id, b.member_id,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'human') as human,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'ai') as ai,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'reasons') as reasons,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'own') as own,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'resolution') as resolution,
      jsonb_object_agg(b.key, b.n) filter (where b.series = 'hours') as hours
    from buckets b group by 1, 2, 3
  )
  select tenant, c.day, c.number_id, c.member_id,
    c.opened, c.ai_answered, c.escalated, c.positive, c.neutral, c.negative,
    c.human_responses, coalesce(h.human, '{}'), c.ai_responses, coalesce(h.ai, '{}'), coalesce(h.reasons, '{}'),
    c.own_first_replies, c.own_responses, coalesce(h.own, '{}'),
    c.resolved, c.resolved_by_ai, coalesce(h.resolution, '{}'), c.own_resolved,
    c.messages_any, c.messages_in, c.messages_human, c.messages_ai, coalesce(h.hours, '{}')
  from counts c
  left join histograms h on h.day = c.day and h.number_id = c.number_id
    and h.member_id is not distinct from c.member_id;
end $$;

create function private.track_report_days_time_zone() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.rebuild_report_days(new.id);
  return null;
end $$;

revoke all on function private.report_cycle_facts(public.conversation_cycles, text),
  private.report_volume_facts(public.message_volume, text),
  private.apply_report_fact(public.conversation_report_days, integer), private.track_report_days_cycle(),
  private.track_report_days_volume(), private.rebuild_report_days(uuid), private.track_report_days_time_zone()
  from public;

create trigger track_report_days_cycle after insert or update or delete on public.conversation_cycles
  for each row execute function private.track_report_days_cycle();
create trigger track_report_days_volume after insert or update or delete on public.message_volume
  for each row execute function private.track_report_days_volume();
create trigger track_report_days_time_zone after update of time_zone on public.tenants
  for each row when (old.time_zone is distinct from new.time_zone)
  execute function private.track_report_days_time_zone();

select private.rebuild_report_days(t.id) from public.tenants t;
