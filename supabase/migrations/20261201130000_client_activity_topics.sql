-- Topics the database writes accept no client broadcasts: a member who could send on
-- `conversation:<id>` could show a teammate a fake customer message. Typing and presence move to
-- their own client topic, `conversation-activity:<id>`, the only topic clients may send on.

drop policy "parley: members share presence and typing in their conversations" on realtime.messages;

-- conversation-activity:<id> joins: members of the conversation's tenant, like conversation:<id>.
-- security definer: reads memberships and conversations whatever the caller may see of them.
create or replace function private.can_read_topic(topic text) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  kind text := split_part(coalesce(topic, ''), ':', 1);
  subject text := substr(coalesce(topic, ''), char_length(kind) + 2);
begin
  if subject !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  return case
    when kind = 'user' then subject::uuid = (select auth.uid())
    when kind = 'tenant' then private.is_member(subject::uuid)
    when kind in ('conversation', 'conversation-activity') then coalesce(
      (select private.is_member(c.tenant_id) from public.conversations c where c.id = subject::uuid), false)
    else false
  end;
end $$;

create policy "parley: members share presence and typing on conversation activity topics" on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension in ('broadcast', 'presence')
    and realtime.messages.topic = (select realtime.topic())
    and split_part((select realtime.topic()), ':', 1) = 'conversation-activity'
    and (select private.can_read_topic((select realtime.topic())))
  );
