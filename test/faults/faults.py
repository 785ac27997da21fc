#!/usr/bin/python3
"""Faults: clients that misbehave against `postel sink`.

usage: faults.py POSTEL CASE
  CASE: drop-command | drop-data | drop-tls | idle | long-line | churn |
        load

Each case starts `postel sink` on 127.0.0.1 (port 0) with a temporary
Maildir (and --timeout 2, so that silent clients are dropped quickly),
runs its misbehaving clients, checks after each kind of fault that the
sink is still up and answers, delivers a few good messages, stops the
sink by its pid (SIGTERM: exit status 0, nothing left in tmp/), then
counts: the messages stored must be exactly the messages that got a 250
(compared byte for byte, so none is partial), and the sink's peak memory
must stay bounded. Every client is bounded by socket timeouts; nothing
leaves the loopback interface.

The case `load` checks the load generator `postel load` the same way:
every message it counts as sent must be stored.

The helpers that start and read the sink come from test/interop/interop.py.
"""

import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "interop"))
import interop  # noqa: E402
from interop import check  # noqa: E402

TIMEOUT = 2          # --timeout given to the sink (seconds)
IO_TIMEOUT = 20      # every blocking socket operation here
MIB = 1 << 20


# ---------------------------------------------------------------- clients

class Client:
    """A blocking SMTP client on raw bytes."""

    def __init__(self, port, greet=True):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=IO_TIMEOUT)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply() if greet else None

    def reply(self):
        """One whole reply as [lines] ([] at EOF)."""
        try:
            return interop.reply(self.f)
        except (ConnectionError, socket.timeout, OSError):
            return []

    def code(self):
        r = self.reply()
        return int(r[-1][:3]) if r and r[-1][:3].isdigit() else None

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.code()

    def close(self, rst=False):
        if rst:  # abortive close: RST instead of FIN
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
        try:
            self.f.close()
        finally:
            self.s.close()

    def eof_within(self, seconds):
        """Seconds until the peer closed (reading and dropping what comes),
        or None when it did not within `seconds`."""
        t0 = time.monotonic()
        self.s.settimeout(seconds)
        try:
            while True:
                b = self.s.recv(65536)
                if not b:
                    return time.monotonic() - t0
        except socket.timeout:
            return None
        except OSError:
            return time.monotonic() - t0
        finally:
            self.s.settimeout(IO_TIMEOUT)


class Ledger:
    """The contents of messages that got a 250 to their end of data."""

    def __init__(self):
        self.acked = []
        self.n = 0

    def content(self, tag):
        self.n += 1
        return interop.message("%s-%d" % (tag, self.n))

    def ack(self, content):
        self.acked.append(content)


def transaction(c, content, ledger, bdat=False, pipelined=True):
    """MAIL, RCPT, content; the final reply code (ack'd in the ledger)."""
    if pipelined:
        c.send(b"MAIL FROM:<good@example.org>\r\n"
               b"RCPT TO:<rcpt@example.net>\r\n" +
               (b"" if bdat else b"DATA\r\n"))
        codes = [c.code(), c.code()] + ([] if bdat else [c.code()])
    else:
        codes = [c.cmd(b"MAIL FROM:<good@example.org>"),
                 c.cmd(b"RCPT TO:<rcpt@example.net>")]
        if not bdat:
            codes.append(c.cmd(b"DATA"))
    if codes != [250, 250] + ([] if bdat else [354]):
        return None
    if bdat:
        half = len(content) // 2
        c.send(b"BDAT %d\r\n" % half + content[:half])
        if c.code() != 250:
            return None
        c.send(b"BDAT %d LAST\r\n" % (len(content) - half) + content[half:])
    else:
        c.send(interop.stuff(content) + b".\r\n")
    code = c.code()
    if code == 250:
        ledger.ack(content)
    return code


def deliver(port, ledger, tag, n=2, **kw):
    """n good messages in one session; all must get 250."""
    c = Client(port)
    ok = c.cmd(b"EHLO good.example") == 250
    for _ in range(n):
        ok = transaction(c, ledger.content(tag), ledger, **kw) == 250 and ok
    ok = c.cmd(b"QUIT") == 221 and ok
    c.close()
    check(ok, "%s: %d good message(s) delivered and acknowledged" % (tag, n))


