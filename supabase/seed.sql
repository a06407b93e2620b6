-- Demo data for a new local database (applied after migrations by the local stack and by `supabase db reset`).
--
-- Workspace "Acme Support" (/app/acme) with three people, all with the password parley-demo
-- (stored as its bcrypt hash, as Auth stores passwords, so seeding needs no pgcrypto):
--   owner@parley.local (owner), admin@parley.local (admin), agent@parley.local (agent).

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at
)
select
  '00000000-0000-0000-0000-000000000000', demo.id, 'authenticated', 'authenticated', demo.email,
  '$2b$10$eRzr6P4Gfo8hJ3eepL1jPOQJgxbQ7icO6JBY.Ruj.jn54K5h7qCUq', now(),
  '', '', '',
  '{"provider":"email","providers":["email"]}',
  jsonb_build_object('display_name', demo.display_name, 'email_verified', true),
  now(), now()
from (values
  ('0a000000-0000-4000-8000-000000000001'::uuid, 'owner@parley.local', 'Olivia Owner'),
  ('0a000000-0000-4000-8000-000000000002'::uuid, 'admin@parley.local', 'Adam Admin'),
  ('0a000000-0000-4000-8000-000000000003'::uuid, 'agent@parley.local', 'Sofia Agent')
) as demo (id, email, display_name)
on conflict do nothing;

-- Hosted Auth reads these columns as non-null strings; a NULL there makes sign-in fail.
do $$
declare
  token_column text;
begin
  foreach token_column in array array['email_change_token_new', 'email_change_token_current',
    'phone_change', 'phone_change_token', 'reauthentication_token'] loop
    if exists (select 1 from information_schema.columns
               where table_schema = 'auth' and table_name = 'users' and column_name = token_column) then
      execute format('update auth.users set %I = %L where %I is null and email like %L',
        token_column, '', token_column, '%@parley.local');
    end if;
  end loop;
end $$;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
  jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
  'email', now(), now(), now()
from auth.users u
where u.email in ('owner@parley.local', 'admin@parley.local', 'agent@parley.local')
on conflict do nothing;

insert into public.tenants (id, name, slug)
values ('0b000000-0000-4000-8000-000000000001', 'Acme Support', 'acme')
on conflict do nothing;

insert into public.memberships (tenant_id, user_id, role)
select t.id, u.id, demo.role::public.member_role
from (values
  ('owner@parley.local', 'owner'),
  ('admin@parley.local', 'admin'),
  ('agent@parley.local', 'agent')
) as demo (email, role)
join auth.users u on u.email = demo.email
join public.tenants t on t.slug = 'acme'
on conflict do nothing;
