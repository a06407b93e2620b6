-- One public profile per auth user: what teammates see of each other.

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null constraint profiles_display_name_length
    check (char_length(display_name) between 1 and 80),
  avatar_initials text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- "Ada Lovelace" → AL, "jean-luc.picard" → JP, "owner" → OW.
create function private.initials_of(display_name text) returns text
language sql immutable set search_path = '' as $$
  select upper(case
    when cardinality(words) >= 2 then left(words[1], 1) || left(words[cardinality(words)], 1)
    when cardinality(words) = 1 then left(words[1], 2)
    else '?'
  end)
  from (select array_remove(regexp_split_to_array(btrim(display_name), '[[:space:]._@-]+'), '') as words) as split
$$;

-- What a new user is called until they choose: the name they signed up with, else their email's local part.
create function private.display_name_for(user_metadata jsonb, email text) returns text
language sql immutable set search_path = '' as $$
  select left(coalesce(
    nullif(btrim(user_metadata ->> 'display_name'), ''),
    nullif(btrim(user_metadata ->> 'full_name'), ''),
    nullif(split_part(btrim(email), '@', 1), ''),
    'Member'
  ), 80)
$$;

create function private.set_profile_initials() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.display_name := btrim(new.display_name);
  new.avatar_initials := private.initials_of(new.display_name);
  new.updated_at := now();
  return new;
end $$;

create trigger set_profile_initials before insert or update on public.profiles
  for each row execute function private.set_profile_initials();

-- security definer: Auth inserts users as its own role, which has no rights on public.profiles.
create function private.create_profile_for_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, private.display_name_for(new.raw_user_meta_data, new.email))
  on conflict (id) do nothing;
  return new;
end $$;

create trigger create_profile_after_signup after insert on auth.users
  for each row execute function private.create_profile_for_new_user();

-- Users who signed up before this migration (a project that already has users) get a profile too.
insert into public.profiles (id, display_name)
select u.id, private.display_name_for(u.raw_user_meta_data, u.email) from auth.users u
on conflict (id) do nothing;

revoke all on function private.initials_of(text), private.display_name_for(jsonb, text),
  private.set_profile_initials(), private.create_profile_for_new_user() from public;
-- The initials trigger runs as whoever edits their profile.
grant execute on function private.initials_of(text) to authenticated, service_role;
