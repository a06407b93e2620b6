-- What an AI agent knows: sources (articles written in the app, uploaded files as text) split into
-- passages that Postgres indexes for retrieval (full-text search in the agent's language, trigram
-- similarity for typos). Retrieval is one function, match_knowledge, so embeddings can join it
-- later where pgvector exists. Sources are re-indexed by triggers whenever they change, whoever
-- changes them. AI messages keep the passages they were drawn from (messages.citations).

create extension if not exists pg_trgm with schema extensions;

-- The language the agent's knowledge is written in: how words are stemmed and which are stopwords.
alter table public.ai_agents
  add column knowledge_language regconfig not null default 'english'
    constraint ai_agents_knowledge_language check (knowledge_language::text in (
      'simple', 'english', 'spanish', 'portuguese', 'french', 'german', 'italian', 'dutch'));
grant insert (knowledge_language), update (knowledge_language) on table public.ai_agents to authenticated;

create table public.knowledge_sources (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  agent_id uuid not null references public.ai_agents (id) on delete cascade,
  kind text not null constraint knowledge_sources_kind check (kind in ('article', 'file')),
  title text not null constraint knowledge_sources_title_length check (char_length(btrim(title)) between 1 and 200),
  -- An article's text, or the text extracted from the uploaded file.
  body text not null default '' constraint knowledge_sources_body_length check (char_length(body) <= 200000),
  file_name text,
  content_type text,
  byte_size integer,
  -- Where the uploaded file is kept: knowledge-files/<tenant_id>/<agent_id>/<source_id>/<file_name>.
  storage_path text,
  passage_count integer not null default 0,
  created_by uuid references auth.users (id) on delete set null default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index knowledge_sources_agent_id_idx on public.knowledge_sources (agent_id, updated_at desc);
create index knowledge_sources_tenant_id_idx on public.knowledge_sources (tenant_id);
create index knowledge_sources_created_by_idx on public.knowledge_sources (created_by);

create table public.knowledge_passages (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  agent_id uuid not null references public.ai_agents (id) on delete cascade,
  source_id uuid not null references public.knowledge_sources (id) on delete cascade,
  position integer not null,
  -- The source's title, and the Markdown heading the passage sits under.
  heading text not null,
  body text not null,
  language regconfig not null,
  search tsvector generated always as (
    setweight(to_tsvector(language, heading), 'A') || setweight(to_tsvector(language, body), 'B')
  ) stored,
  constraint knowledge_passages_source_position unique (source_id, position)
);
create index knowledge_passages_agent_id_idx on public.knowledge_passages (agent_id);
create index knowledge_passages_tenant_id_idx on public.knowledge_passages (tenant_id);
create index knowledge_passages_search_idx on public.knowledge_passages using gin (search);
create index knowledge_passages_body_trgm_idx on public.knowledge_passages
  using gin (body extensions.gin_trgm_ops);

-- The passages an AI message was drawn from, as they read when it was written:
-- [{passage_id, source_id, title, excerpt}].
alter table public.messages
  add column citations jsonb constraint messages_citations_array check (citations is null or jsonb_typeof(citations) = 'array');

-- Sources take their tenant from their agent, trim their title, and say what is wrong in words.
create function private.prepare_knowledge_source() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.title := btrim(coalesce(new.title, ''));
  new.body := coalesce(new.body, '');
  if tg_op = 'INSERT' then
    select a.tenant_id into new.tenant_id from public.ai_agents a where a.id = new.agent_id;
    if new.tenant_id is null then
      raise exception using errcode = 'P0002', message = 'That AI agent does not exist, or you cannot see it.';
    end if;
  elsif new.agent_id is distinct from old.agent_id or new.tenant_id is distinct from old.tenant_id then
    raise exception using errcode = '42501', message = 'A knowledge source cannot move to another AI agent.';
  else
    new.updated_at := now();
  end if;
  if char_length(new.title) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'A knowledge source needs a title of 1 to 200 characters.';
  end if;
  if char_length(new.body) > 200000 then
    raise exception using errcode = '22023', message = 'A knowledge source can hold at most 200,000 characters; split it into several.';
  end if;
  if new.kind = 'article' and btrim(new.body) = '' then
    raise exception using errcode = '22023', message = 'Write the article''s text before saving it.';
  end if;
  return new;
end $$;
create trigger prepare_knowledge_source before insert or update on public.knowledge_sources
  for each row execute function private.prepare_knowledge_source();

-- Splits a text into passages of at most about `max_chars`: paragraphs (blank-line separated) are
-- joined until the next would not fit, a Markdown heading starts a new passage and names it, and
-- a paragraph longer than `max_chars` is cut at spaces.
create function private.knowledge_chunks(body text, max_chars integer default 900)
returns table (seq integer, heading text, chunk text)
language plpgsql immutable set search_path = '' as $$
declare
  paragraph text;
  pending text := '';
  pending_heading text := '';
  current_heading text := '';
  cut integer;
  n integer := 0;
begin
  for paragraph in
    select btrim(p, E' \t\n') from regexp_split_to_table(replace(coalesce(body, ''), E'\r\n', E'\n'), E'\n[ \t]*\n') p
  loop
    continue when paragraph = '';
    if paragraph ~ '^#{1,6}[ \t]' then
      if pending <> '' then
        n := n + 1; seq := n; heading := pending_heading; chunk := pending; return next;
        pending := '';
      end if;
      current_heading := btrim(substring(paragraph from '^#{1,6}[ \t]+([^\n]*)'));
      paragraph := case when strpos(paragraph, E'\n') > 0
        then btrim(substring(paragraph from strpos(paragraph, E'\n') + 1), E' \t\n') else '' end;
      continue when paragraph = '';
    end if;
    if pending <> '' and (char_length(pending) + 2 + char_length(paragraph) > max_chars
                          or pending_heading is distinct from current_heading) then
      n := n + 1; seq := n; heading := pending_heading; chunk := pending; return next;
      pending := '';
    end if;
    while char_length(paragraph) > max_chars loop
      cut := max_chars - strpos(reverse(left(paragraph, max_chars)), ' ');
      if cut <= max_chars / 2 then cut := max_chars; end if;
      n := n + 1; seq := n; heading := current_heading; chunk := btrim(left(paragraph, cut)); return next;
      paragraph := btrim(substring(paragraph from cut + 1));
    end loop;
    continue when paragraph = '';
    pending := case when pending = '' then paragraph else pending || E'\n\n' || paragraph end;
    pending_heading := current_heading;
  end loop;
  if pending <> '' then
    n := n + 1; seq := n; heading := pending_heading; chunk := pending; return next;
  end if;
end $$;

-- Rebuilds a source's passages. Security definer: passages are derived data that no member writes
-- directly; the caller already passed RLS to change the source.
create function private.index_knowledge_source() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  agent_language regconfig;
  indexed integer;
begin
  delete from public.knowledge_passages p where p.source_id = new.id;
  select a.knowledge_language into agent_language from public.ai_agents a where a.id = new.agent_id;
  insert into public.knowledge_passages (tenant_id, agent_id, source_id, position, heading, body, language)
  select new.tenant_id, new.agent_id, new.id, c.seq,
    case when c.heading = '' or c.heading = new.title then new.title else new.title || ' — ' || c.heading end,
    c.chunk, agent_language
  from private.knowledge_chunks(new.body) c;
  get diagnostics indexed = row_count;
  update public.knowledge_sources s set passage_count = indexed where s.id = new.id and s.passage_count <> indexed;
  return null;
end $$;
create trigger index_knowledge_source after insert or update of title, body on public.knowledge_sources
  for each row execute function private.index_knowledge_source();

-- A new language for the agent re-stems its passages (the search column is generated from it).
-- Security definer for the same reason as index_knowledge_source.
create function private.relanguage_knowledge() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  update public.knowledge_passages p set language = new.knowledge_language where p.agent_id = new.id;
  return null;
end $$;
create trigger relanguage_knowledge after update of knowledge_language on public.ai_agents
  for each row when (new.knowledge_language is distinct from old.knowledge_language)
  execute function private.relanguage_knowledge();

revoke all on function private.prepare_knowledge_source(), private.knowledge_chunks(text, integer),
  private.index_knowledge_source(), private.relanguage_knowledge() from public;

alter table public.knowledge_sources enable row level security;
alter table public.knowledge_passages enable row level security;
revoke all on table public.knowledge_sources, public.knowledge_passages from public, anon, authenticated;
grant all on table public.knowledge_sources, public.knowledge_passages to service_role;
grant select, delete on table public.knowledge_sources to authenticated;
grant insert (agent_id, kind, title, body, file_name, content_type, byte_size) on table public.knowledge_sources to authenticated;
grant update (title, body) on table public.knowledge_sources to authenticated;
grant select on table public.knowledge_passages to authenticated;

create policy "members see their tenants' knowledge" on public.knowledge_sources
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));
create policy "owners and admins add knowledge" on public.knowledge_sources
  for insert to authenticated
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins edit knowledge" on public.knowledge_sources
  for update to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]))
  with check (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "owners and admins remove knowledge" on public.knowledge_sources
  for delete to authenticated
  using (tenant_id = any ((select private.role_tenant_ids('{owner,admin}'))::uuid[]));
create policy "members see their tenants' passages" on public.knowledge_passages
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- The passages of an agent that best answer `query`, best first. `score` is the share of the
-- question's words (those the agent's language does not treat as stopwords) that the passage
-- contains, stemmed or, for typos, by trigram word similarity; ties go to the full-text rank.
-- Security invoker: RLS decides whose knowledge the caller may search.
create function public.match_knowledge(agent_id uuid, query text, match_count integer default 5)
returns table (passage_id uuid, source_id uuid, source_title text, heading text, body text, score real)
language plpgsql stable set search_path = '' as $$
declare
  agent_language regconfig;
  word text;
  word_query tsquery;
  words text[] := '{}';
  word_queries tsquery[] := '{}';
  any_word tsquery;
