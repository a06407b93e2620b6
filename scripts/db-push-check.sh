#!/usr/bin/env bash
# Proves the migrations and seed apply unchanged with the Supabase CLI (`supabase db push`), as they
# would to a hosted project: a fresh database gets only what Supabase's image provides
# (supabase/local/bootstrap.sql), then the CLI pushes. Needs a PostgreSQL server URL.
set -euo pipefail
server=${1:?usage: db-push-check.sh postgres://user:pass@host:port/postgres}
name="parley_push_$$"
db_url="${server%/*}/${name}?sslmode=disable"
psql -q "$server" -c "create database $name"
trap 'psql -q "$server" -c "drop database if exists $name with (force)"' EXIT
psql -q -v ON_ERROR_STOP=1 "${server%/*}/${name}" -f supabase/local/bootstrap.sql
npx supabase db push --db-url "$db_url" --include-seed --yes
expected=$(ls supabase/migrations/*.sql | wc -l)
applied=$(psql -tA "${server%/*}/${name}" -c "select count(*) from supabase_migrations.schema_migrations")
seeded=$(psql -tA "${server%/*}/${name}" -c "select count(*) from public.tenants where slug = 'acme'")
echo "supabase db push applied $applied of $expected migrations; demo tenant rows: $seeded"
[ "$applied" -eq "$expected" ] && [ "$seeded" -eq 1 ]
