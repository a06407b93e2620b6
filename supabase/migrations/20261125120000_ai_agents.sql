-- AI agents: a named system prompt and model that can answer on a tenant's channels. Owners and
-- admins manage them through REST; every member reads them (the inbox shows who is answering).
-- Only agents with `whatsapp_enabled` may be assigned to a WhatsApp number; the rules that tie
-- agents to numbers live in 20261125120300_whatsapp_number_rules.sql.

create table public.ai_agents (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null constraint ai_agents_name_length check (char_length(btrim(name)) between 1 and 80),
  -- The system prompt.
  instructions text not null default ''
    constraint ai_agents_instructions_length check (char_length(instructions) <= 20000),
  model text not null default 'gpt-4o-mini'
    constraint ai_agents_model_length check (char_length(btrim(model)) between 1 and 100),
  active boolean not null default true,
  -- Channels: WhatsApp is the only one today; more become more *_enabled columns.
  whatsapp_enabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index ai_agents_tenant_id_idx on public.ai_agents (tenant_id, name);

-- Sentences for the UI instead of constraint names, and a fresh updated_at.
create function private.prepare_ai_agent() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.name := btrim(coalesce(new.name, ''));
  new.model := btrim(coalesce(new.model, ''));
  new.instructions := coalesce(new.instructions, '');
  if char_length(new.name) not between 1 and 80 then
    raise exception using errcode = '22023', message = 'An AI agent needs a name of 1 to 80 characters.';
  end if;
  if char_length(new.model) not between 1 and 100 then
    raise exception using errcode = '22023', message = 'Choose the model this AI agent uses, for example gpt-4o-mini.';
  end if;
  if char_length(new.instructions) > 20000 then
    raise exception using errcode = '22023', message = 'Instructions can be at most 20,000 characters long.';
  end if;
  if tg_op = 'UPDATE' then
    if new.tenant_id is distinct from old.tenant_id then
      raise exception using errcode = '42501', message = 'An AI agent cannot move to another workspace.';
    end if;
    new.updated_at := now();
  end if;
  return new;
end $$;
create trigger prepare_ai_agent before insert or update on public.ai_agents
  for each row execute function private.prepare_ai_agent();

alter table public.ai_agents enable row level security;
revoke all on table public.ai_agents from public, anon, authenticated;
grant all on table public.ai_agents to service_role;
grant select, delete on table public.ai_agents to authenticated;
grant insert (tenant_id, name, instructions, model, active, whatsapp_enabled) on table public.ai_agents to authenticated;
grant update (name, instructions, model, active, whatsapp_enabled) on table public.ai_agents to authenticated;

create policy "members see their tenants' AI agents" on public.ai_agents
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create policy "owners and admins create AI agents" on public.ai_agents
  for insert to authenticated
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

create policy "owners and admins edit AI agents" on public.ai_agents
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

create policy "owners and admins delete AI agents" on public.ai_agents
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
