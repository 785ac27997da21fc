#!/usr/bin/python3
"""Interop tests with the npm peers: nodemailer and smtp-server.

usage: npm_peers.py POSTEL nodemailer
       npm_peers.py POSTEL smtp-server [--example PATH]...

nodemailer: the client of `postel sink` (test/interop/node/mailer.mjs),
every message sent with nodemailer's `raw` option and an explicit
envelope, so the stored bytes are known: checked byte for byte in the
Maildir with interop.py's helpers, as for the other clients.

smtp-server: the server (test/interop/node/server.mjs) that `postel
send` and the client examples (each --example) deliver to; what it
received is checked byte for byte with send.py's helpers (the same
N.msg/N.env files as its aiosmtpd peer).

What the peers cannot do, and so is not tested here: nodemailer has no
CHUNKING (BDAT) and ends its sessions without QUIT; smtp-server has no
CHUNKING either, so postel send must fall back to DATA (checked).

Both run on 127.0.0.1 only, under timeout(1) (nodemailer) or their own
deadline (smtp-server, stopped by its pid). The npm packages come from
test/interop/node/package-lock.json: `bash .ci/deps` installs them
(npm ci); without them the test fails and says so.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop  # noqa: E402
import send as send_py  # noqa: E402

from interop import check, message, show_diff  # noqa: E402

NODE_DIR = os.path.join(HERE, "node")


def node_ready():
    """node on PATH and the locked npm packages installed; else fail."""
    node = interop.need("node")
    for pkg in ("nodemailer", "smtp-server"):
        meta = os.path.join(NODE_DIR, "node_modules", pkg, "package.json")
        if not os.path.exists(meta):
            check(False, "npm package %s installed in %s/node_modules: run "
                  "`bash .ci/deps` (npm ci --prefix test/interop/node)" %
                  (pkg, NODE_DIR))
            raise SystemExit(1)
        with open(meta) as f:
            print("peer %s %s" % (pkg, json.load(f)["version"]))
    return node


def make_cert(tmp):
    """Self-signed, valid for 127.0.0.1 too: the client examples' -C
    checks the address they connect to."""
    cert = os.path.join(tmp, "cert.pem")
    key = os.path.join(tmp, "key.pem")
    subprocess.run(["timeout", "60", "openssl", "req", "-x509", "-newkey",
                    "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return cert, key


# ---------------------------------------------------------------- nodemailer

def utf8_raw():
    return ("From: J\u00f6s\u00e9 <j\u00f6s\u00e9@ex\u00e4mple.org>\r\n"
            "To: <\u00fcn\u00ef@ex\u00e4mple.net>\r\n"
            "Subject: SMTPUTF8 \u2713\r\n"
            "Message-ID: <nodemailer-utf8@interop.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Gr\u00fc\u00dfe, \u4e16\u754c.\r\n.dot line\r\n").encode()


def eightbit_raw():
    """Dots, the longest legal line (998 octets), a 5000-octet line
    (accepted by the lenient sink, RFC 5321 §4.5.3.1.6) and 8-bit
    octets, UTF-8 and not."""
    m = message("nodemailer-8bit", extra=(
        "." * 998 + "\n" + "5000 " + "y" * 4995 + "\n" +
        "caf\u00e9 \u4e16\u754c\n@@RAW@@\n.\n..\n"))
    return m.replace(b"@@RAW@@", b"latin-1 \xe9\xff\x80")


def mailer(node, tmp, port, name, transport, msgs):
    """Runs mailer.mjs; msgs: [(label, from, [to], raw bytes, extra
    envelope)]. Returns ({label: result}, nodemailer's transcript)."""
    job = {"port": port, "transport": transport, "messages": []}
    for label, frm, to, raw, env in msgs:
        path = os.path.join(tmp, "%s.eml" % re.sub(r"\W", "_", label))
        with open(path, "wb") as f:
            f.write(raw)
        job["messages"].append({"label": label, "raw": path,
                                "envelope": dict(env, **{"from": frm,
                                                         "to": to})})
    jpath = os.path.join(tmp, name + ".json")
    with open(jpath, "w") as f:
        json.dump(job, f)
    full = ["timeout", "-k", "5", str(interop.PEER_TIMEOUT), node,
            os.path.join(NODE_DIR, "mailer.mjs"), jpath]
    print("run  " + " ".join(full))
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL)
    log = p.stderr.decode(errors="replace")
    with open(os.path.join(tmp, name + "-nodemailer.log"), "w") as f:
        f.write(log)
    results = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        r = json.loads(line)
        results[r["label"]] = r
    if not check(p.returncode == 0 and len(results) == len(msgs),
                 "nodemailer %s: exit status 0, %d outcomes (got %d, %d)" %
                 (name, len(msgs), p.returncode, len(results))) or \
            os.environ.get("INTEROP_VERBOSE"):
        print(log[-6000:])
    return results, log


