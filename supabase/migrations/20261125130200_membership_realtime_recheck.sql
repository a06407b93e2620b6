-- A member who is removed (or whose role changes) must stop receiving their tenant's broadcasts at
-- once. The local stack's Realtime listens on this channel and re-checks that user's private
-- channels; hosted Realtime checks on join and token refresh, and nobody listens there (harmless).

create function private.notify_membership_changed() returns trigger
language plpgsql set search_path = '' as $$
begin
  -- Delivered on commit, so Realtime re-reads memberships as they now are.
  perform pg_notify('parley_realtime_recheck', old.user_id::text);
  return null;
end $$;
revoke all on function private.notify_membership_changed() from public;

create trigger notify_membership_changed after delete or update on public.memberships
  for each row execute function private.notify_membership_changed();
