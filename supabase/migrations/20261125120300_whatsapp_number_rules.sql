-- The rule that ties numbers to AI agents, enforced where no path can skip it:
--   a number's assigned agent has WhatsApp enabled, and an active number has an assigned agent
--   that is active and has WhatsApp enabled.
-- From the agent's side the change is refused (not cascaded): an admin who disables WhatsApp for an
-- agent, deactivates it or deletes it while numbers depend on it gets a sentence naming them, so
-- numbers never stop answering as a side effect. Error code P0001 as in the tenancy flows.
--
-- security definer on both: the checks must see every number and agent of the tenant whatever the
-- caller may read, and lock the agent row (FOR SHARE) so a concurrent change to the agent waits
-- for this transaction instead of slipping past the check.

create function private.check_whatsapp_number_agent() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  agent record;
begin
  if new.assigned_agent_id is not null then
    select a.tenant_id, a.name, a.active, a.whatsapp_enabled into agent
    from public.ai_agents a where a.id = new.assigned_agent_id
    for share;
    if not found or agent.tenant_id <> new.tenant_id then
      raise exception using errcode = 'P0001', message = 'That AI agent does not belong to this workspace.';
    end if;
    if not agent.whatsapp_enabled then
      raise exception using errcode = 'P0001',
        message = format('The AI agent "%s" does not have WhatsApp enabled. Enable its WhatsApp channel or choose another agent.', agent.name);
    end if;
  end if;
  if new.active then
    if new.assigned_agent_id is null then
      raise exception using errcode = 'P0001',
        message = 'A number can only be active with an AI agent assigned. Assign an AI agent with WhatsApp enabled, then activate the number.';
    end if;
    if not agent.active then
      raise exception using errcode = 'P0001',
        message = format('The AI agent "%s" is inactive. Activate it or assign another agent before activating this number.', agent.name);
    end if;
  end if;
  return null;
end $$;

create constraint trigger check_whatsapp_number_agent
  after insert or update of assigned_agent_id, active on public.whatsapp_numbers
  deferrable initially immediate
  for each row execute function private.check_whatsapp_number_agent();

create function private.check_ai_agent_numbers() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  numbers text;
begin
  if tg_op = 'DELETE' then
    select string_agg(format('"%s"', n.display_name), ', ' order by n.display_name) into numbers
    from public.whatsapp_numbers n where n.assigned_agent_id = old.id and n.active;
    if numbers is not null then
      raise exception using errcode = 'P0001',
        message = format('The AI agent "%s" answers on active numbers (%s). Deactivate those numbers or assign them another agent before deleting it.', old.name, numbers);
    end if;
    return old;
  end if;

  if old.whatsapp_enabled and not new.whatsapp_enabled then
    select string_agg(format('"%s"', n.display_name), ', ' order by n.display_name) into numbers
    from public.whatsapp_numbers n where n.assigned_agent_id = new.id;
    if numbers is not null then
      raise exception using errcode = 'P0001',
        message = format('WhatsApp cannot be disabled for the AI agent "%s" while numbers use it (%s). Assign those numbers another agent first.', new.name, numbers);
    end if;
  end if;
  if old.active and not new.active then
    select string_agg(format('"%s"', n.display_name), ', ' order by n.display_name) into numbers
    from public.whatsapp_numbers n where n.assigned_agent_id = new.id and n.active;
    if numbers is not null then
      raise exception using errcode = 'P0001',
        message = format('The AI agent "%s" cannot be deactivated while active numbers use it (%s). Deactivate those numbers or assign them another agent first.', new.name, numbers);
    end if;
  end if;
  return null;
end $$;

create constraint trigger check_ai_agent_numbers
  after update of whatsapp_enabled, active on public.ai_agents
  deferrable initially immediate
  for each row execute function private.check_ai_agent_numbers();

create trigger check_ai_agent_numbers_before_delete before delete on public.ai_agents
  for each row execute function private.check_ai_agent_numbers();

revoke all on function private.check_whatsapp_number_agent(), private.check_ai_agent_numbers() from public;
