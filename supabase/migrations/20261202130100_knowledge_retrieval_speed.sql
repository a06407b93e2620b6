-- Retrieval that stays fast at 10k passages per agent: typos are corrected against the agent's own
-- vocabulary (short words, where trigram similarity is cheap and sharp) instead of comparing every
-- misspelt word with every passage's text, and a passage's score counts the question's words it
-- holds through the full-text index alone.

-- Every word (four letters or more) the agent's knowledge uses, for spelling correction. Words of
-- removed sources stay: a correction to a word no passage holds any more simply finds nothing.
create table public.knowledge_words (
  agent_id uuid not null references public.ai_agents (id) on delete cascade,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  word text not null,
  primary key (agent_id, word)
);
create index knowledge_words_tenant_id_idx on public.knowledge_words (tenant_id);
create index knowledge_words_word_trgm_idx on public.knowledge_words using gin (word extensions.gin_trgm_ops);

alter table public.knowledge_words enable row level security;
revoke all on table public.knowledge_words from public, anon, authenticated;
grant all on table public.knowledge_words to service_role;
grant select on table public.knowledge_words to authenticated;
create policy "members see their tenants' knowledge words" on public.knowledge_words
  for select to authenticated
  using (tenant_id = any ((select private.member_tenant_ids())::uuid[]));

-- Rebuilds a source's passages and adds its words to the vocabulary. Security definer: passages and
-- words are derived data that no member writes directly; the caller already passed RLS to change
-- the source.
create or replace function private.index_knowledge_source() returns trigger
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
  insert into public.knowledge_words (agent_id, tenant_id, word)
  select distinct new.agent_id, new.tenant_id, w
  from regexp_split_to_table(lower(new.title || ' ' || new.body), '[^[:alnum:]]+') w
  where char_length(w) between 4 and 40
  on conflict do nothing;
  return null;
end $$;

-- Sources written before the vocabulary existed.
insert into public.knowledge_words (agent_id, tenant_id, word)
select distinct s.agent_id, s.tenant_id, w
from public.knowledge_sources s, regexp_split_to_table(lower(s.title || ' ' || s.body), '[^[:alnum:]]+') w
where char_length(w) between 4 and 40
on conflict do nothing;

-- The passages of an agent that best answer `query`, best first. `score` is the share of the
-- question's words (those the agent's language does not treat as stopwords) that the passage
-- holds, stemmed; a word the knowledge never uses is first corrected to its most similar word of
-- the agent's vocabulary (a typo). Ties go to the full-text rank.
-- Security definer, with the membership check RLS would make done here first: the full-text match
-- operator is not leakproof, so under RLS Postgres must filter by tenant before matching and never
-- uses the GIN index (a sequential scan of every passage, ~100 ms at 30k). Members search their
-- workspaces' agents; the service role (auto-replies) searches any.
create or replace function public.match_knowledge(agent_id uuid, query text, match_count integer default 5)
returns table (passage_id uuid, source_id uuid, source_title text, heading text, body text, score real)
language plpgsql stable security definer set search_path = '' as $$
declare
  agent_language regconfig;
  query_word text;
  corrected text;
  word_query tsquery;
  word_queries tsquery[] := '{}';
  any_word tsquery;
begin
  select a.knowledge_language into agent_language from public.ai_agents a
  where a.id = match_knowledge.agent_id
    and ((select auth.role()) = 'service_role'
         or a.tenant_id = any ((select private.member_tenant_ids())::uuid[]));
  if agent_language is null then return; end if;
  for query_word in
    select distinct w from regexp_split_to_table(lower(left(coalesce(query, ''), 2000)), '[^[:alnum:]]+') w
    where char_length(w) >= 2
  loop
    word_query := plainto_tsquery(agent_language, query_word);
    continue when numnode(word_query) = 0;
    if char_length(query_word) between 4 and 40 and not exists (
      select 1 from public.knowledge_words k where k.agent_id = match_knowledge.agent_id and k.word = query_word
    ) then
      select k.word into corrected
      from public.knowledge_words k
      where k.agent_id = match_knowledge.agent_id
        and k.word operator(extensions.%) query_word
        and abs(char_length(k.word) - char_length(query_word)) <= 2
        and extensions.similarity(k.word, query_word) >= 0.4
      order by extensions.similarity(k.word, query_word) desc, k.word
      limit 1;
      if corrected is not null then
        word_query := word_query || plainto_tsquery(agent_language, corrected);
      end if;
    end if;
    word_queries := word_queries || word_query;
    any_word := case when any_word is null then word_query else any_word || word_query end;
  end loop;
  if any_word is null then return; end if;

  return query
  with matched as (
    select p.id, p.source_id, p.heading, p.body, p.position, p.search,
      (select count(*) from unnest(word_queries) q where p.search @@ q)::real / cardinality(word_queries) as coverage
    from public.knowledge_passages p
    where p.agent_id = match_knowledge.agent_id and p.search @@ any_word
  ),
  best as (
    select m.* from matched m order by m.coverage desc limit 60
  )
  select b.id, b.source_id, s.title, b.heading, b.body, round(b.coverage::numeric, 3)::real
  from best b
  join public.knowledge_sources s on s.id = b.source_id
  order by b.coverage desc, ts_rank_cd(b.search, any_word, 32) desc, b.position
  limit greatest(1, least(match_count, 20));
end $$;
