-- Helpers that policies, triggers and flows call. The API exposes only `public` (and
-- graphql_public), so nothing here is reachable over REST, yet policies evaluated as
-- `authenticated` may still call what is granted to it.
create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to authenticated, service_role;