begin
  select a.knowledge_language into agent_language from public.ai_agents a where a.id = match_knowledge.agent_id;
  if agent_language is null then return; end if;
  for word in
    select distinct w from regexp_split_to_table(lower(left(coalesce(query, ''), 2000)), '[^[:alnum:]]+') w
    where char_length(w) >= 2
  loop
    word_query := plainto_tsquery(agent_language, word);
    continue when numnode(word_query) = 0;
    words := words || word;
    word_queries := word_queries || word_query;
    any_word := case when any_word is null then word_query else any_word || word_query end;
  end loop;
  if any_word is null then return; end if;

  return query
  with fulltext as (
    select p.id, ts_rank_cd(p.search, any_word, 32) as rank
    from public.knowledge_passages p
    where p.agent_id = match_knowledge.agent_id and p.search @@ any_word
    order by rank desc
    limit 60
  ),
  -- Only when no word is found as written: the question is probably misspelt.
  fuzzy as (
    select distinct p.id, 0::real as rank
    from unnest(words) w
    join public.knowledge_passages p
      on p.agent_id = match_knowledge.agent_id and char_length(w) >= 4
      and p.body operator(extensions.%>) w
    where not exists (select 1 from fulltext)
    limit 60
  ),
  candidates as (select * from fulltext union all select * from fuzzy),
  scored as (
    select c.id, c.rank,
      (select count(*) from unnest(words, word_queries) as t(w, q)
        where case when p.search @@ t.q then true
                   when char_length(t.w) >= 4 then extensions.word_similarity(t.w, p.body) >= 0.6
                   else false end)::real / cardinality(words) as coverage
    from candidates c join public.knowledge_passages p on p.id = c.id
  )
  select p.id, p.source_id, s.title, p.heading, p.body, round(sc.coverage::numeric, 3)::real
  from scored sc
  join public.knowledge_passages p on p.id = sc.id
  join public.knowledge_sources s on s.id = p.source_id
  where sc.coverage > 0
  order by sc.coverage desc, sc.rank desc, p.position
  limit greatest(1, least(match_count, 20));
