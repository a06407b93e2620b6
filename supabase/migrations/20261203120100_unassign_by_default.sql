-- assign_conversation as in 20261203120000, with the assignee defaulting to nobody, so a client
-- unassigns by leaving it out (the generated types do not let an rpc argument be null).
-- security definer: as in 20261203120000, its role rules are the only way to change assignee_id.
create or replace function public.assign_conversation(conversation_id uuid, assignee_id uuid default null)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  caller_role public.member_role;
  conversation public.conversations;
  contact public.contacts;
  current_name text;
  caller_name text;
begin
  if caller is null then
    raise exception using errcode = '42501', message = 'Sign in to assign conversations.';
  end if;
  -- The role is checked before the row is locked, so nobody can hold another tenant's row.
  caller_role := private.role_in((select c.tenant_id from public.conversations c
                                  where c.id = assign_conversation.conversation_id));
  if caller_role is not null then
    select * into conversation from public.conversations c
    where c.id = assign_conversation.conversation_id for update;
  end if;
  if caller_role is null or conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  if assign_conversation.assignee_id is not null and not exists (
    select 1 from public.memberships m
    where m.tenant_id = conversation.tenant_id and m.user_id = assign_conversation.assignee_id
  ) then
    raise exception using errcode = 'P0001',
      message = 'That person is not a member of this workspace, so the conversation cannot be assigned to them.';
  end if;
  if conversation.assignee_id is not distinct from assign_conversation.assignee_id then
    return conversation;
  end if;
  if caller_role = 'agent' then
    if assign_conversation.assignee_id is not null and assign_conversation.assignee_id <> caller then
      raise exception using errcode = '42501',
        message = 'Agents can take conversations for themselves; ask an owner or admin to assign it to someone else.';
    end if;
    if conversation.assignee_id is not null and conversation.assignee_id <> caller then
      select p.display_name into current_name from public.profiles p where p.id = conversation.assignee_id;
      raise exception using errcode = '42501',
        message = format('This conversation is assigned to %s. Ask them, an owner or an admin to reassign it.',
          coalesce(current_name, 'another member'));
    end if;
  end if;
  update public.conversations c set assignee_id = assign_conversation.assignee_id, updated_at = now()
  where c.id = conversation.id
  returning * into conversation;
  if conversation.assignee_id is not null and conversation.assignee_id <> caller then
    select * into contact from public.contacts k where k.id = conversation.contact_id;
    select p.display_name into caller_name from public.profiles p where p.id = caller;
    insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
    values (conversation.tenant_id, conversation.assignee_id, 'assignment', conversation.id,
      format('%s assigned you the conversation with %s', coalesce(caller_name, 'A teammate'),
        private.contact_label(contact)),
      conversation.last_message_preview);
  end if;
  return conversation;
end $$;
