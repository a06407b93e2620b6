-- What the invitation page shows before anyone accepts: which workspace, which role, for which
-- address. The invitee is not a member yet (and may be signed out), so cannot read the invitation.

-- security definer: the invitee cannot read invitations or tenants under RLS. It answers only for
-- the hash of a valid token (256 random bits), so it reveals nothing to someone without the link.
create function public.invitation_preview(token text)
returns table (
  tenant_name text,
  tenant_slug text,
  email text,
  role public.member_role,
  invited_by_name text,
  expires_at timestamptz,
  accepted boolean,
  expired boolean
)
language sql stable security definer set search_path = '' as $$
  select t.name, t.slug, i.email, i.role, p.display_name, i.expires_at,
    i.accepted_at is not null, i.expires_at <= now()
  from public.invitations i
  join public.tenants t on t.id = i.tenant_id
  left join public.profiles p on p.id = i.invited_by
  where i.token_hash = private.token_hash(coalesce(invitation_preview.token, ''))
$$;

revoke all on function public.invitation_preview(text) from public;
grant execute on function public.invitation_preview(text) to anon, authenticated, service_role;