end $$;
revoke all on function public.match_knowledge(uuid, text, integer) from public, anon;
grant execute on function public.match_knowledge(uuid, text, integer) to authenticated, service_role;

-- AI messages now carry the passages they were drawn from.
drop function public.queue_ai_message(uuid, text);
create function public.queue_ai_message(conversation_id uuid, body text, citations jsonb default null)
returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  queued public.messages;
begin
  select * into conversation from public.conversations c where c.id = queue_ai_message.conversation_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'There is no such conversation.';
  end if;
  insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status, queued_at, citations)
  select conversation.tenant_id, conversation.id, 'outbound', 'ai', 'text', queue_ai_message.body, n.provider, 'queued', now(),
    nullif(queue_ai_message.citations, '[]'::jsonb)
  from public.whatsapp_numbers n where n.id = conversation.number_id
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview('text', queue_ai_message.body, null),
    last_message_at = now(), last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;
revoke all on function public.queue_ai_message(uuid, text, jsonb) from public, anon, authenticated;
grant execute on function public.queue_ai_message(uuid, text, jsonb) to service_role;

-- Uploaded knowledge files, private, by tenant: <tenant_id>/<agent_id>/<source_id>/<file>. Only
-- service_role (the knowledge function, after checking the uploader through RLS) writes.
insert into storage.buckets (id, name, public)
values ('knowledge-files', 'knowledge-files', false)
on conflict (id) do nothing;

create policy "members read their tenant's knowledge files" on storage.objects
  for select to authenticated
  using (
    bucket_id = 'knowledge-files'
    and (storage.foldername(name))[1] = any ((select private.member_tenant_ids())::text[])
  );
