#!/usr/bin/env bash
# Installs the dev dependencies (Deno, Bun, TypeScript, fast-check) from the
# lockfile when they are missing, so that `npm run demo` works on a fresh
# clone with only Node, npm and bash (`npm test` needs more: see README).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/deno ] || [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
