-- Round robin, as Chatwoot's auto-assignment: a number may hand each new conversation to the
-- available member of its workspace who was auto-assigned on that number longest ago.
--
-- Owners and admins turn it on per number (off by default); each member marks themselves available
-- or away per workspace (available until they say otherwise). The work happens once per new
-- conversation, inside the ingest call that creates it: a message in an existing conversation costs
-- nothing more. A number whose AI agent answers is left to the AI; its hand-overs still land in
-- Unassigned and Escalated, as before.
--
-- Picks on one number are serialised by a row lock on its setting, taken before the members are
-- read, so two first messages arriving together never choose from the same stale turns.

-- ---------------------------------------------------------------- number_round_robin
create table public.number_round_robin (
  number_id uuid primary key references public.whatsapp_numbers (id) on delete cascade,
  -- Always the number's own tenant (set by the trigger below); RLS reads it.
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  enabled boolean not null default false,
  updated_by uuid references auth.users (id) on delete set null,
  updated_at timestamptz not null default now()
);
create index number_round_robin_tenant_id_idx on public.number_round_robin (tenant_id);
create index number_round_robin_updated_by_idx on public.number_round_robin (updated_by);

-- security definer: reads the number whatever the caller may see, so the tenant is never taken
-- from the caller; the policies below then decide whether the caller may write it.
create function private.prepare_number_round_robin() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'UPDATE' and new.number_id is distinct from old.number_id then
    raise exception using errcode = '42501', message = 'A round-robin setting cannot move to another number.';
  end if;
  select n.tenant_id into new.tenant_id from public.whatsapp_numbers n where n.id = new.number_id;
  new.updated_by := (select auth.uid());
  new.updated_at := now();
  return new;
end $$;
revoke all on function private.prepare_number_round_robin() from public;
create trigger prepare_number_round_robin before insert or update on public.number_round_robin
  for each row execute function private.prepare_number_round_robin();

alter table public.number_round_robin enable row level security;
revoke all on table public.number_round_robin from public, anon, authenticated;
grant all on table public.number_round_robin to service_role;
grant select on table public.number_round_robin to authenticated;
grant insert (number_id, enabled), update (enabled) on table public.number_round_robin to authenticated;

create policy "members read their tenants' round-robin settings" on public.number_round_robin
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "owners and admins turn round robin on" on public.number_round_robin
  for insert to authenticated
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins change round robin" on public.number_round_robin
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

-- ---------------------------------------------------------------- member_availability
-- No row means available: a member takes part until they mark themselves away. Leaving the
-- workspace removes the row with the membership.
create table public.member_availability (
  tenant_id uuid not null,
  user_id uuid not null,
  available boolean not null default true,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, user_id),
  constraint member_availability_membership_fkey foreign key (tenant_id, user_id)
    references public.memberships (tenant_id, user_id) on delete cascade
);

create function private.touch_member_availability() returns trigger
language plpgsql set search_path = '' as $$
begin
  if tg_op = 'UPDATE' and (new.tenant_id, new.user_id) is distinct from (old.tenant_id, old.user_id) then
    raise exception using errcode = '42501', message = 'Availability belongs to one member of one workspace.';
  end if;
  new.updated_at := now();
  return new;
end $$;
revoke all on function private.touch_member_availability() from public;
create trigger touch_member_availability before insert or update on public.member_availability
  for each row execute function private.touch_member_availability();

alter table public.member_availability enable row level security;
revoke all on table public.member_availability from public, anon, authenticated;
grant all on table public.member_availability to service_role;
grant select on table public.member_availability to authenticated;
grant insert (tenant_id, user_id, available), update (available) on table public.member_availability
  to authenticated;

create policy "members see who in their tenants is available" on public.member_availability
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "members mark themselves available or away" on public.member_availability
  for insert to authenticated
  with check (user_id = (select auth.uid())
    and tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "members change their own availability" on public.member_availability
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid())
    and tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- ---------------------------------------------------------------- round_robin_turns
-- When each member was last auto-assigned on each number: only the picking function reads it.
create table private.round_robin_turns (
  number_id uuid not null references public.whatsapp_numbers (id) on delete cascade,
  tenant_id uuid not null,
  user_id uuid not null,
  assigned_at timestamptz not null,
  primary key (number_id, user_id),
  constraint round_robin_turns_membership_fkey foreign key (tenant_id, user_id)
    references public.memberships (tenant_id, user_id) on delete cascade
);
create index round_robin_turns_membership_idx on private.round_robin_turns (tenant_id, user_id);
alter table private.round_robin_turns enable row level security;
revoke all on table private.round_robin_turns from public, anon, authenticated;

