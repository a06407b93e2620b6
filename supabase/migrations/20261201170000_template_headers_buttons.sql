-- Templates whose header takes a value or a media file, and templates with buttons, are kept so they
-- can be filled in and sent: what the header holds (text with its own placeholders, or an image,
-- video or document sent by link) and the buttons (quick replies, URLs with a dynamic suffix, phone
-- numbers) in the order the provider lists them, which is the index a Meta send names.
alter table public.whatsapp_templates
  add column header_format text
    constraint whatsapp_templates_header_format
      check (header_format in ('text', 'image', 'video', 'document', 'location')),
  -- The text header's placeholders, in order: [{ "key": "1", "example": "Spring sale" }]. Meta numbers
  -- them apart from the body's; a Twilio template keeps every placeholder in `variables`.
  add column header_variables jsonb not null default '[]'
    constraint whatsapp_templates_header_variables_array check (jsonb_typeof(header_variables) = 'array'),
  -- [{ "type": "quick_reply" | "url" | "phone_number" | "copy_code" | "other", "text": "Track",
  --    "url": "https://shop.example/t/{{1}}", "phone_number": null,
  --    "variables": [{ "key": "1", "example": "A1" }] }]
  add column buttons jsonb not null default '[]'
    constraint whatsapp_templates_buttons_array check (jsonb_typeof(buttons) = 'array');

-- As before, plus the header's format and placeholders and the buttons. Security definer as before:
-- only the sync (service role) calls it, for whichever tenant owns the number.
create or replace function public.sync_whatsapp_templates(number_id uuid, templates jsonb)
returns setof public.whatsapp_templates
language plpgsql security definer set search_path = '' as $$
declare
  number public.whatsapp_numbers;
begin
  select * into number from public.whatsapp_numbers n where n.id = sync_whatsapp_templates.number_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'There is no such number.';
  end if;
  delete from public.whatsapp_templates t
  where t.number_id = number.id
    and t.provider_template_id not in (
      select entry ->> 'provider_template_id' from jsonb_array_elements(templates) entry);
  insert into public.whatsapp_templates as t (tenant_id, number_id, provider, provider_template_id, name,
    language, category, status, rejection_reason, header, body, footer, variables, header_format,
    header_variables, buttons, synced_at)
  select number.tenant_id, number.id, number.provider, entry ->> 'provider_template_id', entry ->> 'name',
    entry ->> 'language', entry ->> 'category', entry ->> 'status', nullif(entry ->> 'rejection_reason', ''),
    nullif(entry ->> 'header', ''), entry ->> 'body', nullif(entry ->> 'footer', ''),
    coalesce(entry -> 'variables', '[]'), nullif(entry ->> 'header_format', ''),
    coalesce(entry -> 'header_variables', '[]'), coalesce(entry -> 'buttons', '[]'), now()
  from jsonb_array_elements(templates) entry
  on conflict on constraint whatsapp_templates_number_template do update set
    name = excluded.name, language = excluded.language, category = excluded.category,
    status = excluded.status, rejection_reason = excluded.rejection_reason, header = excluded.header,
    body = excluded.body, footer = excluded.footer, variables = excluded.variables,
    header_format = excluded.header_format, header_variables = excluded.header_variables,
    buttons = excluded.buttons, synced_at = excluded.synced_at;
  return query
    select * from public.whatsapp_templates t where t.number_id = number.id order by t.name, t.language;
end $$;

revoke all on function public.sync_whatsapp_templates(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.sync_whatsapp_templates(uuid, jsonb) to service_role;
