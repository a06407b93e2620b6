#!/usr/bin/env bash
# Downloads what every Edge Function imports (npm: packages, remote modules) into the Deno cache the
# local functions host and `npm run check:functions` use, so no function's first call waits for a
# download. Runs after `npm install`/`npm ci`; offline it says so and leaves the downloads to the
# first call, never failing the install. `--quiet` says nothing when all went well.
set -uo pipefail
quiet=false
[ "${1:-}" = --quiet ] && quiet=true
cd "$(dirname "$0")/.."
export DENO_NO_PACKAGE_JSON=1 DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 DENO_DIR="${DENO_DIR:-$PWD/.parley/deno}"
deno=node_modules/.bin/deno
functions=supabase/functions

if [ ! -x "$deno" ]; then
  echo "Edge Function dependencies not cached: Deno is not installed in node_modules; each function downloads them on its first call."
  exit 0
fi

# Flags as the functions host runs each function: its own deno.json when it has one (without a lock
# file unless it keeps one), otherwise no config and no lock file.
plain=()
configured=()
for entry in "$functions"/*/index.ts; do
  [ -e "$entry" ] || continue
  dir=$(dirname "$entry")
  case "$(basename "$dir")" in _* | .*) continue ;; esac
  if [ -e "$dir/deno.json" ] || [ -e "$dir/deno.jsonc" ]; then
    configured+=("$dir")
  else
    plain+=("$entry")
  fi
done

failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cache() {
  if ! "$deno" cache --quiet "$@" >"$log" 2>&1; then
    # Deno's message, without the backtrace it prints after it.
    failures+=("$(sed '/^Stack backtrace/,$d' "$log" | head -n 3)")
  fi
}
[ ${#plain[@]} -eq 0 ] || cache --no-config --no-lock "${plain[@]}"
for dir in "${configured[@]}"; do
  config="$dir/deno.json"
  [ -e "$config" ] || config="$dir/deno.jsonc"
  lock=()
  [ -e "$dir/deno.lock" ] || lock=(--no-lock)
  cache --config "$config" "${lock[@]}" "$dir/index.ts"
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "Edge Function dependencies could not all be cached (offline?); each function downloads what is missing on its first call. Deno said:"
  printf '  %s\n' "${failures[@]}"
  exit 0
fi
$quiet || echo "Edge Function dependencies cached in ${DENO_DIR#"$PWD"/}."
