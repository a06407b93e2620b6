-- A changed conversation reaches the inbox ready to show: `tenant:<tenant_id>` event `conversations`
-- now carries, as `record`, the conversation with the columns inbox_conversations joins to it (its
-- contact's name, number, username and user id; its number's name, address and provider) and its
-- activity_at, so a client puts the row in place without reading it again. The payload keeps
-- broadcast_changes' shape {operation, table, schema, record, old_record}; old_record stays the plain
-- row. The joined rows belong to the same tenant, so the topic's members may read them anyway.

create or replace function private.broadcast_conversation() returns trigger
language plpgsql set search_path = '' as $$
declare
  inbox_row jsonb;
begin
  if tg_op <> 'DELETE' then
    select to_jsonb(new) || jsonb_build_object(
        'activity_at', coalesce(new.last_message_at, new.created_at),
        'contact_name', ct.profile_name, 'contact_wa_id', ct.wa_id,
        'contact_username', ct.username, 'contact_user_id', ct.user_id,
        'number_name', n.display_name, 'number_address', n.address, 'number_provider', n.provider)
      into inbox_row
      from (select new.contact_id as contact_id, new.number_id as number_id) c
      left join public.contacts ct on ct.id = c.contact_id
      left join public.whatsapp_numbers n on n.id = c.number_id;
  end if;
  perform realtime.send(
    jsonb_build_object(
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
      'record', inbox_row,
      'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) end),
    'conversations', 'tenant:' || coalesce(new.tenant_id, old.tenant_id)::text, true);
  return null;
end $$;
revoke all on function private.broadcast_conversation() from public;
