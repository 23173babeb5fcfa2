#!/usr/bin/env bash
# Builds the native stand-in libbusnetcli and its C test program:
#   build/libbusnetcli.so        build/test_standin
#   build/asan/libbusnetcli.so   build/asan/test_standin   (ASan + UBSan)
# Skips every output that is newer than all of its sources (idempotent, fast,
# fine for CI). Options: --force rebuilds everything; --no-asan skips the
# sanitizer variant. CC overrides the compiler (default: cc).
#
# Loading build/asan/libbusnetcli.so into a process that is not itself built
# with ASan (deno, bun, node) needs the ASan runtime preloaded:
#   LD_PRELOAD="$(cc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0 deno ...
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/src/mock/native"
out="$root/build"
cc="${CC:-cc}"
force=0
asan=1
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --no-asan) asan=0 ;;
    *) echo "build_native.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

lib_sources=("$src"/sb_*.c)
headers=("$src"/*.h)
common=(-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -fvisibility=hidden -pthread)

# stale OUTPUT INPUT...: true when OUTPUT is missing or older than an input.
stale() {
  local target="$1"
  shift
  [[ $force == 1 || ! -e "$target" ]] && return 0
  local f
  for f in "$@" "${BASH_SOURCE[0]}"; do
    [[ "$f" -nt "$target" ]] && return 0
  done
  return 1
}

build_variant() {
  local dir="$1"
  shift
  local flags=("$@")
  mkdir -p "$dir"
  if stale "$dir/libbusnetcli.so" "${lib_sources[@]}" "${headers[@]}"; then
    "$cc" "${common[@]}" "${flags[@]}" -fPIC -shared -o "$dir/libbusnetcli.so.$$.tmp" "${lib_sources[@]}"
    mv -f "$dir/libbusnetcli.so.$$.tmp" "$dir/libbusnetcli.so"
    echo "built $dir/libbusnetcli.so"
  fi
  if stale "$dir/test_standin" "$src/test_standin.c" "$dir/libbusnetcli.so" "${headers[@]}"; then
    "$cc" "${common[@]}" "${flags[@]}" -o "$dir/test_standin.$$.tmp" "$src/test_standin.c" \
      -L"$dir" -lbusnetcli -Wl,-rpath,'$ORIGIN'
    mv -f "$dir/test_standin.$$.tmp" "$dir/test_standin"
    echo "built $dir/test_standin"
  fi
}

build_variant "$out" -O2 -g
if [[ $asan == 1 ]]; then
  build_variant "$out/asan" -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
fi
