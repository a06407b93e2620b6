-- Webhook ingest that loses nothing and reaches nowhere it should not:
-- * items are stored in a fixed order (by customer, then as delivered), so two deliveries that name
--   the same customers in opposite orders lock their conversations in the same order and cannot
--   deadlock each other;
-- * an item the database can never take (bad data: classes 22 and 23) is kept in
--   webhook_item_failures with its reason and does not hold back the rest of the batch; anything
--   else (a deadlock, a lost connection, a bug) fails the whole delivery so the function retries it
--   and, failing that, the provider hears 5xx and delivers it again;
-- * a status only touches messages of the number whose signature verified, and a status parked
--   before its message was stored waits under that number.

-- What could not be stored from a delivery, per item, for owners and admins to see and act on.
create table public.webhook_item_failures (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  number_id uuid references public.whatsapp_numbers (id) on delete cascade,
  event_id uuid references public.webhook_events (id) on delete cascade,
  kind text not null constraint webhook_item_failures_kind check (kind in ('message', 'status')),
  provider_message_id text,
  reason text not null,
  item jsonb,
  created_at timestamptz not null default now()
);
create index webhook_item_failures_tenant_id_idx on public.webhook_item_failures (tenant_id, created_at desc);
create index webhook_item_failures_number_id_idx on public.webhook_item_failures (number_id, created_at desc);
create index webhook_item_failures_event_id_idx on public.webhook_item_failures (event_id);

alter table public.webhook_item_failures enable row level security;
revoke all on table public.webhook_item_failures from public, anon, authenticated;
grant all on table public.webhook_item_failures to service_role;
grant select on table public.webhook_item_failures to authenticated;
create policy "owners and admins see what their deliveries could not store" on public.webhook_item_failures
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

-- Parked statuses belong to the number whose signature verified them. Rows parked before this
-- migration name no number and could be claimed by any tenant's send: they are dropped (parked
-- statuses live seconds; the send's own answer still records it as sent).
delete from private.pending_message_statuses;
alter table private.pending_message_statuses
  add column number_id uuid not null references public.whatsapp_numbers (id) on delete cascade;
drop index private.pending_message_statuses_lookup_idx;
create index pending_message_statuses_lookup_idx
  on private.pending_message_statuses (number_id, provider_message_id);

-- Whether an error is the item's own (its data can never be stored) rather than the database's
-- or the code's (worth a retry, or a fix and a redelivery).
create function private.is_data_error(state text) returns boolean
language sql immutable set search_path = '' as $$
  select left(state, 2) in ('22', '23')
$$;

drop function private.apply_message_status(text, jsonb);
create function private.apply_message_status(number public.whatsapp_numbers, item jsonb) returns void
language plpgsql set search_path = '' as $$
declare
  next_status text := item ->> 'status';
  occurred timestamptz := coalesce((item ->> 'occurred_at')::timestamptz, now());
  found_id uuid;
begin
  select m.id into found_id from public.messages m
  join public.conversations c on c.id = m.conversation_id
  where m.provider = number.provider and m.provider_message_id = item ->> 'provider_message_id'
    and m.tenant_id = number.tenant_id and c.number_id = number.id
  for update of m;
  if found_id is null then
    -- Not sent from this number (yet): park it for this number only. Ids never stored (sent from
    -- elsewhere on the same number) would wait forever, so parking prunes those over a day old.
    delete from private.pending_message_statuses p
    where p.number_id = number.id and p.received_at < now() - interval '1 day';
    insert into private.pending_message_statuses (number_id, provider, provider_message_id, status,
      error_code, error_message, occurred_at)
    values (number.id, number.provider, item ->> 'provider_message_id', next_status,
            item ->> 'error_code', item ->> 'error_message', occurred);
    return;
  end if;
  update public.messages m set
    status = next_status,
    sent_at = coalesce(m.sent_at, case when next_status in ('sent', 'delivered', 'read') then occurred end),
    delivered_at = coalesce(m.delivered_at, case when next_status in ('delivered', 'read') then occurred end),
    read_at = coalesce(m.read_at, case when next_status = 'read' then occurred end),
    -- Only a failure carries an error; a delivered or read after one (20261201140100) clears it.
    failed_at = case when next_status = 'failed' then occurred end,
    error_code = case when next_status = 'failed' then item ->> 'error_code' end,
    error_message = case when next_status = 'failed' then item ->> 'error_message' end,
    updated_at = now()
  where m.id = found_id and public.message_status_advances(m.status, next_status);
