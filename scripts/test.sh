#!/usr/bin/env bash
# The one test command (README, `npm test`, CI): builds the native stand-in,
# runs the static checks, then the whole suite under Deno and under Bun, then
# builds the npm package and tests it under Node and Bun, and runs the
# benchmarks in their quick mode.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1

# Each stage's time is printed when the next begins (and at the end), so
# a slow stage shows in the log.
stage_start=$SECONDS
stage_name=""
step() {
  [ -n "$stage_name" ] && printf '== %s: %ss\n' "$stage_name" "$((SECONDS - stage_start))"
  stage_name="$*"
  stage_start=$SECONDS
  printf '\n== %s\n' "$*"
}

step "native stand-in (gcc)"
bash scripts/build_native.sh

step "deno fmt / lint / check / doc / publish"
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
# Every JSDoc example in src/ must type-check: they import "@smartbus/netclient",
# "@smartbus/netclient/mock" (or, for internals, "@smartbus/netclient/internal"),
# which deno.json's "imports" map to this checkout.
deno check --doc-only mod.ts internal.ts src/
deno publish --dry-run --allow-dirty

step "tests under Deno"
deno test -A --quiet tests/

step "tests under Bun"
bun test --timeout 60000 tests/

step "native backends on the per-callback path (SMARTBUS_EVENT_QUEUE=off), Deno and Bun"
SMARTBUS_EVENT_QUEUE=off deno test -A --quiet tests/ffi_standin.test.ts tests/ffi_backend.test.ts
SMARTBUS_EVENT_QUEUE=off bun test --timeout 60000 tests/ffi_standin.test.ts tests/ffi_backend.test.ts

step "control API: the inspector page in headless Chromium, the Python example and the original Python package against smartbus mock --control"
# Outside CI a machine without Chromium or Python skips these loudly; in CI
# (.ci/run installs Chromium) a missing one fails the run.
needs() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: $1 is missing ($2)" >&2
    exit 1
  fi
  echo "SKIPPED: $1 is missing ($2)" >&2
  return 1
}
# The vendor's library, read in place from ../shared/reference/ when it is there.
vendor_lib="${SMARTBUS_VENDOR_LIB:-$(cd "$(dirname "$0")/../.." && pwd)/shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so}"
has_vendor() {
  [ -f "$vendor_lib" ] && [ "$(uname -m)" = x86_64 ] && return 0
  echo "SKIPPED: $1 on the vendor's library (not at $vendor_lib)" >&2
  return 1
}
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

step "npm build: tsc, shared suites under Node (koffi), packed-package smoke under Node and Bun"
deno run -A scripts/build_npm.ts

step "benchmarks, quick mode (so they never rot; targets are reported, not enforced)"
bash bench/run.sh --quick
printf '== %s: %ss\n' "$stage_name" "$((SECONDS - stage_start))"
printf '\nAll stages passed in %ss.\n' "$SECONDS"
