#!/usr/bin/python3
"""Interop test: the exit status of `postel send` on every path.

usage: send_exit.py POSTEL [README]

A scripted SMTP/LMTP server (Fake, a thread of this process) listens on
127.0.0.1 on an ephemeral port and plays one dialogue per case: each
command gets the reply the case names, or an action (close, reset, go
silent, send garbage). `postel send` runs under timeout(1) against it;
its exit status, its per-recipient lines on stdout ("RCPT <addr>: ...",
"DATA ...: ...", "RESULT <addr>: accepted|deferred|refused|unknown") and
what the server received are checked.

Every row of the exit-status table of README.md ("Exit statuses of
`postel send`") must have at least one case here with the same exit
status, and `postel send --help` must print every row: both are checked.
Nothing leaves the loopback interface; every process started here is
stopped here, by pid.
"""

import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop  # noqa: E402
from interop import check  # noqa: E402
from send import free_port, lf_message, self_signed  # noqa: E402

CASE_TIMEOUT = 30  # seconds: postel send, and the server's every wait
CAPS = ("PIPELINING", "8BITMIME", "SIZE 10000000", "ENHANCEDSTATUSCODES")
DEFAULTS = {
    "GREETING": "220 fake.example ESMTP",
    "HELO": "250 fake.example",
    "STARTTLS": "220 2.0.0 go ahead",
    "AUTH": "235 2.7.0 authenticated",
    "MAIL": "250 2.1.0 ok",
    "RCPT": "250 2.1.5 ok",
    "DATA": "354 go ahead",
    ".": "250 2.0.0 queued",
    "BDAT": "250 2.0.0 chunk ok",
    "BDAT LAST": "250 2.0.0 queued",
    "RSET": "250 2.0.0 ok",
    "NOOP": "250 2.0.0 ok",
    "QUIT": "221 2.0.0 bye",
}