def sent(results, label):
    r = results.get(label, {})
    ok = check(r.get("ok") is True and
               str(r.get("response", "")).startswith("250"),
               "%s: accepted (%s)" % (label, r.get("response")))
    return ok


def test_nodemailer(postel, tmp):
    node = node_ready()
    cert, key = make_cert(tmp)
    tls = {"rejectUnauthorized": False}
    frm, to, other = "sender@example.org", "rcpt@example.net", \
        "other@example.net"
    u_from, u_to = "j\u00f6s\u00e9@ex\u00e4mple.org", \
        "\u00fcn\u00ef@ex\u00e4mple.net"
    sink = interop.Sink(postel, tmp, ["--tls-cert", cert, "--tls-key", key,
                                      "--auth", "bob:s3cret"], "nodemailer")
    try:
        r, log = mailer(node, tmp, sink.port, "plain", {"ignoreTLS": True}, [
            ("nodemailer plain", frm, [to, other], message("nm-plain"), {})])
        sent(r, "nodemailer plain")
        # PIPELINING: MAIL, RCPT, RCPT, DATA written before any reply
        check(re.search(r"C: MAIL FROM:<sender@example.org>[^\n]*\n"
                        r"C: RCPT TO:<rcpt@example.net>\n"
                        r"C: RCPT TO:<other@example.net>\n"
                        r"C: DATA\nS: 250 ", log) is not None,
              "nodemailer pipelined: MAIL, RCPT, RCPT, DATA in one group")
        check("C: STARTTLS" not in log, "nodemailer plain: no STARTTLS")

        r, log = mailer(node, tmp, sink.port, "starttls",
                        {"requireTLS": True, "tls": tls}, [
            ("nodemailer starttls", frm, [to], message("nm-starttls"), {})])
        sent(r, "nodemailer starttls")
        check("C: STARTTLS" in log, "nodemailer starttls: STARTTLS sent")

        for mech in ("PLAIN", "LOGIN"):
            label = "nodemailer auth-%s" % mech.lower()
            r, log = mailer(node, tmp, sink.port, "auth-" + mech.lower(), {
                "requireTLS": True, "tls": tls, "authMethod": mech,
                "auth": {"user": "bob", "pass": "s3cret"}}, [
                (label, frm, [to], message("nm-auth-" + mech.lower()), {})])
            sent(r, label)
            check(("C: AUTH %s" % mech) in log, "%s: AUTH %s used" %
                  (label, mech))
        r, _ = mailer(node, tmp, sink.port, "bad-password", {
            "requireTLS": True, "tls": tls,
            "auth": {"user": "bob", "pass": "wrong"}}, [
            ("nodemailer bad password", frm, [to], message("nm-bad"), {})])
        b = r.get("nodemailer bad password", {})
        check(b.get("ok") is False and b.get("responseCode") == 535 and
              b.get("code") == "EAUTH",
              "nodemailer bad password refused with 535 (got %s %s)" %
              (b.get("responseCode"), b.get("response")))

        r, log = mailer(node, tmp, sink.port, "smtputf8", {"ignoreTLS": True},
                        [("nodemailer smtputf8", u_from, [u_to], utf8_raw(),
                          {})])
        sent(r, "nodemailer smtputf8")
        check(("C: MAIL FROM:<%s> SMTPUTF8" % u_from) in log,
              "nodemailer smtputf8: MAIL ... SMTPUTF8")

        r, log = mailer(node, tmp, sink.port, "8bit", {"ignoreTLS": True}, [
            ("nodemailer 8bit", frm, [to], eightbit_raw(),
             {"use8BitMime": True})])
        sent(r, "nodemailer 8bit")
        check(re.search(r"C: MAIL FROM:<sender@example.org> BODY=8BITMIME",
                        log) is not None, "nodemailer 8bit: BODY=8BITMIME")
    finally:
        sink.stop()
    interop.check_stored(sink, [
        (frm.encode(), message("nm-plain"), "ESMTP"),
        (frm.encode(), message("nm-starttls"), "ESMTPS"),
        (frm.encode(), message("nm-auth-plain"), "ESMTPSA"),
        (frm.encode(), message("nm-auth-login"), "ESMTPSA"),
        (u_from.encode(), utf8_raw(), "UTF8SMTP"),
        (frm.encode(), eightbit_raw(), "ESMTP"),
    ], "nodemailer")
    err = sink.stderr()
    check("violation data-line-too-long" in err,
          "nodemailer 8bit: the 5000-octet line reported as a violation")
    # nodemailer declares no BODY=8BITMIME with SMTPUTF8 (RFC 6531 §1.2
    # asks for it): the lenient sink takes the message and says so
    check(re.search(r"(#\d+) MAIL FROM:<j\S*@\S* SMTPUTF8\n"
                    r"(?:.*\n)*?.*\1 violation data-8bit", err) is not None,
          "nodemailer smtputf8: 8-bit content without BODY=8BITMIME "
          "reported as a violation")

    # several messages over one pooled connection, against --strict: a
    # well-behaved client sees no difference and no violation is reported
    sink = interop.Sink(postel, tmp, ["--strict"], "nodemailer-pool")
    tags = ["nm-pool-%d" % i for i in range(5)]
    try:
        r, log = mailer(node, tmp, sink.port, "pool", {
            "pool": True, "maxConnections": 1, "maxMessages": 100},
            [("nodemailer pool " + t, frm, [to], message(t), {})
             for t in tags])
        for t in tags:
            sent(r, "nodemailer pool " + t)
    finally:
        sink.stop()
    interop.check_stored(sink, [(frm.encode(), message(t), "ESMTP")
                                for t in tags], "nodemailer pool",
                         ordered=False)
    err = sink.stderr()
    check(len(re.findall(r"\bconnect from\b", err)) == 1,
          "nodemailer pool: 5 messages over one connection")
    check("violation" not in err, "nodemailer pool: no violation (--strict)")


    # LMTP (nodemailer's lmtp option) with DSN parameters, and a message
    # over the sink's SIZE limit that nodemailer does not declare: refused
    # at the end of data, once per recipient; the session goes on
    sink = interop.Sink(postel, tmp, ["--lmtp", "--max-size", "20000"],
                        "nodemailer-lmtp")
    big = message("nm-lmtp-big", extra="x" * 30000 + "\n")
    two = [to, other]
    try:
        r, log = mailer(node, tmp, sink.port, "lmtp", {
            "lmtp": True, "pool": True, "maxConnections": 1}, [
            ("nodemailer lmtp dsn", frm, two, message("nm-lmtp-dsn"), {
                "dsn": {"ret": "HDRS", "envid": "nm+1",
                        "notify": ["SUCCESS", "FAILURE"],
                        "orcpt": "rfc822;rcpt@example.net"}}),
            ("nodemailer lmtp too big", frm, two, big, {}),
            ("nodemailer lmtp after", frm, two, message("nm-lmtp-after"),
             {})])
        for label in ("nodemailer lmtp dsn", "nodemailer lmtp after"):
            sent(r, label)
            check(r.get(label, {}).get("accepted") == two,
                  "%s: both recipients accepted" % label)
        b = r.get("nodemailer lmtp too big", {})
        check(str(b.get("response")).startswith("552 5.3.4") and
              b.get("rejected") == two,
              "nodemailer lmtp too big: 552 for each recipient (got %s %s)"
              % (b.get("response"), b.get("rejected")))
        check("C: LHLO client.example" in log, "nodemailer lmtp: LHLO")
    finally:
        sink.stop()
    interop.check_stored(sink, [
        (frm.encode(), message("nm-lmtp-dsn"), "LMTP"),
        (frm.encode(), message("nm-lmtp-after"), "LMTP")],
        "nodemailer lmtp")
    err = sink.stderr()
    check(re.search(r"MAIL FROM:<sender@example.org> RET=HDRS ENVID=nm\+2B1"
                    r"\n.*RCPT TO:<rcpt@example.net> NOTIFY=SUCCESS,FAILURE "
                    r"ORCPT=rfc822;rcpt@example.net\n", err) is not None,
          "nodemailer lmtp dsn: RET, ENVID (xtext), NOTIFY, ORCPT accepted")
    check("violation data-size-exceeded" in err,
          "nodemailer lmtp too big: reported by the sink")


    # 150 recipients against LIMITS RCPTMAX=100 (RFC 9422), which
    # nodemailer does not read: 452 for each one over; then 5.7 MB of
    # dot-led lines
    sink = interop.Sink(postel, tmp, [], "nodemailer-limits")
    many = ["r%03d@example.net" % i for i in range(150)]
    huge = message("nm-huge", extra="".join(
        ".%07d a line that starts with a dot, and some more text\n" % i
        for i in range(90000)))
    try:
        r, log = mailer(node, tmp, sink.port, "limits", {}, [
            ("nodemailer 150 recipients", frm, many, message("nm-many"), {}),
            ("nodemailer 5 MB", frm, [to], huge, {})])
        sent(r, "nodemailer 150 recipients")
        m = r.get("nodemailer 150 recipients", {})
        check(m.get("accepted") == many[:100] and
              m.get("rejected") == many[100:],
              "nodemailer 150 recipients: the first 100 accepted")
        check(log.count("S: 452 4.5.3 ") == 50,
              "nodemailer 150 recipients: 452 4.5.3 for the other 50")
        sent(r, "nodemailer 5 MB")
    finally:
        sink.stop()
    interop.check_stored(sink, [(frm.encode(), message("nm-many"), "ESMTP"),
                                (frm.encode(), huge, "ESMTP")],
                         "nodemailer limits")


