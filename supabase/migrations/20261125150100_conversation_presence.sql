-- Who else has a conversation open, and who is typing: members of the conversation's tenant may
-- track presence and send broadcasts on `conversation:<id>` (tenant and user topics stay
-- database-only, so nobody can fake an inbox change or a notification).
create policy "parley: members share presence and typing in their conversations" on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension in ('broadcast', 'presence')
    and split_part((select realtime.topic()), ':', 1) = 'conversation'
    and (select private.can_read_topic((select realtime.topic())))
  );
