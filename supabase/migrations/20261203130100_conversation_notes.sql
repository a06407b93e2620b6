-- Internal notes: what teammates write to each other in a conversation's thread. A note is not a
-- message: it lives in its own table, so no send path, status webhook, report or ingest ever sees
-- it, and nothing can deliver it to the customer. Members of the conversation's workspace read and
-- write notes; an author may delete their own. An @mention of a member notifies them (kind
-- `mention`); mentions of anyone outside the workspace are dropped.
--
-- Live: conversation:<conversation_id> event `conversation_notes`, in broadcast_changes' shape
-- {operation, table, schema, record, old_record}, beside the thread's `messages` events.

create table public.conversation_notes (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  author_id uuid references auth.users (id) on delete set null default auth.uid(),
  body text not null constraint conversation_notes_body_length check (char_length(btrim(body)) between 1 and 4096),
  -- The members the note mentions, as the database kept them: members of the workspace only.
  mentioned_user_ids uuid[] not null default '{}',
  created_at timestamptz not null default now()
);
-- The thread reads a conversation's notes in time order, like its messages.
create index conversation_notes_conversation_timeline_idx on public.conversation_notes (conversation_id, created_at desc, id);
create index conversation_notes_tenant_id_idx on public.conversation_notes (tenant_id);
create index conversation_notes_author_id_idx on public.conversation_notes (author_id);

-- A note takes its workspace from its conversation, its author and time from the database, and
-- keeps only mentions of that workspace's members. Security definer: it reads the memberships of
-- the people mentioned, and a caller outside the workspace is told the conversation is not there
-- (the same answer as for one that does not exist).
create function private.prepare_conversation_note() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := (select auth.uid());
begin
  select c.tenant_id into new.tenant_id from public.conversations c where c.id = new.conversation_id;
  if new.tenant_id is null or (caller is not null and not private.is_member(new.tenant_id)) then
    raise exception using errcode = 'P0002', message = 'That conversation does not exist, or you cannot see it.';
  end if;
  if caller is not null then
    new.author_id := caller;
  end if;
  new.body := btrim(coalesce(new.body, ''), E' \t\n\r');
  if char_length(new.body) not between 1 and 4096 then
    raise exception using errcode = '22023', message = 'A note needs text of 1 to 4,096 characters.';
  end if;
  new.created_at := now();
  new.mentioned_user_ids := coalesce((
    select array_agg(m.user_id order by m.user_id) from public.memberships m
    where m.tenant_id = new.tenant_id and m.user_id = any (coalesce(new.mentioned_user_ids, '{}'))
  ), '{}');
  return new;
end $$;
revoke all on function private.prepare_conversation_note() from public;
create trigger prepare_conversation_note before insert on public.conversation_notes
  for each row execute function private.prepare_conversation_note();

-- Each member a note mentions (but its author) is notified. Security definer: notifications are
-- written for other people, which no member may do directly.
create function private.notify_note_mentions() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  author_name text;
  customer text;
begin
  if cardinality(new.mentioned_user_ids) = 0 then
    return null;
  end if;
  select p.display_name into author_name from public.profiles p where p.id = new.author_id;
  select private.contact_label(ct) into customer
    from public.conversations c join public.contacts ct on ct.id = c.contact_id
    where c.id = new.conversation_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
  select new.tenant_id, mentioned.user_id, 'mention', new.conversation_id,
    format('%s mentioned you in the conversation with %s', coalesce(author_name, 'A teammate'), coalesce(customer, 'a customer')),
    left(new.body, 280)
  from unnest(new.mentioned_user_ids) as mentioned (user_id)
  where mentioned.user_id is distinct from new.author_id;
  return null;
end $$;
revoke all on function private.notify_note_mentions() from public;
create trigger notify_note_mentions after insert on public.conversation_notes
  for each row execute function private.notify_note_mentions();

-- Notes reach every open chat of the conversation. Security definer, as Supabase's broadcast
-- triggers are: the author may not write on a topic the database writes (realtime.messages RLS).
create function private.broadcast_conversation_note() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform realtime.send(
    jsonb_build_object(
      'operation', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
      'record', case when tg_op = 'DELETE' then null else to_jsonb(new) end,
      'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) end),
    'conversation_notes', 'conversation:' || coalesce(new.conversation_id, old.conversation_id)::text, true);
  return null;
end $$;
revoke all on function private.broadcast_conversation_note() from public;
create trigger broadcast_conversation_note after insert or delete on public.conversation_notes
  for each row execute function private.broadcast_conversation_note();

alter table public.conversation_notes enable row level security;
revoke all on table public.conversation_notes from public, anon, authenticated;
grant all on table public.conversation_notes to service_role;
grant select, delete on table public.conversation_notes to authenticated;
grant insert (conversation_id, body, mentioned_user_ids) on table public.conversation_notes to authenticated;

create policy "members read notes in their tenants' conversations" on public.conversation_notes
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "members write notes as themselves" on public.conversation_notes
  for insert to authenticated
  with check (
    tenant_id = any ((select private.member_tenant_ids())::uuid[])
    and author_id = (select auth.uid())
  );
create policy "authors delete their own notes" on public.conversation_notes
  for delete to authenticated
  using (
    author_id = (select auth.uid())
    and tenant_id = any ((select private.member_tenant_ids())::uuid[])
  );
