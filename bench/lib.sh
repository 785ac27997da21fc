# Shell helpers shared by bench/load.sh and bench/scale.sh (sourced).
# Servers run on 127.0.0.1 only; every process started through
# bench_spawn is stopped by bench_cleanup, by its pid.

bench_pids=()
bench_tmp=""

# bench_init NAME: a temporary directory ($bench_tmp), removed at exit
# together with every process started by bench_spawn.
bench_init() {
  bench_tmp=$(mktemp -d "/tmp/postel-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -z "$bench_tmp" ] || rm -rf "$bench_tmp"
}

# bench_nofile N: raise the descriptor limit to the hard limit; fail
# when it is still under N.
bench_nofile() {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [ "$(ulimit -n)" -lt "$1" ]; then
    echo "bench: ulimit -n is $(ulimit -n), $1 descriptors needed (hard limit: ulimit -Hn)" >&2
    return 69
  fi
}

# bench_postel_sink POSTEL NAME ARGS...: start `postel sink` on
# 127.0.0.1:0; sets bench_sink_pid and bench_sink_port.
bench_postel_sink() {
  local postel=$1 name=$2 i
  shift 2
  "$postel" sink --listen 127.0.0.1:0 "$@" >"$bench_tmp/$name.out" \
    2>"$bench_tmp/$name.err" </dev/null &
  bench_sink_pid=$!
  bench_pids+=("$bench_sink_pid")
  for i in $(seq 1 100); do
    grep -q "listening on" "$bench_tmp/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  bench_sink_port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$bench_tmp/$name.out")
  if [ -z "$bench_sink_port" ]; then
    echo "bench: postel sink did not start" >&2
    cat "$bench_tmp/$name.err" >&2
    return 1
  fi
}

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_wait_port() {
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench: nothing listens on 127.0.0.1:$1" >&2
  return 1
}