class Fake:
    """One scripted dialogue. `script` maps a command ("GREETING",
    "EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
    "." for the end of DATA content, "BDAT", "BDAT LAST", "QUIT", ...)
    to what it gets: a reply, a list (one item per command of that verb,
    the last repeated), or a tuple (several replies in a row: LMTP final
    replies). Items starting with "!" are actions: !close, !reset (RST),
    !silent (answer nothing until the client leaves), !garbage (bytes
    that are no TLS record, then wait for the client to leave), !tls
    (the TLS handshake, with the certificate of TLS_CTX)."""

    TLS_CTX = None

    def __init__(self, script=None, caps=CAPS, lmtp=False, backlog=1):
        self.script = dict(script or {})
        self.caps = caps
        self.lmtp = lmtp
        self.count = {}
        self.got = []          # command lines received
        self.content = b""     # message content received
        self.rcpt_ok = 0       # recipients that got a 2yz
        self.tls = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.sock.settimeout(CASE_TIMEOUT)
        self.port = self.sock.getsockname()[1]
        self.conn = self.f = None
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reply_for(self, verb):
        n = self.count.get(verb, 0)
        self.count[verb] = n + 1
        r = self.script.get(verb)
        if r is None:
            if verb in ("EHLO", "LHLO"):
                caps = [c for c in self.caps
                        if not (self.tls and c == "STARTTLS")]
                return "\r\n".join(["250-fake.example"] +
                                   ["250-" + c for c in caps[:-1]] +
                                   ["250 " + caps[-1]])
            if verb == "." and self.lmtp:
                return tuple(["250 2.0.0 delivered"] * self.rcpt_ok)
            return DEFAULTS.get(verb, "500 5.5.1 unknown command")
        if isinstance(r, list):
            r = r[min(n, len(r) - 1)]
        return r

    def play(self, r):
        """Send a reply (or several, or do an action); False: the
        dialogue is over."""
        for item in (r if isinstance(r, tuple) else (r,)):
            if item == "!close":
                self.hangup()
                return False
            if item == "!tls":
                self.conn = self.TLS_CTX.wrap_socket(self.conn,
                                                     server_side=True)
                self.f = self.conn.makefile("rb")
                self.tls = True
                continue
            if item == "!reset":
                self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
                self.hangup()
                return False
            if item in ("!silent", "!garbage"):
                if item == "!garbage":
                    self.conn.sendall(b"garbage, not a TLS record\r\n")
                try:
                    while self.conn.recv(4096):
                        pass
                except OSError:
                    pass
                self.hangup()
                return False
            self.conn.sendall(item.encode() + b"\r\n")
            if item[:1] == "2" and self.verb == "RCPT":
                self.rcpt_ok += 1
        return True

    def serve(self):
        try:
            self.conn, _ = self.sock.accept()
        except OSError:
            return
        self.conn.settimeout(CASE_TIMEOUT)
        self.f = self.conn.makefile("rb")
        self.verb = "GREETING"
        try:
            if not self.play(self.reply_for("GREETING")):
                return
            while True:
                line = self.f.readline()
                if not line:
                    break
                self.got.append(line.decode(errors="replace").rstrip())
                words = line.split()
                verb = words[0].decode(errors="replace").upper() \
                    if words else ""
                if verb == "BDAT" and len(words) >= 2:
                    self.content += self.f.read(int(words[1]))
                    if len(words) >= 3 and words[2].upper() == b"LAST":
                        verb = "BDAT LAST"
                self.verb = verb
                r = self.reply_for(verb)
                if not self.play(r):
                    return
                if verb == "DATA" and isinstance(r, str) and \
                        r.startswith("354"):
                    while True:
                        d = self.f.readline()
                        if not d or d == b".\r\n":
                            break
                        self.content += d
                    if not d:
                        break
                    self.verb = "."
                    if not self.play(self.reply_for(".")):
                        return
                if verb == "QUIT":
                    break
        except OSError:
            pass
        finally:
            self.hangup()

    def hangup(self):
        """Close the connection (the file object holds it open too)."""
        for x in (self.f, self.conn):
            if x is None:
                continue
            try:
                x.close()
            except OSError:
                pass

    def stop(self):
        self.thread.join(CASE_TIMEOUT + 10)
        check(not self.thread.is_alive(), "fake server: dialogue over")
        self.sock.close()

    def verbs(self):
        return [g.split()[0].upper() for g in self.got if g.split()]


