-- The AI agent: one reply job per conversation (so a burst of customer messages gets one answer to
-- the latest state, from one worker at a time), AI replies and notes stored by the functions,
-- escalation to the tenant's people, and where the conversation's insights came from.

alter table public.conversations
  add column insights_source text constraint conversations_insights_source check (insights_source in ('ai', 'offline')),
  -- The newest message the stored summary covers: the next summary starts after it.
  add column insights_message_id uuid references public.messages (id) on delete set null;
create index conversations_insights_message_id_idx on public.conversations (insights_message_id);

-- `generation` counts customer messages that asked for a reply; a worker answers only the
-- generation it claimed, and only while no newer one exists. `claimed_at` expires so a worker that
-- died does not block the conversation forever.
create table private.ai_reply_jobs (
  conversation_id uuid primary key references public.conversations (id) on delete cascade,
  generation bigint not null default 0,
  pending_since timestamptz,
  claimed_generation bigint,
  claimed_at timestamptz,
  consecutive_failures integer not null default 0,
  updated_at timestamptz not null default now()
);

-- A customer message asks for a reply: the job's generation moves on. Returns the new generation.
create function public.ai_request_reply(conversation_id uuid) returns bigint
language sql security definer set search_path = '' as $$
  insert into private.ai_reply_jobs as j (conversation_id, generation, pending_since)
  values (ai_request_reply.conversation_id, 1, now())
  on conflict (conversation_id) do update
    set generation = j.generation + 1, pending_since = now(), updated_at = now()
  returning j.generation
$$;

-- Claims the job for `generation`: only if it is still the newest, AI is still on for the
-- conversation, and nobody holds an unexpired claim. Returns whether this caller holds it now.
create function public.ai_claim_reply(conversation_id uuid, generation bigint) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  claimed boolean;
begin
  update private.ai_reply_jobs j set claimed_generation = ai_claim_reply.generation, claimed_at = now(), updated_at = now()
  where j.conversation_id = ai_claim_reply.conversation_id
    and j.generation = ai_claim_reply.generation
    and (j.claimed_at is null or j.claimed_at < now() - interval '5 minutes')
    and exists (select 1 from public.conversations c where c.id = j.conversation_id and c.ai_active)
  returning true into claimed;
  return coalesce(claimed, false);
end $$;

-- The newest generation of a conversation's job (a claim holder checks it before sending).
create function public.ai_reply_generation(conversation_id uuid) returns bigint
language sql stable security definer set search_path = '' as $$
  select j.generation from private.ai_reply_jobs j where j.conversation_id = ai_reply_generation.conversation_id
$$;

-- Lets go of a claim; returns the newest generation so the holder can answer what came meanwhile.
create function public.ai_release_reply(conversation_id uuid, generation bigint) returns bigint
language sql security definer set search_path = '' as $$
  update private.ai_reply_jobs j set claimed_generation = null, claimed_at = null, updated_at = now()
  where j.conversation_id = ai_release_reply.conversation_id and j.claimed_generation = ai_release_reply.generation
  returning j.generation
$$;

-- An AI reply or hand-over message, stored as queued before the provider is called (like
-- queue_outbound_message, but from the AI, with no person behind it).
create function public.queue_ai_message(conversation_id uuid, body text) returns public.messages
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  queued public.messages;
begin
  select * into conversation from public.conversations c where c.id = queue_ai_message.conversation_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'There is no such conversation.';
  end if;
  insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status, queued_at)
  select conversation.tenant_id, conversation.id, 'outbound', 'ai', 'text', queue_ai_message.body, n.provider, 'queued', now()
  from public.whatsapp_numbers n where n.id = conversation.number_id
  returning * into queued;
  update public.conversations c set
    last_message_preview = private.message_preview('text', queue_ai_message.body, null),
    last_message_at = now(), last_message_direction = 'outbound', updated_at = now()
  where c.id = conversation.id;
  return queued;
end $$;

-- A note for the people in the thread (never sent to the customer): why the AI did not answer.
create function private.add_system_note(conversation public.conversations, body text) returns void
language sql set search_path = '' as $$
  insert into public.messages (tenant_id, conversation_id, direction, sender, type, body, provider, status)
  select conversation.tenant_id, conversation.id, 'outbound', 'system', 'system', body, n.provider, 'sent'
  from public.whatsapp_numbers n where n.id = conversation.number_id
