"""Real peers and checks for test/examples/run.sh (loopback only).

    peers.py freeport
    peers.py waitport PORT SECONDS
    peers.py send PORT FILE [--count N] [--parallel N] [--8bit]
    peers.py idle PORT SECONDS
    peers.py mute PORT SECONDS
    peers.py check DIR FILE[:COUNT]...

send: Python smtplib delivers FILE (CRLF line ends, ending in CRLF, so
that what the server stores must equal FILE byte for byte) N times in one
session, in each of --parallel concurrent sessions.
idle: connect, read the greeting, send nothing; the server must time out
with a 421 reply and close within SECONDS.
mute: a server that accepts connections and never says anything (not
even the greeting), for SECONDS.
check: the files in DIR (a Maildir's new/, or aiosmtpd_store's *.eml) are
exactly the given messages, COUNT times each, byte for byte.
"""
import hashlib
import os
import smtplib
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def freeport():
    with socket.socket() as s:
        s.bind((HOST, 0))
        print(s.getsockname()[1])


def waitport(port, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.05)
    print("nothing listens on port %d" % port, file=sys.stderr)
    return 1


def send(port, path, count=1, parallel=1, eightbit=False):
    with open(path, "rb") as f:
        msg = f.read()
    errors = []
    options = ["BODY=8BITMIME"] if eightbit else []

    def session():
        try:
            with smtplib.SMTP(HOST, port, local_hostname="localhost",
                              timeout=30) as c:
                for _ in range(count):
                    refused = c.sendmail("from@example.org",
                                         ["to@example.net"], msg,
                                         mail_options=options)
                    if refused:
                        errors.append("refused: %r" % refused)
        except Exception as e:  # report every failure, keep the others
            errors.append(repr(e))

    threads = [threading.Thread(target=session) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        print("smtplib: " + e, file=sys.stderr)
    return 1 if errors else 0


def idle(port, seconds):
    start = time.monotonic()
    with socket.create_connection((HOST, port), timeout=seconds) as s:
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            print("still open after %ss: %r" % (seconds, data),
                  file=sys.stderr)
            return 1
    lines = data.split(b"\r\n")
    if not lines[0].startswith(b"220 ") or not any(
            line.startswith(b"421 ") for line in lines[1:]):
        print("expected a greeting then 421, got %r" % data, file=sys.stderr)
        return 1
    print("421 after %.1fs" % (time.monotonic() - start))
    return 0


def mute(port, seconds):
    held = []
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, port))
        s.listen(16)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                held.append(s.accept()[0])
            except socket.timeout:
                break
    for c in held:
        c.close()
    return 0


def digest(data):
    return hashlib.sha256(data).hexdigest()


def check(directory, specs):
    want = {}
    names = {}
    for spec in specs:
        path, _, count = spec.partition(":")
        with open(path, "rb") as f:
            d = digest(f.read())
        want[d] = want.get(d, 0) + int(count or 1)
        names[d] = path
    got = {}
    files = sorted(f for f in os.listdir(directory) if not f.endswith(".tmp"))
    for name in files:
        with open(os.path.join(directory, name), "rb") as f:
            d = digest(f.read())
        got[d] = got.get(d, 0) + 1
    if got == want:
        print("%d messages, all as sent" % len(files))
        return 0
    for d in set(want) | set(got):
        print("%s: expected %d, stored %d" % (
            names.get(d, "unexpected content " + d[:16]), want.get(d, 0),
            got.get(d, 0)), file=sys.stderr)
    return 1


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "freeport":
        return freeport()
    if cmd == "waitport":
        return waitport(int(args[0]), float(args[1]))
    if cmd == "send":
        count = parallel = 1
        eightbit = "--8bit" in args
        if "--count" in args:
            count = int(args[args.index("--count") + 1])
        if "--parallel" in args:
            parallel = int(args[args.index("--parallel") + 1])
        return send(int(args[0]), args[1], count, parallel, eightbit)
    if cmd == "idle":
        return idle(int(args[0]), float(args[1]))
    if cmd == "mute":
        return mute(int(args[0]), float(args[1]))
    if cmd == "check":
        return check(args[0], args[1:])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
