#!/bin/bash
# test/examples/run.sh — every example against real peers, on 127.0.0.1.
#
#   run.sh NAME=PATH...      (the examples that were built)
#
# Server examples (server_epoll, server_libuv, server_uring) receive from
# Python smtplib (two messages in one session, then 20 concurrent
# sessions) and from each client example, store into a Maildir, and must
# store exactly what was sent, byte for byte; an idle client must get 421
# when the (shortened) timeout passes. Client examples (client_blocking,
# client_libuv) deliver to each server example and to Python aiosmtpd, in
# clear text and with STARTTLS (certificate checked against a CA file);
# with the wrong CA file they must fail and deliver nothing; against a
# server that never answers they must give up when the (shortened)
# timeout passes.
#
# Every process is started under timeout(1) and stopped by its pid; all
# sockets are on 127.0.0.1; the work directory is removed at the end.
set -u

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
peers="$here/peers.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/postel-examples.XXXXXX")
pids=()
failures=0
checks=0

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

declare -A ex
for a in "$@"; do
	ex[${a%%=*}]=${a#*=}
done
if [ ${#ex[@]} -eq 0 ]; then
	echo "usage: run.sh NAME=PATH..." >&2
	exit 64
fi

# result DESCRIPTION STATUS [LOG...]: count, and show the logs on failure.
result() {
	local what=$1 status=$2
	shift 2
	checks=$((checks + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok   $what"
	else
		echo "FAIL $what (status $status)"
		failures=$((failures + 1))
		for log in "$@"; do
			[ -s "$log" ] && sed "s|^|    ${log##*/}: |" "$log" | tail -20
		done
	fi
}

# stop PID: stop a process we started, and reap it.
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# ---- test messages: CRLF line ends, ending in CRLF ----
msg_a=$work/a.eml
msg_b=$work/b.eml
printf 'From: <from@example.org>\r\nTo: <to@example.net>\r\nSubject: example\r\n\r\nfirst line\r\n.a line with a leading dot\r\n..two dots\r\n.\r\n\r\nlast line\r\n' >"$msg_a"
# About 250 KiB with 8-bit text (BODY=8BITMIME): many reads, many
# CONTENT events, BDAT chunks.
timeout 30 $py -c '
import sys
lines = [b"Subject: large\r\n", b"MIME-Version: 1.0\r\n",
         b"Content-Type: text/plain; charset=utf-8\r\n", b"\r\n"]
for i in range(3500):
    lines.append(("line %05d: h\u00e9llo w\u00f6rld, .dots. and more text "
                  "to fill it\r\n" % i).encode())
    if i % 100 == 0:
        lines.append(b".\r\n")
sys.stdout.buffer.write(b"".join(lines))' >"$msg_b"

# ---- TLS: a CA-less self-signed certificate for 127.0.0.1, and another
# one that must not be trusted for it ----
for name in cert other; do
	timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$work/$name.key" -out "$work/$name.pem" 2>"$work/openssl.log"
	result "openssl: $name certificate" $? "$work/openssl.log"
done

# ---- server examples ----
# start_server NAME: start it on a free port with a Maildir; sets
# server_pid, server_port, server_dir.
start_server() {
	server_dir=$work/$1
	mkdir -p "$server_dir"
	timeout 600 "${ex[$1]}" -d "$server_dir/maildir" -t 2 127.0.0.1:0 \
		>"$server_dir/out" 2>"$server_dir/err" &
	server_pid=$!
	pids+=("$server_pid")
	server_port=
	for _ in $(seq 200); do
		server_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' \
			"$server_dir/out")
		[ -n "$server_port" ] && break
		sleep 0.05
	done
}

# check_store DESCRIPTION DIR FILE[:COUNT]... LOGS after a delivery
check_store() {
	local what=$1 dir=$2
	shift 2
	timeout 60 $py "$peers" check "$dir" "$@" >"$work/check.log" 2>&1
	result "$what: stored as sent" $? "$work/check.log"
	rm -f "$dir"/*
}

for server in server_epoll server_libuv server_uring; do
	[ -n "${ex[$server]:-}" ] || continue
	start_server "$server"
	logs=("$server_dir/err")
	if [ -z "$server_port" ]; then
		result "$server: starts and listens" 1 "${logs[@]}"
		continue
	fi
	new=$server_dir/maildir/new

	timeout 120 $py "$peers" send "$server_port" "$msg_a" --count 2 \
		>"$work/send.log" 2>&1
	result "$server <- smtplib: 2 messages in one session" $? \
		"$work/send.log" "${logs[@]}"
	check_store "$server <- smtplib" "$new" "$msg_a:2"

	timeout 120 $py "$peers" send "$server_port" "$msg_b" --8bit \
		>"$work/send.log" 2>&1
	result "$server <- smtplib: 250 KiB, 8BITMIME" $? \
		"$work/send.log" "${logs[@]}"
	check_store "$server <- smtplib 8bit" "$new" "$msg_b"

	timeout 120 $py "$peers" send "$server_port" "$msg_a" --count 3 \
		--parallel 20 >"$work/send.log" 2>&1
	result "$server <- smtplib: 20 concurrent sessions" $? \
		"$work/send.log" "${logs[@]}"
	check_store "$server <- 20 sessions" "$new" "$msg_a:60"

	for client in client_blocking client_libuv; do
		[ -n "${ex[$client]:-}" ] || continue
		timeout 60 "${ex[$client]}" 127.0.0.1:"$server_port" \
			from@example.org to@example.net "$msg_a" \
			>"$work/client.log" 2>&1 &&
			timeout 60 "${ex[$client]}" 127.0.0.1:"$server_port" \
				from@example.org to@example.net "$msg_b" \
				>>"$work/client.log" 2>&1
		result "$server <- $client (BDAT, PIPELINING)" $? \
			"$work/client.log" "${logs[@]}"
		check_store "$server <- $client" "$new" "$msg_a" "$msg_b"
	done

	timeout 30 $py "$peers" idle "$server_port" 10 >"$work/idle.log" 2>&1
	result "$server: idle client gets 421 after the timeout" $? \
		"$work/idle.log" "${logs[@]}"

	kill -0 "$server_pid" 2>/dev/null
	result "$server: still running" $? "${logs[@]}"
	stop "$server_pid"
done

# ---- client examples against aiosmtpd ----
# start_aiosmtpd [aiosmtpd options]: sets aio_pid, aio_port, aio_dir.
start_aiosmtpd() {
	aio_dir=$work/aiosmtpd
	mkdir -p "$aio_dir/store"
	aio_port=$(timeout 10 $py "$peers" freeport)
	PYTHONPATH=$here timeout 600 $py -m aiosmtpd -n \
		-l 127.0.0.1:"$aio_port" "$@" -c aiosmtpd_store.Store \
		"$aio_dir/store" >"$aio_dir/log" 2>&1 &
	aio_pid=$!
	pids+=("$aio_pid")
	timeout 20 $py "$peers" waitport "$aio_port" 15 >>"$aio_dir/log" 2>&1
}

for mode in plain starttls; do
	if [ "$mode" = plain ]; then
		start_aiosmtpd
		opts=(-P)
	else
		start_aiosmtpd --tlscert "$work/cert.pem" --tlskey "$work/cert.key"
		opts=(-C "$work/cert.pem")
	fi
	result "aiosmtpd ($mode) starts" $? "$aio_dir/log"
	for client in client_blocking client_libuv; do
		[ -n "${ex[$client]:-}" ] || continue
		timeout 60 "${ex[$client]}" "${opts[@]}" 127.0.0.1:"$aio_port" \
			from@example.org to@example.net "$msg_a" \
			>"$work/client.log" 2>&1 &&
			timeout 60 "${ex[$client]}" "${opts[@]}" \
				127.0.0.1:"$aio_port" from@example.org \
				to@example.net "$msg_b" >>"$work/client.log" 2>&1
		result "$client -> aiosmtpd ($mode)" $? "$work/client.log" \
			"$aio_dir/log"
		check_store "$client -> aiosmtpd ($mode)" "$aio_dir/store" \
			"$msg_a" "$msg_b"
		if [ "$mode" = starttls ]; then
			# A certificate the CA file does not vouch for: the
			# handshake must fail and nothing be delivered.
			timeout 60 "${ex[$client]}" -C "$work/other.pem" \
				127.0.0.1:"$aio_port" from@example.org \
				to@example.net "$msg_a" >"$work/client.log" 2>&1
			status=$?
			[ "$status" -ne 0 ] && [ "$status" -ne 124 ] &&
				grep -q "TLS handshake failed" "$work/client.log"
			result "$client refuses an untrusted certificate" $? \
				"$work/client.log"
			check_store "$client -> untrusted server" \
				"$aio_dir/store"
		fi
	done
	stop "$aio_pid"
done

# ---- client timeouts: a server that accepts and never speaks ----
mute_port=$(timeout 10 $py "$peers" freeport)
timeout 120 $py "$peers" mute "$mute_port" 60 >"$work/mute.log" 2>&1 &
mute_pid=$!
pids+=("$mute_pid")
timeout 20 $py "$peers" waitport "$mute_port" 15 >>"$work/mute.log" 2>&1
result "mute server starts" $? "$work/mute.log"
for client in client_blocking client_libuv; do
	[ -n "${ex[$client]:-}" ] || continue
	timeout 30 "${ex[$client]}" -t 1 127.0.0.1:"$mute_port" \
		from@example.org to@example.net "$msg_a" >"$work/client.log" 2>&1
	status=$?
	[ "$status" -ne 0 ] && [ "$status" -ne 124 ] &&
		grep -q "greeting timeout" "$work/client.log"
	result "$client gives up on a silent server after its timeout" $? \
		"$work/client.log"
done
stop "$mute_pid"

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