-- ---------------------------------------------------------------- set_round_robin
-- Runs as its caller, so RLS holds as well; the checks first say in words why a call is refused.
create function public.set_round_robin(number_id uuid, enabled boolean)
returns public.number_round_robin
language plpgsql security invoker set search_path = '' as $$
declare
  number_tenant uuid;
  caller_role public.member_role;
  saved public.number_round_robin;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'Sign in to change how conversations are assigned.';
  end if;
  select n.tenant_id into number_tenant from public.whatsapp_numbers n where n.id = set_round_robin.number_id;
  caller_role := private.role_in(number_tenant);
  if number_tenant is null or caller_role is null then
    raise exception using errcode = 'PT404',
      message = 'This number was not found in your workspaces. It may have been removed.';
  end if;
  if caller_role not in ('owner', 'admin') then
    raise exception using errcode = '42501',
      message = 'Only owners and admins can turn round robin on or off. Ask one of them to change it.';
  end if;
  insert into public.number_round_robin as r (number_id, enabled)
  values (set_round_robin.number_id, coalesce(set_round_robin.enabled, false))
  on conflict on constraint number_round_robin_pkey do update set enabled = excluded.enabled
  returning * into saved;
  return saved;
end $$;
revoke all on function public.set_round_robin(uuid, boolean) from public, anon;
grant execute on function public.set_round_robin(uuid, boolean) to authenticated, service_role;

-- ---------------------------------------------------------------- set_availability
create function public.set_availability(tenant_id uuid, available boolean)
returns public.member_availability
language plpgsql security invoker set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  saved public.member_availability;
begin
  if caller is null then
    raise exception using errcode = '42501', message = 'Sign in to say whether you are available.';
  end if;
  if not private.is_member(set_availability.tenant_id) then
    raise exception using errcode = 'PT404',
      message = 'This workspace was not found among yours. You may have been removed from it.';
  end if;
  insert into public.member_availability as a (tenant_id, user_id, available)
  values (set_availability.tenant_id, caller, coalesce(set_availability.available, true))
  on conflict on constraint member_availability_pkey do update set available = excluded.available
  returning * into saved;
  return saved;
end $$;
revoke all on function public.set_availability(uuid, boolean) from public, anon;
grant execute on function public.set_availability(uuid, boolean) to authenticated, service_role;

-- ---------------------------------------------------------------- round_robin_assignee
-- The member a new conversation on `number` goes to, or null when round robin is off there or
-- nobody is available. The setting's row lock queues the picks of one number, and the members are
-- read by a statement that starts after it is granted (a fresh snapshot under READ COMMITTED), so
-- each pick sees the turn the previous one took. clock_timestamp, not now(): a transaction that
-- started earlier but waited for the lock must still record the later turn.
create function private.round_robin_assignee(number public.whatsapp_numbers) returns uuid
language plpgsql volatile set search_path = '' as $$
declare
  chosen uuid;
begin
  perform 1 from public.number_round_robin r where r.number_id = number.id and r.enabled for update;
  if not found then
    return null;
  end if;
  select m.user_id into chosen
  from public.memberships m
  left join public.member_availability a on a.tenant_id = m.tenant_id and a.user_id = m.user_id
  left join private.round_robin_turns t on t.number_id = number.id and t.user_id = m.user_id
  where m.tenant_id = number.tenant_id and coalesce(a.available, true)
  -- Never assigned first, then longest ago; ties by who joined first, then by id.
  order by t.assigned_at nulls first, m.created_at, m.user_id
  limit 1;
  if chosen is not null then
    insert into private.round_robin_turns as t (number_id, tenant_id, user_id, assigned_at)
    values (number.id, number.tenant_id, chosen, clock_timestamp())
    on conflict (number_id, user_id) do update set assigned_at = excluded.assigned_at;
  end if;
  return chosen;
end $$;
revoke all on function private.round_robin_assignee(public.whatsapp_numbers) from public;

-- The auto-assignee's "assigned to you", in place of their "new message" (it carries the same words).
create function private.tell_round_robin_assignee(conversation public.conversations, message_id uuid)
returns void
language sql volatile set search_path = '' as $$
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
  select conversation.tenant_id, conversation.assignee_id, 'assignment', conversation.id,
    tell_round_robin_assignee.message_id,
    format('Round robin assigned you the new conversation with %s', private.contact_label(k)),
    conversation.last_message_preview
  from public.contacts k where k.id = conversation.contact_id
  on conflict do nothing
$$;
revoke all on function private.tell_round_robin_assignee(public.conversations, uuid) from public;

