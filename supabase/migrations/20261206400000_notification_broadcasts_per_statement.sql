-- An inbound message notifies every member of the workspace: one notification row each, and each
-- row was broadcast to its member's `user:<id>` topic by a row trigger calling
-- realtime.broadcast_changes. With 50 members that is 51 trigger calls, 51 payloads built by a
-- function call each and 51 sends per message; measured with pg_stat_statements on PostgreSQL
-- 15, the ingest SQL ran at 83 calls a second with 50 members against 227 with none, most of it
-- in that trigger.
--
-- New notifications are now broadcast once per statement: one trigger call builds every payload
-- from the statement's new rows, in the shape broadcast_changes gives them, and hands each to
-- realtime.send (which stays the one way into realtime.messages, here and on hosted Supabase).
-- Read marks and deletes keep the row trigger: they come one at a time.

create function private.broadcast_new_notifications() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object('old_record', null, 'record', to_jsonb(n), 'operation', 'INSERT',
      'table', 'notifications', 'schema', 'public'),
    'notifications', 'user:' || n.recipient_id::text, true)
  from inserted_notifications n;
  return null;
end $$;
revoke all on function private.broadcast_new_notifications() from public;

drop trigger broadcast_notification on public.notifications;
create trigger broadcast_notification after update or delete on public.notifications
  for each row execute function private.broadcast_notification();
create trigger broadcast_new_notifications after insert on public.notifications
  referencing new table as inserted_notifications
  for each statement execute function private.broadcast_new_notifications();
