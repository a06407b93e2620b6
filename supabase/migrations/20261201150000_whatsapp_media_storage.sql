-- Inbound attachments kept in Supabase Storage: providers forget them (Meta media ids expire after
-- 7 days, their URLs after minutes), so each one is copied at ingest into a private bucket at
-- <tenant_id>/<conversation_id>/<message_id>/<file>. Hosted Supabase already has the storage schema
-- (the local stack's bootstrap creates the same), so this only adds the bucket and its policies.

insert into storage.buckets (id, name, public)
values ('whatsapp-media', 'whatsapp-media', false)
on conflict (id) do nothing;

-- Members read their tenants' media (the first folder is the tenant id). Nobody but service_role
-- (which bypasses RLS) writes: there are no insert, update or delete policies for this bucket.
-- Compared as text, so a path whose first folder is not a uuid is simply not readable.
create policy "members read their tenant's WhatsApp media" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'whatsapp-media'
    and (storage.foldername(name))[1] = any ((select private.member_tenant_ids())::text[])
  );

-- Where a message's attachment is kept: `storage_path` on messages.media (the first attachment) or
-- on content.media[n] (Twilio's further ones). Written by the media copy after ingest, never by users.
create function public.record_message_media_path(message_id uuid, storage_path text, media_index integer default 0)
returns boolean
language sql
set search_path = ''
as $$
  update public.messages m
  set media = case when media_index = 0
        then m.media || jsonb_build_object('storage_path', storage_path)
        else m.media end,
      content = case when media_index > 0
        then jsonb_set(m.content, array['media', media_index::text, 'storage_path'], to_jsonb(storage_path))
        else m.content end
  where m.id = record_message_media_path.message_id
    and m.media is not null
    and (media_index = 0 or jsonb_typeof(m.content -> 'media' -> media_index) = 'object')
    -- The path must be this message's own folder.
    and storage_path like m.tenant_id::text || '/' || m.conversation_id::text || '/' || m.id::text || '/%'
  returning true
$$;

revoke all on function public.record_message_media_path(uuid, text, integer)
  from public, anon, authenticated;
grant execute on function public.record_message_media_path(uuid, text, integer) to service_role;