end $$;
revoke all on function private.apply_message_status(public.whatsapp_numbers, jsonb) from public;

-- The provider accepted a message: store its id and status, then apply the statuses its number
-- received for it before this answer.
create or replace function public.record_message_sent(message_id uuid, provider_message_id text, status text default 'queued')
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  message public.messages;
  number public.whatsapp_numbers;
  pending record;
begin
  update public.messages m set provider_message_id = record_message_sent.provider_message_id,
    status = case when public.message_status_advances(m.status, record_message_sent.status) then record_message_sent.status else m.status end,
    sent_at = case when record_message_sent.status = 'sent' then now() else m.sent_at end,
    updated_at = now()
  where m.id = record_message_sent.message_id
  returning * into message;
  select n.* into number from public.whatsapp_numbers n
  join public.conversations c on c.number_id = n.id
  where c.id = message.conversation_id;
  if number.id is not null then
    for pending in
      delete from private.pending_message_statuses p
      where p.number_id = number.id and p.provider_message_id = record_message_sent.provider_message_id
      returning p.*
    loop
      perform private.apply_message_status(number, jsonb_build_object(
        'provider_message_id', pending.provider_message_id, 'status', pending.status,
        'error_code', pending.error_code, 'error_message', pending.error_message, 'occurred_at', pending.occurred_at));
    end loop;
  end if;
  select * into message from public.messages m where m.id = record_message_sent.message_id;
  return message;
end $$;

-- One webhook delivery, in one transaction: the raw delivery in webhook_events, every inbound
-- message (and echo of one the business sent elsewhere), every status, every account event, and
-- what the parser or the database could not take, with its reason. `rejected` holds items the
-- function's parser refused: [{kind, provider_message_id, reason, item}]. Echoes and account events
-- are stored by private.ingest_echo and private.apply_account_event (20261201140200).
drop function public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, text);
create function public.ingest_whatsapp_delivery(
  provider text, number_id uuid, headers jsonb, raw_body text,
  messages jsonb default '[]', statuses jsonb default '[]', rejected jsonb default '[]',
  parse_error text default null, events jsonb default '[]'
) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
  event_id uuid;
  item jsonb;
  outcome jsonb;
  results jsonb := '[]';
  failures jsonb := coalesce(rejected, '[]');
  failure jsonb;
  errors text[] := '{}';