def alive(sink, what):
    """The sink process runs and answers a new session."""
    up = sink.proc.poll() is None
    if up:
        try:
            c = Client(sink.port)
            up = (c.greeting and c.greeting[0][:4] == b"220 " and
                  c.cmd(b"NOOP") == 250 and c.cmd(b"QUIT") == 221)
            c.close()
        except OSError:
            up = False
    check(up, "sink up and answering after %s" % what)


def status(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM), or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def finish(sink, ledger, label):
    """Stop the sink; stored == acknowledged, byte for byte."""
    sink.stop()
    stored = []
    for name, data in sink.messages():
        rp, rcv, content = interop.split_trace(data)
        check(rp is not None and rcv is not None,
              "%s: %s has its trace lines" % (label, name))
        stored.append(content)
    print("     %s: stored %d, acknowledged %d" %
          (label, len(stored), len(ledger.acked)))
    check(len(stored) == len(ledger.acked),
          "%s: as many messages stored (%d) as acknowledged with 250 (%d)"
          % (label, len(stored), len(ledger.acked)))
    check(sorted(stored) == sorted(ledger.acked),
          "%s: the stored messages are exactly the acknowledged ones, "
          "byte for byte (none partial)" % label)
    if interop.FAILS:
        print("---- the sink's log (end)\n" + sink.stderr()[-6000:])


# ---------------------------------------------------------------- cases

CASES = {}


def case(name, args=lambda tmp: ["--timeout", str(TIMEOUT)]):
    """A case: body(sink, ledger, tmp) runs against a fresh sink started
    with args(tmp); then finish() counts stored against acknowledged."""
    def wrap(body):
        def run(postel, tmp):
            sink = interop.Sink(postel, tmp, args(tmp), name)
            sink.postel = postel
            ledger = Ledger()
            try:
                body(sink, ledger, tmp)
            finally:
                finish(sink, ledger, name)
        CASES[name] = run
        return body
    return wrap


@case("drop-command")
def case_drop_command(sink, ledger, tmp):
    # 1. after EHLO, the rest of a transaction cut at every octet,
    # closed with FIN and with RST in turn
    rest = (b"MAIL FROM:<cut@example.org> SIZE=100\r\n"
            b"RCPT TO:<rcpt@example.net>\r\nDATA\r\n")
    for k in range(len(rest)):
        c = Client(sink.port)
        c.cmd(b"EHLO cut.example")
        c.send(rest[:k])
        c.close(rst=k % 2 == 1)
    alive(sink, "%d sessions cut inside a command" % len(rest))
    # 2. cut inside the greeting exchange itself, without reading it
    hello = b"EHLO cut.example\r\n"
    for k in range(len(hello)):
        c = Client(sink.port, greet=False)
        c.send(hello[:k])
        c.close(rst=k % 2 == 0)
    alive(sink, "sessions cut inside EHLO")
    # 3. a delivered message, then the next command cut; AUTH and
    # BDAT command lines cut too
    for k, tail in enumerate((b"MAIL FROM:<x@exa", b"RCPT TO:<y@",
                              b"BDAT 100", b"AUTH PLAIN AGJvYgBz",
                              b"RSET", b"QUIT")):
        c = Client(sink.port)
        c.cmd(b"EHLO cut.example")
        check(transaction(c, ledger.content("before-cut"), ledger)
              == 250, "message before a cut command acknowledged")
        c.send(tail)
        c.close(rst=k % 2 == 1)
    alive(sink, "cuts after a delivered message")
    deliver(sink.port, ledger, "after-command-cuts")


