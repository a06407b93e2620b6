-- The inbox pages on coalesce(last_message_at, created_at) desc, id desc (inbox_conversations), an
-- order conversations_tenant_inbox_idx (on last_message_at alone) cannot deliver, so every page
-- sorted all of a tenant's conversations. EXPLAIN ANALYZE of the function's first page as an agent
-- through RLS, 100k conversations in the tenant (bench/inbox.ts), PostgreSQL 15:
--   without: Limit -> Sort (top-N heapsort of 100000 rows) over a join of
--              Seq Scan on conversations and Seq Scan on contacts                70.9 ms
--   with:    Limit -> Nested Loop -> Index Scan using conversations_tenant_activity_idx
--              (25 rows read) -> Index Scan using contacts_pkey                  0.5 ms
create index conversations_tenant_activity_idx on public.conversations
  (tenant_id, coalesce(last_message_at, created_at) desc, id desc);
