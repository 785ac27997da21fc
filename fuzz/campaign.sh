#!/usr/bin/env bash
# Short, bounded AFL++ campaign over every harness: fails on any crash or
# hang. Usage: fuzz/campaign.sh SECONDS_PER_TARGET [TARGET...]
# Builds build-afl/ with afl-clang-fast in persistent mode.
set -euo pipefail
secs=${1:-30}; shift || true
src=$(cd "$(dirname "$0")/.." && pwd)
bdir=${POSTEL_AFL_BUILD:-$src/build-afl}
if [ ! -f "$bdir/build.ninja" ]; then
  CC=afl-clang-fast meson setup "$bdir" "$src" -Dfuzz_engine=afl -Dtests=false -Dragel_codegen=T1 \
    -Dtools=false -Dbench=false -Dexamples=false --buildtype=debugoptimized >/dev/null
fi
ninja -C "$bdir" >/dev/null
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_NO_AFFINITY=1 AFL_QUIET=1 AFL_SKIP_CRASHES=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$bdir"/fuzz/fuzz-*; do [ -f "$f" ] && [ -x "$f" ] && targets+=("${f##*/fuzz-}"); done
fi
fail=0
for t in "${targets[@]}"; do
  out=$(mktemp -d)
  corpus=$src/fuzz/corpus/$t
  [ -d "$corpus" ] || { echo "fuzz: no corpus for $t"; fail=1; continue; }
  timeout $((secs + 60)) afl-fuzz -V "$secs" -t 1000 -i "$corpus" -o "$out" \
    -x "$src/fuzz/dict/smtp.dict" -- "$bdir/fuzz/fuzz-$t" >"$out/log" 2>&1 || true
  stats=$out/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "fuzz: afl-fuzz did not run for $t"; tail -20 "$out/log"; fail=1; continue
  fi
  execs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$stats")
  crashes=$(find "$out/default/crashes" -name 'id:*' | wc -l)
  hangs=$(find "$out/default/hangs" -name 'id:*' | wc -l)
  echo "fuzz: $t: ${secs}s, $execs execs, $crashes crashes, $hangs hangs"
  if [ "$crashes" -ne 0 ] || [ "$hangs" -ne 0 ]; then
    mkdir -p "$src/afl-out"; cp -r "$out/default" "$src/afl-out/$t"
    echo "fuzz: findings kept in afl-out/$t"; fail=1
  fi
  rm -rf "$out"
done
exit $fail
