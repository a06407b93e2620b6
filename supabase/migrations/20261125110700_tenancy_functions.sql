-- The membership flows, called by the app through rpc. Each raises errors a person can read:
-- 42501 when the caller is not allowed, 22023 for invalid input, P0002 when something does not
-- exist, 23505 for a taken address, P0001 when a rule of the workspace forbids the change.

-- A role name from the UI as a role, or an error that says which roles exist.
create function private.parse_role(role text) returns public.member_role
language plpgsql immutable set search_path = '' as $$
begin
  if role is null or role not in ('owner', 'admin', 'agent') then
    raise exception using errcode = '22023',
      message = format('There is no role called "%s". Choose owner, admin or agent.', coalesce(role, ''));
  end if;
  return role::public.member_role;
end $$;

create function private.token_hash(token text) returns text
language sql immutable set search_path = '' as $$
  select encode(extensions.digest(token, 'sha256'), 'hex')
$$;

revoke all on function private.parse_role(text), private.token_hash(text) from public;
grant execute on function private.parse_role(text), private.token_hash(text) to authenticated, service_role;

-- ---------------------------------------------------------------- create_tenant
-- security definer: nobody may insert tenants or memberships directly; this is the one path that
-- creates a tenant together with its first owner.
create function public.create_tenant(name text, slug text) returns public.tenants
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
  clean_name text := btrim(coalesce(create_tenant.name, ''));
  clean_slug text := btrim(coalesce(create_tenant.slug, ''));
  created public.tenants;
begin
  if caller is null then
    raise exception using errcode = '42501', message = 'Sign in to create a workspace.';
  end if;
  if char_length(clean_name) not between 1 and 80 then
    raise exception using errcode = '22023', message = 'A workspace name must be 1 to 80 characters long.';
  end if;
  if clean_slug !~ '^[a-z0-9-]{3,40}$' then
    raise exception using errcode = '22023',
      message = 'A workspace address must be 3 to 40 characters long and use only lowercase letters, digits and hyphens.';
  end if;
  begin
    insert into public.tenants (name, slug) values (clean_name, clean_slug) returning * into created;
  exception when unique_violation then
    raise exception using errcode = '23505',
      message = format('The address "%s" is already taken. Choose another one.', clean_slug);
  end;
  insert into public.memberships (tenant_id, user_id, role) values (created.id, caller, 'owner');
  return created;
end $$;

-- ---------------------------------------------------------------- invite_member
-- security definer: invitations cannot be inserted directly (so every token is made here, random
-- and hashed), and checking whether the email already belongs to a member reads auth.users.
create function public.invite_member(tenant_id uuid, email text, role text default 'agent') returns text
language plpgsql security definer set search_path = '' as $$
declare
  caller_role public.member_role := private.role_in(invite_member.tenant_id);
  invited_role public.member_role;
  clean_email text := lower(btrim(coalesce(invite_member.email, '')));
  token text := encode(extensions.gen_random_bytes(32), 'hex');
begin
  if caller_role is null or caller_role not in ('owner', 'admin') then
    raise exception using errcode = '42501', message = 'Only owners and admins can invite people to this workspace.';
  end if;
  invited_role := private.parse_role(invite_member.role);
  if invited_role = 'owner' and caller_role <> 'owner' then
    raise exception using errcode = '42501', message = 'Only owners can invite someone as an owner.';
  end if;
  if clean_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' then
    raise exception using errcode = '22023',
      message = format('"%s" is not an email address.', coalesce(invite_member.email, ''));
  end if;
  if exists (
    select 1 from public.memberships m join auth.users u on u.id = m.user_id
    where m.tenant_id = invite_member.tenant_id and lower(u.email) = clean_email
  ) then
    raise exception using errcode = 'P0001', message = format('%s is already a member of this workspace.', clean_email);
  end if;
  -- A new invitation replaces a pending one for the same address, so only the latest link works.
  delete from public.invitations i
  where i.tenant_id = invite_member.tenant_id and i.email = clean_email and i.accepted_at is null
    and (caller_role = 'owner' or i.role <> 'owner');
  insert into public.invitations (tenant_id, email, role, token_hash, invited_by)
  values (invite_member.tenant_id, clean_email, invited_role, private.token_hash(token), (select auth.uid()));
  return token;
end $$;

-- ---------------------------------------------------------------- accept_invitation
-- security definer: the invitee is not a member yet, so can neither read the invitation nor insert
-- their membership; the checks below are what let them in.
create function public.accept_invitation(token text) returns public.tenants
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
    raise exception using errcode = 'P0002',
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
create function public.change_member_role(tenant_id uuid, user_id uuid, role text) returns public.memberships
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
    raise exception using errcode = 'P0002', message = 'That person is not a member of this workspace.';
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
create function public.leave_tenant(tenant_id uuid) returns void
language plpgsql security invoker set search_path = '' as $$
begin
  delete from public.memberships m
  where m.tenant_id = leave_tenant.tenant_id and m.user_id = (select auth.uid());
  if not found then
    raise exception using errcode = 'P0002', message = 'You are not a member of this workspace.';
  end if;
end $$;

-- ---------------------------------------------------------------- remove_member
-- security invoker, for the same reason as change_member_role.
create function public.remove_member(tenant_id uuid, user_id uuid) returns void
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
    raise exception using errcode = 'P0002', message = 'That person is not a member of this workspace.';
  end if;
  if caller_role = 'admin' and target.role = 'owner' then
    raise exception using errcode = '42501', message = 'Admins cannot remove an owner.';
  end if;
  delete from public.memberships m
  where m.tenant_id = remove_member.tenant_id and m.user_id = remove_member.user_id;
end $$;

revoke all on function public.create_tenant(text, text), public.invite_member(uuid, text, text),
  public.accept_invitation(text), public.change_member_role(uuid, uuid, text),
  public.leave_tenant(uuid), public.remove_member(uuid, uuid) from public, anon;
grant execute on function public.create_tenant(text, text), public.invite_member(uuid, text, text),
  public.accept_invitation(text), public.change_member_role(uuid, uuid, text),
  public.leave_tenant(uuid), public.remove_member(uuid, uuid) to authenticated, service_role;
