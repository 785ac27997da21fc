#!/usr/bin/env bash
# The README's driving loop must be examples/blocking.c's session(),
# verbatim (the example is compiled and run by the interop suite).
set -eu
src=${1:?usage: readme.sh SOURCE_ROOT}
block=$(sed -n '/<!-- readme-loop:begin -->/,/<!-- readme-loop:end -->/p' "$src/README.md" | sed '1,2d;$d' | sed '$d')
code=$(awk '/^static void session\(int fd\)$/,/^}$/' "$src/examples/blocking.c")
if [ -z "$code" ] || [ "$block" != "$code" ]; then
  echo "README.md's loop differs from examples/blocking.c session():"
  diff <(printf '%s\n' "$block") <(printf '%s\n' "$code") || true
  exit 1
fi
echo "README loop matches examples/blocking.c"

# Every lenient flag of common.h has its row in the README's table.
missing=0
for flag in $(grep -o 'POSTEL_LENIENT_[A-Z0-9_]* = ' "$src/include/postel/common.h" | sed 's/^POSTEL_//; s/ = $//'); do
  if ! grep -q "^| \`$flag\` |" "$src/README.md"; then
    echo "README.md: no row for POSTEL_$flag in the strict/lenient table"
    missing=1
  fi
done
[ "$missing" = 0 ] && echo "README lists every lenient flag"
exit "$missing"