# ---------------------------------------------------------------- smtp-server

def smtp_server(node, tmp, name, *opts):
    out = os.path.join(tmp, name)
    os.mkdir(out)
    cmd = [node, os.path.join(NODE_DIR, "server.mjs"), out] + list(opts)
    # interop.Sink reads the port it prints and stops it by pid (exit 0)
    return interop.Sink(None, tmp, name=name, cmd=cmd), out


def mail_log(out):
    """The MAIL commands smtp-server got."""
    p = os.path.join(out, "mail.log")
    if not os.path.exists(p):
        return []
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def check_received(out, expected, label):
    """expected: [(tag, content, [env lines])]; smtp-server's N.msg must
    be the content byte for byte and N.env hold each env line."""
    msgs = send_py.stored_aiosmtpd(out)
    check(len(msgs) == len(expected), "%s: %d messages received (got %d)" %
          (label, len(expected), len(msgs)))
    for (tag, content, env), (got, got_env) in zip(expected, msgs):
        if not check(got == content, "%s %s: content byte for byte (%d "
                     "bytes)" % (label, tag, len(content))):
            show_diff(content, got)
        for line in env:
            check(re.search(r"(?m)^" + line + r"$", got_env) is not None,
                  "%s %s: envelope %r" % (label, tag, line))


