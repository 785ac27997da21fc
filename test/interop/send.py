#!/usr/bin/python3
"""Interop tests: `postel send` delivers to real servers.

usage: send.py POSTEL PEER
  PEER: aiosmtpd | aiosmtpd-starttls | aiosmtpd-auth | aiosmtpd-lmtp |
        smtp-sink | smtp-sink-lmtp | postel-sink

Each test starts the server on 127.0.0.1 (aiosmtpd on port 0, it prints
the port it got; Postfix smtp-sink on a free port found just before),
with a self-signed certificate made by openssl(1) where needed, runs
`postel send` under timeout(1) against it, stops the server by its pid,
and checks what the server stored byte for byte: aiosmtpd hands over the
unstuffed content (CRLF line ends), smtp-sink dumps it with LF line ends,
`postel sink` stores it in a Maildir after its trace lines. The exit
status of `postel send` and the lines it prints are checked too. Nothing
leaves the loopback interface; every process started here is stopped
here, by pid.

Internal: `send.py --server aiosmtpd OUTDIR [--lmtp] [--tls CERT KEY]
[--auth USER:PASS] [--login-only] [--utf8]` is the aiosmtpd server, run
as a child process.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop  # noqa: E402  (check, run_peer, message, show_diff)

from interop import check, message, show_diff  # noqa: E402

PYTHON = "/usr/bin/python3"
SMTP_SINK = "/usr/sbin/smtp-sink"


# ---------------------------------------------------------------- aiosmtpd

def aiosmtpd_server(args):
    """The aiosmtpd child: stores each message as OUTDIR/N.msg (content)
    and OUTDIR/N.env (envelope), prints the port, exits 0 on SIGTERM."""
    import asyncio
    import ssl
    from aiosmtpd.smtp import SMTP, AuthResult
    from aiosmtpd.lmtp import LMTP

    outdir = args[0]
    opts = args[1:]
    lmtp = "--lmtp" in opts
    tls = None
    creds = None
    if "--tls" in opts:
        i = opts.index("--tls")
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(opts[i + 1], opts[i + 2])
    if "--auth" in opts:
        creds = opts[opts.index("--auth") + 1].encode()
    count = [0]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address,
                              rcpt_options):
            if address.startswith("nobody@"):
                return "550 5.1.1 <%s>: no such user" % address
            if address.startswith("later@"):
                return "450 4.2.1 <%s>: try later" % address
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.append(rcpt_options)
            return "250 2.1.5 Ok"

        async def handle_DATA(self, server, session, envelope):
            n = count[0]
            count[0] += 1
            with open(os.path.join(outdir, "%d.msg" % n), "wb") as f:
                f.write(envelope.original_content)
            with open(os.path.join(outdir, "%d.env" % n), "w") as f:
                f.write("from %s\n" % envelope.mail_from)
                f.write("options %s\n" % " ".join(envelope.mail_options))
                for r in envelope.rcpt_tos:
                    f.write("rcpt %s\n" % r)
                f.write("tls %s\n" % ("yes" if session.ssl else "no"))
                f.write("auth %s\n" % ("yes" if session.authenticated
                                       else "no"))
            if lmtp:
                return "\r\n".join(
                    "452 4.2.2 <%s> mailbox full" % r
                    if r.startswith("full@") else
                    "250 2.0.0 <%s> delivered" % r
                    for r in envelope.rcpt_tos)
            return "250 2.0.0 Ok: queued as %d" % n

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (creds is not None and
              auth_data.login + b":" + auth_data.password == creds)
        return AuthResult(success=ok, handled=False)

    kw = dict(decode_data=False, enable_SMTPUTF8="--utf8" in opts,
              hostname="aiosmtpd.example", timeout=30)
    if tls is not None:
        kw.update(tls_context=tls, require_starttls=True)
    if creds is not None:
        kw.update(authenticator=authenticator, auth_require_tls=False)
        if "--login-only" in opts:
            kw.update(auth_exclude_mechanism=["PLAIN"])
    cls = LMTP if lmtp else SMTP

    async def main():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        srv = await loop.create_server(lambda: cls(Handler(), **kw),
                                       "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        print("listening on 127.0.0.1:%d" % port, flush=True)
        await stop
        srv.close()
        await srv.wait_closed()

    asyncio.run(main())
    return 0


# ---------------------------------------------------------------- servers

class SinkProcess:
    """Postfix smtp-sink on a known port (it prints nothing when ready),
    stopped by its pid."""

    def __init__(self, cmd, tmp, name, port):
        self.log = os.path.join(tmp, name + ".log")
        self.errf = open(self.log, "wb")
        print("run  " + " ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdout=self.errf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.port = port
        wait_port(port)
        print("server pid %d port %d" % (self.proc.pid, self.port))

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.errf.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def aiosmtpd(tmp, name, *opts):
    out = os.path.join(tmp, name)
    os.mkdir(out)
    cmd = [PYTHON, os.path.abspath(__file__), "--server", "aiosmtpd",
           out] + list(opts)
    # interop.Sink reads the port it prints and stops it by pid (exit 0)
    return interop.Sink(None, tmp, name=name, cmd=cmd), out


def smtp_sink(tmp, name, *opts):
    """Postfix smtp-sink dumping each transaction into DIR."""
    out = os.path.join(tmp, name)
    os.mkdir(out)
    os.chmod(out, 0o777)
    os.chmod(tmp, 0o755)
    port = free_port()
    cmd = [SMTP_SINK]
    if os.geteuid() == 0:
        cmd += ["-u", "nobody"]
    cmd += list(opts) + ["-d", out + "/%Y%m%d%H%M%S.",
                         "127.0.0.1:%d" % port, "10"]
    return SinkProcess(cmd, tmp, name, port), out


def self_signed(tmp, san="IP:127.0.0.1"):
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost",
                    # clients that check the name connect to 127.0.0.1
                    "-addext", "subjectAltName=" + san],
                   check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


# ---------------------------------------------------------------- checks

def send(postel, port, args, msg, label, expect_rc=0):
    cmd = [postel, "send", "--server", "127.0.0.1:%d" % port,
           "--timeout", "20"] + args + ["-"]
    rc, out = interop.run_peer(cmd, label, input_bytes=msg,
                               expect_rc=expect_rc)
    return out


def lf_message(tag, extra=""):
    """The message as a file with LF line ends (postel send makes them
    CRLF) and the CRLF bytes the server must get."""
    crlf = message(tag, extra)
    return crlf.replace(b"\r\n", b"\n"), crlf


def stored_aiosmtpd(out):
    msgs = []
    for n in range(100):
        p = os.path.join(out, "%d.msg" % n)
        if not os.path.exists(p):
            break
        with open(p, "rb") as f:
            content = f.read()
        with open(os.path.join(out, "%d.env" % n)) as f:
            env = f.read()
        msgs.append((content, env))
    return msgs


def check_one(msgs, content, label):
    check(len(msgs) == 1, "%s: 1 message stored (got %d)" %
          (label, len(msgs)))
    if msgs:
        ok = check(msgs[0][0] == content,
                   "%s: content byte for byte (%d bytes)" %
                   (label, len(content)))
        if not ok:
            show_diff(content, msgs[0][0])
        return msgs[0][1]
    return ""


def stored_sink(out):
    """smtp-sink dump files: (smtp-sink headers, content with LF ends)."""
    msgs = []
    for n in sorted(os.listdir(out)):
        with open(os.path.join(out, n), "rb") as f:
            data = f.read()
        # its headers end with the three-line Received: header
        m = re.search(rb"Received: [^\n]*\n\t[^\n]*\n\t[^\n]*\n", data)
        if not m:
            msgs.append((data, b""))
            continue
        msgs.append((data[m.end():], data[:m.end()]))
    return msgs


# ---------------------------------------------------------------- cases

def case_aiosmtpd(postel, tmp):
    srv, out = aiosmtpd(tmp, "aiosmtpd")
    try:
        raw, crlf = lf_message("aiosmtpd")
        o = send(postel, srv.port, ["--from", "sender@example.org",
                                    "--to", "rcpt@example.net",
                                    "--to", "other@example.net",
                                    "--starttls", "never"], raw,
                 "aiosmtpd plain")
        check("RCPT <rcpt@example.net>: 250" in o, "aiosmtpd: RCPT line")
        check("DATA: 250 2.0.0 Ok: queued as 0" in o,
              "aiosmtpd: final reply printed")
        # one recipient refused: exit 69, the other still gets it
        raw2, crlf2 = lf_message("refused")
        o = send(postel, srv.port, ["--from", "sender@example.org",
                                    "--to", "nobody@example.net",
                                    "--to", "rcpt@example.net"], raw2,
                 "aiosmtpd one recipient refused", expect_rc=69)
        check("RCPT <nobody@example.net>: 550 5.1.1" in o,
              "aiosmtpd: refused recipient printed")
        # 4xx: exit 75
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "later@example.net"], raw2,
             "aiosmtpd temporary failure", expect_rc=75)
        # 8-bit content: BODY=8BITMIME
        raw3, crlf3 = lf_message("8bit", extra="caf\xe9 cr\xe8me\n")
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net"], raw3,
             "aiosmtpd 8bit")
        # 2 MB through the engine's 64 KiB output buffer
        raw4, crlf4 = lf_message("big", extra="".join(
            ".%05d a line that starts with a dot\n" % i
            for i in range(50000)))
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net"], raw4,
             "aiosmtpd 2 MB")
    finally:
        srv.stop()
    msgs = stored_aiosmtpd(out)
    check(len(msgs) == 4, "aiosmtpd: 4 messages stored (got %d)" % len(msgs))
    if len(msgs) == 4:
        for i, (exp, what) in enumerate([(crlf, "plain"), (crlf2, "refused"),
                                         (crlf3, "8bit"), (crlf4, "big")]):
            ok = check(msgs[i][0] == exp, "aiosmtpd %s: content byte for "
                       "byte (%d bytes)" % (what, len(exp)))
            if not ok:
                show_diff(exp, msgs[i][0])
        env = msgs[0][1]
        check("from sender@example.org\n" in env, "aiosmtpd: MAIL FROM")
        check("rcpt rcpt@example.net\nrcpt other@example.net\n" in env,
              "aiosmtpd: both recipients")
        check(re.search(r"options .*SIZE=%d\b" % len(crlf), env) is not None,
              "aiosmtpd: SIZE=%d declared" % len(crlf))
        check("rcpt nobody" not in msgs[1][1], "aiosmtpd: refused not kept")
        check("BODY=8BITMIME" in msgs[2][1], "aiosmtpd: BODY=8BITMIME")
    # SMTPUTF8
    srv, out = aiosmtpd(tmp, "aiosmtpd-utf8", "--utf8")
    try:
        raw, crlf = lf_message("utf8", extra="Gr\xfc\xdfe\n")
        send(postel, srv.port, ["--from", "j\xf6rg@ex\xe4mple.org",
                                "--to", "\xfcn\xef@ex\xe4mple.net"], raw,
             "aiosmtpd SMTPUTF8")
    finally:
        srv.stop()
    env = check_one(stored_aiosmtpd(out), crlf, "aiosmtpd SMTPUTF8")
    check("SMTPUTF8" in env, "aiosmtpd: MAIL ... SMTPUTF8")
    check("from j\xf6rg@ex\xe4mple.org" in env, "aiosmtpd: UTF-8 sender")


def case_aiosmtpd_starttls(postel, tmp):
    cert, key = self_signed(tmp)
    srv, out = aiosmtpd(tmp, "aiosmtpd-tls", "--tls", cert, key,
                        "--auth", "alice:s3cret")
    try:
        raw, crlf = lf_message("starttls")
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "require",
                                "--auth", "alice:s3cret"], raw,
             "aiosmtpd STARTTLS require + AUTH")
        # the server requires STARTTLS: without it, MAIL gets 530
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "never"], raw,
             "aiosmtpd without STARTTLS refused", expect_rc=69)
        # certificate verification against the self-signed certificate
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "require",
                                "--tls-ca", cert], raw,
             "aiosmtpd STARTTLS verified with --tls-ca")
        # verification against the system store fails: temporary
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "require", "--tls-verify"],
             raw, "aiosmtpd STARTTLS unverifiable certificate",
             expect_rc=75)
    finally:
        srv.stop()
    msgs = stored_aiosmtpd(out)
    check(len(msgs) == 2, "aiosmtpd STARTTLS: 2 messages (got %d)" %
          len(msgs))
    for i, (content, env) in enumerate(msgs):
        ok = check(content == crlf, "aiosmtpd STARTTLS #%d: content byte "
                   "for byte" % i)
        if not ok:
            show_diff(crlf, content)
        check("tls yes" in env, "aiosmtpd STARTTLS #%d: over TLS" % i)
    if msgs:
        check("auth yes" in msgs[0][1], "aiosmtpd STARTTLS: authenticated")
    # a server without STARTTLS: require -> 69, opportunistic -> 0
    srv, out = aiosmtpd(tmp, "aiosmtpd-notls")
    try:
        raw, crlf = lf_message("notls")
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "require"], raw,
             "aiosmtpd STARTTLS required, not offered", expect_rc=75)
        send(postel, srv.port, ["--from", "sender@example.org",
                                "--to", "rcpt@example.net",
                                "--starttls", "opportunistic"], raw,
             "aiosmtpd STARTTLS opportunistic, not offered")
    finally:
        srv.stop()
    env = check_one(stored_aiosmtpd(out), crlf, "aiosmtpd no STARTTLS")
    check("tls no" in env, "aiosmtpd no STARTTLS: clear text")


def case_aiosmtpd_auth(postel, tmp):
    for name, opts in (("plain", ()), ("login", ("--login-only",))):
        srv, out = aiosmtpd(tmp, "aiosmtpd-auth-" + name, "--auth",
                            "bob:pa:ss", *opts)
        try:
            raw, crlf = lf_message("auth-" + name)
            send(postel, srv.port, ["--from", "sender@example.org",
                                    "--to", "rcpt@example.net",
                                    "--auth", "bob:pa:ss"], raw,
                 "aiosmtpd AUTH %s" % name)
            send(postel, srv.port, ["--from", "sender@example.org",
                                    "--to", "rcpt@example.net",
                                    "--auth", "bob:wrong"], raw,
                 "aiosmtpd AUTH %s bad password" % name, expect_rc=69)
        finally:
            srv.stop()
        env = check_one(stored_aiosmtpd(out), crlf, "aiosmtpd AUTH " + name)
        check("auth yes" in env, "aiosmtpd AUTH %s: authenticated" % name)


def case_aiosmtpd_lmtp(postel, tmp):
    srv, out = aiosmtpd(tmp, "aiosmtpd-lmtp", "--lmtp")
    try:
        raw, crlf = lf_message("lmtp")
        o = send(postel, srv.port, ["--lmtp", "--from", "sender@example.org",
                                    "--to", "a@example.net",
                                    "--to", "nobody@example.net",
                                    "--to", "b@example.net"], raw,
                 "aiosmtpd LMTP", expect_rc=69)
        check("DATA <a@example.net>: 250 2.0.0 <a@example.net> delivered"
              in o, "LMTP: final reply for a@")
        check("DATA <b@example.net>: 250 2.0.0 <b@example.net> delivered"
              in o, "LMTP: final reply for b@")
        o = send(postel, srv.port, ["--lmtp", "--from", "sender@example.org",
                                    "--to", "a@example.net",
                                    "--to", "full@example.net"], raw,
                 "aiosmtpd LMTP one mailbox full", expect_rc=75)
        check("DATA <full@example.net>: 452 4.2.2" in o,
              "LMTP: per-recipient failure printed")
    finally:
        srv.stop()
    msgs = stored_aiosmtpd(out)
    check(len(msgs) == 2, "LMTP: 2 messages (got %d)" % len(msgs))
    for content, env in msgs:
        ok = check(content == crlf, "LMTP: content byte for byte")
        if not ok:
            show_diff(crlf, content)


def case_smtp_sink(postel, tmp, lmtp=False):
    tag = "smtp-sink-lmtp" if lmtp else "smtp-sink"
    variants = [("pipelining", (), ())]
    if not lmtp:
        variants += [("no-pipelining", ("-p",), ()),
                     ("no-pipelining-client", (), ("--no-pipelining",)),
                     ("no-8bitmime", ("-8",), ())]
    for name, sopts, copts in variants:
        label = "%s %s" % (tag, name)
        srv, out = smtp_sink(tmp, tag + "-" + name,
                             *(("-L",) if lmtp else ()), *sopts)
        extra = "caf\xe9\n" if name == "no-8bitmime" else ""
        raw, crlf = lf_message(name, extra=extra)
        try:
            args = ["--from", "sender@example.org", "--to",
                    "rcpt@example.net", "--to", "other@example.net"]
            if lmtp:
                args.append("--lmtp")
            o = send(postel, srv.port, args + list(copts), raw, label,
                     expect_rc=69 if name == "no-8bitmime" else 0)
            if lmtp:
                check(o.count("DATA <") == 2,
                      "%s: one final reply per recipient" % label)
        finally:
            srv.stop()
        msgs = stored_sink(out)
        if name == "no-8bitmime":
            check(msgs == [], "%s: nothing sent (got %d)" %
                  (label, len(msgs)))
            continue
        check(len(msgs) == 1, "%s: 1 message dumped (got %d)" %
              (label, len(msgs)))
        if msgs:
            # the dump has LF line ends and an empty line after the message
            exp = crlf.replace(b"\r\n", b"\n") + b"\n"
            ok = check(msgs[0][0] == exp, "%s: content byte for byte" %
                       label)
            if not ok:
                show_diff(exp, msgs[0][0])
            hdr = msgs[0][1]
            check(b"X-Rcpt-Args: <rcpt@example.net>" in hdr and
                  b"X-Rcpt-Args: <other@example.net>" in hdr,
                  "%s: both recipients" % label)
            check(b"X-Mail-Args: <sender@example.org>" in hdr,
                  "%s: MAIL FROM" % label)
    # refusals from smtp-sink: 5xx RCPT -> 69, 4xx RCPT -> 75, 421 -> 75
    if not lmtp:
        for name, sopts, rc in (("rcpt-5xx", ("-f", "RCPT"), 69),
                                ("rcpt-4xx", ("-r", "RCPT"), 75),
                                ("mail-421", ("-Q", "MAIL"), 75)):
            srv, out = smtp_sink(tmp, "smtp-sink-" + name, *sopts)
            try:
                raw, crlf = lf_message(name)
                send(postel, srv.port, ["--from", "sender@example.org",
                                        "--to", "rcpt@example.net"], raw,
                     "smtp-sink " + name, expect_rc=rc)
            finally:
                srv.stop()
            check(stored_sink(out) == [], "smtp-sink %s: nothing stored" %
                  name)


def case_postel_sink(postel, tmp):
    """CHUNKING: `postel sink` offers it (aiosmtpd and smtp-sink do not)."""
    for name, opts in (("bdat", ()), ("bdat-no-pipelining",
                                      ("--no-pipelining",)),
                       ("data", ("--no-chunking",)),
                       ("bdat-big", ())):
        sink = interop.Sink(postel, tmp, name=name)
        try:
            extra = ".\n..\n"
            if name == "bdat-big":
                extra = "".join("%06d .. bdat chunk line\n" % i
                                for i in range(100000))
            raw, crlf = lf_message(name, extra=extra)
            o = send(postel, sink.port, ["--from", "sender@example.org",
                                         "--to", "rcpt@example.net",
                                         "-v"] + list(opts), raw,
                     "postel sink " + name)
            check(("BDAT " in o) == name.startswith("bdat"),
                  "postel sink %s: %s used" %
                  (name, "BDAT" if name.startswith("bdat") else "DATA"))
        finally:
            sink.stop()
        interop.check_stored(sink, [(b"sender@example.org", crlf, None)],
                             "postel sink " + name)


CASES = {
    "aiosmtpd": case_aiosmtpd,
    "aiosmtpd-starttls": case_aiosmtpd_starttls,
    "aiosmtpd-auth": case_aiosmtpd_auth,
    "aiosmtpd-lmtp": case_aiosmtpd_lmtp,
    "smtp-sink": case_smtp_sink,
    "smtp-sink-lmtp": lambda p, t: case_smtp_sink(p, t, lmtp=True),
    "postel-sink": case_postel_sink,
}


def main(argv):
    if len(argv) >= 3 and argv[1] == "--server" and argv[2] == "aiosmtpd":
        return aiosmtpd_server(argv[3:])
    if len(argv) != 3 or argv[2] not in CASES:
        print(__doc__)
        return 2
    postel, peer = argv[1], argv[2]
    interop.prereq.check("interop-send-" + peer)
    with tempfile.TemporaryDirectory(prefix="postel-send-") as tmp:
        CASES[peer](postel, tmp)
    return interop.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
