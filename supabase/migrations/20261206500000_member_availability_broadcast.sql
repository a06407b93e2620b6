-- A member marking themselves available or away reaches every open screen of the workspace, so
-- the members page's "Taking part" line and the member's own switch in other tabs follow without
-- a reload: `tenant:<tenant_id>` event `member_availability`, {operation, table, schema, record,
-- old_record}, each record only {user_id, available}.
create function private.broadcast_member_availability() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
      'record', case when tg_op = 'DELETE' then null
        else jsonb_build_object('user_id', new.user_id, 'available', new.available) end,
      'old_record', case when tg_op = 'INSERT' then null
        else jsonb_build_object('user_id', old.user_id, 'available', old.available) end),
    'member_availability', 'tenant:' || coalesce(new.tenant_id, old.tenant_id)::text, true);
  return null;
end $$;
revoke all on function private.broadcast_member_availability() from public;
create trigger broadcast_member_availability after insert or update or delete on public.member_availability
  for each row execute function private.broadcast_member_availability();
