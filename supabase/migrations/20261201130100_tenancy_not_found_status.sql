-- "Not found" in the membership flows is the caller's mistake (a mistyped invitation link, leaving a
-- workspace one is not in), so it answers 404, not 500: PostgREST maps P0002 to 500 but answers
-- PTxyz with status xyz, hosted and local alike. The sentences stay the same.

-- ---------------------------------------------------------------- accept_invitation
-- security definer: the invitee is not a member yet, so can neither read the invitation nor insert
-- their membership; the checks below are what let them in.
create or replace function public.accept_invitation(token text) returns public.tenants
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  caller_email text;
  invitation public.invitations;
  joined public.tenants;
begin
  if caller is null then
    raise exception using errcode = '42501', message = 'Sign in to accept this invitation.';
  end if;
  select * into invitation from public.invitations i
  where i.token_hash = private.token_hash(coalesce(accept_invitation.token, ''))
  for update;
  if not found then
    raise exception using errcode = 'PT404',
      message = 'This invitation link is not valid. Ask an owner or admin of the workspace for a new one.';
  end if;
  select lower(u.email) into caller_email from auth.users u where u.id = caller;
  if caller_email is distinct from invitation.email then
    raise exception using errcode = '42501',
      message = 'This invitation was sent to another email address. Sign in with that address to accept it.';
  end if;
  if invitation.accepted_at is not null then
    raise exception using errcode = 'P0001',
      message = 'This invitation has already been used. Ask an owner or admin of the workspace for a new one.';
  end if;
  if invitation.expires_at <= now() then
    raise exception using errcode = 'P0001',
      message = 'This invitation has expired. Ask an owner or admin of the workspace to invite you again.';
  end if;
  if exists (select 1 from public.memberships m where m.tenant_id = invitation.tenant_id and m.user_id = caller) then
    raise exception using errcode = 'P0001', message = 'You are already a member of this workspace.';
  end if;
  insert into public.memberships (tenant_id, user_id, role) values (invitation.tenant_id, caller, invitation.role);
  update public.invitations i set accepted_at = now(), accepted_by = caller where i.id = invitation.id;
  select * into joined from public.tenants t where t.id = invitation.tenant_id;
  return joined;
end $$;

-- ---------------------------------------------------------------- change_member_role
-- security invoker: the update goes through the memberships policies and the keep_an_owner
-- trigger like any other; the checks here only turn a refusal into a sentence.
create or replace function public.change_member_role(tenant_id uuid, user_id uuid, role text) returns public.memberships
language plpgsql security invoker set search_path = '' as $$
declare
  caller_role public.member_role := private.role_in(change_member_role.tenant_id);
  new_role public.member_role;
  target public.memberships;
begin
  if caller_role is null or caller_role not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'Only owners and admins can change roles in this workspace.';
  end if;
  new_role := private.parse_role(change_member_role.role);
  select * into target from public.memberships m
  where m.tenant_id = change_member_role.tenant_id and m.user_id = change_member_role.user_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'That person is not a member of this workspace.';
  end if;
  if caller_role = 'admin' and target.role = 'owner' then
    raise exception using errcode = '42501', message = 'Admins cannot change the role of an owner.';
  end if;
  if caller_role = 'admin' and new_role = 'owner' then
    raise exception using errcode = '42501', message = 'Only owners can make someone an owner.';
  end if;
  update public.memberships m set role = new_role
  where m.tenant_id = change_member_role.tenant_id and m.user_id = change_member_role.user_id
  returning * into target;
  return target;
end $$;

-- ---------------------------------------------------------------- leave_tenant
-- security invoker: members may delete their own membership under RLS; keep_an_owner guards the last owner.
create or replace function public.leave_tenant(tenant_id uuid) returns void
language plpgsql security invoker set search_path = '' as $$
begin
  delete from public.memberships m
  where m.tenant_id = leave_tenant.tenant_id and m.user_id = (select auth.uid());
  if not found then
    raise exception using errcode = 'PT404', message = 'You are not a member of this workspace.';
  end if;
end $$;

-- ---------------------------------------------------------------- remove_member
-- security invoker, for the same reason as change_member_role.
create or replace function public.remove_member(tenant_id uuid, user_id uuid) returns void
language plpgsql security invoker set search_path = '' as $$
declare
  caller_role public.member_role := private.role_in(remove_member.tenant_id);
  target public.memberships;
begin
  if remove_member.user_id = (select auth.uid()) then
    perform public.leave_tenant(remove_member.tenant_id);
    return;
  end if;
  if caller_role is null or caller_role not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'Only owners and admins can remove people from this workspace.';
  end if;
  select * into target from public.memberships m
  where m.tenant_id = remove_member.tenant_id and m.user_id = remove_member.user_id;
  if not found then
    raise exception using errcode = 'PT404', message = 'That person is not a member of this workspace.';
  end if;
  if caller_role = 'admin' and target.role = 'owner' then
    raise exception using errcode = '42501', message = 'Admins cannot remove an owner.';
  end if;
  delete from public.memberships m
  where m.tenant_id = remove_member.tenant_id and m.user_id = remove_member.user_id;
end $$;
