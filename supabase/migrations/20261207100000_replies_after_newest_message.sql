-- An agent's or the AI's reply, and Parley's notes, sort after the newest message of their
-- conversation. Since 20261206900000 an inbound message or echo is stamped a microsecond after the
-- conversation's newest message when that is not older than now(): a batch, or an earlier
-- delivery on the same clock tick (PGlite's clock counts whole milliseconds). A reply queued on
-- that same tick took now(), so it sorted before the message it answers and moved the
-- conversation's last_message_at back. The two queue functions now lock the conversation, as
-- ingest does, and take the same stamp for the message and the conversation.
--
-- A note takes that stamp too, without moving last_message_at (notes never do): the AI's
-- hand-over writes its note and then its message in one transaction, and the thread shows the
-- note after the message when both carry the same time.
--
-- queue_outbound_message is 20261201160000's, queue_ai_message 20261202130000's and
-- add_system_note 20261125160000's, with the stamp.

create or replace function public.queue_outbound_message(
  conversation_id uuid, body text default null, template jsonb default null, media jsonb default null
)
returns public.messages
language plpgsql security definer set search_path = '' as $$
-- security definer: members insert outbound messages only through here (no insert policy on
-- messages), after the membership check below.
declare
  conversation public.conversations;
  queued public.messages;
  number_provider text;
  media_kind text := media ->> 'kind';
  stored_media jsonb;
  stamped timestamptz;
begin
  select * into conversation from public.conversations c where c.id = queue_outbound_message.conversation_id;
  if not found or not private.is_member(conversation.tenant_id) then
    raise exception using errcode = '42501', message = 'There is no such conversation.';
  end if;
  if media is not null then
    if template is not null then
      raise exception using errcode = '22023', message = 'A template message carries no attachment.';
    end if;
    if media_kind is null or media_kind not in ('image', 'video', 'audio', 'document')
        or jsonb_typeof(media -> 'mime_type') is distinct from 'string' then
      raise exception using errcode = '22023',
        message = 'An attachment needs a kind (image, video, audio or document) and a type.';
    end if;
    -- Only the description is taken: where the file is kept is recorded by the service role.
    stored_media := jsonb_strip_nulls(jsonb_build_object(
      'mime_type', media ->> 'mime_type',
      'filename', left(media ->> 'filename', 255),
      'caption', nullif(btrim(body), ''),
      'size', case when jsonb_typeof(media -> 'size') = 'number' then media -> 'size' end));
  end if;
  -- Locked only once the caller is known to be a member.
  select * into conversation from public.conversations c
  where c.id = queue_outbound_message.conversation_id for no key update;
  if not found then
    raise exception using errcode = '42501', message = 'There is no such conversation.';
  end if;
  stamped := private.next_message_time(conversation);
  select n.provider into number_provider from public.whatsapp_numbers n where n.id = conversation.number_id;
  insert into public.messages (tenant_id, conversation_id, direction, sender, sender_user_id, type, body, content,
    media, provider, status, queued_at, created_at)
  values (conversation.tenant_id, conversation.id, 'outbound', 'agent', (select auth.uid()),
    case when stored_media is not null then media_kind when template is null then 'text' else 'template' end,
    body, template, stored_media, number_provider, 'queued', now(), stamped)
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview(queued.type, coalesce(body, template ->> 'name'), stored_media),
    last_message_at = stamped, last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;

create or replace function public.queue_ai_message(conversation_id uuid, body text, citations jsonb default null)
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  queued public.messages;
  stamped timestamptz;
begin
  select * into conversation from public.conversations c
  where c.id = queue_ai_message.conversation_id for no key update;
  if not found then
    raise exception using errcode = 'P0002', message = 'There is no such conversation.';
  end if;
  stamped := private.next_message_time(conversation);
  insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status, queued_at,
    citations, created_at)
  select conversation.tenant_id, conversation.id, 'outbound', 'ai', 'text', queue_ai_message.body, n.provider, 'queued', now(),
    nullif(queue_ai_message.citations, '[]'::jsonb), stamped
  from public.whatsapp_numbers n where n.id = conversation.number_id
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview('text', queue_ai_message.body, null),
    last_message_at = stamped, last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;

create or replace function private.add_system_note(conversation public.conversations, body text) returns void
language sql set search_path = '' as $$
  insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status,
    created_at)
  select conversation.tenant_id, conversation.id, 'outbound', 'system', 'system', body, n.provider, 'sent',
    private.next_message_time(c)
  from public.whatsapp_numbers n, public.conversations c
  where n.id = conversation.number_id and c.id = conversation.id
$$;
