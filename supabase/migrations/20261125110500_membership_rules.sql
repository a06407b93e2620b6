-- A tenant always keeps an owner, whichever path changes memberships (the flow functions, a
-- direct PATCH/DELETE through the API, or the service role).

-- security definer: it must count every owner of the tenant, whatever the caller may see.
create function private.keep_an_owner() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  tenant_name text;
begin
  if old.role <> 'owner' or (tg_op = 'UPDATE' and new.role = 'owner') then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  -- Locking the tenant serialises concurrent changes, so two owners cannot demote each other at once.
  select t.name into tenant_name from public.tenants t where t.id = old.tenant_id for update;
  if not found then
    return old; -- the tenant itself is being deleted
  end if;
  if tg_op = 'DELETE' and not exists (select 1 from auth.users u where u.id = old.user_id) then
    return old; -- the user's account is being deleted
  end if;
  if exists (
    select 1 from public.memberships m
    where m.tenant_id = old.tenant_id and m.role = 'owner' and m.user_id <> old.user_id
  ) then
    return case when tg_op = 'DELETE' then old else new end;
  end if;

  if tg_op = 'UPDATE' then
    raise exception using errcode = 'P0001',
      message = format('%s needs at least one owner, so its last owner cannot take another role.', tenant_name),
      hint = 'Make someone else an owner first.';
  elsif old.user_id = (select auth.uid()) then
    raise exception using errcode = 'P0001',
      message = format('You are the last owner of %s, so you cannot leave it.', tenant_name),
      hint = 'Make someone else an owner first, or delete the workspace.';
  else
    raise exception using errcode = 'P0001',
      message = format('%s needs at least one owner, so its last owner cannot be removed.', tenant_name),
      hint = 'Make someone else an owner first.';
  end if;
end $$;
revoke all on function private.keep_an_owner() from public;

create trigger keep_an_owner before update of role or delete on public.memberships
  for each row execute function private.keep_an_owner();
