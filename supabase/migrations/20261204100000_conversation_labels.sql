-- Labels: a workspace's own words for its conversations ("VIP", "Refund", "Lead"), each with a
-- colour from a small palette. Owners and admins keep the list; every member puts labels on and
-- takes them off the workspace's conversations.
--
-- A conversation holds its labels as an array of ids (`label_ids`), so applying one is a one-row
-- update that the conversation's broadcast already carries to every open inbox, and filtering by a
-- label is one GIN index lookup. Deleting a label takes it off every conversation.

create table public.labels (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null constraint labels_name_length check (char_length(name) between 1 and 40),
  colour text not null default 'slate' constraint labels_colour_palette check (colour in
    ('slate', 'red', 'orange', 'amber', 'green', 'teal', 'sky', 'indigo', 'violet', 'pink')),
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One name per workspace whatever its case ("VIP" and "vip" are the same label); it also serves
-- the tenant foreign key and the list's order.
create unique index labels_tenant_name_key on public.labels (tenant_id, lower(name));
create index labels_created_by_idx on public.labels (created_by);

-- Trims the name, keeps a label in its workspace, and says what is wrong in words.
create function private.prepare_label() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.name := regexp_replace(btrim(coalesce(new.name, '')), '\s+', ' ', 'g');
  new.colour := lower(btrim(coalesce(new.colour, 'slate')));
  if tg_op = 'UPDATE' then
    if new.tenant_id is distinct from old.tenant_id then
      raise exception using errcode = '42501', message = 'A label cannot move to another workspace.';
    end if;
    new.created_by := old.created_by;
    new.created_at := old.created_at;
    new.updated_at := now();
  elsif (select count(*) from public.labels l where l.tenant_id = new.tenant_id) >= 200 then
    raise exception using errcode = '22023',
      message = 'A workspace can have at most 200 labels. Delete one you no longer use first.';
  end if;
  if char_length(new.name) not between 1 and 40 then
    raise exception using errcode = '22023', message = 'A label needs a name of 1 to 40 characters.';
  end if;
  if new.colour not in ('slate', 'red', 'orange', 'amber', 'green', 'teal', 'sky', 'indigo', 'violet', 'pink') then
    raise exception using errcode = '22023', message = format(
      '%s is not one of the label colours. Choose slate, red, orange, amber, green, teal, sky, indigo, violet or pink.',
      new.colour);
  end if;
  if exists (select 1 from public.labels l where l.tenant_id = new.tenant_id
             and lower(l.name) = lower(new.name) and l.id is distinct from new.id) then
    raise exception using errcode = '23505',
      message = format('This workspace already has a label called %s; choose another name.', new.name);
  end if;
  return new;
end $$;
revoke all on function private.prepare_label() from public;
create trigger prepare_label before insert or update on public.labels
  for each row execute function private.prepare_label();

alter table public.labels enable row level security;
revoke all on table public.labels from public, anon, authenticated;
grant all on table public.labels to service_role;
grant select, delete on table public.labels to authenticated;
grant insert (tenant_id, name, colour), update (name, colour) on table public.labels to authenticated;

create policy "members read their tenants' labels" on public.labels
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "owners and admins add labels" on public.labels
  for insert to authenticated
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins change labels" on public.labels
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins delete labels" on public.labels
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));

-- ---------------------------------------------------------------- conversations.label_ids
-- No column grant: label_conversation and unlabel_conversation are the only writers, so every id
-- is a label of the conversation's own workspace.
alter table public.conversations add column label_ids uuid[] not null default '{}';
create index conversations_label_ids_idx on public.conversations using gin (label_ids);

-- security definer: the admin deleting a label may not write label_ids themselves.
create function private.remove_deleted_label() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.conversations c set label_ids = array_remove(c.label_ids, old.id)
  where c.tenant_id = old.tenant_id and c.label_ids @> array[old.id];
  return null;
end $$;
revoke all on function private.remove_deleted_label() from public;
create trigger remove_deleted_label after delete on public.labels
  for each row execute function private.remove_deleted_label();

-- A new, renamed, recoloured or deleted label reaches every open screen of the workspace:
-- `tenant:<tenant_id>` event `labels`, {operation, table, schema, record, old_record}.
create function private.broadcast_label() returns trigger
language plpgsql set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
      'record', case when tg_op = 'DELETE' then null else to_jsonb(new) end,
      'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) end),
    'labels', 'tenant:' || coalesce(new.tenant_id, old.tenant_id)::text, true);
  return null;
end $$;
revoke all on function private.broadcast_label() from public;
create trigger broadcast_label after insert or update or delete on public.labels
  for each row execute function private.broadcast_label();

-- ---------------------------------------------------------------- label_conversation
-- The conversation and the label must be of one workspace the caller belongs to; anything else
-- reads as not found, so nobody learns of another workspace's rows. Applying a label twice, or
-- removing one that is not there, changes nothing and is no error.
create function private.labelled_conversation(conversation_id uuid, label_id uuid)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'Sign in to label conversations.';
  end if;
  -- The role is checked before the row is locked, so nobody can hold another tenant's row.
  if private.role_in((select c.tenant_id from public.conversations c
                      where c.id = labelled_conversation.conversation_id)) is not null then
    select * into conversation from public.conversations c
    where c.id = labelled_conversation.conversation_id for update;
  end if;
  if conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  if not exists (select 1 from public.labels l
                 where l.id = labelled_conversation.label_id and l.tenant_id = conversation.tenant_id) then
    raise exception using errcode = 'PT404',
      message = 'That label was not found in this workspace. It may have been deleted; reload to see the current labels.';
  end if;
  return conversation;
end $$;

create function public.label_conversation(conversation_id uuid, label_id uuid)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations := private.labelled_conversation(conversation_id, label_id);
begin
  if conversation.label_ids @> array[label_conversation.label_id] then
    return conversation;
  end if;
  if cardinality(conversation.label_ids) >= 20 then
    raise exception using errcode = '22023',
      message = 'A conversation can carry at most 20 labels. Remove one before adding another.';
  end if;
  update public.conversations c
  set label_ids = c.label_ids || label_conversation.label_id, updated_at = now()
  where c.id = conversation.id
  returning * into conversation;
  return conversation;
end $$;

create function public.unlabel_conversation(conversation_id uuid, label_id uuid)
returns public.conversations
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = 'Sign in to label conversations.';
  end if;
  if private.role_in((select c.tenant_id from public.conversations c
                      where c.id = unlabel_conversation.conversation_id)) is not null then
    update public.conversations c
    set label_ids = array_remove(c.label_ids, unlabel_conversation.label_id), updated_at = now()
    where c.id = unlabel_conversation.conversation_id
      and c.label_ids @> array[unlabel_conversation.label_id]
    returning * into conversation;
    if conversation.id is null then
      select * into conversation from public.conversations c
      where c.id = unlabel_conversation.conversation_id;
    end if;
  end if;
  if conversation.id is null then
    raise exception using errcode = 'PT404',
      message = 'This conversation was not found in your workspaces. It may have been deleted.';
  end if;
  return conversation;
end $$;

revoke all on function private.labelled_conversation(uuid, uuid) from public;
revoke all on function public.label_conversation(uuid, uuid), public.unlabel_conversation(uuid, uuid)
  from public, anon;
grant execute on function public.label_conversation(uuid, uuid), public.unlabel_conversation(uuid, uuid)
  to authenticated, service_role;
