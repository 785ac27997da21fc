#!/usr/bin/env bash
# Instructions per unit of a benchmark's kernels, counted by callgrind
# (repeatable, unlike time). Usage: bench/callgrind.sh BUILD_DIR NAME...
# Each benchmark in once-mode prints NAME.bytes=N and may print
# NAME.units=N (commands, replies, sessions); callgrind counts only the
# functions named kernel_*.
set -euo pipefail
build=${1:?usage: callgrind.sh BUILD_DIR NAME...}; shift
for name in "$@"; do
  out=$(mktemp -d)
  POSTEL_BENCH_ONCE=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
    --collect-atstart=no --toggle-collect='kernel_*' \
    "$build/bench/postel-bench" "$name" >"$out/stdout" 2>"$out/stderr"
  ir=$(callgrind_annotate "$out/cg" 2>/dev/null | awk '/PROGRAM TOTALS/ && !ir {gsub(",","",$1); ir = $1} END {print ir}')
  # figures printed in once-mode: NAME.KERNEL.bytes=N [NAME.KERNEL.units=N]
  while IFS= read -r line; do
    key=${line%%=*}; val=${line#*=}; val=${val%% *}
    case $key in
      *.bytes) kbytes=$val ;;
      *.units) kunits=$val ;;
    esac
  done < "$out/stdout"
  echo "$name.instructions=$ir Ir"
  if [ -n "${kbytes:-}" ] && [ "$kbytes" != 0 ]; then
    awk -v ir="$ir" -v b="$kbytes" -v n="$name" 'BEGIN { printf "%s.instructions_per_byte=%.3f Ir/B\n", n, ir / b }'
  fi
  if [ -n "${kunits:-}" ] && [ "$kunits" != 0 ]; then
    awk -v ir="$ir" -v u="$kunits" -v n="$name" 'BEGIN { printf "%s.instructions_per_unit=%.1f Ir\n", n, ir / u }'
  fi
  unset kbytes kunits
  rm -rf "$out"
done
