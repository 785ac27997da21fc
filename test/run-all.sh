#!/usr/bin/env bash
# The whole test suite: unit + vectors + fuzz regression (+ interop) in a
# normal build, again under ASan+UBSan (clang), without SIMD and from the
# grammars alone, the unit suites under valgrind, then a short AFL++
# campaign. Exits nonzero on any failure.
# Environment: POSTEL_FUZZ_SECONDS (per target, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

# Prerequisites first, each named with its Debian package (`bash .ci/deps`
# installs them all): a missing one fails here in one line, not later in
# a way that looks like a defect.
missing() { echo "run-all: missing prerequisite: $1 (Debian package $2; bash .ci/deps installs it)"; exit 1; }
for need in meson:meson ninja:ninja-build ragel:ragel cc:build-essential \
            clang:clang valgrind:valgrind afl-fuzz:afl++ afl-clang-fast:afl++ \
            python3:python3; do
  command -v "${need%%:*}" >/dev/null || missing "${need%%:*}" "${need#*:}"
done
# clang's sanitizer runtimes: Debian only recommends them (with
# libclang-common-14-dev), so a clang that compiles may still not link.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int main(void) { return 0; }\n' >"$probe/p.c"
clang -fsanitize=address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null ||
  missing "clang's ASan+UBSan runtimes" libclang-rt-14-dev

step "build (gcc, -Werror)"
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build
step "tests: all suites"
meson test -C build --print-errorlogs

step "build (clang, ASan+UBSan)"
[ -f build-asan/build.ninja ] || CC=clang meson setup build-asan \
  -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
step "tests under ASan+UBSan"
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
  meson test -C build-asan --print-errorlogs --no-suite interop

step "build without SIMD (the portable paths other CPUs take), its tests"
[ -f build-scalar/build.ninja ] || meson setup build-scalar \
  -Dc_args='-U__SSE2__ -DPOSTEL_NO_AVX2' -Dtools=false -Dbench=false \
  -Dexamples=false >/dev/null
ninja -C build-scalar
meson test -C build-scalar --print-errorlogs --suite unit --suite vectors --suite fuzz-regress

step "build from the grammars alone (no fast path, no skip), its tests"
[ -f build-grammar/build.ninja ] || meson setup build-grammar -Dgrammar_only=true \
  -Dtools=false -Dbench=false -Dexamples=false >/dev/null
ninja -C build-grammar
meson test -C build-grammar --print-errorlogs --suite unit --suite vectors --suite fuzz-regress

step "unit and vector suites under valgrind"
CK_FORK=no POSTEL_SPLIT_NO3=1 meson test -C build --print-errorlogs --suite unit --suite vectors \
  --wrap='valgrind --error-exitcode=1 -q --leak-check=full' --timeout-multiplier=4

step "AFL++ campaign"
fuzz/campaign.sh "${POSTEL_FUZZ_SECONDS:-30}"
step "all tests passed"
