#!/usr/bin/env bash
# Type-checks every Edge Function with Deno, as `supabase functions deploy` bundles them: each
# function with its own deno.json import map (or none), not the app's package.json or node_modules.
# Functions whose deno.json files are the same are checked together, which is the same check.
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_PACKAGE_JSON=1 DENO_DIR="${DENO_DIR:-$PWD/.parley/deno}"
deno=$PWD/node_modules/.bin/deno
cd supabase/functions

declare -A entries_by_config=()
plain=()
for entry in */index.ts; do
  dir=$(dirname "$entry")
  case "$dir" in _* | .*) continue ;; esac
  config=""
  for name in deno.json deno.jsonc; do [ -e "$dir/$name" ] && config="$dir/$name" && break; done
  if [ -z "$config" ]; then
    plain+=("$entry")
    continue
  fi
  # The first function with this exact import map stands for all that share it.
  key=$(sha256sum "$config" | cut -d' ' -f1)
  if [ -z "${entries_by_config[$key]:-}" ]; then
    entries_by_config[$key]="$config"
  fi
  entries_by_config[$key]+=" $entry"
done

[ ${#plain[@]} -eq 0 ] || "$deno" check --no-config --no-lock --quiet "${plain[@]}"
for key in "${!entries_by_config[@]}"; do
  read -r config entries <<<"${entries_by_config[$key]}"
  lock=(--no-lock)
  [ -e "$(dirname "$config")/deno.lock" ] && lock=()
  # shellcheck disable=SC2086 # entries are folder names without spaces (function slugs)
  "$deno" check --config "$config" "${lock[@]}" --quiet $entries
done