def run_send(postel, args, msg):
    """postel send under timeout(1), stopped by pid if it outlives it:
    (exit status, stdout, stderr)."""
    cmd = ["timeout", "-k", "5", str(CASE_TIMEOUT), postel, "send"] + args
    print("run  " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(msg, timeout=CASE_TIMEOUT + 15)
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    return (p.returncode, out.decode(errors="replace"),
            err.decode(errors="replace"))


# ---------------------------------------------------------------- cases

A, B, C = "a@example.net", "b@example.net", "c@example.net"
MSG = lf_message("exit")[0]
BIG = lf_message("big", extra="".join(
    "%06d a line of a message larger than the output buffer\n" % i
    for i in range(4000)))[0]


def case(row, rc, name, script=None, to=(A,), opts=(), caps=CAPS,
         lmtp=False, results=None, out=(), no=(), msg=MSG, timeout=None,
         server=True, verbs=None):
    return dict(row=row, rc=rc, name=name, script=script, to=to, opts=opts,
                caps=caps, lmtp=lmtp, results=results, out=out, no=no,
                msg=msg, timeout=timeout, server=server, verbs=verbs)


TLS = CAPS + ("STARTTLS",)
AUTH = CAPS + ("AUTH PLAIN LOGIN",)
CHUNK = CAPS + ("CHUNKING",)
LHLO = ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES")
REQ = ("--starttls", "require")
U = ("--auth", "alice:s3cret")
NOPIPE = ("--no-pipelining",)


def rows_cases():
    R = {}  # row -> its cases

    def add(row, rc, name, script=None, **kw):
        R.setdefault(row, []).append(case(row, rc, name, script, **kw))

    ok = {A: "accepted"}
    tmp = {A: "deferred"}
    perm = {A: "refused"}

    row = "every recipient accepted"
    add(row, 0, "one recipient", results=ok, out=["RCPT <a@example.net>: 250",
                                                  "DATA: 250 2.0.0 queued"])
    add(row, 0, "two recipients, no pipelining", to=(A, B), opts=NOPIPE,
        results={A: "accepted", B: "accepted"})
    add(row, 0, "BDAT", caps=CHUNK, msg=BIG, results=ok, no=["DATA"])
    add(row, 0, "LMTP", lmtp=True, caps=LHLO, to=(A, B),
        results={A: "accepted", B: "accepted"},
        out=["DATA <a@example.net>: 250", "DATA <b@example.net>: 250"])

    add(row, 0, "over STARTTLS (require)", {"STARTTLS": ("220 go", "!tls")},
        caps=TLS, opts=REQ, results=ok,
        verbs=["EHLO", "STARTTLS", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"])

    row = "bad arguments"
    add(row, 64, "unknown option, no --to", server=False,
        opts=("--no-such-option",))
    row = "message cannot be read"
    add(row, 66, "no such file", server=False,
        opts=("/nonexistent/postel-send-exit/message",))

    row = "connection refused or connect timed out"
    add(row, 75, "closed port", server=False, results=tmp)
    add(row, 75, "connect timed out (full listen queue)", server="full",
        timeout=1, results=tmp)

    row = "greeting 421"
    add(row, 75, "421", {"GREETING": ("421 4.3.2 not now", "!close")},
        results=tmp, verbs=[])
    row = "greeting 554"
    add(row, 69, "554", {"GREETING": "554 5.3.2 no service"}, results=perm)

    row = "EHLO, HELO or LHLO 4yz"
    add(row, 75, "EHLO 451", {"EHLO": "451 4.3.0 try later"}, results=tmp,
        no=["MAIL"])
    add(row, 75, "EHLO 502, HELO 450", {"EHLO": "502 5.5.1 no EHLO",
                                        "HELO": "450 4.3.0 later"},
        results=tmp)
    add(row, 75, "LHLO 451", {"LHLO": "451 4.3.0 try later"}, lmtp=True,
        results=tmp)
    row = "EHLO, HELO or LHLO 5yz"
    add(row, 69, "EHLO 550", {"EHLO": "550 5.7.1 go away"}, results=perm)
    add(row, 69, "EHLO 500, HELO 501", {"EHLO": "500 5.5.1 what",
                                        "HELO": "501 5.5.4 no"},
        results=perm)
    add(row, 69, "LHLO 550", {"LHLO": "550 5.7.1 go away"}, lmtp=True,
        results=perm)

    row = "STARTTLS 4yz (--starttls require)"
    add(row, 75, "454", {"STARTTLS": "454 4.7.0 TLS not available due to "
                         "temporary reason"}, caps=TLS, opts=REQ,
        results=tmp, verbs=["EHLO", "STARTTLS", "QUIT"])
    add(row, 75, "454, no pipelining", {"STARTTLS": "454 4.7.0 later"},
        caps=TLS, opts=REQ + NOPIPE, to=(A, B),
        results={A: "deferred", B: "deferred"})
    row = "STARTTLS 5yz (--starttls require)"
    add(row, 69, "501", {"STARTTLS": "501 5.5.4 no"}, caps=TLS, opts=REQ,
        results=perm, verbs=["EHLO", "STARTTLS", "QUIT"])
    row = "STARTTLS not offered (--starttls require)"
    add(row, 75, "not offered", opts=REQ, results=tmp,
        verbs=["EHLO", "QUIT"])
    row = "STARTTLS 4yz or 5yz (opportunistic), then accepted"
    add(row, 0, "454", {"STARTTLS": "454 4.7.0 later"}, caps=TLS,
        results=ok, verbs=["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA",
                           "QUIT"])
    add(row, 0, "554", {"STARTTLS": "554 5.7.0 no"}, caps=TLS,
        results=ok)
    row = "TLS handshake failed"
    add(row, 75, "garbage after 220", {"STARTTLS": ("220 go", "!garbage")},
        caps=TLS, results=tmp)
    add(row, 75, "closed after 220", {"STARTTLS": ("220 go", "!close")},
        caps=TLS, opts=REQ, results=tmp)
    add(row, 75, "silent after 220", {"STARTTLS": ("220 go", "!silent")},
        caps=TLS, timeout=1, results=tmp)

    row = "AUTH 4yz"
    add(row, 75, "454", {"AUTH": "454 4.7.0 temporary authentication "
                         "failure"}, caps=AUTH, opts=U, results=tmp,
        no=["MAIL"])
    row = "AUTH 5yz, or no AUTH mechanism postel send knows"
    add(row, 69, "535", {"AUTH": "535 5.7.8 bad credentials"}, caps=AUTH,
        opts=U, results=perm, no=["MAIL"])
    add(row, 69, "only CRAM-MD5", caps=CAPS + ("AUTH CRAM-MD5",), opts=U,
        results=perm, no=["AUTH", "MAIL"])

    row = "MAIL 4yz"
    add(row, 75, "451", {"MAIL": "451 4.3.0 later"}, to=(A, B),
        results={A: "deferred", B: "deferred"})
    add(row, 75, "452, no pipelining", {"MAIL": "452 4.3.1 full"},
        opts=NOPIPE, results=tmp, no=["RCPT"])
    row = "MAIL 5yz"
    add(row, 69, "550", {"MAIL": "550 5.7.1 not you"}, to=(A, B),
        results={A: "refused", B: "refused"})
    row = "message refused before sending (SIZE, 8BITMIME, SMTPUTF8)"
    add(row, 69, "SIZE", caps=("PIPELINING", "SIZE 100"), results=perm,
        no=["MAIL"])
    add(row, 69, "8BITMIME", caps=("PIPELINING",), results=perm,
        msg=lf_message("8bit", extra="caf\xe9\n")[0], no=["MAIL"])

    row = "RCPT: every recipient 4yz"
    add(row, 75, "450 450", {"RCPT": "450 4.2.1 later",
                             "DATA": "554 5.5.1 no valid recipients"},
        to=(A, B), results={A: "deferred", B: "deferred"},
        out=["RCPT <a@example.net>: 450", "RCPT <b@example.net>: 450"])
    row = "RCPT: every recipient 5yz"
    add(row, 69, "550 550", {"RCPT": "550 5.1.1 no such user",
                             "DATA": "554 5.5.1 no valid recipients"},
        to=(A, B), results={A: "refused", B: "refused"})
    add(row, 69, "550, no pipelining", {"RCPT": "550 5.1.1 no such user"},
        opts=NOPIPE, results=perm, no=["DATA"])
    row = "RCPT: some 2yz, the others 5yz"
    add(row, 69, "250 550", {"RCPT": ["250 2.1.5 ok", "550 5.1.1 no"]},
        to=(A, B), results={A: "accepted", B: "refused"},
        out=["RCPT <a@example.net>: 250", "RCPT <b@example.net>: 550",
             "DATA: 250"])
    add(row, 69, "550 250, no pipelining", {"RCPT": ["550 5.1.1 no",
                                                     "250 2.1.5 ok"]},
        to=(A, B), opts=NOPIPE, results={A: "refused", B: "accepted"})
    add(row, 69, "250 550, then closed instead of 221",
        {"RCPT": ["250 2.1.5 ok", "550 5.1.1 no"], "QUIT": "!close"},
        to=(A, B), results={A: "accepted", B: "refused"})
    row = "RCPT: some 2yz, some 4yz"
    add(row, 75, "250 450", {"RCPT": ["250 2.1.5 ok", "450 4.2.1 later"]},
        to=(A, B), results={A: "accepted", B: "deferred"})
    row = "RCPT: some 4yz, some 5yz"
    add(row, 75, "450 550", {"RCPT": ["450 4.2.1 later", "550 5.1.1 no"],
                             "DATA": "554 5.5.1 no valid recipients"},
        to=(A, B), results={A: "deferred", B: "refused"})
    add(row, 75, "250 450 550", {"RCPT": ["250 2.1.5 ok", "450 4.2.1 later",
                                          "550 5.1.1 no"]},
        to=(A, B, C), results={A: "accepted", B: "deferred",
                               C: "refused"})

    row = "DATA 4yz"
    add(row, 75, "451", {"DATA": "451 4.3.0 later"}, to=(A, B),
        results={A: "deferred", B: "deferred"})
    row = "DATA 5yz"
    add(row, 69, "554", {"DATA": "554 5.3.4 no"}, to=(A, B),
        results={A: "refused", B: "refused"})
    row = "final reply (after the dot or BDAT LAST) 4yz"
    add(row, 75, "dot 451", {".": "451 4.3.0 later"}, to=(A, B),
        results={A: "deferred", B: "deferred"}, out=["DATA: 451"])
    add(row, 75, "dot 451 after 250 550", {"RCPT": ["250 ok", "550 no"],
                                           ".": "451 4.3.0 later"},
        to=(A, B), results={A: "deferred", B: "refused"})
    add(row, 75, "BDAT LAST 452", {"BDAT LAST": "452 4.3.1 full"},
        caps=CHUNK, results=tmp)
    row = "final reply (after the dot or BDAT LAST) 5yz"
    add(row, 69, "dot 554", {".": "554 5.6.0 no"}, results=perm)
    add(row, 69, "BDAT LAST 552", {"BDAT LAST": "552 5.3.4 too big"},
        caps=CHUNK, results=perm)
    row = "LMTP final replies: some 2yz, the others 5yz"
    add(row, 69, "250 550", {".": ("250 2.0.0 ok", "550 5.2.1 disabled")},
        lmtp=True, caps=LHLO, to=(A, B),
        results={A: "accepted", B: "refused"},
        out=["DATA <a@example.net>: 250", "DATA <b@example.net>: 550"])
    add(row, 69, "RCPT 550, final 250", {"RCPT": ["550 no", "250 ok"]},
        lmtp=True, caps=LHLO, to=(A, B),
        results={A: "refused", B: "accepted"},
        out=["DATA <b@example.net>: 250"], no=["DATA <a@"])
    row = "LMTP final replies: one or more 4yz"
    add(row, 75, "250 452", {".": ("250 2.0.0 ok", "452 4.2.2 full")},
        lmtp=True, caps=LHLO, to=(A, B),
        results={A: "accepted", B: "deferred"})
    add(row, 75, "452 550", {".": ("452 4.2.2 full", "550 5.2.1 no")},
        lmtp=True, caps=LHLO, to=(A, B),
        results={A: "deferred", B: "refused"})

    row = "421 before every final answer"
    for verb in ("EHLO", "MAIL", "RCPT", "DATA", "."):
        add(row, 75, "%s 421" % verb, {verb: ("421 4.3.2 closing",
                                              "!close")},
            to=(A, B), results={A: "deferred", B: "deferred"})
    add(row, 75, "STARTTLS 421 (opportunistic)",
        {"STARTTLS": ("421 4.3.2 closing", "!close")}, caps=TLS,
        results=tmp)
    add(row, 75, "AUTH 421", {"AUTH": ("421 4.3.2 closing", "!close")},
        caps=AUTH, opts=U, results=tmp)
    add(row, 75, "RCPT 250 421 550", {"RCPT": ["250 ok", "421 4.3.2 bye",
                                               "550 no"]},
        to=(A, B, C), results={A: "deferred", B: "deferred",
                               C: "deferred"})

    row = "connection closed or reset before every final answer"
    add(row, 75, "closed after the greeting", {"EHLO": "!close"},
        results=tmp)
    add(row, 75, "reset after RCPT", {"DATA": "!reset"}, to=(A, B),
        results={A: "deferred", B: "deferred"})
    add(row, 75, "reset after RCPT, no pipelining", {"RCPT": ["250 ok",
                                                              "!reset"]},
        to=(A, B), opts=NOPIPE, results={A: "deferred", B: "deferred"})
    add(row, 75, "closed after RCPT 550 250", {"RCPT": ["550 no", "250 ok"],
                                               "DATA": "!close"},
        to=(A, B), results={A: "refused", B: "deferred"})
    add(row, 75, "reset instead of the final reply", {".": "!reset"},
        results=tmp)
    add(row, 75, "reset instead of the BDAT LAST reply",
        {"BDAT LAST": "!reset"}, caps=CHUNK, msg=BIG, results=tmp)
    add(row, 75, "reset after 354, during the content",
        {"DATA": ("354 go ahead", "!reset")}, msg=BIG, results=tmp)
    add(row, 75, "reset during the content, over TLS",
        {"STARTTLS": ("220 go", "!tls"), "DATA": ("354 go ahead", "!reset")},
        caps=TLS, msg=BIG, results=tmp)
    add(row, 75, "LMTP closed after one final reply",
        {".": ("250 2.0.0 ok", "!close")}, lmtp=True, caps=LHLO,
        to=(A, B), results={A: "accepted", B: "deferred"})

    row = "timeout before every final answer"
    add(row, 75, "silent greeting", {"GREETING": "!silent"}, timeout=1,
        results=tmp)
    add(row, 75, "silent after RCPT", {"RCPT": "!silent"}, timeout=1,
        to=(A, B), results={A: "deferred", B: "deferred"})
    add(row, 75, "silent instead of the final reply", {".": "!silent"},
        timeout=1, results=tmp)
    add(row, 75, "silent after RCPT, over TLS",
        {"STARTTLS": ("220 go", "!tls"), "RCPT": "!silent"}, caps=TLS,
        timeout=1, results=tmp)
    add(row, 75, "LMTP silent after one final reply",
        {".": ("250 2.0.0 ok", "!silent")}, lmtp=True, caps=LHLO,
        timeout=1, to=(A, B), results={A: "accepted", B: "deferred"})

    row = "malformed reply before every final answer"
    add(row, 76, "greeting", {"GREETING": "hello there"},
        results={A: "unknown"})
    add(row, 76, "RCPT", {"RCPT": ["250 ok", "2x0 what"]}, to=(A, B),
        results={A: "unknown", B: "unknown"})
    add(row, 76, "MAIL 354", {"MAIL": "354 go ahead"}, results={A: "unknown"})
    add(row, 76, "LMTP second final reply",
        {".": ("250 2.0.0 ok", "25 short")}, lmtp=True, caps=LHLO,
        to=(A, B), results={A: "accepted", B: "unknown"})

    row = "every recipient accepted, then QUIT fails (421, closed, " \
        "timeout, malformed)"
    add(row, 0, "closed instead of 221", {"QUIT": "!close"}, results=ok)
    add(row, 0, "reset instead of 221", {"QUIT": "!reset"}, results=ok)
    add(row, 0, "silent instead of 221", {"QUIT": "!silent"}, timeout=1,
        results=ok)
    add(row, 0, "malformed 221", {"QUIT": "hello"}, results=ok)
    add(row, 0, "421 to QUIT", {"QUIT": "421 4.3.2 bye"}, results=ok)
    add(row, 0, "LMTP reset instead of 221", {"QUIT": "!reset"},
        lmtp=True, caps=LHLO, to=(A, B),
        results={A: "accepted", B: "accepted"})
    return R


def result_lines(out):
    return [ln for ln in out.splitlines() if ln.startswith("RESULT ")]


def run_case(postel, c):
    label = "%s: %s" % (c["row"], c["name"])
    srv = None
    held = []
    if c["server"] is True:
        srv = Fake(c["script"], caps=c["caps"], lmtp=c["lmtp"])
        port = srv.port
    elif c["server"] == "full":
        # a listen queue of 1 that one connection fills: the SYN of the
        # next one gets no answer, its connect times out
        lsn = socket.socket()
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(0)
        port = lsn.getsockname()[1]
        first = socket.create_connection(("127.0.0.1", port), timeout=5)
        held = [lsn, first]
    else:
        port = free_port()  # nothing listens there
    args = ["--server", "127.0.0.1:%d" % port, "--from",
            "sender@example.org"]
    if c["rc"] != 64:  # 64: the options given are the case
        for t in c["to"]:
            args += ["--to", t]
        if c["lmtp"]:
            args.append("--lmtp")
        args += ["--timeout", str(c["timeout"] or 20)]
    args += list(c["opts"])
    if c["rc"] not in (64, 66):  # 66: the last option is the FILE
        args.append("-")
    t0 = time.time()
    try:
        rc, out, err = run_send(postel, args, c["msg"])
    finally:
        if srv:
            srv.stop()
        for s in held:
            s.close()
    took = time.time() - t0
    ok = check(rc == c["rc"], "%s: exit %d (got %d)" % (label, c["rc"], rc))
    bound = (c["timeout"] or 0) * 4 + 10
    ok &= check(took < bound, "%s: done in %.1f s (< %d)" %
                (label, took, bound))
    if c["results"] is not None:
        exp = ["RESULT <%s>: %s" % (t, c["results"][t]) for t in c["to"]]
        ok &= check(result_lines(out) == exp, "%s: per-recipient results %s"
                    % (label, exp))
    else:
        ok &= check(result_lines(out) == [], "%s: no RESULT lines" % label)
    for s in c["out"]:
        ok &= check(re.search("^" + re.escape(s), out, re.M) is not None,
                    "%s: stdout has %r" % (label, s))
    for s in c["no"]:
        if srv and s.isupper():
            ok &= check(s not in srv.verbs(), "%s: no %s sent" % (label, s))
        else:
            ok &= check(s not in out, "%s: stdout has no %r" % (label, s))
    if srv and c["verbs"] is not None:
        ok &= check(srv.verbs() == c["verbs"], "%s: commands %s (got %s)" %
                    (label, c["verbs"], srv.verbs()))
    if not ok or os.environ.get("INTEROP_VERBOSE"):
        print("--- stdout\n%s--- stderr\n%s---" % (out, err))
        if srv:
            print("server got: %s" % srv.got)


def readme_rows(path):
    """The rows of the exit-status table in README.md: [(when, exit)]."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^#+ Exit statuses of `postel send`\n(.*?)(?=^#)", text,
                  re.M | re.S)
    if not check(m is not None, "README: section on postel send exits"):
        return []
    rows = []
    for ln in m.group(1).splitlines():
        cells = [x.strip() for x in ln.strip().strip("|").split("|")]
        if ln.startswith("|") and len(cells) >= 2 and \
                re.match(r"^\d+$", cells[1]):
            rows.append((cells[0], int(cells[1])))
    return rows


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    postel = argv[1]
    readme = argv[2] if len(argv) == 3 else \
        os.path.join(HERE, "..", "..", "README.md")
    R = rows_cases()

    # the table: README == --help == the cases here
    rows = readme_rows(readme)
    check(len(rows) == len(R), "README: %d rows (got %d)" %
          (len(R), len(rows)))
    for when, rc in rows:
        cs = R.get(when, [])
        check(cs != [], "README row %r has a case" % when)
        check(all(c["rc"] == rc for c in cs),
              "README row %r: exit %d in every case" % (when, rc))
    for when in R:
        check(any(w == when for w, _ in rows), "case row %r in README" %
              when)
    rc, out, err = run_send(postel, ["--help"], b"")
    check(rc == 0, "--help: exit 0 (got %d)" % rc)
    for when, code in rows:
        check(re.search(r"^ +%d +%s$" % (code, re.escape(when)), out, re.M)
              is not None, "--help: row %d %r" % (code, when))

    with tempfile.TemporaryDirectory(prefix="postel-send-exit-") as tmp:
        cert, key = self_signed(tmp)
        Fake.TLS_CTX = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        Fake.TLS_CTX.load_cert_chain(cert, key)
    for row in R:
        for c in R[row]:
            run_case(postel, c)
    return interop.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