$$;

-- The AI answered: its failure streak ends.
create function public.ai_record_success(conversation_id uuid) returns void
language sql security definer set search_path = '' as $$
  update private.ai_reply_jobs j set consecutive_failures = 0, updated_at = now()
  where j.conversation_id = ai_record_success.conversation_id and j.consecutive_failures <> 0
$$;

-- The AI could not answer: a note in the thread says why in words. Returns the failure streak.
create function public.ai_record_failure(conversation_id uuid, sentence text) returns integer
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  failures integer;
begin
  select * into conversation from public.conversations c where c.id = ai_record_failure.conversation_id;
  if not found then return 0; end if;
  update private.ai_reply_jobs j set consecutive_failures = j.consecutive_failures + 1, updated_at = now()
  where j.conversation_id = conversation.id
  returning j.consecutive_failures into failures;
  perform private.add_system_note(conversation, sentence);
  return coalesce(failures, 1);
end $$;

-- Hands a conversation to people: AI off, a note in the thread, and an escalation notification
-- with the reason for every member (broadcast on user:<id> by the notifications trigger). Returns
-- false when AI was already off (someone else handed it over first).
create function public.ai_escalate(conversation_id uuid, reason text) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  conversation public.conversations;
  contact_name text;
begin
  update public.conversations c set ai_active = false, updated_at = now()
  where c.id = ai_escalate.conversation_id and c.ai_active
  returning * into conversation;
  if not found then return false; end if;
  update private.ai_reply_jobs j set consecutive_failures = 0, updated_at = now()
  where j.conversation_id = conversation.id;
  perform private.add_system_note(conversation,
    format('AI replies are off for this conversation: %s A person should reply.', ai_escalate.reason));
  select coalesce(nullif(k.profile_name, ''), '+' || k.wa_id) into contact_name
  from public.contacts k where k.id = conversation.contact_id;
  insert into public.notifications (tenant_id, recipient_id, kind, conversation_id, title, body)
  select conversation.tenant_id, ms.user_id, 'escalation', conversation.id,
    format('%s needs a person', contact_name), ai_escalate.reason
  from public.memberships ms where ms.tenant_id = conversation.tenant_id;
  return true;
end $$;

-- Stores insights computed by generate-insights (which checked access through RLS first).
create function public.store_conversation_insights(
  conversation_id uuid, sentiment text, sentiment_score real, summary text, source text, message_id uuid
) returns public.conversations
language sql security definer set search_path = '' as $$
  update public.conversations c set sentiment = store_conversation_insights.sentiment,
    sentiment_score = store_conversation_insights.sentiment_score,
    summary = store_conversation_insights.summary, insights_source = store_conversation_insights.source,
    insights_message_id = coalesce(store_conversation_insights.message_id, c.insights_message_id),
    insights_at = now(), updated_at = now()
  where c.id = store_conversation_insights.conversation_id
  returning c.*
$$;

revoke all on table private.ai_reply_jobs from public, anon, authenticated;
revoke all on function private.add_system_note(public.conversations, text) from public;
revoke all on function
  public.ai_request_reply(uuid), public.ai_claim_reply(uuid, bigint), public.ai_reply_generation(uuid),
  public.ai_release_reply(uuid, bigint), public.queue_ai_message(uuid, text), public.ai_record_success(uuid),
  public.ai_record_failure(uuid, text), public.ai_escalate(uuid, text),
  public.store_conversation_insights(uuid, text, real, text, text, uuid)
  from public, anon, authenticated;
grant execute on function
  public.ai_request_reply(uuid), public.ai_claim_reply(uuid, bigint), public.ai_reply_generation(uuid),
  public.ai_release_reply(uuid, bigint), public.queue_ai_message(uuid, text), public.ai_record_success(uuid),
  public.ai_record_failure(uuid, text), public.ai_escalate(uuid, text),
  public.store_conversation_insights(uuid, text, real, text, text, uuid)
  to service_role;
