-- Deleting a conversation is for owners and admins: an agent's attempt is refused with a sentence
-- (42501) instead of silently deleting nothing, so the app can say why. Deletes that cascade from
-- a number or a tenant run as the owner or admin who started them, or as the service role.

drop policy "owners and admins delete conversations" on public.conversations;
create policy "members delete their tenants' conversations, checked by role below" on public.conversations
  for delete to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

create function private.check_conversation_delete() returns trigger
language plpgsql set search_path = '' as $$
begin
  if (select auth.role()) = 'authenticated'
     and not (old.tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[])) then
    raise exception using errcode = '42501',
      message = 'Only owners and admins can delete conversations. Close or archive it instead.';
  end if;
  return old;
end $$;
revoke all on function private.check_conversation_delete() from public;

create trigger check_conversation_delete before delete on public.conversations
  for each row execute function private.check_conversation_delete();