def pipelined(out, frm, rcpts):
    """MAIL, each RCPT and DATA written before the first reply to them."""
    return re.search(r"C: MAIL FROM:<%s>[^\n]*\n" % re.escape(frm) +
                     "".join(r"C: RCPT TO:<%s>\n" % re.escape(r)
                             for r in rcpts) + r"C: DATA\nS: 250 ", out)


def run_example(exe, port, opts, path, label, expect_rc=0):
    return interop.run_peer([exe] + opts + ["127.0.0.1:%d" % port,
                                            "from@example.org",
                                            "to@example.net", path],
                            label, expect_rc=expect_rc)


def test_smtp_server(postel, tmp, examples):
    node = node_ready()
    cert, key = make_cert(tmp)
    frm = ["--from", "sender@example.org"]
    send = send_py.send
    lf, crlf = send_py.lf_message("ss-plain")
    ex_msg = os.path.join(tmp, "example.eml")
    with open(ex_msg, "wb") as f:
        f.write(message("ss-example"))

    # clear text: PIPELINING, no CHUNKING, 8BITMIME, SMTPUTF8, refusals
    srv, out = smtp_server(node, tmp, "ss-plain")
    try:
        o = send(postel, srv.port, frm + [
            "--to", "rcpt@example.net", "--to", "other@example.net",
            "--to", "nobody@example.net", "-v"], lf,
            "smtp-server plain, one recipient refused", expect_rc=69)
        check(pipelined(o, "sender@example.org", ["rcpt@example.net",
                                                  "other@example.net",
                                                  "nobody@example.net"]),
              "smtp-server plain: MAIL, 3 RCPT, DATA pipelined")
        check("RCPT <nobody@example.net>: 550 5.1.1" in o,
              "smtp-server plain: refused recipient printed")
        check("DATA: 250 2.6.0 Ok: queued as 0" in o,
              "smtp-server plain: final reply printed")
        # smtp-server has no CHUNKING: postel send falls back to DATA
        check("C: DATA" in o and "BDAT" not in o,
              "smtp-server plain: no CHUNKING offered, DATA used")
        send(postel, srv.port, frm + ["--to", "later@example.net"], lf,
             "smtp-server temporary failure", expect_rc=75)
        lf8, crlf8 = send_py.lf_message("ss-8bit", extra="caf\xe9\n" + "".join(
            ".%05d a line that starts with a dot\n" % i
            for i in range(50000)))
        send(postel, srv.port, frm + ["--to", "rcpt@example.net"], lf8,
             "smtp-server 8bit, 2 MB")
        lfu, crlfu = send_py.lf_message("ss-utf8", extra="Gr\xfc\xdfe\n")
        o = send(postel, srv.port, [
            "--from", "j\xf6rg@ex\xe4mple.org",
            "--to", "\xfcn\xef@ex\xe4mple.net", "-v"], lfu,
            "smtp-server SMTPUTF8")
        check("C: MAIL FROM:<j\xf6rg@ex\xe4mple.org> SMTPUTF8" in o or
              re.search(r"C: MAIL FROM:<j\xf6rg@ex\xe4mple.org>[^\n]* "
                        r"SMTPUTF8", o) is not None,
              "smtp-server SMTPUTF8: MAIL ... SMTPUTF8")
        for exe in examples:
            run_example(exe, srv.port, ["-P"], ex_msg,
                        "%s -> smtp-server plain" %
                        os.path.basename(exe))
    finally:
        srv.stop()
    check_received(out, [
        ("plain", crlf, ["from sender@example.org", "rcpt rcpt@example.net",
                         "rcpt other@example.net", "tls no",
                         "proto ESMTP"]),
        ("8bit", crlf8, [r"options .*BODY=8BITMIME.*"]),
        ("SMTPUTF8", crlfu, ["from j\xf6rg@ex\xe4mple.org",
                             "rcpt \xfcn\xef@ex\xe4mple.net",
                             r"options .*SMTPUTF8.*"]),
    ] + [(os.path.basename(e), message("ss-example"),
          ["from from@example.org", "rcpt to@example.net", "tls no"])
         for e in examples], "smtp-server plain")

    # a server without SMTPUTF8: UTF-8 addresses are not sent at all
    srv, out = smtp_server(node, tmp, "ss-no-utf8", "--hide-smtputf8")
    try:
        send(postel, srv.port, ["--from", "j\xf6rg@ex\xe4mple.org",
                                "--to", "rcpt@example.net"], lfu,
             "smtp-server SMTPUTF8 not offered", expect_rc=69)
    finally:
        srv.stop()
    check(mail_log(out) == [], "smtp-server SMTPUTF8 not offered: no MAIL")

    # a server without PIPELINING: each command waits for its reply
    srv, out = smtp_server(node, tmp, "ss-no-pipelining", "--hide-pipelining")
    try:
        o = send(postel, srv.port, frm + [
            "--to", "rcpt@example.net", "--to", "other@example.net", "-v"],
            lf, "smtp-server no PIPELINING")
    finally:
        srv.stop()
    check(re.search(r"C: MAIL FROM:<sender@example.org>[^\n]*\nS: 250 [^\n]*"
                    r"\nC: RCPT TO:<rcpt@example.net>\nS: 250 [^\n]*\n"
                    r"C: RCPT TO:<other@example.net>\nS: 250 [^\n]*\n"
                    r"C: DATA\nS: 354 ", o) is not None,
          "smtp-server no PIPELINING: one command at a time")
    check_received(out, [("no PIPELINING", crlf, ["rcpt other@example.net"])],
                   "smtp-server no PIPELINING")

    # STARTTLS (certificate checked against the self-signed one), AUTH
    srv, out = smtp_server(node, tmp, "ss-tls", "--tls", cert, key,
                           "--auth", "bob:pa:ss")
    lft, crlft = send_py.lf_message("ss-starttls")
    try:
        o = send(postel, srv.port, frm + [
            "--to", "rcpt@example.net", "--starttls", "require",
            "--tls-ca", cert, "-v"], lft, "smtp-server STARTTLS")
        check("C: STARTTLS" in o, "smtp-server STARTTLS: STARTTLS sent")
        send(postel, srv.port, frm + [
            "--to", "rcpt@example.net", "--starttls", "require",
            "--tls-ca", cert, "--auth", "bob:pa:ss"], lft,
            "smtp-server STARTTLS + AUTH")
        # the default: opportunistic, certificate not checked
        send(postel, srv.port, frm + ["--to", "rcpt@example.net"], lft,
             "smtp-server STARTTLS opportunistic (default)")
        for exe in examples:
            run_example(exe, srv.port, ["-C", cert], ex_msg,
                        "%s -> smtp-server STARTTLS" %
                        os.path.basename(exe))
    finally:
        srv.stop()
    check_received(out, [
        ("STARTTLS", crlft, ["tls yes", "auth no", "proto ESMTPS"]),
        ("STARTTLS + AUTH", crlft, ["tls yes", "auth yes",
                                    "proto ESMTPSA"]),
        ("STARTTLS opportunistic", crlft, ["tls yes", "proto ESMTPS"]),
    ] + [(os.path.basename(e), message("ss-example"),
          ["from from@example.org", "tls yes"]) for e in examples],
        "smtp-server STARTTLS")

    # AUTH PLAIN (preferred when offered) and LOGIN (the only one offered)
    for mech, methods in (("PLAIN", "PLAIN,LOGIN"), ("LOGIN", "LOGIN")):
        srv, out = smtp_server(node, tmp, "ss-auth-" + mech.lower(),
                               "--auth", "bob:pa:ss", "--auth-methods",
                               methods)
        lfa, crlfa = send_py.lf_message("ss-auth-" + mech.lower())
        try:
            o = send(postel, srv.port, frm + [
                "--to", "rcpt@example.net", "--auth", "bob:pa:ss", "-v"],
                lfa, "smtp-server AUTH " + mech)
            check(("C: AUTH " + mech) in o, "smtp-server AUTH %s: used" %
                  mech)
            if mech == "LOGIN":
                # each answer only after its 334 (RFC 4954 §4)
                check(re.search(r"C: AUTH LOGIN\nS: 334 \[decoded\] "
                                r"Username:\nC: \S+\nS: 334 \[decoded\] "
                                r"Password:\nC: \S+\nS: 235 ", o)
                      is not None,
                      "smtp-server AUTH LOGIN: user and password each "
                      "after its 334")
            o = send(postel, srv.port, frm + [
                "--to", "rcpt@example.net", "--auth", "bob:wrong"], lfa,
                "smtp-server AUTH %s bad password" % mech, expect_rc=69)
            check("535" in o, "smtp-server AUTH %s bad password: 535" % mech)
        finally:
            srv.stop()
        check_received(out, [(mech, crlfa, ["auth yes", "proto ESMTPA"])],
                       "smtp-server AUTH")
        check(len(mail_log(out)) == 1,
              "smtp-server AUTH %s bad password: no MAIL" % mech)

    # LMTP: one final reply per accepted recipient
    srv, out = smtp_server(node, tmp, "ss-lmtp", "--lmtp")
    lfl, crlfl = send_py.lf_message("ss-lmtp")
    try:
        o = send(postel, srv.port, ["--lmtp"] + frm + [
            "--to", "a@example.net", "--to", "nobody@example.net",
            "--to", "b@example.net"], lfl, "smtp-server LMTP",
            expect_rc=69)
        for r in ("a", "b"):
            check("DATA <%s@example.net>: 250 2.6.0 <%s@example.net> "
                  "delivered" % (r, r) in o,
                  "smtp-server LMTP: final reply for %s@" % r)
        check("DATA <nobody@" not in o,
              "smtp-server LMTP: no final reply for the refused recipient")
        o = send(postel, srv.port, ["--lmtp"] + frm + [
            "--to", "a@example.net", "--to", "full@example.net"], lfl,
            "smtp-server LMTP one mailbox full", expect_rc=75)
        check("DATA <a@example.net>: 250 " in o and
              "DATA <full@example.net>: 452 " in o,
              "smtp-server LMTP: per-recipient failure printed")
    finally:
        srv.stop()
    check_received(out, [
        ("LMTP", crlfl, ["rcpt a@example.net", "rcpt b@example.net",
                         "proto LMTP"]),
        ("LMTP full", crlfl, ["rcpt full@example.net"]),
    ], "smtp-server LMTP")

    # SIZE: a message of exactly the advertised limit goes, one octet
    # more is never sent
    srv, out = smtp_server(node, tmp, "ss-size", "--size", "20000")
    pad = 20000 - len(message("ss-size", extra="\n"))
    lfs, crlfs = send_py.lf_message("ss-size", extra="x" * pad + "\n")
    lfb, _ = send_py.lf_message("ss-size", extra="x" * (pad + 1) + "\n")
    check(len(crlfs) == 20000, "smtp-server SIZE: test message of 20000 "
          "octets")
    try:
        send(postel, srv.port, frm + ["--to", "rcpt@example.net"], lfs,
             "smtp-server SIZE at the limit")
        o = send(postel, srv.port, frm + ["--to", "rcpt@example.net"], lfb,
                 "smtp-server SIZE one octet over the limit refused",
                 expect_rc=69)
    finally:
        srv.stop()
    check("message not sent: size (RFC 1870" in o,
          "smtp-server SIZE over the limit: the reason printed")
    check_received(out, [("SIZE", crlfs, ["options SIZE=%d" % len(crlfs)])],
                   "smtp-server SIZE")
    check(len(mail_log(out)) == 1,
          "smtp-server SIZE over the limit: no MAIL sent (MAIL log: %r)" %
          mail_log(out))


# ---------------------------------------------------------------- main

def main(argv):
    if len(argv) < 3 or argv[2] not in ("nodemailer", "smtp-server"):
        print(__doc__)
        return 2
    postel, peer = os.path.abspath(argv[1]), argv[2]
    rest = argv[3:]
    if len(rest) % 2 or any(a != "--example" for a in rest[::2]):
        print(__doc__)
        return 2
    examples = [os.path.abspath(a) for a in rest[1::2]]
    interop.prereq.check("interop-" + peer)
    tmp = tempfile.mkdtemp(prefix="postel-npm-")

    def test():
        if peer == "nodemailer":
            return test_nodemailer(postel, tmp)
        for e in examples:
            interop.need(e)
        test_smtp_server(postel, tmp, examples)
    return interop.run_test(peer, test, tmp)

if __name__ == "__main__":
    sys.exit(main(sys.argv))
