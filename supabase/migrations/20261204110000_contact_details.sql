-- The team's own word on a customer: a name it chose and a note it keeps about them. Any member
-- renames a contact or writes its note, through the two functions below; the name the team chose
-- stays when WhatsApp later sends another profile name (that one is kept as whatsapp_name), and a
-- rename reaches every screen of the tenant on the conversations' own broadcast. Past
-- conversations are the contact's other conversations in its tenant.

alter table public.contacts
  -- When and by whom the team named the contact; null while the name is WhatsApp's.
  add column renamed_at timestamptz,
  add column renamed_by uuid references auth.users (id) on delete set null,
  -- The customer's own WhatsApp profile name, kept once the team has named them otherwise.
  add column whatsapp_name text,
  add column note text constraint contacts_note_length check (char_length(note) between 1 and 5000),
  add column note_updated_at timestamptz,
  add column note_updated_by uuid references auth.users (id) on delete set null,
  add constraint contacts_team_name_length check (renamed_at is null or char_length(profile_name) between 1 and 100);
create index contacts_renamed_by_idx on public.contacts (renamed_by);
create index contacts_note_updated_by_idx on public.contacts (note_updated_by);

-- A name the team chose outlives the profile names deliveries bring: those land in whatsapp_name.
-- A rename is the update that moves renamed_at. An update that then changes nothing is skipped, so
-- each delivery from a renamed customer costs no write.
create function private.keep_team_contact_name() returns trigger
language plpgsql set search_path = '' as $$
begin
  if old.renamed_at is not null and new.renamed_at is not distinct from old.renamed_at
    and new.profile_name is distinct from old.profile_name then
    new.whatsapp_name := coalesce(new.profile_name, old.whatsapp_name);
    new.profile_name := old.profile_name;
    if (new.wa_id, new.user_id, new.parent_user_id, new.username, new.whatsapp_name)
      is not distinct from (old.wa_id, old.user_id, old.parent_user_id, old.username, old.whatsapp_name) then
      return null;
    end if;
  end if;
  return new;
end $$;
revoke all on function private.keep_team_contact_name() from public;
create trigger keep_team_contact_name before update on public.contacts
  for each row execute function private.keep_team_contact_name();

-- The contact if the caller is a member of its tenant, locked for the change; else the sentence.
create function private.contact_for_change(contact_id uuid, action text) returns public.contacts
language plpgsql set search_path = '' as $$
declare
  found public.contacts;
begin
  if (select auth.uid()) is null then
    raise exception using errcode = '42501', message = format('Sign in to %s.', action);
  end if;
  -- Membership is checked before the row is locked, so nobody can hold another tenant's row.
  if private.role_in((select k.tenant_id from public.contacts k where k.id = contact_for_change.contact_id)) is not null then
    select * into found from public.contacts k where k.id = contact_for_change.contact_id for update;
  end if;
  if found.id is null then
    raise exception using errcode = 'PT404',
      message = 'This contact was not found in your workspaces. It may have been deleted or merged with another.';
  end if;
  return found;
end $$;
revoke all on function private.contact_for_change(uuid, text) from public;

-- What a contact's screen shows of it goes to its tenant: event `contacts` on `tenant:<id>`.
create function private.broadcast_contact(contact public.contacts) returns void
language sql set search_path = '' as $$
  select realtime.send(
    jsonb_build_object('operation', 'UPDATE', 'table', 'contacts', 'schema', 'public',
      'record', jsonb_build_object('id', contact.id, 'tenant_id', contact.tenant_id,
        'profile_name', contact.profile_name, 'whatsapp_name', contact.whatsapp_name,
        'renamed_at', contact.renamed_at, 'note', contact.note,
        'note_updated_at', contact.note_updated_at, 'note_updated_by', contact.note_updated_by)),
    'contacts', 'tenant:' || contact.tenant_id::text, true)
$$;
revoke all on function private.broadcast_contact(public.contacts) from public;

