-- The inbox pages on coalesce(last_message_at, created_at) desc, id desc (inbox_conversations), an
-- order conversations_tenant_inbox_idx (on last_message_at alone) cannot deliver: every page sorted
-- all of a tenant's conversations. bench/inbox.ts, 100k conversations, PostgreSQL 15, the body of
-- inbox_conversations planned with its values:
--   before: Limit -> Sort (top-N heapsort) -> Nested Loop
--             -> Bitmap Heap Scan on conversations (Bitmap Index Scan on conversations_tenant_inbox_idx)
--   after:  Limit -> Nested Loop -> Index Scan using conversations_tenant_activity_idx on conversations
--             (25 rows read, 0.5 ms)
create index conversations_tenant_activity_idx on public.conversations
  (tenant_id, coalesce(last_message_at, created_at) desc, id desc);
