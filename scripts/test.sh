#!/usr/bin/env bash
# The one test command (README, `npm test`, CI): builds the native stand-in,
# runs the static checks, then the whole suite under Deno and under Bun, then
# builds the npm package and tests it under Node and Bun, and runs the
# benchmarks in their quick mode.
#
# Prints one line per stage with its time and what passed; a stage's whole
# output is kept in build/test-logs/ and printed only when it fails (or
# always with VERBOSE=1). The last line counts what passed, per runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1

logs="build/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
stage_no=0

# Outside CI a machine without Chromium or Python skips those stages loudly;
# in CI (.ci/run installs Chromium) a missing one fails the run.
needs() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: $1 is missing ($2)" >&2
    exit 1
  fi
  echo "SKIPPED: $1 is missing ($2)"
  return 1
}
# The vendor's library, read in place from ../shared/reference/ when it is there.
vendor_lib="${SMARTBUS_VENDOR_LIB:-$(cd "$(dirname "$0")/../.." && pwd)/shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so}"
has_vendor() {
  [ -f "$vendor_lib" ] && [ "$(uname -m)" = x86_64 ] && return 0
  echo "SKIPPED: $1 on the vendor's library (not at $vendor_lib)"
  return 1
}

# What a stage's log says passed: test counts of Deno, Bun and node --test.
passed_in() {
  local log="$1" out=""
  local d b n
  d=$(grep -Eo 'ok \| [0-9]+ passed' "$log" | awk '{s += $3} END {if (s) print s}')
  b=$(grep -Eo '^ *[0-9]+ pass$' "$log" | awk '{s += $1} END {if (s) print s}')
  n=$(grep -Eo '^# pass [0-9]+' "$log" | awk '{s += $3} END {if (s) print s}')
  [ -n "$d" ] && out+=" deno $d,"
  [ -n "$b" ] && out+=" bun $b,"
  [ -n "$n" ] && out+=" node $n,"
  [ -n "$out" ] && printf ' (passed:%s)' "${out%,}"
  return 0
}

# run_stage NAME FUNCTION: runs FUNCTION with `set -e` in a subshell, its
# output into a log; prints one line, or the log's tail and exits on failure.
run_stage() {
  local name="$1" fn="$2" start=$SECONDS rc=0
  stage_no=$((stage_no + 1))
  local log
  log="$logs/$(printf '%02d' "$stage_no")-$fn.log"
  set +e
  if [ "${VERBOSE:-}" = "1" ]; then
    (set -e; "$fn") 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
  else
    (set -e; "$fn") >"$log" 2>&1
    rc=$?
  fi
  set -e
  local took=$((SECONDS - start))
  if [ "$rc" -ne 0 ]; then
    printf '== %s: FAILED after %ss (exit %s); the last 300 lines of %s:\n' \
      "$name" "$took" "$rc" "$log"
    tail -n 300 "$log"
    printf '== %s: FAILED (whole log: %s)\n' "$name" "$log"
    exit "$rc"
  fi
  grep -h '^SKIPPED:' "$log" | sed 's/^/   /' || true
  printf '== %s: ok in %ss%s\n' "$name" "$took" "$(passed_in "$log")"
}

stage_native() { bash scripts/build_native.sh; }

stage_static() {
  deno fmt --check
  deno lint
  # Through `deno task`, so that the tasks keep working after `npm ci`
  # (node_modules/.bin/deno must not shadow the real binary in them).
  deno task --quiet check
  deno task --quiet cli --version >/dev/null
  deno task --quiet demo >/dev/null
  deno run -A examples/prometheus_stats.ts >/dev/null
  deno run -A examples/otel_bridge.ts >/dev/null
  # The Bun backend against bun-types (bun:ffi's own declarations).
  tsc -p tsconfig.bun.json
  deno doc --lint mod.ts src/mock/mod.ts
  # Every JSDoc example in src/ must type-check: they import
  # "@smartbus/netclient", "@smartbus/netclient/mock" (or, for internals,
  # "@smartbus/netclient/internal"), which deno.json's "imports" map to
  # this checkout.
  deno check --doc-only mod.ts internal.ts src/
  deno publish --dry-run --allow-dirty
}

stage_deno() { deno test -A --quiet tests/; }

stage_bun() { bun test --timeout 60000 tests/; }

stage_per_callback() {
  SMARTBUS_EVENT_QUEUE=off deno test -A --quiet tests/ffi_standin_on_native.test.ts tests/ffi_callbacks_on_native.test.ts
  SMARTBUS_EVENT_QUEUE=off bun test --timeout 60000 tests/ffi_standin_on_native.test.ts tests/ffi_callbacks_on_native.test.ts
}

stage_control() {
  if needs "${CHROMIUM:-chromium}" "apt-get install chromium"; then
    deno test -A --quiet tests/browser/inspector.browser.ts
    if has_vendor "the inspector page"; then
      SMARTBUS_TEST_LIBRARY="$vendor_lib" deno test -A --quiet tests/browser/inspector.browser.ts
    fi
  fi
  if needs python3 "the Python example needs python3"; then
    python3 examples/python/test_app.py
    # The same app on the vendor's library, and the original Python package
    # (unmodified) on both libraries.
    if has_vendor "the Python example"; then
      SMARTBUS_NETCLI_LIB="$vendor_lib" python3 examples/python/test_app.py
    fi
    python3 tests/interop/test_original_python.py
  fi
}

stage_npm() { deno run -A scripts/build_npm.ts; }

stage_bench() { bash bench/run.sh --quick; }

run_stage "native stand-in (gcc)" stage_native
run_stage "deno fmt / lint / check / doc / publish, examples" stage_static
run_stage "tests under Deno" stage_deno
run_stage "tests under Bun" stage_bun
run_stage "native backends on the per-callback path (SMARTBUS_EVENT_QUEUE=off), Deno and Bun" stage_per_callback
run_stage "control API: the inspector in headless Chromium, the Python example, the original Python package" stage_control
run_stage "npm build: tsc, shared suites under Node (koffi), packed-package smoke under Node and Bun" stage_npm
# Quick mode so they never rot; targets are reported in the log, not enforced.
run_stage "benchmarks, quick mode" stage_bench

cat "$logs"/*.log >"$logs/all.txt"
printf '\nAll %s stages passed in %ss%s; logs in %s/.\n' \
  "$stage_no" "$SECONDS" "$(passed_in "$logs/all.txt")" "$logs"
