#!/usr/bin/python3
"""docs/interop.md from the results of the interop, examples and faults
suites.

usage: report.py TESTLOG_JSON [> docs/interop.md]

TESTLOG_JSON is meson's meson-logs/testlog.json, after
  meson test -C BUILD --suite interop --suite examples --suite faults

The interop scripts print one line per check, "ok   LABEL" or
"FAIL LABEL". Each row of the table below names the test and the labels
(a regular expression) that belong to it; its result is "pass" when all
its checks passed, "FAIL" when one failed, "not run" when the test is
not in the log. A second table gives every test's own result, so no
check goes unreported.
"""

import json
import re
import sys

FEATURES = ("plain", "STARTTLS", "AUTH", "PIPELINING", "CHUNKING", "LMTP",
            "SMTPUTF8")

IN = "→ postel sink"     # the peer sends, postel receives
OUT = "postel send →"    # postel sends, the peer receives

# (peer, direction, features, test, label regex, what was checked)
ROWS = [
    # ---- real clients against `postel sink`
    ("Python smtplib", IN, "plain", "interop-smtplib",
     r"^smtplib (plain|helo):", "EHLO and HELO, two transactions, NOOP, RSET"),
    ("Python smtplib", IN, "STARTTLS", "interop-smtplib",
     r"^smtplib starttls:", "STARTTLS, EHLO again, REQUIRETLS offered"),
    ("Python smtplib", IN, "STARTTLS AUTH", "interop-smtplib",
     r"^smtplib auth-(plain|login):", "AUTH PLAIN and LOGIN, bad password 535"),
    ("Python smtplib", IN, "SMTPUTF8", "interop-smtplib",
     r"^smtplib smtputf8:", "UTF-8 addresses and headers"),
    ("Python smtplib (raw commands)", IN, "PIPELINING CHUNKING",
     "interop-smtplib", r"^smtplib bdat:",
     "BDAT chunks, BINARYMIME; MAIL, RCPT, BDAT LAST in one write"),
    ("Python smtplib", IN, "", "interop-smtplib",
     r"^smtplib( tls)?: \d+ messages stored|^smtplib( tls)? #",
     "every message stored byte for byte, trace lines"),
    ("swaks", IN, "plain", "interop-swaks", r"^swaks plain:", ""),
    ("swaks", IN, "PIPELINING", "interop-swaks",
     r"^swaks (--pipeline|pipelined)", "MAIL, RCPT, RCPT, DATA in one group"),
    ("swaks", IN, "STARTTLS", "interop-swaks", r"^swaks -tls:", ""),
    ("swaks", IN, "STARTTLS AUTH", "interop-swaks",
     r"^swaks (-tls --auth|bad password)", "PLAIN, LOGIN, bad password"),
    ("swaks", IN, "", "interop-swaks",
     r"^swaks: \d+ messages stored|^swaks #", "stored byte for byte"),
    ("msmtp", IN, "plain", "interop-msmtp", r"^msmtp plain:", ""),
    ("msmtp", IN, "STARTTLS", "interop-msmtp", r"^msmtp tls:", ""),
    ("msmtp", IN, "STARTTLS AUTH", "interop-msmtp", r"^msmtp auth:", ""),
    ("msmtp", IN, "", "interop-msmtp", r"^msmtp: \d+ messages stored|^msmtp #",
     "stored byte for byte"),
    ("Postfix smtp-source", IN, "plain", "interop-smtp-source",
     r"^smtp-source|^sink logged",
     "8 concurrent sessions, a new connection per message; -d reuse, "
     "3 recipients"),
    ("Postfix smtp-source -L", IN, "LMTP", "interop-lmtp",
     r"^smtp-source", "the same over LMTP"),
    ("nodemailer", IN, "plain", "interop-nodemailer",
     r"^nodemailer plain", "2 recipients, STARTTLS ignored"),
    ("nodemailer", IN, "PIPELINING", "interop-nodemailer",
     r"^nodemailer pipelined", "MAIL, RCPT, RCPT, DATA in one group"),
    ("nodemailer", IN, "STARTTLS", "interop-nodemailer",
     r"^nodemailer starttls", "self-signed certificate not verified"),
    ("nodemailer", IN, "STARTTLS AUTH", "interop-nodemailer",
     r"^nodemailer (auth-|bad password)", "PLAIN, LOGIN, bad password 535"),
    ("nodemailer", IN, "SMTPUTF8", "interop-nodemailer",
     r"^nodemailer smtputf8",
     "UTF-8 addresses; nodemailer sends no BODY=8BITMIME with them "
     "(reported as a violation)"),
    ("nodemailer", IN, "plain", "interop-nodemailer", r"^nodemailer 8bit",
     "dots, 998- and 5000-octet lines, 8-bit octets, BODY=8BITMIME"),
    ("nodemailer (pool)", IN, "PIPELINING", "interop-nodemailer",
     r"^nodemailer pool",
     "5 messages over one connection, --strict: no violation"),
    ("nodemailer (lmtp)", IN, "PIPELINING LMTP", "interop-nodemailer",
     r"^nodemailer lmtp",
     "DSN parameters; over the SIZE limit: 552 per recipient, the "
     "session goes on"),
    ("nodemailer", IN, "PIPELINING", "interop-nodemailer",
     r"^nodemailer (150|5 MB|limits)",
     "150 recipients in one group: 452 past LIMITS RCPTMAX=100; 5.7 MB"),
    ("nodemailer", IN, "", "interop-nodemailer",
     r"^nodemailer: \d+ messages stored|^nodemailer #",
     "every message (sent raw) stored byte for byte, trace lines"),
    ("raw socket client", IN, "PIPELINING", "interop-faults", r"^faults",
     "cut DATA, idle 421, over-long line 500, 421 at shutdown"),
    ("Python smtplib", "→ examples/blocking", "plain CHUNKING",
     "interop-example-blocking", r"-> example|^example:",
     "one process per connection"),
    # ---- the examples (suite examples)
    ("Python smtplib", "→ examples server_epoll", "plain", "examples",
     r"^server_epoll <- (smtplib|20 sessions)",
     "2 messages, 250 KiB 8BITMIME, 20 concurrent sessions"),
    ("examples client_blocking, client_libuv", "→ examples server_epoll",
     "PIPELINING CHUNKING", "examples", r"^server_epoll <- client_", ""),
    ("Python smtplib", "→ examples server_libuv", "plain", "examples",
     r"^server_libuv <- (smtplib|20 sessions)", ""),
    ("examples client_blocking, client_libuv", "→ examples server_libuv",
     "PIPELINING CHUNKING", "examples", r"^server_libuv <- client_", ""),
    ("Python smtplib", "→ examples server_uring", "plain", "examples",
     r"^server_uring <- (smtplib|20 sessions)", ""),
    ("examples client_blocking, client_libuv", "→ examples server_uring",
     "PIPELINING CHUNKING", "examples", r"^server_uring <- client_", ""),
    ("raw socket client", "→ examples servers", "plain", "examples",
     r"^server_\w+: (idle|still)", "idle client 421 after the timeout"),
    # ---- `postel send` against real servers
    ("Python aiosmtpd", OUT, "plain", "interop-send-aiosmtpd",
     r"^aiosmtpd( plain|:| one recipient| temporary| 8bit)",
     "2 recipients, 550 and 450 recipients, SIZE, 8BITMIME"),
    ("Python aiosmtpd", OUT, "SMTPUTF8", "interop-send-aiosmtpd",
     r"^aiosmtpd( SMTPUTF8|: MAIL \.\.\. SMTPUTF8|: UTF-8)", ""),
    ("Python aiosmtpd", OUT, "STARTTLS AUTH", "interop-send-aiosmtpd-starttls",
     r"^aiosmtpd (STARTTLS|without STARTTLS|no STARTTLS)",
     "require, opportunistic, --tls-ca, unverifiable certificate"),
    ("Python aiosmtpd", OUT, "AUTH", "interop-send-aiosmtpd-auth",
     r"^aiosmtpd AUTH", "PLAIN, LOGIN, bad password"),
    ("Python aiosmtpd (LMTP)", OUT, "LMTP", "interop-send-aiosmtpd-lmtp",
     r"^(aiosmtpd )?LMTP", "one final reply per recipient"),
    ("Postfix smtp-sink", OUT, "PIPELINING", "interop-send-smtp-sink",
     r"^smtp-sink pipelining", ""),
    ("Postfix smtp-sink -p", OUT, "plain", "interop-send-smtp-sink",
     r"^smtp-sink no-pipelining", "server and client without PIPELINING"),
    ("Postfix smtp-sink -8, -f, -r, -Q", OUT, "plain",
     "interop-send-smtp-sink", r"^smtp-sink (no-8bitmime|rcpt-|mail-421)",
     "no 8BITMIME, 5xx, 4xx, 421: exit codes, nothing sent"),
    ("Postfix smtp-sink -L", OUT, "PIPELINING LMTP",
     "interop-send-smtp-sink-lmtp", r"^smtp-sink-lmtp", ""),
    ("postel sink", OUT, "PIPELINING CHUNKING", "interop-send-postel-sink",
     r"^postel sink bdat", "BDAT, with and without PIPELINING"),
    ("postel sink", OUT, "plain", "interop-send-postel-sink",
     r"^postel sink data", "DATA (--no-chunking)"),
    ("smtp-server (npm)", OUT, "plain PIPELINING", "interop-smtp-server",
     r"^smtp-server (plain(:| plain| 8bit)|temporary|8bit)",
     "3 recipients in one group, 550 and 450 recipients, 2 MB 8BITMIME"),
    ("smtp-server (npm) hidePIPELINING", OUT, "plain",
     "interop-smtp-server", r"^smtp-server no PIPELINING",
     "one command at a time"),
    ("smtp-server (npm)", OUT, "plain", "interop-smtp-server",
     r"^smtp-server plain: no CHUNKING",
     "no CHUNKING in smtp-server: DATA used"),
    ("smtp-server (npm)", OUT, "SMTPUTF8", "interop-smtp-server",
     r"^smtp-server (plain )?SMTPUTF8",
     "UTF-8 addresses; not offered: nothing sent"),
    ("smtp-server (npm)", OUT, "STARTTLS AUTH", "interop-smtp-server",
     r"^smtp-server STARTTLS(?! client_)",
     "certificate checked with --tls-ca; then AUTH"),
    ("smtp-server (npm)", OUT, "AUTH", "interop-smtp-server",
     r"^smtp-server AUTH", "PLAIN, LOGIN, bad password 535"),
    ("smtp-server (npm, LMTP)", OUT, "LMTP", "interop-smtp-server",
     r"^smtp-server LMTP",
     "550 at RCPT, one final reply per recipient, 452 for one"),
    ("smtp-server (npm)", OUT, "plain", "interop-smtp-server",
     r"^smtp-server SIZE",
     "SIZE declared; exactly the limit goes, one octet over: no MAIL sent"),
    ("Postfix smtpd (private instance)", OUT, "plain",
     "interop-postfix-smtpd", r"^postfix (plain|8bitmime|size|recipients)",
     "DATA unpipelined, 8BITMIME, SIZE (too big: not sent), 550 for one "
     "of 3 recipients; no AUTH (Postfix needs Cyrus SASL or Dovecot)"),
    ("Postfix smtpd", OUT, "PIPELINING", "interop-postfix-smtpd",
     r"^postfix (pipelining|data big)", "MAIL, RCPT, RCPT, DATA in one "
     "group, smtpd_forbid_unauth_pipelining; 530 KB of dot lines"),
    ("Postfix smtpd", OUT, "PIPELINING CHUNKING", "interop-postfix-smtpd",
     r"^postfix chunking", "BDAT LAST, lone-dot lines, 590 KB, BDAT "
     "unpipelined"),
    ("Postfix smtpd", OUT, "STARTTLS", "interop-postfix-smtpd",
     r"^postfix starttls", "required, certificate checked (--tls-ca); "
     "one for another name refused"),
    ("Postfix smtpd", OUT, "SMTPUTF8", "interop-postfix-smtpd",
     r"^postfix smtputf8", "UTF-8 sender and mailbox; not sent when not "
     "offered"),
    ("Postfix smtpd", "examples client_blocking →", "plain STARTTLS",
     "interop-postfix-smtpd", r"^postfix client_blocking",
     "certificate checked (-C)"),
    ("Postfix master", OUT, "", "interop-postfix-smtpd", r"^postfix: ",
     "private instance run in the foreground, stopped by pid, no process "
     "left, no fatal in its log, its bare-LF guard live"),
    ("Python aiosmtpd", "examples client_blocking, client_libuv →",
     "plain STARTTLS", "examples",
     r"^(client_\w+ (->|refuses)|aiosmtpd \()",
     "untrusted certificate refused"),
    ("smtp-server (npm)", "examples client_blocking, client_libuv →",
     "plain STARTTLS", "interop-smtp-server",
     r"^client_\w+ -> smtp-server|^smtp-server (plain|STARTTLS) client_",
     "certificate checked (-C)"),
    ("silent server", "examples client_blocking, client_libuv →", "plain",
     "examples", r"^(mute server|client_\w+ gives up)", "timeout"),
    # ---- the faults suite
    ("clients cut inside commands", IN, "plain PIPELINING",
     "faults-drop-command", r".", "every octet of a transaction; FIN and RST"),
    ("clients cut inside DATA and BDAT", IN, "PIPELINING CHUNKING",
     "faults-drop-data", r".", "inside the end of data, false ends"),
    ("clients dropped mid-TLS-handshake", IN, "STARTTLS",
     "faults-drop-tls", r".", "and silent mid-handshake, cut inside TLS"),
    ("silent clients", IN, "plain", "faults-idle", r".",
     "421 and close at the timeout, 200 at once"),
    ("100 MiB without a newline", IN, "plain", "faults-long-line", r".",
     "before EHLO, in a command, in DATA; memory bounded"),
    ("10,000 connections opened and closed", IN, "plain", "faults-churn",
     r".", "descriptors freed"),
    # ---- the load generator
    ("postel sink", "postel load →", "PIPELINING CHUNKING", "faults-load",
     r"^load (--|refuses)|^(load|connect|--seconds|sink up)",
     "reused, new connection, not pipelined, BDAT: every message stored; "
     "errors counted; loopback only; bounded in time"),
    ("Postfix smtp-sink", "postel load →", "PIPELINING", "faults-load",
     r"smtp-sink", "every message counted was dumped"),
]