@case("drop-data")
def case_drop_data(sink, ledger, tmp):
    body = ledger.content("never-whole")
    data = interop.stuff(body) + b".\r\n"
    # DATA content cut anywhere, and just inside the end of data
    cuts = [0, 1, 2, 100, len(data) // 2, len(data) - 5, len(data) - 4,
            len(data) - 3, len(data) - 2, len(data) - 1]
    for i, k in enumerate(cuts):
        c = Client(sink.port)
        c.cmd(b"EHLO cut.example")
        c.send(b"MAIL FROM:<cut@example.org>\r\n"
               b"RCPT TO:<rcpt@example.net>\r\nDATA\r\n")
        codes = [c.code() for _ in range(3)]
        check(codes == [250, 250, 354], "cut DATA %d: 354" % k)
        c.send(data[:k])
        time.sleep(0.01)
        c.close(rst=i % 2 == 1)
    alive(sink, "sessions cut inside DATA content")
    # content that looks like an end but is not: LF.LF, CR.CR, LF.CRLF
    for fake in (b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n"):
        c = Client(sink.port)
        c.cmd(b"EHLO cut.example")
        c.send(b"MAIL FROM:<cut@example.org>\r\n"
               b"RCPT TO:<rcpt@example.net>\r\nDATA\r\n")
        [c.code() for _ in range(3)]
        c.send(b"Subject: fake end\r\n\r\nbody" + fake + b"more")
        time.sleep(0.05)
        c.close()
    alive(sink, "sessions cut after a false end of data")
    # the whole group and part of the content in one write (no wait
    # for 354), then cut
    c = Client(sink.port)
    c.cmd(b"EHLO cut.example")
    c.send(b"MAIL FROM:<cut@example.org>\r\nRCPT TO:<rcpt@example.net>"
           b"\r\nDATA\r\n" + data[:3000])
    time.sleep(0.05)
    c.close(rst=True)
    # BDAT: a chunk cut short; a whole chunk then no LAST; LAST cut
    content = ledger.content("bdat-never-whole")
    for k, how in enumerate(("short", "no-last", "last-short")):
        c = Client(sink.port)
        c.cmd(b"EHLO cut.example")
        c.cmd(b"MAIL FROM:<cut@example.org>")
        c.cmd(b"RCPT TO:<rcpt@example.net>")
        if how == "short":
            c.send(b"BDAT %d LAST\r\n" % len(content) + content[:-1])
        elif how == "no-last":
            c.send(b"BDAT %d\r\n" % len(content) + content)
            check(c.code() == 250, "BDAT chunk acknowledged (not final)")
        else:
            c.send(b"BDAT 100\r\n" + content[:100])
            c.code()
            c.send(b"BDAT %d LAST\r\n" % (len(content) - 100) +
                   content[100:-10])
        time.sleep(0.05)
        c.close(rst=k == 1)
    alive(sink, "sessions cut inside BDAT chunks")
    # a session with one whole message, then one cut
    c = Client(sink.port)
    c.cmd(b"EHLO cut.example")
    check(transaction(c, ledger.content("whole"), ledger) == 250,
          "first message of a session acknowledged")
    check(transaction(c, ledger.content("whole-bdat"), ledger,
                      bdat=True) == 250,
          "second message (BDAT) acknowledged")
    c.send(b"MAIL FROM:<cut@example.org>\r\nRCPT TO:<rcpt@example.net>"
           b"\r\nDATA\r\n")
    [c.code() for _ in range(3)]
    c.send(data[:-3])
    c.close()
    alive(sink, "a cut after delivered messages")
    deliver(sink.port, ledger, "after-data-cuts")
    deliver(sink.port, ledger, "after-data-cuts-bdat", bdat=True)


def client_hello():
    """The first flight of a TLS client (ClientHello), from a memory BIO."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def tls_client(port):
    """A session upgraded with STARTTLS (certificate not verified)."""
    c = Client(port)
    c.cmd(b"EHLO tls.example")
    check(c.cmd(b"STARTTLS") == 220, "STARTTLS: 220")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c.f.close()
    c.s = ctx.wrap_socket(c.s, server_hostname="localhost")
    c.f = c.s.makefile("rb")
    c.cmd(b"EHLO tls.example")
    return c


def tls_args(tmp):
    """A self-signed certificate made with openssl at test time."""
    cert, key = interop.make_cert(tmp)
    return ["--timeout", str(TIMEOUT), "--tls-cert", cert, "--tls-key", key]


@case("drop-tls", tls_args)
def case_drop_tls(sink, ledger, tmp):
    hello = client_hello()
    # 1. after the 220 to STARTTLS: nothing, part of the ClientHello,
    # all of it then away before the server's flight is read, garbage
    for k, what in enumerate(("nothing", "half", "whole", "garbage")):
        for rst in (False, True):
            c = Client(sink.port)
            c.cmd(b"EHLO tls.example")
            check(c.cmd(b"STARTTLS") == 220, "STARTTLS %s: 220" % what)
            if what == "half":
                c.send(hello[:len(hello) // 2])
            elif what == "whole":
                c.send(hello)
                c.s.recv(100)  # part of the server's flight
            elif what == "garbage":
                c.send(b"EHLO not-tls.example\r\n" * 10)
                c.eof_within(10)
            c.close(rst=rst)
    alive(sink, "sessions dropped mid-handshake")
    # 2. silent in the middle of the handshake: dropped at the timeout
    c = Client(sink.port)
    c.cmd(b"EHLO tls.example")
    c.cmd(b"STARTTLS")
    c.send(hello[:20])
    t = c.eof_within(TIMEOUT + 15)
    check(t is not None, "a client silent mid-handshake is dropped "
          "(after %s s)" % (None if t is None else "%.1f" % t))
    c.close()
    # 3. inside TLS: content cut; a whole message then a cut
    c = tls_client(sink.port)
    c.send(b"MAIL FROM:<cut@example.org>\r\nRCPT TO:<rcpt@example.net>"
           b"\r\nDATA\r\n")
    [c.code() for _ in range(3)]
    c.send(interop.stuff(ledger.content("tls-cut"))[:2000])
    time.sleep(0.05)
    c.close(rst=True)  # no close_notify
    c = tls_client(sink.port)
    check(transaction(c, ledger.content("tls-whole"), ledger) == 250,
          "message over TLS acknowledged")
    c.send(b"MAIL FROM:<cut@exa")
    c.close()
    alive(sink, "sessions dropped inside TLS")
    c = tls_client(sink.port)
    check(transaction(c, ledger.content("tls-good"), ledger) == 250,
          "good message over TLS acknowledged")
    c.cmd(b"QUIT")
    c.close()
    deliver(sink.port, ledger, "after-tls-drops")


@case("idle")
def case_idle(sink, ledger, tmp):
    slack = TIMEOUT + 10
    setups = {
        "says nothing": lambda c: None,
        "silent after EHLO": lambda c: c.cmd(b"EHLO idle.example"),
        "half a command": lambda c: c.send(b"MAIL FROM:<idle@exa"),
    }
    for what, setup in setups.items():
        c = Client(sink.port)
        setup(c)
        t0 = time.monotonic()
        r = c.reply()
        t = c.eof_within(slack)
        check(r and r[0][:4] == b"421 " and t is not None and
              time.monotonic() - t0 < slack,
              "idle client (%s): 421, closed after %.1f s" %
              (what, time.monotonic() - t0))
        c.close()
    # silent in the middle of DATA: closed, nothing stored
    c = Client(sink.port)
    c.cmd(b"EHLO idle.example")
    c.send(b"MAIL FROM:<idle@example.org>\r\nRCPT TO:<rcpt@example.net>"
           b"\r\nDATA\r\n")
    [c.code() for _ in range(3)]
    c.send(interop.stuff(ledger.content("idle-data"))[:4000])
    t = c.eof_within(slack)
    check(t is not None, "client silent mid-DATA dropped")
    c.close()
    # many silent at once, and a good message meanwhile
    many = [Client(sink.port) for _ in range(200)]
    deliver(sink.port, ledger, "while-200-idle")
    t0 = time.monotonic()
    dropped = sum(1 for c in many if c.eof_within(
        max(0.1, slack - (time.monotonic() - t0))) is not None)
    check(dropped == len(many), "200 idle clients all dropped within "
          "%d s (%d)" % (slack, dropped))
    for c in many:
        c.close()
    alive(sink, "idle clients")
    check(len(re.findall(r"timeout", sink.stderr())) >= 204,
          "the sink logged each timeout")
    deliver(sink.port, ledger, "after-idle")


def blast(c, n, chunk=b"x" * MIB):
    """Write n octets of `chunk` repeated; returns octets the sink took
    before it closed (or all)."""
    sent = 0
    try:
        while sent < n:
            c.s.sendall(chunk[:min(len(chunk), n - sent)])
            sent += min(len(chunk), n - sent)
    except OSError:
        pass
    return sent


@case("long-line", lambda tmp: ["--timeout", "20"])
def case_long_line(sink, ledger, tmp):
    total = 100 * MIB
    base = status(sink.proc.pid, "VmHWM")
    for where in ("greeting", "command", "data"):
        c = Client(sink.port)
        if where != "greeting":
            c.cmd(b"EHLO long.example")
        if where == "data":
            c.send(b"MAIL FROM:<long@example.org>\r\n"
                   b"RCPT TO:<rcpt@example.net>\r\nDATA\r\n")
            [c.code() for _ in range(3)]
        replies = []  # the first line of each reply

        def read_all(c=c, replies=replies):
            for r in iter(c.reply, []):
                replies.append(r[0])
        reader = threading.Thread(target=read_all)
        reader.start()
        t0 = time.monotonic()
        sent = blast(c, total)
        try:
            if where == "data":
                c.send(b"\r\n.\r\nQUIT\r\n")
            else:
                c.send(b"\r\nNOOP\r\nQUIT\r\n")
        except OSError:
            pass
        reader.join(IO_TIMEOUT + 40)
        codes = [int(r[:3]) for r in replies if r[:3].isdigit()]
        print("     %s: %d MiB sent in %.1f s, replies %s" %
              (where, sent // MIB, time.monotonic() - t0, codes))
        check(not reader.is_alive(), "%s: the session ended" % where)
        if where == "data":
            # whatever the verdict, it is counted: a 250 means stored
            if codes[:1] == [250]:
                ledger.ack(b"x" * total + b"\r\n")
            check(250 not in codes[:1] or sent == total,
                  "data: a 250 only for the whole content")
        else:
            check(codes[:1] == [500] or (codes == [] and sent < total),
                  "%s: 500 (line too long) or the connection closed "
                  "(codes %s)" % (where, codes[:3]))
        c.close()
        hwm = status(sink.proc.pid, "VmHWM")
        check(hwm - base < 16 * 1024,
              "%s: 100 MiB without a newline never buffered (peak RSS "
              "grew by %d KiB)" % (where, hwm - base))
        alive(sink, "100 MiB without a newline (%s)" % where)
    deliver(sink.port, ledger, "after-long-lines")


@case("churn")
def case_churn(sink, ledger, tmp):
    n, batch = 10000, 100
    pid = sink.proc.pid
    base_fds = open_fds(pid)
    t0 = time.monotonic()
    failed = 0
    for b in range(n // batch):
        socks = []
        for i in range(batch):
            try:
                socks.append(socket.create_connection(
                    ("127.0.0.1", sink.port), timeout=IO_TIMEOUT))
            except OSError:
                failed += 1
        for i, s in enumerate(socks):
            kind = (b * batch + i) % 4
            try:
                if kind == 1:    # read the greeting, then FIN
                    s.recv(512)
                elif kind == 2:  # half a command, then RST
                    s.sendall(b"EHLO churn.example\r\nMAIL FR")
                if kind in (2, 3):
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
            except OSError:
                pass
            s.close()
        if b % 20 == 19:
            deliver(sink.port, ledger, "churn-%d" % b, n=1)
    check(failed == 0, "%d connections opened and closed (%d refused)"
          % (n, failed))
    print("     %d connections in %.1f s" % (n, time.monotonic() - t0))
    # every session is freed: the sink's descriptors come back
    deadline = time.monotonic() + 15
    while open_fds(pid) > base_fds and time.monotonic() < deadline:
        time.sleep(0.2)
    check(open_fds(pid) <= base_fds, "sink descriptors back to %d "
          "after the churn (now %d)" % (base_fds, open_fds(pid)))
    alive(sink, "10,000 connections opened and closed")
    check(len(re.findall(r"\bconnect from\b", sink.stderr())) >= n,
          "the sink saw every connection")
    deliver(sink.port, ledger, "after-churn")




# ---------------------------------------------------------------- postel load

def load_content(size):
    """The content `postel load --size SIZE` sends (tools/cmd_load.c
    make_message): a header, then lines of at most 76 octets of a
    62-letter alphabet indexed by offset, CRLF ends, `size` octets."""
    hdr = (b"From: <load@example.org>\r\nTo: <sink@example.net>\r\n"
           b"Subject: postel load\r\nMessage-ID: <load@postel.example>\r\n"
           b"\r\n")
    abc = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    size = max(size, len(hdr) + 2)
    out = bytearray(hdr)
    while len(out) < size:
        left = size - len(out)
        line = left - 2
        if left > 78:
            line = 75 if left - 78 < 2 else 76
        o = len(out)
        out += bytes(abc[(o + i) % len(abc)] for i in range(line)) + b"\r\n"
    return bytes(out)


def run_load(postel, port, args, label, expect_rc=0):
    """`postel load` under timeout(1); its load.* figures as a dict."""
    cmd = ["timeout", "-k", "5", "120", postel, "load", "--server",
           "127.0.0.1:%d" % port] + args
    print("run  " + " ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL)
    figs = {}
    for line in p.stdout.decode().splitlines():
        m = re.match(r"^load\.(\w+)=([0-9.]+) ", line)
        if m:
            figs[m.group(1)] = float(m.group(2))
    ok = check(p.returncode == expect_rc, "%s: exit status %d (got %d)" %
               (label, expect_rc, p.returncode))
    if not ok:
        print(p.stdout.decode() + p.stderr.decode())
    return figs


@case("load")
def case_load(sink, ledger, tmp):
    """`postel load` itself: every message it counts as sent is stored,
    in each mode; errors are counted; it never leaves loopback."""
    postel = sink.postel
    for args, n, sessions, size in (
            (["--reuse", "--pipelining"], 40, 5, 3000),
            (["--new-connection"], 12, 4, 1000),
            (["--no-pipelining"], 9, 3, 20000),
            (["--chunking"], 6, 2, 70000),  # BDAT in several chunks
            (["--new-connection", "--no-pipelining"], 3, 3, 100)):
        label = "load %s" % " ".join(args)
        f = run_load(postel, sink.port, args + [
            "--sessions", str(sessions), "--messages", str(n), "--size",
            str(size), "--seconds", "60"], label)
        check(f.get("ok") == n and f.get("errors") == 0 and
              f.get("failed") == 0 and f.get("unfinished") == 0,
              "%s: %d messages sent, no errors (%s)" % (label, n, f))
        conns = n if "--new-connection" in args else sessions
        check(f.get("connections") == conns, "%s: %d connections" %
              (label, conns))
        check(0 < f.get("latency_p50", 0) <= f.get("latency_max", 0),
              "%s: latency percentiles" % label)
        for _ in range(int(f.get("ok", 0))):
            ledger.ack(load_content(size))
    # refusals before any connection
    for bad in ("192.0.2.1:25", "[2001:db8::1]:25", "10.0.0.1"):
        p = subprocess.run(["timeout", "10", postel, "load", "--server", bad],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(p.returncode == 64 and b"loopback" in p.stderr,
              "load refuses the non-loopback server %s" % bad)
    # errors are counted: nobody listens
    import send  # test/interop/send.py: free_port, smtp_sink
    port = send.free_port()
    f = run_load(postel, port, ["--sessions", "2", "--messages", "4"],
                 "load against a closed port", expect_rc=75)
    check(f.get("ok") == 0 and f.get("failed") == 4 and
          f.get("errors_connect") == 4, "connect errors counted (%s)" % f)
    # bounded in time: a server that never answers
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)
    t0 = time.monotonic()
    f = run_load(postel, mute.getsockname()[1],
                 ["--sessions", "2", "--messages", "4", "--seconds", "2"],
                 "load against a silent server", expect_rc=75)
    mute.close()
    check(time.monotonic() - t0 < 10 and f.get("unfinished") == 4,
          "--seconds bounds the run (%.1f s, %s)" %
          (time.monotonic() - t0, f))
    # Postfix smtp-sink (it ends its EHLO reply with an empty "250 "
    # line: a violation tolerated and counted, not an error)
    srv, out = send.smtp_sink(tmp, "load-smtp-sink")
    try:
        f = run_load(postel, srv.port, ["--sessions", "3", "--messages",
                                        "12", "--size", "5000"],
                     "load against smtp-sink")
    finally:
        srv.stop()
    dumped = send.stored_sink(out)
    check(f.get("ok") == 12 and f.get("errors") == 0 and len(dumped) == 12,
          "smtp-sink took the 12 messages postel load counts (%d dumped, %s)"
          % (len(dumped), f))
    check(f.get("violations", 0) >= 1, "smtp-sink's EHLO violation counted")
    alive(sink, "postel load")


def main(argv):
    if len(argv) != 3 or argv[2] not in CASES:
        print(__doc__)
        return 2
    postel, case = os.path.abspath(argv[1]), argv[2]
    interop.prereq.check("faults-" + case)
    tmp = tempfile.mkdtemp(prefix="postel-faults-")
    try:
        CASES[case](postel, tmp)
    except Exception as e:  # report, then fail
        import traceback
        traceback.print_exc()
        check(False, "%s: %s" % (case, e))
    if interop.FAILS:
        print("%d check(s) failed; the sink's log and Maildir are kept in "
              "%s" % (len(interop.FAILS), tmp))
        return 1
    shutil.rmtree(tmp)
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
