-- Teammates see each other's email address on the members page. It lives on the profile (which
-- teammates may already read) and follows auth.users, where people change it.

alter table public.profiles add column email text not null default '';

update public.profiles p set email = coalesce(u.email, '')
from auth.users u where u.id = p.id;

-- security definer: Auth changes users as its own role, which has no rights on public.profiles.
create function private.sync_profile_email() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.profiles p set email = coalesce(new.email, '') where p.id = new.id;
  return new;
end $$;
revoke all on function private.sync_profile_email() from public;

-- After insert too: the profile is created by the sign-up trigger, which runs first by name order.
create trigger sync_profile_email after insert or update of email on auth.users
  for each row execute function private.sync_profile_email();
