#!/usr/bin/env bash
# Scale: `postel sink` holding many concurrent idle sessions, and the
# memory each costs it.
#
# usage: bench/scale.sh [--sessions N] [--per-client K] [--no-ehlo] [BUILD_DIR]
#
#   --sessions N    idle sessions to hold (default 10000)
#   --per-client K  sessions per holding process (default 5000; each
#                   holder is bench/scale_hold.py, one epoll loop)
#   --no-ehlo       only read the greeting (default: greeting, then EHLO
#                   and its reply, so that both engine buffers are used)
#
# Starts `postel sink --discard --quiet` on 127.0.0.1, reads its VmRSS
# (/proc/PID/status) once it listens, opens the sessions, reads VmRSS
# again while they are all held and idle, then closes them and checks
# that the sink is still up and answers. Prints, in the bench convention:
#   scale.sessions=N sessions          sessions held at once
#   scale.rss_idle=KiB                 VmRSS before any session
#   scale.rss_held=KiB                 VmRSS with N sessions held
#   scale.rss_per_session=X KiB        (held - idle) / N
#   scale.rss_after=KiB                VmRSS once they are closed
# Target: at most 16 KiB per session, engine buffers included (kernel
# socket buffers are not in VmRSS). Loopback only; every process started
# here is stopped here, by pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sessions=10000 per=5000 ehlo=--ehlo build=""
while [ $# -gt 0 ]; do
  case $1 in
    --sessions) sessions=${2:?}; shift ;;
    --per-client) per=${2:?}; shift ;;
    --no-ehlo) ehlo="" ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "scale.sh: unknown option $1" >&2; exit 64 ;;
    *) build=$1 ;;
  esac
  shift
done
postel=${POSTEL:-${build:-build}/tools/postel}
[ -x "$postel" ] || { echo "scale.sh: $postel not found" >&2; exit 69; }

. "$here/lib.sh"
k=$per; [ "$sessions" -gt "$k" ] && k=$sessions
bench_nofile $((k + 64)) || exit 69
bench_init scale
tmp=$bench_tmp
# closing the FIFO (descriptor 7) releases the holders
trap 'exec 7>&- 2>/dev/null || true; bench_cleanup' EXIT

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

bench_postel_sink "$postel" sink --discard --quiet --hostname scale.example || exit 1
sink=$bench_sink_pid port=$bench_sink_port
sleep 0.2
rss_idle=$(rss "$sink")

# the holders wait on one FIFO: closing it releases them all
mkfifo "$tmp/ctl"
left=$sessions n_holders=0
while [ "$left" -gt 0 ]; do
  k=$per; [ "$k" -gt "$left" ] && k=$left
  /usr/bin/python3 "$here/scale_hold.py" "$port" "$k" $ehlo --timeout 300 \
    <"$tmp/ctl" >"$tmp/held.$n_holders" 2>"$tmp/hold.$n_holders.err" &
  bench_pids+=("$!")
  n_holders=$((n_holders + 1))
  left=$((left - k))
done
exec 7>"$tmp/ctl"
start=$(date +%s)
while :; do
  done_n=0
  for i in $(seq 0 $((n_holders - 1))); do
    grep -q '^held' "$tmp/held.$i" 2>/dev/null && done_n=$((done_n + 1))
  done
  [ "$done_n" = "$n_holders" ] && break
  if [ $(($(date +%s) - start)) -gt 320 ]; then
    echo "scale.sh: holders did not finish" >&2; exit 1
  fi
  sleep 0.2
done
held=0
for i in $(seq 0 $((n_holders - 1))); do
  held=$((held + $(sed -n 's/^held //p' "$tmp/held.$i")))
  cat "$tmp/hold.$i.err" >&2
done
sleep 0.5
rss_held=$(rss "$sink")
fds=$(ls "/proc/$sink/fd" | wc -l)

exec 7>&- # release the holders
for pid in "${bench_pids[@]:1}"; do wait "$pid" || true; done
sleep 1
kill -0 "$sink" 2>/dev/null || { echo "scale.sh: the sink died" >&2; exit 1; }
rss_after=$(rss "$sink")
# still answers
if ! /usr/bin/python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
assert s.recv(512).startswith(b"220 ")
s.sendall(b"QUIT\r\n")
assert s.recv(512).startswith(b"221 ")
PY
then
  echo "scale.sh: the sink does not answer after the sessions closed" >&2
  exit 1
fi

echo "scale.sessions=$held sessions"
echo "scale.sink_descriptors=$fds fds"
echo "scale.rss_idle=$rss_idle KiB"
echo "scale.rss_held=$rss_held KiB"
awk -v a="$rss_idle" -v b="$rss_held" -v n="$held" \
  'BEGIN { printf "scale.rss_per_session=%.2f KiB\n", n ? (b - a) / n : 0 }'
echo "scale.rss_after=$rss_after KiB"
[ "$held" = "$sessions" ] || { echo "scale.sh: only $held of $sessions sessions held" >&2; exit 1; }