-- ---------------------------------------------------------------- rename_contact
-- security definer: members have no update grant on contacts (deliveries write them); this is the
-- one way a person names a customer. Every role of the tenant may. The name is trimmed, its runs of
-- spaces and line breaks made one space, and holds 1 to 100 characters.
create function public.rename_contact(contact_id uuid, name text)
returns public.contacts
language plpgsql security definer set search_path = '' as $$
declare
  contact public.contacts := private.contact_for_change(rename_contact.contact_id, 'rename contacts');
  cleaned text := btrim(regexp_replace(coalesce(rename_contact.name, ''), '[[:space:]]+', ' ', 'g'));
begin
  if cleaned = '' then
    raise exception using errcode = '22023', message = 'Type a name for this contact.';
  end if;
  if char_length(cleaned) > 100 then
    raise exception using errcode = '22023',
      message = format('A contact''s name is at most 100 characters; this one has %s.', char_length(cleaned));
  end if;
  if cleaned ~ '[[:cntrl:]]' then
    raise exception using errcode = '22023', message = 'A contact''s name cannot hold control characters.';
  end if;
  if contact.renamed_at is not null and contact.profile_name = cleaned then
    return contact;
  end if;
  update public.contacts k set
    whatsapp_name = case when k.renamed_at is null then k.profile_name else k.whatsapp_name end,
    profile_name = cleaned, renamed_at = clock_timestamp(), renamed_by = (select auth.uid()),
    updated_at = now()
  where k.id = contact.id
  returning * into contact;
  -- Touching the conversations broadcasts each as the inbox shows it, now with the new name.
  update public.conversations c set updated_at = c.updated_at
  where c.contact_id = contact.id and c.tenant_id = contact.tenant_id;
  perform private.broadcast_contact(contact);
  return contact;
end $$;
revoke all on function public.rename_contact(uuid, text) from public, anon;
grant execute on function public.rename_contact(uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------- set_contact_note
-- security definer for the same reason. One note per contact, any member writes it; blank clears
-- it; at most 5,000 characters after trimming.
create function public.set_contact_note(contact_id uuid, note text)
returns public.contacts
language plpgsql security definer set search_path = '' as $$
declare
  contact public.contacts := private.contact_for_change(set_contact_note.contact_id, 'write contact notes');
  cleaned text := nullif(btrim(coalesce(set_contact_note.note, ''), E' \t\n\r'), '');
begin
  if char_length(cleaned) > 5000 then
    raise exception using errcode = '22023',
      message = format('A contact note is at most 5,000 characters; this one has %s. Shorten it and save again.',
        to_char(char_length(cleaned), 'FM999,999,999'));
  end if;
  if contact.note is not distinct from cleaned then
    return contact;
  end if;
  update public.contacts k set note = cleaned, note_updated_at = clock_timestamp(),
    note_updated_by = (select auth.uid()), updated_at = now()
  where k.id = contact.id
  returning * into contact;
  perform private.broadcast_contact(contact);
  return contact;
end $$;
revoke all on function public.set_contact_note(uuid, text) from public, anon;
grant execute on function public.set_contact_note(uuid, text) to authenticated, service_role;

-- ---------------------------------------------------------------- contact_conversations
-- The contact's conversations in its own tenant, newest activity first, without `except_id` (the
-- one on screen). Invoker: RLS keeps them to the caller's workspaces.
create function public.contact_conversations(contact_id uuid, except_id uuid default null, page_size integer default 20)
returns table (
  id uuid, status text, number_id uuid, number_name text, number_address text,
  last_message_preview text, last_message_direction text, activity_at timestamptz, created_at timestamptz
)
language sql stable security invoker set search_path = '' as $$
  select c.id, c.status, c.number_id, n.display_name, n.address,
    c.last_message_preview, c.last_message_direction, coalesce(c.last_message_at, c.created_at), c.created_at
  from public.contacts ct
  join public.conversations c on c.contact_id = ct.id and c.tenant_id = ct.tenant_id
  left join public.whatsapp_numbers n on n.id = c.number_id
  where ct.id = contact_conversations.contact_id
    and c.id is distinct from contact_conversations.except_id
  order by coalesce(c.last_message_at, c.created_at) desc, c.id desc
  limit least(greatest(coalesce(contact_conversations.page_size, 20), 1), 50)
$$;
revoke all on function public.contact_conversations(uuid, uuid, integer) from public, anon;
grant execute on function public.contact_conversations(uuid, uuid, integer) to authenticated, service_role;
