-- Invitation tokens are hashed with core PostgreSQL's sha256() instead of pgcrypto's digest().
-- The result is the same hex string. PGlite's pgcrypto fails to initialise its OpenSSL digests
-- about one time in four once pg_trgm is loaded beside it ("Cannot use "sha256": Cipher cannot be
-- initialized"); the core function has no such dependency and exists on every PostgreSQL since 11.
create or replace function private.token_hash(token text) returns text
language sql immutable set search_path = '' as $$
  select encode(pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), 'hex')
$$;
