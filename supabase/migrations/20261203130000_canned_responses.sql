-- Canned responses: replies a workspace keeps at hand. Owners and admins write them; every member
-- reads them and inserts one into the composer by its shortcut (`/greeting`). A body may hold
-- variables the composer fills in: {{customer_name}}, {{customer_first_name}}, {{agent_name}},
-- {{agent_first_name}}.

create table public.canned_responses (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- What follows the `/` in the composer: lowercase letters, digits, `-` and `_`.
  shortcut text not null constraint canned_responses_shortcut_format check (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
  title text not null constraint canned_responses_title_length check (char_length(btrim(title)) between 1 and 80),
  body text not null constraint canned_responses_body_length check (char_length(btrim(body)) between 1 and 4096),
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint canned_responses_tenant_shortcut_key unique (tenant_id, shortcut)
);
create index canned_responses_created_by_idx on public.canned_responses (created_by);

-- Trims what people typed, keeps a response in its workspace, and says what is wrong in words.
create function private.prepare_canned_response() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.shortcut := lower(btrim(coalesce(new.shortcut, ''), E' \t/'));
  new.title := btrim(coalesce(new.title, ''));
  new.body := btrim(coalesce(new.body, ''), E' \t\n\r');
  if tg_op = 'UPDATE' then
    if new.tenant_id is distinct from old.tenant_id then
      raise exception using errcode = '42501', message = 'A canned response cannot move to another workspace.';
    end if;
    new.created_by := old.created_by;
    new.created_at := old.created_at;
    new.updated_at := now();
  end if;
  if new.shortcut !~ '^[a-z0-9][a-z0-9_-]{0,31}$' then
    raise exception using errcode = '22023',
      message = 'A shortcut is 1 to 32 lowercase letters, digits, hyphens or underscores, like "greeting".';
  end if;
  if char_length(new.title) not between 1 and 80 then
    raise exception using errcode = '22023', message = 'A canned response needs a title of 1 to 80 characters.';
  end if;
  if char_length(new.body) not between 1 and 4096 then
    raise exception using errcode = '22023', message = 'A canned response needs text of 1 to 4,096 characters.';
  end if;
  return new;
end $$;
revoke all on function private.prepare_canned_response() from public;
create trigger prepare_canned_response before insert or update on public.canned_responses
  for each row execute function private.prepare_canned_response();

alter table public.canned_responses enable row level security;
revoke all on table public.canned_responses from public, anon, authenticated;
grant all on table public.canned_responses to service_role;
grant select, delete on table public.canned_responses to authenticated;
grant insert (tenant_id, shortcut, title, body), update (shortcut, title, body)
  on table public.canned_responses to authenticated;

create policy "members read their tenants' canned responses" on public.canned_responses
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "owners and admins add canned responses" on public.canned_responses
  for insert to authenticated
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins change canned responses" on public.canned_responses
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins delete canned responses" on public.canned_responses
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
