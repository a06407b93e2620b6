-- Typed clients name a source's tenant when they add one (the column is required in the generated
-- types). prepare_knowledge_source still sets it from the agent, so a wrong tenant cannot stick.
grant insert (tenant_id) on table public.knowledge_sources to authenticated;
