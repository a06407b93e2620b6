-- The inbox's reads and the notification marks, one round trip each. Security invoker: RLS on
-- conversations, contacts, numbers and notifications decides what a caller sees and changes.

-- One page of a tenant's inbox, newest activity first, keyset-paginated on (activity_at, id):
-- pass the last row's activity_at and id to get the next page. Filters are optional; `search`
-- matches the contact's name or phone, or the text of any message. `only_id` returns that one
-- conversation if it still matches the filters (how a live change is placed in a filtered list).
create function public.inbox_conversations(
  tenant_id uuid,
  status text default null,
  number_id uuid default null,
  unread_only boolean default false,
  sentiment text default null,
  search text default null,
  after_activity_at timestamptz default null,
  after_id uuid default null,
  page_size integer default 25,
  only_id uuid default null
) returns table (
  id uuid, tenant_id uuid, number_id uuid, contact_id uuid, status text, ai_active boolean,
  last_message_preview text, last_message_at timestamptz, last_message_direction text,
  last_inbound_at timestamptz, unread_count integer, sentiment text, summary text, insights_at timestamptz,
  created_at timestamptz, activity_at timestamptz,
  contact_name text, contact_wa_id text, number_name text, number_address text, number_provider text
)
-- No `set search_path` on purpose: a SQL function with a SET clause is never inlined, and only an
-- inlined call is planned with its arguments, so the optional filters fold away and the
-- (tenant, activity) index serves the page. Every name is schema-qualified and the function runs as
-- the caller, so the caller's search_path cannot lend it anything the caller could not do anyway.
language sql stable security invoker as $$
  select c.id, c.tenant_id, c.number_id, c.contact_id, c.status, c.ai_active,
    c.last_message_preview, c.last_message_at, c.last_message_direction,
    c.last_inbound_at, c.unread_count, c.sentiment, c.summary, c.insights_at,
    c.created_at, coalesce(c.last_message_at, c.created_at) as activity_at,
    ct.profile_name, ct.wa_id, n.display_name, n.address, n.provider
  from public.conversations c
  join public.contacts ct on ct.id = c.contact_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  where c.tenant_id = inbox_conversations.tenant_id
    and (inbox_conversations.only_id is null or c.id = inbox_conversations.only_id)
    and (inbox_conversations.status is null or c.status = inbox_conversations.status)
    and (inbox_conversations.number_id is null or c.number_id = inbox_conversations.number_id)
    and (not coalesce(inbox_conversations.unread_only, false) or c.unread_count > 0)
    and (inbox_conversations.sentiment is null or c.sentiment = inbox_conversations.sentiment)
    and (nullif(btrim(inbox_conversations.search), '') is null
      or ct.profile_name ilike '%' || btrim(inbox_conversations.search) || '%'
      -- A phone number as people type it (+52 55 1234-5678): its digits, found anywhere in the wa id.
      or btrim(inbox_conversations.search) ~ '^[+0-9 ().-]+$'
        and char_length(regexp_replace(inbox_conversations.search, '[^0-9]', '', 'g')) >= 3
        and ct.wa_id like '%' || regexp_replace(inbox_conversations.search, '[^0-9]', '', 'g') || '%'
      or exists (select 1 from public.messages m where m.conversation_id = c.id
        and m.body ilike '%' || btrim(inbox_conversations.search) || '%'))
    -- The plain bound lets the index range start at the cursor; the row comparison breaks ties.
    and (inbox_conversations.after_activity_at is null
      or coalesce(c.last_message_at, c.created_at) <= inbox_conversations.after_activity_at
        and (coalesce(c.last_message_at, c.created_at), c.id)
          < (inbox_conversations.after_activity_at, inbox_conversations.after_id))
  order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
  limit least(greatest(coalesce(inbox_conversations.page_size, 25), 1), 100)
$$;

-- How many of the caller's notifications in a tenant are unread (the sidebar badge).
create function public.unread_notification_count(tenant_id uuid) returns integer
language sql stable security invoker set search_path = '' as $$
  select count(*)::integer from public.notifications n
  where n.recipient_id = (select auth.uid()) and n.tenant_id = unread_notification_count.tenant_id
    and n.read_at is null
$$;

-- Marks all of the caller's unread notifications in a tenant read; returns how many changed.
create function public.mark_all_notifications_read(tenant_id uuid) returns integer
language plpgsql volatile security invoker set search_path = '' as $$
declare
  changed integer;
begin
  update public.notifications n set read_at = now()
  where n.recipient_id = (select auth.uid()) and n.tenant_id = mark_all_notifications_read.tenant_id
    and n.read_at is null;
  get diagnostics changed = row_count;
  return changed;
end $$;

revoke all on function
  public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid),
  public.unread_notification_count(uuid),
  public.mark_all_notifications_read(uuid)
  from public, anon;
grant execute on function
  public.inbox_conversations(uuid, text, uuid, boolean, text, text, timestamptz, uuid, integer, uuid),
  public.unread_notification_count(uuid),
  public.mark_all_notifications_read(uuid)
  to authenticated, service_role;