def load(path):
    tests = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            # "postel:interop / interop-swaks" -> "interop-swaks"
            name = t["name"].split(" / ")[-1]
            checks = []
            for out in (t.get("stdout") or "").splitlines():
                m = re.match(r"^(ok  |FAIL) (.*)$", out)
                if m:
                    checks.append((m.group(1).strip() == "ok", m.group(2)))
            tests[name] = {"result": t["result"], "checks": checks,
                           "duration": t.get("duration", 0.0),
                           "suite": t["name"].split(":")[-1].split(" / ")[0]}
    return tests


def row_result(tests, test, pattern):
    t = tests.get(test)
    if t is None:
        return "not run", 0, 0
    rx = re.compile(pattern)
    mine = [ok for ok, label in t["checks"] if rx.search(label)]
    if not mine:
        # no check lines of its own: the test's own verdict
        return ("pass" if t["result"] == "OK" else t["result"]), 0, 0
    good = sum(mine)
    if good != len(mine):
        return "FAIL", good, len(mine)
    return "pass", good, len(mine)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    tests = load(argv[1])
    out = []
    w = out.append
    w("# Interoperability")
    w("")
    w("What the test suites ran against what, generated from their results "
      "by `test/interop/report.py`. Regenerate with:")
    w("")
    w("```sh")
    w("meson test -C build --suite interop --suite examples --suite faults")
    w("test/interop/report.py build/meson-logs/testlog.json > "
      "docs/interop.md")
    w("```")
    w("")
    w("Every peer runs on 127.0.0.1, started and stopped by the test; every "
      "message a server stores is compared byte for byte with what was "
      "sent. Directions: `peer → postel sink` the peer sends and `postel "
      "sink` receives; `postel send → peer` the other way. A feature "
      "column is marked when that row exercised it. Checks: passed / "
      "checks of that row (0 / 0: the row has no checks of its own and "
      "takes the test's verdict).")
    w("")
    w("| peer | direction | " + " | ".join(FEATURES) +
      " | what | checks | result |")
    w("|---|---|" + "|".join(":-:" for _ in FEATURES) + "|---|---:|---|")
    for peer, direction, feats, test, pattern, what in ROWS:
        fs = set(feats.split())
        res, good, n = row_result(tests, test, pattern)
        w("| %s | %s | %s | %s | %d / %d | %s |" % (
            peer, direction, " | ".join("✓" if f in fs else "" for f in
                                        FEATURES),
            (what + " " if what else "") + "(`%s`)" % test, good, n,
            "**%s**" % res if res != "pass" else res))
    w("")
    w("## Tests")
    w("")
    w("| suite | test | checks passed | result | seconds |")
    w("|---|---|---:|---|---:|")
    for name in sorted(tests, key=lambda n: (tests[n]["suite"], n)):
        t = tests[name]
        if t["suite"] not in ("interop", "examples", "faults"):
            continue
        good = sum(ok for ok, _ in t["checks"])
        w("| %s | `%s` | %d / %d | %s | %.1f |" % (
            t["suite"], name, good, len(t["checks"]),
            t["result"] if t["result"] == "OK" else "**%s**" % t["result"],
            t["duration"]))
        for ok, label in t["checks"]:
            if not ok:
                w("| | | failed: %s | | |" % label.replace("|", "\\|"))
    unmapped = sorted(set(r[3] for r in ROWS) - set(tests))
    if unmapped:
        w("")
        w("Not in this log: " + ", ".join("`%s`" % u for u in unmapped) +
          ".")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
