-- Clients may name a note's workspace when they write one (the generated types ask for it); the
-- database still takes it from the conversation, whatever was sent.
grant insert (tenant_id) on table public.conversation_notes to authenticated;
