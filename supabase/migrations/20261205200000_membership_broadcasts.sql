-- A member's open tabs follow their membership without a reload: a role change or a removal is
-- broadcast on user:<user_id>, event `membership`, payload {tenant_id, role, left}: role is null
-- once the membership is gone (removed, left, or the workspace deleted), and `left` says the person
-- ended it themselves. RLS already enforces the role; this only tells the screen. user:<id> is the
-- person's own topic (private.can_read_topic), so nobody else receives it.

create function private.broadcast_membership() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'tenant_id', old.tenant_id,
      'role', case when tg_op = 'DELETE' then null else new.role end,
      'left', tg_op = 'DELETE' and coalesce((select auth.uid()) = old.user_id, false)),
    'membership', 'user:' || old.user_id::text, true);
  return null;
end $$;
revoke all on function private.broadcast_membership() from public;

-- Two triggers: a delete trigger's condition cannot read NEW.
create trigger broadcast_membership_role after update of role on public.memberships
  for each row when (old.role is distinct from new.role)
  execute function private.broadcast_membership();
create trigger broadcast_membership_removed after delete on public.memberships
  for each row execute function private.broadcast_membership();