-- ---------------------------------------------------------------- ingest_inbound_message
-- As in 20261201140000, with a conversation this call creates given to the round-robin pick
-- (unless the number's AI answers it), and the pick told in place of their new-message notification.
create or replace function private.ingest_inbound_message(number public.whatsapp_numbers, item jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  found_contact_id uuid;
  contact public.contacts;
  conversation public.conversations;
  created_id uuid;
  auto_assignee uuid;
  stored_message_id uuid;
  message_type text := coalesce(item ->> 'type', 'text');
  received timestamptz := least(coalesce((item ->> 'sent_at')::timestamptz, now()), now());
  reopen_archived boolean;
  agent_active boolean;
begin
  found_contact_id := private.customer_contact(number.tenant_id, item);

  select * into conversation from public.conversations c
  where c.number_id = number.id and c.contact_id = found_contact_id for update;
  if not found then
    insert into public.conversations as c (tenant_id, number_id, contact_id)
    values (number.tenant_id, number.id, found_contact_id)
    on conflict on constraint conversations_number_id_contact_id_key do nothing
    returning c.id into created_id;
    select * into conversation from public.conversations c
    where c.number_id = number.id and c.contact_id = found_contact_id for update;
    if created_id is not null then
      select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
      if not (conversation.ai_active and number.active and coalesce(agent_active, false)) then
        auto_assignee := private.round_robin_assignee(number);
      end if;
    end if;
  end if;

  if message_type = 'reaction' then
    if coalesce(item #>> '{reaction,emoji}', '') = '' then
      delete from public.message_reactions r
      where r.conversation_id = conversation.id and r.target_provider_id = item #>> '{reaction,target_provider_id}'
        and r.reactor = 'customer';
    else
      insert into public.message_reactions as r (tenant_id, conversation_id, message_id, target_provider_id, reactor, emoji, provider_message_id, reacted_at)
      values (number.tenant_id, conversation.id,
        (select m.id from public.messages m where m.conversation_id = conversation.id
          and m.provider_message_id = item #>> '{reaction,target_provider_id}'),
        item #>> '{reaction,target_provider_id}', 'customer', item #>> '{reaction,emoji}',
        item ->> 'provider_message_id', received)
      on conflict on constraint message_reactions_target_key do update
        set emoji = excluded.emoji, provider_message_id = excluded.provider_message_id,
            reacted_at = excluded.reacted_at, message_id = coalesce(r.message_id, excluded.message_id)
        where r.emoji is distinct from excluded.emoji;
    end if;
    -- A reaction is the customer writing: it opens the 24-hour window too.
    update public.conversations c set last_inbound_at = greatest(c.last_inbound_at, received), updated_at = now()
    where c.id = conversation.id and c.last_inbound_at is distinct from greatest(c.last_inbound_at, received);
    -- A conversation opened by a reaction is rare: its pick gets a statement of its own.
    if auto_assignee is not null then
      update public.conversations c set assignee_id = auto_assignee, updated_at = now()
      where c.id = conversation.id
      returning * into conversation;
      perform private.tell_round_robin_assignee(conversation, null);
    end if;
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;

  insert into public.messages as m (tenant_id, conversation_id, direction, sender, type, body, media, location,
    content, reply_to_provider_id, reply_to_message_id, provider, provider_message_id, status)
  values (number.tenant_id, conversation.id, 'inbound', 'customer', message_type, item ->> 'body',
    item -> 'media', item -> 'location', item -> 'content', item ->> 'reply_to_provider_id',
    (select r.id from public.messages r where r.conversation_id = conversation.id
      and r.provider_message_id = item ->> 'reply_to_provider_id'),
    number.provider, item ->> 'provider_message_id', 'received')
  on conflict on constraint messages_provider_message_id_key do nothing
  returning m.id into stored_message_id;

  if stored_message_id is null then
    -- A retry or duplicate delivery: already stored, nothing changes.
    return jsonb_build_object('conversation_id', conversation.id, 'inserted', false, 'ai_reply', false);
  end if;

  update public.message_reactions r set message_id = stored_message_id
  where r.conversation_id = conversation.id and r.message_id is null
    and r.target_provider_id = item ->> 'provider_message_id';

  select t.reopen_archived_on_inbound into reopen_archived from public.tenants t where t.id = number.tenant_id;
  update public.conversations c set
    last_message_preview = private.message_preview(message_type, item ->> 'body', item -> 'media'),
    last_message_at = now(),
    last_message_direction = 'inbound',
    last_inbound_at = greatest(c.last_inbound_at, received),
    unread_count = c.unread_count + 1,
    status = case when c.status = 'closed' or (c.status = 'archived' and reopen_archived) then 'open' else c.status end,
    assignee_id = coalesce(c.assignee_id, auto_assignee),
    updated_at = now()
  where c.id = conversation.id
  returning * into conversation;

  select * into contact from public.contacts k where k.id = found_contact_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, message_id, title, body)
  select number.tenant_id, ms.user_id, 'new_message', conversation.id, stored_message_id,
    format('New message from %s', private.contact_label(contact)),
    private.message_preview(message_type, item ->> 'body', item -> 'media')
  from public.memberships ms where ms.tenant_id = number.tenant_id
    and ms.user_id is distinct from auto_assignee
  on conflict do nothing;
  if auto_assignee is not null then
    perform private.tell_round_robin_assignee(conversation, stored_message_id);
  end if;

  select coalesce(a.active, false) into agent_active from public.ai_agents a where a.id = number.assigned_agent_id;
  return jsonb_build_object('message_id', stored_message_id, 'conversation_id', conversation.id, 'inserted', true,
    'ai_reply', conversation.ai_active and number.active and coalesce(agent_active, false));
end $$;
