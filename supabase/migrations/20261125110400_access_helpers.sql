-- Who may see what, answered from memberships. All are security definer because the policies on
-- memberships call them: as security invoker they would recurse into those same policies.
--
-- Policies use the array forms, wrapped as `(select …)`: with no row in their arguments Postgres
-- runs them once per statement (an InitPlan) and then matches `tenant_id = any (…)` by index.
-- A helper taking the row's tenant_id would run once per row, however it is wrapped.

-- The caller's role in a tenant, or null when the caller is not a member.
create function private.role_in(tenant_id uuid) returns public.member_role
language sql stable security definer set search_path = '' as $$
  select m.role from public.memberships m
  where m.tenant_id = role_in.tenant_id and m.user_id = (select auth.uid())
$$;

create function private.is_member(tenant_id uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships m
    where m.tenant_id = is_member.tenant_id and m.user_id = (select auth.uid())
  )
$$;

create function private.has_role(tenant_id uuid, roles public.member_role[]) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.memberships m
    where m.tenant_id = has_role.tenant_id and m.user_id = (select auth.uid()) and m.role = any (has_role.roles)
  )
$$;

-- Every tenant the caller belongs to.
create function private.member_tenant_ids() returns uuid[]
language sql stable security definer set search_path = '' as $$
  select coalesce(array_agg(m.tenant_id), '{}') from public.memberships m
  where m.user_id = (select auth.uid())
$$;

-- The tenants where the caller holds one of these roles.
create function private.role_tenant_ids(roles public.member_role[]) returns uuid[]
language sql stable security definer set search_path = '' as $$
  select coalesce(array_agg(m.tenant_id), '{}') from public.memberships m
  where m.user_id = (select auth.uid()) and m.role = any (role_tenant_ids.roles)
$$;

-- Everyone who shares at least one tenant with the caller, the caller included.
create function private.co_member_ids() returns uuid[]
language sql stable security definer set search_path = '' as $$
  select coalesce(array_agg(distinct other.user_id), '{}')
  from public.memberships mine
  join public.memberships other on other.tenant_id = mine.tenant_id
  where mine.user_id = (select auth.uid())
$$;

revoke all on function private.role_in(uuid), private.is_member(uuid),
  private.has_role(uuid, public.member_role[]), private.member_tenant_ids(),
  private.role_tenant_ids(public.member_role[]), private.co_member_ids() from public;
grant execute on function private.role_in(uuid), private.is_member(uuid),
  private.has_role(uuid, public.member_role[]), private.member_tenant_ids(),
  private.role_tenant_ids(public.member_role[]), private.co_member_ids() to authenticated, service_role;
