#!/usr/bin/env bash
# The whole test suite: unit + vectors + fuzz regression (+ interop) in a
# normal build, again under ASan+UBSan (clang) and without SIMD, the unit
# suites under valgrind, then a short AFL++ campaign. Exits nonzero on any
# failure.
# Environment: POSTEL_FUZZ_SECONDS (per target, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }

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

step "unit and vector suites under valgrind"
CK_FORK=no POSTEL_SPLIT_NO3=1 meson test -C build --print-errorlogs --suite unit --suite vectors \
  --wrap='valgrind --error-exitcode=1 -q --leak-check=full' --timeout-multiplier=4

step "AFL++ campaign"
fuzz/campaign.sh "${POSTEL_FUZZ_SECONDS:-30}"
step "all tests passed"
