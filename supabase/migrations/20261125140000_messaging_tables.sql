-- The messaging pipeline's tables: contacts, conversations, messages, reactions, notifications and
-- the raw provider deliveries (webhook_events). Rows are written by the webhook and send functions
-- through the security definer functions of 20261125140200; members read them through RLS.

-- Whether a new inbound message reopens an archived conversation (closed ones always reopen).
alter table public.tenants add column reopen_archived_on_inbound boolean not null default true;

create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- The customer's WhatsApp id: the number in international format without `+`.
  wa_id text not null constraint contacts_wa_id_format check (wa_id ~ '^[1-9][0-9]{6,14}$'),
  profile_name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint contacts_tenant_id_wa_id_key unique (tenant_id, wa_id)
);

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- Deleting a number deletes its conversations and their messages (the UI warns first).
  number_id uuid not null references public.whatsapp_numbers (id) on delete cascade,
  contact_id uuid not null references public.contacts (id) on delete cascade,
  status text not null default 'open' constraint conversations_status check (status in ('open', 'closed', 'archived')),
  ai_active boolean not null default true,
  last_message_preview text,
  last_message_at timestamptz,
  last_message_direction text constraint conversations_last_message_direction check (last_message_direction in ('inbound', 'outbound')),
  -- The customer's last message: the 24-hour window for free-form replies runs from here.
  last_inbound_at timestamptz,
  unread_count integer not null default 0 constraint conversations_unread_count check (unread_count >= 0),
  sentiment text constraint conversations_sentiment check (sentiment in ('positive', 'neutral', 'negative')),
  sentiment_score real constraint conversations_sentiment_score check (sentiment_score between -1 and 1),
  summary text,
  insights_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint conversations_number_id_contact_id_key unique (number_id, contact_id)
);
-- The inbox: newest first, keyset-paginated on (last_message_at, id).
create index conversations_tenant_inbox_idx on public.conversations (tenant_id, last_message_at desc nulls last, id);
create index conversations_contact_id_idx on public.conversations (contact_id);

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  direction text not null constraint messages_direction check (direction in ('inbound', 'outbound')),
  sender text not null constraint messages_sender check (sender in ('customer', 'agent', 'ai', 'system')),
  sender_user_id uuid references auth.users (id) on delete set null,
  type text not null default 'text' constraint messages_type check (type in (
    'text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts',
    'interactive', 'button', 'template', 'order', 'system', 'unsupported')),
  body text,
  -- {provider_ref, mime_type, filename, caption, sha256}: provider_ref is a Twilio MediaUrl or a
  -- Meta media id, only ever used by whatsapp-media with the provider's credentials.
  media jsonb,
  -- {latitude, longitude, name, address}
  location jsonb,
  -- Contacts cards, interactive replies, template parameters: the provider's own shape.
  content jsonb,
  reply_to_provider_id text,
  reply_to_message_id uuid references public.messages (id) on delete set null,
  provider text not null constraint messages_provider check (provider in ('twilio', 'meta')),
  provider_message_id text,
  status text not null constraint messages_status check (status in ('received', 'queued', 'sent', 'delivered', 'read', 'failed')),
  error_code text,
  error_message text,
  queued_at timestamptz,
  sent_at timestamptz,
  delivered_at timestamptz,
  read_at timestamptz,
  failed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Providers retry and duplicate deliveries: one row per provider message, whatever arrives.
  constraint messages_provider_message_id_key unique (provider, provider_message_id)
);
create index messages_conversation_timeline_idx on public.messages (conversation_id, created_at desc, id);
create index messages_tenant_id_idx on public.messages (tenant_id);
create index messages_sender_user_id_idx on public.messages (sender_user_id);
create index messages_reply_to_message_id_idx on public.messages (reply_to_message_id);

