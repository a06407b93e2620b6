-- Live updates for the inbox and the chat, sent by triggers so no write path can forget them:
--   tenant:<tenant_id>        event `conversations`      a conversation changed (inbox rows)
--   conversation:<id>         event `messages`           a message was inserted or its status changed
--   conversation:<id>         event `message_reactions`  a reaction was added, changed or removed
--   user:<recipient_id>       event `notifications`      a notification for that user
-- Payloads are broadcast_changes' {operation, table, schema, record, old_record}.

create function private.broadcast_conversation() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.broadcast_changes('tenant:' || coalesce(new.tenant_id, old.tenant_id)::text,
    'conversations', tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end $$;

create function private.broadcast_conversation_child() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.broadcast_changes('conversation:' || coalesce(new.conversation_id, old.conversation_id)::text,
    tg_table_name, tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end $$;

create function private.broadcast_notification() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.broadcast_changes('user:' || coalesce(new.recipient_id, old.recipient_id)::text,
    'notifications', tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end $$;

revoke all on function private.broadcast_conversation(), private.broadcast_conversation_child(),
  private.broadcast_notification() from public;

create trigger broadcast_conversation after insert or update or delete on public.conversations
  for each row execute function private.broadcast_conversation();
create trigger broadcast_message after insert or update on public.messages
  for each row execute function private.broadcast_conversation_child();
create trigger broadcast_message_reaction after insert or update or delete on public.message_reactions
  for each row execute function private.broadcast_conversation_child();
create trigger broadcast_notification after insert or update or delete on public.notifications
  for each row execute function private.broadcast_notification();

-- conversation:<id> joins: members of the conversation's tenant. One primary-key lookup and one
-- membership lookup per join (Realtime checks a join once, not per message).
create or replace function private.can_read_topic(topic text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  kind text := split_part(coalesce(topic, ''), ':', 1);
  subject text := substr(coalesce(topic, ''), char_length(kind) + 2);
begin
  if subject !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return case kind
    when 'user' then subject::uuid = (select auth.uid())
    when 'tenant' then private.is_member(subject::uuid)
    when 'conversation' then coalesce(
      (select private.is_member(c.tenant_id) from public.conversations c where c.id = subject::uuid), false)
    else false
  end;
end $$;
