#!/usr/bin/env bash
# Runs every benchmark in one go (see bench/README.md): builds the stand-in
# library and the C programs, then runs bench/run.ts under Deno.
#   bash bench/run.sh                  full run, updates bench/README.md
#   bash bench/run.sh --quick          tiny counts (CI, < 60 s); fails only on crashes
#   options after that go to bench/run.ts: --update-readme, --only deno,c, --bench send,flow
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/build_native.sh --no-asan >&2
mkdir -p build/bench
cc="${CC:-cc}"
for prog in driver flood; do
  out="build/bench/$prog"
  if [[ ! -e "$out" || "bench/c/$prog.c" -nt "$out" || bench/c/common.h -nt "$out" || build/libbusnetcli.so -nt "$out" ]]; then
    "$cc" -std=c11 -O2 -g -Wall -Wextra -Werror -pthread -Isrc/mock/native -o "$out.$$.tmp" "bench/c/$prog.c" \
      -Lbuild -lbusnetcli -Wl,-rpath,'$ORIGIN/..'
    mv -f "$out.$$.tmp" "$out"
  fi
done
exec node_modules/.bin/deno run -A bench/run.ts "$@"
