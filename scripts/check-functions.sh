#!/usr/bin/env bash
# Type-checks every Edge Function with Deno, as `supabase functions deploy` bundles them: each
# function on its own imports, not the app's package.json or node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_PACKAGE_JSON=1 DENO_DIR="${DENO_DIR:-$PWD/.parley/deno}"
cd supabase/functions
exec ../../node_modules/.bin/deno check --no-config --no-lock --quiet */index.ts
