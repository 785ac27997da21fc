#!/usr/bin/env bash
# Load comparison: `postel sink --discard` against Postfix's smtp-sink,
# under the same loads in the same run, interleaved (postel, smtp-sink,
# postel, smtp-sink, ...), medians over the runs.
#
# usage: bench/load.sh [--quick] [--runs N] [--sessions "50 1000"]
#                      [--sizes "1 10 100"] [--clients "LIST"]
#                      [--out FILE] [BUILD_DIR]
#
#   BUILD_DIR  the meson build directory holding tools/postel (default:
#              ./build, or $POSTEL naming the binary)
#   --quick    a smoke run: a tenth of the messages (3 runs still)
#   --runs N   runs per server and load (default 3, at least 1)
#   --sessions concurrent sessions (default "50 1000")
#   --sizes    message sizes in KiB (default "1 10 100")
#   --clients  loads (default "source-new source-reuse load-pipelined"):
#                source-new       smtp-source, a new connection per message
#                source-reuse     smtp-source -d, connections reused
#                load-pipelined   postel load, reused, PIPELINING
#                load-new         postel load --new-connection
#                load-lockstep    postel load --no-pipelining
#   --out FILE raw results (one line per run; default in a temp dir)
#
# For each run the server's CPU is read from /proc/PID/stat (utime+stime,
# clock ticks) and /proc/PID/schedstat (on-CPU nanoseconds) just before
# and just after the client runs; the servers are otherwise idle, so the
# delta divided by the messages sent is the server's CPU per message.
# Messages/s is messages over the client's wall time. CPU per message is
# the figure to trust on a busy machine: throughput depends on what else
# runs, CPU per message much less. bench/load_report.py prints the
# medians (a Markdown table, and `load.*` lines in the bench convention).
#
# Everything listens on and connects to 127.0.0.1 only; both servers are
# started here and stopped here, by pid. smtp-sink is given numeric
# addresses and a fixed greeting name, so it makes no DNS query.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quick=0 runs=3 sessions_list="50 1000" sizes="1 10 100"
clients="source-new source-reuse load-pipelined" out="" build=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --runs) runs=${2:?}; shift ;;
    --sessions) sessions_list=${2:?}; shift ;;
    --sizes) sizes=${2:?}; shift ;;
    --clients) clients=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "load.sh: unknown option $1" >&2; exit 64 ;;
    *) build=$1 ;;
  esac
  shift
done
[ "$runs" -ge 1 ] 2>/dev/null || { echo "load.sh: bad --runs" >&2; exit 64; }

postel=${POSTEL:-${build:-build}/tools/postel}
SMTP_SINK=${SMTP_SINK:-/usr/sbin/smtp-sink}
SMTP_SOURCE=${SMTP_SOURCE:-/usr/sbin/smtp-source}
for p in "$postel" "$SMTP_SINK" "$SMTP_SOURCE"; do
  [ -x "$p" ] || { echo "load.sh: $p not found (BUILD_DIR? Debian postfix?)" >&2; exit 69; }
done
"$postel" load --help >/dev/null || { echo "load.sh: $postel has no load command" >&2; exit 69; }

. "$here/lib.sh"
max_sessions=0
for n in $sessions_list; do [ "$n" -gt "$max_sessions" ] && max_sessions=$n; done
# one descriptor per session on each side, and a few
bench_nofile $((max_sessions + 64)) || exit 69
bench_init load
tmp=$bench_tmp
[ -n "$out" ] || out=$tmp/results.txt
: >"$out"

hz=$(getconf CLK_TCK)

# utime+stime (ticks) and on-CPU ns of a process
cpu_of() {
  local stat sched
  stat=$(cut -d')' -f2- "/proc/$1/stat" | awk '{print $12 + $13}')
  sched=$(awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0)
  echo "$stat $sched"
}

# ---- the servers (both stay up for the whole matrix)
bench_postel_sink "$postel" postel --discard --quiet --hostname bench.example || exit 1
postel_pid=$bench_sink_pid postel_port=$bench_sink_port

sink_port=$(bench_free_port)
sink_user=()
[ "$(id -u)" = 0 ] && sink_user=(-u nobody)
# -m: take as many connections at once as postel sink does (it has no
# limit); backlog 1024
"$SMTP_SINK" "${sink_user[@]}" -h bench.example -m $((max_sessions + 100)) \
  "127.0.0.1:$sink_port" 1024 >"$tmp/smtp-sink.out" 2>&1 </dev/null &
sink_pid=$!
bench_pids+=("$sink_pid")
bench_wait_port "$sink_port" || exit 1

