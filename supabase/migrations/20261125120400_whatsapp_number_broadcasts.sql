-- Number cards update live: every change to a number is broadcast on `tenant:<tenant_id>` with
-- event `whatsapp_numbers` and Supabase's broadcast_changes payload
-- {operation: INSERT|UPDATE|DELETE, table, schema, record, old_record}. The row holds no secrets.

create function private.broadcast_whatsapp_number() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.broadcast_changes(
    'tenant:' || coalesce(new.tenant_id, old.tenant_id)::text,
    'whatsapp_numbers', tg_op, tg_table_name, tg_table_schema, new, old
  );
  return null;
end $$;
revoke all on function private.broadcast_whatsapp_number() from public;

create trigger broadcast_whatsapp_number after insert or update or delete on public.whatsapp_numbers
  for each row execute function private.broadcast_whatsapp_number();
