-- A customer with several devices: one may report `failed` while another then reports `delivered`
-- or `read`. The message reached the customer, so it ends on the better status (and loses the
-- failure's error), whatever order the callbacks come in; `failed` still wins over queued and
-- sent, and nothing moves back. supabase/functions/_shared/message-status.ts says the same for
-- the app (a test checks they agree).
create or replace function public.message_status_advances(current text, next text) returns boolean
language sql immutable set search_path = '' as $$
  select case
    when current = 'failed' then next in ('delivered', 'read')
    when next = 'failed' then current in ('queued', 'sent')
    else public.message_status_rank(next) > public.message_status_rank(current)
  end
$$;

-- As in 20261201120000, clearing the error when a failed message turns out delivered.
create or replace function private.apply_message_status(number public.whatsapp_numbers, item jsonb) returns void
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
    failed_at = case when next_status = 'failed' then occurred end,
    error_code = case when next_status = 'failed' then item ->> 'error_code' end,
    error_message = case when next_status = 'failed' then item ->> 'error_message' end,
    updated_at = now()
  where m.id = found_id and public.message_status_advances(m.status, next_status);
end $$;