echo "# postel sink pid $postel_pid port $postel_port; smtp-sink pid $sink_pid port $sink_port" >&2
echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Messages per run: enough server CPU to measure (ticks are 1/$hz s;
# schedstat is finer), a few per session so that reuse means reuse, and
# a full run within minutes (smtp-sink takes ~1 ms of CPU per 100 KiB).
messages_for() { # client sessions size_kib
  local m per=2
  case $1 in
    source-new|load-new) case $3 in 1|10) m=3000 ;; *) m=1000 ;; esac ;;
    *) case $3 in 1) m=10000; per=5 ;; 10) m=5000; per=3 ;; *) m=1000 ;; esac ;;
  esac
  [ "$m" -lt $(($2 * per)) ] && m=$(($2 * per))
  [ "$quick" = 1 ] && m=$((m / 10))
  [ "$m" -lt "$2" ] && m=$2
  echo "$m"
}

client_cmd() { # client sessions size_kib messages port
  local bytes=$(($3 * 1024))
  case $1 in
    source-new)
      echo "$SMTP_SOURCE -s $2 -m $4 -l $bytes -M client.example -f load@example.org -t sink@example.net 127.0.0.1:$5" ;;
    source-reuse)
      echo "$SMTP_SOURCE -d -s $2 -m $4 -l $bytes -M client.example -f load@example.org -t sink@example.net 127.0.0.1:$5" ;;
    load-pipelined)
      echo "$postel load --server 127.0.0.1:$5 --sessions $2 --messages $4 --size $bytes --reuse --pipelining --seconds 600" ;;
    load-new)
      echo "$postel load --server 127.0.0.1:$5 --sessions $2 --messages $4 --size $bytes --new-connection --pipelining --seconds 600" ;;
    load-lockstep)
      echo "$postel load --server 127.0.0.1:$5 --sessions $2 --messages $4 --size $bytes --reuse --no-pipelining --seconds 600" ;;
    *) echo "load.sh: unknown client $1" >&2; return 64 ;;
  esac
}

# One run: client against server; appends one line to $out.
measure() { # client sessions size_kib messages server
  local pid port cmd c0 c1 t0 t1 rc ok
  if [ "$5" = postel ]; then pid=$postel_pid port=$postel_port
  else pid=$sink_pid port=$sink_port; fi
  kill -0 "$pid" 2>/dev/null || { echo "load.sh: $5 (pid $pid) is gone" >&2; exit 1; }
  cmd=$(client_cmd "$1" "$2" "$3" "$4" "$port")
  c0=$(cpu_of "$pid")
  t0=$(date +%s%N)
  rc=0
  timeout -k 5 600 $cmd >"$tmp/client.out" 2>"$tmp/client.err" </dev/null || rc=$?
  t1=$(date +%s%N)
  sleep 0.2 # let the server finish closing the last connections
  c1=$(cpu_of "$pid")
  ok=$4
  case $1 in
    load-*) ok=$(sed -n 's/^load\.ok=\([0-9]*\).*/\1/p' "$tmp/client.out") ;;
  esac
  if [ "$rc" != 0 ]; then
    echo "load.sh: $1 against $5 exited $rc:" >&2
    head -5 "$tmp/client.err" >&2
    [ "${1#load-}" != "$1" ] || ok=0 # smtp-source stops at the first error
  fi
  local ticks0 ns0 ticks1 ns1
  read -r ticks0 ns0 <<<"$c0"
  read -r ticks1 ns1 <<<"$c1"
  echo "client=$1 sessions=$2 size_kib=$3 messages=$4 server=$5 ok=${ok:-0} rc=$rc wall_ns=$((t1 - t0)) cpu_ticks=$((ticks1 - ticks0)) cpu_ns=$((ns1 - ns0)) hz=$hz" >>"$out"
  tail -1 "$out" >&2
}

start=$(date +%s)
for client in $clients; do
  client_cmd "$client" 1 1 1 1 >/dev/null || exit 64
  for sessions in $sessions_list; do
    for size in $sizes; do
      m=$(messages_for "$client" "$sessions" "$size")
      for r in $(seq 1 "$runs"); do
        measure "$client" "$sessions" "$size" "$m" postel
        measure "$client" "$sessions" "$size" "$m" smtp-sink
      done
    done
  done
done
echo "# $(($(date +%s) - start)) s; load average now $(cut -d' ' -f1-3 /proc/loadavg); raw results: $out" >&2

for pid in "$postel_pid" "$sink_pid"; do
  kill -0 "$pid" 2>/dev/null || { echo "load.sh: a server died during the run (pid $pid)" >&2; exit 1; }
done
/usr/bin/python3 "$here/load_report.py" "$out"
[ "$out" != "$tmp/results.txt" ] || cat "$out" >"${TMPDIR:-/tmp}/postel-load-results.txt"
