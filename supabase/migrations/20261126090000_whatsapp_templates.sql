-- The message templates a number may send once the 24-hour window has closed, as the provider last
-- reported them: Meta's WhatsApp Business Account templates, or the Twilio account's Content API
-- templates with their WhatsApp approval. The whatsapp-templates function syncs them from the
-- provider; members read them here to pick one in the chat.
create table public.whatsapp_templates (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  number_id uuid not null references public.whatsapp_numbers (id) on delete cascade,
  provider text not null constraint whatsapp_templates_provider check (provider in ('twilio', 'meta')),
  -- Meta's template id, or Twilio's Content SID (HX…), which is what a Twilio send names.
  provider_template_id text not null,
  name text not null,
  language text not null,
  category text,
  -- Lower case: approved | pending | rejected | paused | disabled | unsubmitted, as the provider says.
  status text not null,
  rejection_reason text,
  header text,
  body text not null,
  footer text,
  -- The placeholders the body expects, in order: [{ "key": "1", "example": "Ana" }].
  variables jsonb not null default '[]'
    constraint whatsapp_templates_variables_array check (jsonb_typeof(variables) = 'array'),
  synced_at timestamptz not null default now(),
  constraint whatsapp_templates_number_template unique (number_id, provider_template_id)
);
create index whatsapp_templates_tenant_id_idx on public.whatsapp_templates (tenant_id);

alter table public.whatsapp_templates enable row level security;
revoke all on table public.whatsapp_templates from public, anon, authenticated;
grant all on table public.whatsapp_templates to service_role;
grant select on table public.whatsapp_templates to authenticated;

-- Every member may send a template, so every member sees them; only the sync writes.
create policy "members see their tenants' templates" on public.whatsapp_templates
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- Replaces a number's templates with what its provider lists now, in one transaction: templates
-- the provider no longer has are removed, the rest inserted or updated.
create function public.sync_whatsapp_templates(number_id uuid, templates jsonb)
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
    language, category, status, rejection_reason, header, body, footer, variables, synced_at)
  select number.tenant_id, number.id, number.provider, entry ->> 'provider_template_id', entry ->> 'name',
    entry ->> 'language', entry ->> 'category', entry ->> 'status', nullif(entry ->> 'rejection_reason', ''),
    nullif(entry ->> 'header', ''), entry ->> 'body', nullif(entry ->> 'footer', ''),
    coalesce(entry -> 'variables', '[]'), now()
  from jsonb_array_elements(templates) entry
  on conflict on constraint whatsapp_templates_number_template do update set
    name = excluded.name, language = excluded.language, category = excluded.category,
    status = excluded.status, rejection_reason = excluded.rejection_reason, header = excluded.header,
    body = excluded.body, footer = excluded.footer, variables = excluded.variables,
    synced_at = excluded.synced_at;
  return query
    select * from public.whatsapp_templates t where t.number_id = number.id order by t.name, t.language;
end $$;

revoke all on function public.sync_whatsapp_templates(uuid, jsonb) from public, anon, authenticated;
grant execute on function public.sync_whatsapp_templates(uuid, jsonb) to service_role;
