-- Row-level security and privileges for tenants, memberships, profiles and invitations.
--
-- Privileges are granted explicitly (revoking whatever default privileges gave), so this works
-- whether or not the project grants the API roles anything by default. `anon` gets nothing.
-- Rows are created only by the flow functions (create_tenant, invite_member, accept_invitation)
-- and the sign-up trigger, so `authenticated` has no INSERT on these tables; a direct insert
-- fails with 42501 before any policy is consulted.

alter table public.tenants enable row level security;
alter table public.memberships enable row level security;
alter table public.profiles enable row level security;
alter table public.invitations enable row level security;

revoke all on table public.tenants, public.memberships, public.profiles, public.invitations
  from public, anon, authenticated;
grant all on table public.tenants, public.memberships, public.profiles, public.invitations
  to service_role;

grant select, delete on table public.tenants to authenticated;
grant update (name, slug) on table public.tenants to authenticated;
grant select, delete on table public.memberships to authenticated;
grant update (role) on table public.memberships to authenticated;
grant select on table public.profiles to authenticated;
grant update (display_name) on table public.profiles to authenticated;
grant select, delete on table public.invitations to authenticated;

-- ---------------------------------------------------------------- tenants
create policy "members see their tenants" on public.tenants
  for select to authenticated
  using (id = any ((select private.member_tenant_ids())::uuid[]));

create policy "owners and admins edit their tenants" on public.tenants
  for update to authenticated
  using (id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

create policy "owners delete their tenants" on public.tenants
  for delete to authenticated
  using (id = any ((select private.role_tenant_ids('{owner}'))::uuid[]));

-- ---------------------------------------------------------------- memberships
create policy "members see who else belongs to their tenants" on public.memberships
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- Owners change anyone's role; admins change only non-owners, and never to owner.
create policy "owners and admins change roles" on public.memberships
  for update to authenticated
  using (
    tenant_id = any ((select private.role_tenant_ids('{owner}'))::uuid[])
    or (role <> 'owner' and tenant_id = any ((select private.role_tenant_ids('{admin}'))::uuid[]))
  )
  with check (
    tenant_id = any ((select private.role_tenant_ids('{owner}'))::uuid[])
    or (role <> 'owner' and tenant_id = any ((select private.role_tenant_ids('{admin}'))::uuid[]))
  );

-- Anyone may leave; owners remove anyone; admins remove only non-owners.
create policy "members leave, owners and admins remove" on public.memberships
  for delete to authenticated
  using (
    user_id = (select auth.uid())
    or tenant_id = any ((select private.role_tenant_ids('{owner}'))::uuid[])
    or (role <> 'owner' and tenant_id = any ((select private.role_tenant_ids('{admin}'))::uuid[]))
  );

-- ---------------------------------------------------------------- profiles
create policy "users see their own profile and their teammates'" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or id = any ((select private.co_member_ids())::uuid[]));

create policy "users edit their own profile" on public.profiles
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- ---------------------------------------------------------------- invitations
create policy "owners and admins see their tenants' invitations" on public.invitations
  for select to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

-- Revoking: owners revoke any invitation; admins only those that would not make an owner.
create policy "owners and admins revoke invitations" on public.invitations
  for delete to authenticated
  using (
    tenant_id = any ((select private.role_tenant_ids('{owner}'))::uuid[])
    or (role <> 'owner' and tenant_id = any ((select private.role_tenant_ids('{admin}'))::uuid[]))
  );