-- Reactions are not messages: they show on the message they react to. One per reactor per message,
-- as on WhatsApp; an empty emoji removes it.
create table public.message_reactions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  -- Null until the reacted-to message is known to Parley; target_provider_id keeps the link.
  message_id uuid references public.messages (id) on delete cascade,
  target_provider_id text not null,
  reactor text not null default 'customer' constraint message_reactions_reactor check (reactor in ('customer', 'business')),
  emoji text not null,
  provider_message_id text,
  reacted_at timestamptz not null default now(),
  constraint message_reactions_target_key unique (conversation_id, target_provider_id, reactor)
);
create index message_reactions_message_id_idx on public.message_reactions (message_id);
create index message_reactions_tenant_id_idx on public.message_reactions (tenant_id);

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  recipient_id uuid not null references auth.users (id) on delete cascade,
  kind text not null constraint notifications_kind check (kind in ('new_message', 'escalation', 'credentials')),
  conversation_id uuid references public.conversations (id) on delete cascade,
  message_id uuid references public.messages (id) on delete cascade,
  number_id uuid references public.whatsapp_numbers (id) on delete cascade,
  title text not null,
  body text,
  read_at timestamptz,
  created_at timestamptz not null default now()
);
-- One notification per recipient per message, however often the provider delivers it.
create unique index notifications_recipient_message_key on public.notifications (recipient_id, message_id, kind)
  where message_id is not null;
create index notifications_recipient_unread_idx on public.notifications (recipient_id, created_at desc)
  where read_at is null;
create index notifications_recipient_id_idx on public.notifications (recipient_id, created_at desc);
create index notifications_tenant_id_idx on public.notifications (tenant_id);
create index notifications_conversation_id_idx on public.notifications (conversation_id);
create index notifications_message_id_idx on public.notifications (message_id);
create index notifications_number_id_idx on public.notifications (number_id);

-- Every signed delivery as it arrived, for audit and replay; `error` says why it was not (fully) used.
create table public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references public.tenants (id) on delete cascade,
  provider text not null constraint webhook_events_provider check (provider in ('twilio', 'meta')),
  number_id uuid references public.whatsapp_numbers (id) on delete set null,
  headers jsonb not null default '{}',
  raw_body text not null,
  signature_valid boolean not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  error text
);
create index webhook_events_tenant_id_idx on public.webhook_events (tenant_id, received_at desc);
create index webhook_events_number_id_idx on public.webhook_events (number_id);

-- Statuses that arrive before the send function stored the provider's id; applied when it does.
create table private.pending_message_statuses (
  provider text not null,
  provider_message_id text not null,
  status text not null,
  error_code text,
  error_message text,
  occurred_at timestamptz not null,
  received_at timestamptz not null default now()
);
create index pending_message_statuses_lookup_idx on private.pending_message_statuses (provider, provider_message_id);

-- Access. Writes go through the functions of 20261125140200 (security definer), except what a
-- member does by hand: conversation status, AI switch and unread count; notification read marks.
alter table public.contacts enable row level security;
alter table public.conversations enable row level security;
alter table public.messages enable row level security;
alter table public.message_reactions enable row level security;
alter table public.notifications enable row level security;
alter table public.webhook_events enable row level security;
revoke all on table public.contacts, public.conversations, public.messages, public.message_reactions,
  public.notifications, public.webhook_events from public, anon, authenticated;
grant all on table public.contacts, public.conversations, public.messages, public.message_reactions,
  public.notifications, public.webhook_events to service_role;
grant select on table public.contacts, public.conversations, public.messages, public.message_reactions,
  public.notifications, public.webhook_events to authenticated;
grant update (status, ai_active, unread_count) on table public.conversations to authenticated;
grant delete on table public.conversations to authenticated;
grant update (read_at) on table public.notifications to authenticated;
grant delete on table public.notifications to authenticated;

create policy "members see their tenants' contacts" on public.contacts
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create policy "members see their tenants' conversations" on public.conversations
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "members update their tenants' conversations" on public.conversations
  for update to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]))
  with check (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "owners and admins delete conversations" on public.conversations
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

create policy "members see their tenants' messages" on public.messages
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create policy "members see their tenants' reactions" on public.message_reactions
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create policy "recipients see their notifications" on public.notifications
  for select to authenticated
  using (recipient_id = (select auth.uid()));
create policy "recipients mark their notifications read" on public.notifications
  for update to authenticated
  using (recipient_id = (select auth.uid()))
  with check (recipient_id = (select auth.uid()));
create policy "recipients delete their notifications" on public.notifications
  for delete to authenticated
  using (recipient_id = (select auth.uid()));

create policy "owners and admins see their tenants' webhook events" on public.webhook_events
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
