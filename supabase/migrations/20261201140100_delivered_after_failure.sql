-- A customer with several devices: one may report `failed` while another then reports `delivered`
-- or `read`. The message reached the customer, so it ends on the better status (and
-- private.apply_message_status drops the failure's error), whatever order the callbacks come in;
-- `failed` still wins over queued and sent, and nothing moves back.
-- supabase/functions/_shared/message-status.ts says the same for the app (a test checks both agree).
create or replace function public.message_status_advances(current text, next text) returns boolean
language sql immutable set search_path = '' as $$
  select case
    when current = 'failed' then next in ('delivered', 'read')
    when next = 'failed' then current in ('queued', 'sent')
    else public.message_status_rank(next) > public.message_status_rank(current)
  end
$$;
