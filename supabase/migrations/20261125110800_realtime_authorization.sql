-- Who may receive broadcasts on private Realtime channels. Realtime checks a join by selecting
-- probe rows from realtime.messages as the user, with realtime.topic() set to the channel's topic.
-- No insert policy: clients cannot broadcast on these topics; the database does (realtime.send).

-- security definer: reads memberships whatever the caller may see of them.
create function private.can_read_topic(topic text) returns boolean
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
    -- conversation:<id> goes here (members of the conversation's tenant), in a later migration
    -- that replaces this function once conversations exist.
    else false
  end;
end $$;
revoke all on function private.can_read_topic(text) from public;
grant execute on function private.can_read_topic(text) to authenticated, service_role;

create policy "parley: members receive their tenant and user topics" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension in ('broadcast', 'presence')
    and (select private.can_read_topic((select realtime.topic())))
  );
