-- Agents send attachments: queue_outbound_message also takes the attachment's description
-- ({kind, mime_type, filename, caption}), stores the message as an image, video, audio or document
-- with that media, and whatsapp-send (service role) then keeps the file in the whatsapp-media bucket
-- and records its storage_path with record_message_media_path, which only accepts the message's
-- own folder. A caller never names a storage_path here: whatsapp-media reads it as the service role.
-- The signature changes (a fourth argument), so the three-argument function is replaced, not kept
-- beside it: PostgREST could not tell two overloads with defaults apart.

drop function public.queue_outbound_message(uuid, text, jsonb);

create function public.queue_outbound_message(
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
  select n.provider into number_provider from public.whatsapp_numbers n where n.id = conversation.number_id;
  insert into public.messages (tenant_id, conversation_id, direction, sender, sender_user_id, type, body, content,
    media, provider, status, queued_at)
  values (conversation.tenant_id, conversation.id, 'outbound', 'agent', (select auth.uid()),
    case when stored_media is not null then media_kind when template is null then 'text' else 'template' end,
    body, template, stored_media, number_provider, 'queued', now())
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview(queued.type, coalesce(body, template ->> 'name'), stored_media),
    last_message_at = now(), last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;

revoke all on function public.queue_outbound_message(uuid, text, jsonb, jsonb) from public, anon;
grant execute on function public.queue_outbound_message(uuid, text, jsonb, jsonb) to authenticated, service_role;
