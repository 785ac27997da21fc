#!/usr/bin/python3
"""Hold idle SMTP sessions open (for bench/scale.sh).

usage: scale_hold.py PORT SESSIONS [--ehlo] [--timeout SECONDS]

Opens SESSIONS connections to 127.0.0.1:PORT (non-blocking, a few
hundred connects in flight at a time), reads each greeting, with --ehlo
also sends EHLO and reads its reply, then prints one line
  held N
(N sessions greeted and idle; errors on stderr) and keeps every
connection open, idle, until stdin is closed (or SIGTERM), then closes
them all. Exit status 0 when all SESSIONS were
held, 1 otherwise. Loopback only.
"""

import errno
import os
import selectors
import socket
import sys
import time

IN_FLIGHT = 256


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    port, want = int(argv[1]), int(argv[2])
    ehlo = "--ehlo" in argv
    timeout = 120.0
    if "--timeout" in argv:
        timeout = float(argv[argv.index("--timeout") + 1])
    sel = selectors.DefaultSelector()
    pending = {}  # sock -> [received bytes, phase]
    held = []
    errors = 0
    started = 0
    deadline = time.monotonic() + timeout
    while (started < want or pending) and time.monotonic() < deadline:
        while started < want and len(pending) < IN_FLIGHT:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            started += 1
            rc = s.connect_ex(("127.0.0.1", port))
            if rc not in (0, errno.EINPROGRESS):
                errors += 1
                if errors <= 5:
                    print("connect: %s" % os.strerror(rc), file=sys.stderr)
                s.close()
                continue
            pending[s] = [b"", "greeting"]
            sel.register(s, selectors.EVENT_READ)
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            st = pending[s]
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError as e:
                data = b""
                print("recv: %s" % e, file=sys.stderr)
            if not data:
                errors += 1
                sel.unregister(s)
                del pending[s]
                s.close()
                continue
            st[0] += data
            # a whole reply: its last line is "NNN " ... CRLF
            lines = st[0].split(b"\r\n")
            if len(lines) < 2 or lines[-2][3:4] == b"-":
                continue
            if st[1] == "greeting" and ehlo:
                st[0], st[1] = b"", "ehlo"
                s.send(b"EHLO scale.example\r\n")
                continue
            sel.unregister(s)
            del pending[s]
            held.append(s)
    for s in pending:
        s.close()
    errors += len(pending) + (want - started)
    print("held %d" % len(held), flush=True)
    if errors:
        print("scale_hold: %d session(s) not held" % errors, file=sys.stderr)
    # idle until stdin is closed (SIGTERM: the kernel closes them all)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    for s in held:
        s.close()
    return 0 if len(held) == want else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
