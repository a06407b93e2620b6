-- Statuses for ids Parley never stored (messages sent from elsewhere on the same number) would
-- otherwise wait in pending_message_statuses forever. A send's own statuses arrive within seconds
-- of its answer, so a day is plenty; the table is pruned whenever a status is parked.

create index pending_message_statuses_received_at_idx on private.pending_message_statuses (received_at);

create or replace function private.apply_message_status(provider text, item jsonb) returns void
language plpgsql set search_path = '' as $$
declare
  next_status text := item ->> 'status';
  occurred timestamptz := coalesce((item ->> 'occurred_at')::timestamptz, now());
  found_id uuid;
begin
  select m.id into found_id from public.messages m
  where m.provider = apply_message_status.provider and m.provider_message_id = item ->> 'provider_message_id'
  for update;
  if found_id is null then
    delete from private.pending_message_statuses p where p.received_at < now() - interval '1 day';
    insert into private.pending_message_statuses (provider, provider_message_id, status, error_code, error_message, occurred_at)
    values (apply_message_status.provider, item ->> 'provider_message_id', next_status,
            item ->> 'error_code', item ->> 'error_message', occurred);
    return;
  end if;
  update public.messages m set
    status = next_status,
    sent_at = coalesce(m.sent_at, case when next_status in ('sent', 'delivered', 'read') then occurred end),
    delivered_at = coalesce(m.delivered_at, case when next_status in ('delivered', 'read') then occurred end),
    read_at = coalesce(m.read_at, case when next_status = 'read' then occurred end),
    failed_at = case when next_status = 'failed' then occurred else m.failed_at end,
    error_code = case when next_status = 'failed' then item ->> 'error_code' else m.error_code end,
    error_message = case when next_status = 'failed' then item ->> 'error_message' else m.error_message end,
    updated_at = now()
  where m.id = found_id and public.message_status_advances(m.status, next_status);
end $$;
