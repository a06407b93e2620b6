-- Invitation tokens come from core PostgreSQL's strong random source (gen_random_uuid) instead
-- of pgcrypto's gen_random_bytes, so no migration needs pgcrypto. Two version-4 UUIDs carry 244
-- random bits; sha256 spreads them over the 64 hex characters a token has always had.
create or replace function private.random_token() returns text
language sql volatile set search_path = '' as $$
  select encode(
    pg_catalog.sha256(pg_catalog.convert_to(
      pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, 'UTF8')),
    'hex')
$$;
revoke all on function private.random_token() from public;

create or replace function public.invite_member(tenant_id uuid, email text, role text default 'agent') returns text
language plpgsql security definer set search_path = '' as $$
declare
  caller_role public.member_role := private.role_in(invite_member.tenant_id);
  invited_role public.member_role;
  clean_email text := lower(btrim(coalesce(invite_member.email, '')));
  token text := private.random_token();
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