begin
  select * into number from public.whatsapp_numbers n where n.id = ingest_whatsapp_delivery.number_id;
  insert into public.webhook_events (tenant_id, provider, number_id, headers, raw_body, signature_valid)
  values (number.tenant_id, ingest_whatsapp_delivery.provider, number.id, coalesce(headers, '{}'), raw_body, true)
  returning id into event_id;
  if parse_error is not null then
    errors := errors || parse_error;
  end if;
  if number.id is null then
    errors := errors || 'The number this delivery is for is no longer connected.'::text;
  else
    -- By customer first: every delivery locks the same conversations in the same order.
    for item in
      select value from jsonb_array_elements(coalesce(messages, '[]')) with ordinality
      order by coalesce(value ->> 'wa_id', value ->> 'user_id'), ordinality
    loop
      begin
        outcome := case when item ->> 'direction' = 'outbound' then private.ingest_echo(number, item)
          else private.ingest_inbound_message(number, item) end;
        results := results || jsonb_build_array(outcome || jsonb_build_object('provider_message_id', item ->> 'provider_message_id'));
      exception when others then
        if not private.is_data_error(sqlstate) then
          raise;
        end if;
        failures := failures || jsonb_build_array(jsonb_build_object('kind', 'message',
          'provider_message_id', item ->> 'provider_message_id', 'item', item,
          'reason', format('The database refused this message: %s', sqlerrm)));
      end;
    end loop;
    for item in
      select value from jsonb_array_elements(coalesce(statuses, '[]')) with ordinality
      order by value ->> 'provider_message_id', ordinality
    loop
      begin
        perform private.apply_message_status(number, item);
      exception when others then
        if not private.is_data_error(sqlstate) then
          raise;
        end if;
        failures := failures || jsonb_build_array(jsonb_build_object('kind', 'status',
          'provider_message_id', item ->> 'provider_message_id', 'item', item,
          'reason', format('The database refused this %s status: %s', item ->> 'status', sqlerrm)));
      end;
    end loop;
    for item in select value from jsonb_array_elements(coalesce(events, '[]')) loop
      perform private.apply_account_event(number, item);
    end loop;
  end if;

  for failure in select value from jsonb_array_elements(failures) loop
    errors := errors || format('%s %s could not be stored: %s', initcap(failure ->> 'kind'),
      coalesce(failure ->> 'provider_message_id', 'without an id'), failure ->> 'reason');
    if number.id is not null then
      insert into public.webhook_item_failures (tenant_id, number_id, event_id, kind, provider_message_id, reason, item)
      values (number.tenant_id, number.id, event_id, failure ->> 'kind', failure ->> 'provider_message_id',
        failure ->> 'reason', failure -> 'item');
    end if;
  end loop;

  update public.webhook_events e set processed_at = now(),
    error = nullif(array_to_string(errors, ' '), '')
  where e.id = event_id;
  if number.id is not null then
    -- A Twilio signature is made with the account's current auth token, so a verified delivery
    -- proves the credentials work. (A Meta signature proves only the app secret, not the token.)
    if number.provider = 'twilio' then
      perform private.mark_number_healthy(number.id);
    end if;
    if number.last_webhook_at is null or number.last_webhook_at < now() - interval '1 minute' then
      -- Health, not a log: once a minute is enough and keeps busy numbers from rewriting the row.
      update public.whatsapp_numbers n set last_webhook_at = now() where n.id = number.id;
    end if;
  end if;
  return jsonb_build_object('event_id', event_id, 'messages', results,
    'failed_items', jsonb_array_length(failures), 'error', nullif(array_to_string(errors, ' '), ''));
end $$;

-- A verified delivery whose ingest could not commit (the function retried and gave up): the raw
-- delivery is kept with the reason in a transaction of its own before the provider hears 5xx.
create function public.keep_unprocessed_delivery(
  provider text, number_id uuid, headers jsonb, raw_body text, error text
) returns uuid
language sql security definer set search_path = '' as $$
  insert into public.webhook_events (tenant_id, provider, number_id, headers, raw_body, signature_valid, error)
  select n.tenant_id, keep_unprocessed_delivery.provider, n.id, coalesce(keep_unprocessed_delivery.headers, '{}'),
    keep_unprocessed_delivery.raw_body, true, keep_unprocessed_delivery.error
  from (select keep_unprocessed_delivery.number_id as id) wanted
  left join public.whatsapp_numbers n on n.id = wanted.id
  returning id
$$;

revoke all on function private.is_data_error(text) from public;
revoke all on function
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb),
  public.keep_unprocessed_delivery(text, uuid, jsonb, text, text)
  from public, anon, authenticated;
grant execute on function
  public.ingest_whatsapp_delivery(text, uuid, jsonb, text, jsonb, jsonb, jsonb, text, jsonb),
  public.keep_unprocessed_delivery(text, uuid, jsonb, text, text)
  to service_role;
