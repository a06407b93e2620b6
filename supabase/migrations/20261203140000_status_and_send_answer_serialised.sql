-- A status callback and the send's own answer could pass each other on a real server: the
-- callback's transaction found no message with the id yet and parked the status, while the send's
-- transaction, not yet seeing that parked row, stored the id and found nothing parked. Both
-- committed and the status stayed parked, never applied. Both paths now take one transaction
-- lock per provider message id first, so whichever comes second waits and then sees the other's
-- committed row: the status is applied either way.
create or replace function private.lock_provider_message(provider text, provider_message_id text)
returns void
language sql volatile set search_path = '' as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('provider-message:' || provider || ':' || provider_message_id, 0))
$$;
revoke all on function private.lock_provider_message(text, text) from public;

create or replace function private.apply_message_status(number public.whatsapp_numbers, item jsonb) returns void
language plpgsql set search_path = '' as $$
declare
  next_status text := item ->> 'status';
  occurred timestamptz := coalesce((item ->> 'occurred_at')::timestamptz, now());
  found_id uuid;
begin
  perform private.lock_provider_message(number.provider, item ->> 'provider_message_id');
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

create or replace function public.record_message_sent(message_id uuid, provider_message_id text, status text default 'queued')
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  message public.messages;
  number public.whatsapp_numbers;
  pending record;
begin
  perform private.lock_provider_message(
    (select m.provider from public.messages m where m.id = record_message_sent.message_id),
    record_message_sent.provider_message_id);
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
