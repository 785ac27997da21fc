#!/usr/bin/python3
"""Interop test: `postel send` and examples/client_blocking deliver to a
real Postfix smtpd.

usage: postfix_smtpd.py POSTEL [CLIENT_BLOCKING]

The test builds a private Postfix instance in a temporary directory (its
own main.cf, master.cf, queue and data directories, nothing shared with
/etc/postfix or /var/spool/postfix), runs its master(8) in the foreground
as a child of this script, in a process group of its own, and delivers
with virtual(8) into Maildirs under the same directory. smtpd listens on
127.0.0.1 only, on ports found free just before; mail for any domain but
example.test goes to the error transport, so nothing leaves the machine
and no DNS lookup is made. At the end the master is stopped by its pid
(SIGTERM, SIGKILL after a deadline) and the test checks that no process
of the instance is left.

Every message is checked byte for byte: Postfix prepends Return-Path,
X-Original-To, Delivered-To and Received (those are checked, then
stripped) and stores lines with LF ends, so the rest must equal what was
sent with CRLF made LF.

Postfix's master runs its daemons as mail_owner and virtual(8) delivers
as a fixed uid: the test must run as root (as CI does) and fails, not
skips, otherwise.

AUTH is not tested here: Postfix offers it only through Cyrus SASL or
Dovecot, which this test does not set up (see send.py for AUTH against
aiosmtpd).
"""

import ctypes
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop  # noqa: E402
import send  # noqa: E402  (send, lf_message, free_port, self_signed)

from interop import check, show_diff  # noqa: E402

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
DELIVERY_WAIT = 30  # seconds for qmgr + virtual(8) after the 250
STOP_WAIT = 20      # seconds between SIGTERM and SIGKILL
PR_SET_CHILD_SUBREAPER = 36
NOBODY = 65534      # the uid virtual(8) delivers as (>= virtual_minimum_uid)

# mailbox (Maildir under TMP/mail) per recipient; one per case keeps the
# cases apart. Recipients not listed here get 550 5.1.1 from smtpd
# (smtpd_reject_unlisted_recipient, the default).
MAILBOXES = ["plain", "pipelining", "pipelining-2", "chunking",
             "bigchunks", "databig", "starttls",
             "eightbit", "size", "multi-a", "multi-b", "example-plain",
             "example-tls", "guard"]
UTF8_RCPT = "\xfcser@example.test"

# The smtpd services: name -> -o overrides (master.cf).
SERVICES = {
    "full": [],
    # no CHUNKING: the client must fall back to DATA and dot-stuff
    "nochunk": ["smtpd_discard_ehlo_keywords=chunking"],
    # RFC 1870: SIZE 20000 advertised
    "small": ["message_size_limit=20000"],
    # RFC 6531: no SMTPUTF8 advertised
    "noutf8": ["smtputf8_enable=no"],
    # a certificate for another name: verification must fail
    "othername": ["smtpd_tls_cert_file={other}/cert.pem",
                  "smtpd_tls_key_file={other}/key.pem"],
}


# ---------------------------------------------------------------- processes

def become_subreaper():
    """Daemons orphaned when the master exits are re-parented to this
    process (not to init), so the test can reap them and prove that none
    is left."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def group_members(pgid):
    """Live (not zombie) processes of process group pgid, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append((int(d), stat[stat.index("(") + 1:stat.rindex(")")]))
    return out


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- Postfix

class Postfix:
    """A private Postfix instance under tmp, started in the foreground."""

    def __init__(self, tmp, cert, key):
        self.tmp = tmp
        self.conf = os.path.join(tmp, "conf")
        self.queue = os.path.join(tmp, "queue")
        self.data = os.path.join(tmp, "data")
        self.mail = os.path.join(tmp, "mail")
        self.maillog = os.path.join(tmp, "maillog")
        self.other = os.path.join(tmp, "other")
        for d in (self.conf, self.queue, self.data, self.mail):
            os.mkdir(d)
        # mail_owner must reach the queue through tmp; virtual(8)
        # writes the Maildirs as NOBODY
        os.chmod(tmp, 0o755)
        owner = pwd.getpwnam("postfix")
        os.chown(self.data, owner.pw_uid, owner.pw_gid)
        os.chown(self.mail, NOBODY, NOBODY)
        self.ports = {name: send.free_port() for name in SERVICES}
        self.write_config(cert, key)
        self.proc = None
        self.out = open(os.path.join(tmp, "master.out"), "wb")
        # creates the queue directories with Postfix's own ownership and
        # modes (post-install create-missing) and checks the config
        self.postfix("check")
        daemon_dir = subprocess.run(
            [POSTCONF, "-c", self.conf, "-h", "daemon_directory"],
            check=True, timeout=30, stdout=subprocess.PIPE,
            text=True).stdout.strip()
        cmd = [os.path.join(daemon_dir, "master"), "-c", self.conf, "-d"]
        print("run  " + " ".join(cmd))
        # its own process group: on SIGTERM the master signals its
        # group, i.e. its daemons and nothing else
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            for port in self.ports.values():
                self.wait_port(port)
        except RuntimeError:
            self.stop()
            raise
        print("postfix master pid %d ports %s" % (self.proc.pid,
                                                  self.ports))

    def postfix(self, *args):
        cmd = ["timeout", "60", POSTFIX, "-c", self.conf] + list(args)
        print("run  " + " ".join(cmd))
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            print(p.stdout.decode(errors="replace"))
            print(self.log())
            raise RuntimeError("postfix %s: exit %d" % (args[0],
                                                        p.returncode))

    def write_config(self, cert, key):
        t = self.tmp
        main = [
            "compatibility_level = 3.6",
            "queue_directory = %s" % self.queue,
            "data_directory = %s" % self.data,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            # logs into a file of the test (no syslog needed);
            # postlogd(8) writes it
            "maillog_file = %s" % self.maillog,
            "maillog_file_prefixes = %s" % t,
            # names and networks: loopback only, no DNS
            "myhostname = postfix.example.test",
            "mydomain = example.test",
            "myorigin = $myhostname",
            "mydestination =",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "smtpd_peername_lookup = no",
            "smtp_dns_support_level = disabled",
            "alias_maps =",
            "alias_database =",
            "local_recipient_maps =",
            "relayhost =",
            "default_transport = error:no mail leaves this test",
            "relay_transport = error:no mail leaves this test",
            "smtpd_relay_restrictions = permit_mynetworks, "
            "reject_unauth_destination",
            # loopback counts as local for header rewriting by default:
            # no rewriting, no added Date/Message-Id/From, so the content
            # arrives as sent
            "local_header_rewrite_clients =",
            # delivery: virtual(8) into TMP/mail/<box>/ (Maildir)
            "virtual_mailbox_domains = example.test",
            "virtual_mailbox_base = %s" % self.mail,
            "virtual_mailbox_maps = texthash:%s" %
            os.path.join(self.conf, "vmailbox"),
            "virtual_uid_maps = static:%d" % NOBODY,
            "virtual_gid_maps = static:%d" % NOBODY,
            "smtputf8_enable = yes",
            # RFC 2920: a client that pipelines where it must not (before
            # the greeting, or past DATA) is disconnected
            "smtpd_forbid_unauth_pipelining = yes",
            # RFC 5321 §2.3.8: lines end in CRLF; a bare LF in content
            # gets 550 (loopback too, not excluded as mynetworks is;
            # "yes" would only normalize)
            "smtpd_forbid_bare_newline = reject",
            "smtpd_forbid_bare_newline_exclusions =",
            "smtpd_tls_security_level = may",
            "smtpd_tls_cert_file = %s" % cert,
            "smtpd_tls_key_file = %s" % key,
            "smtpd_tls_received_header = yes",
            "smtpd_tls_loglevel = 1",
        ]
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.conf, "vmailbox"), "w",
                  encoding="utf-8") as f:
            for box in MAILBOXES:
                f.write("%s@example.test %s/\n" % (box, box))
            f.write("%s utf8/\n" % UTF8_RCPT)
        # chroot off (column 5): the instance has no chroot tree
        master = []
        for name, opts in SERVICES.items():
            master.append("127.0.0.1:%d inet n - n - - smtpd" %
                          self.ports[name])
            master += ["  -o " + o.format(other=self.other) for o in opts]
        master += [
            "pickup    unix  n - n 60    1 pickup",
            "cleanup   unix  n - n -     0 cleanup",
            "qmgr      unix  n - n 300   1 qmgr",
            "tlsmgr    unix  - - n 1000? 1 tlsmgr",
            "rewrite   unix  - - n -     - trivial-rewrite",
            "bounce    unix  - - n -     0 bounce",
            "defer     unix  - - n -     0 bounce",
            "trace     unix  - - n -     0 bounce",
            "verify    unix  - - n -     1 verify",
            "flush     unix  n - n 1000? 0 flush",
            "proxymap  unix  - - n -     - proxymap",
            "error     unix  - - n -     - error",
            "retry     unix  - - n -     - error",
            "discard   unix  - - n -     - discard",
            "virtual   unix  - n n -     - virtual",
            "anvil     unix  - - n -     1 anvil",
            "scache    unix  - - n -     1 scache",
            "postlog   unix-dgram n - n - 1 postlogd",
        ]
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(master) + "\n")

    def wait_port(self, port):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postfix master exited %d:\n%s" %
                                   (self.proc.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", port),
                                         timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("postfix: nothing listens on port %d:\n%s" %
                           (port, self.log()))

    def log(self):
        text = ""
        for p in (os.path.join(self.tmp, "master.out"), self.maillog):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    text += f.read().decode(errors="replace")
        return text

    def wait_log(self, pattern, seconds=10):
        """Whether the log matches pattern within seconds (postlogd
        writes it asynchronously)."""
        deadline = time.time() + seconds
        while True:
            if re.search(pattern, self.log(), re.M):
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.1)

    def stop(self):
        """SIGTERM to the master by pid; SIGKILL after STOP_WAIT. Then no
        process of its group may be left."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=STOP_WAIT)
            check(True, "postfix: master exits on SIGTERM")
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            check(False, "postfix: master exits on SIGTERM within %d s" %
                  STOP_WAIT)
        self.out.close()
        deadline = time.time() + STOP_WAIT
        left = group_members(pgid)
        while left and time.time() < deadline:
            reap()
            time.sleep(0.1)
            left = group_members(pgid)
        if not check(not left, "postfix: no process of the instance left "
                     "(process group %d)" % pgid):
            print("     left: %r" % left)
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap()
        self.proc = None

    def mailbox(self, box, count):
        """Messages delivered to box, waiting up to DELIVERY_WAIT for
        count of them: [(file bytes)] in delivery order."""
        new = os.path.join(self.mail, box, "new")
        deadline = time.time() + DELIVERY_WAIT
        while True:
            names = os.listdir(new) if os.path.isdir(new) else []
            if len(names) >= count or time.time() > deadline:
                break
            time.sleep(0.1)
        # Maildir names start with the delivery time in seconds, then
        # a sequence: sort by the file's mtime, then name
        paths = sorted((os.path.join(new, n) for n in names),
                       key=lambda p: (os.stat(p).st_mtime_ns, p))
        out = []
        for p in paths:
            with open(p, "rb") as f:
                out.append(f.read())
        return out


TRACE = re.compile(rb"Return-Path: <([^>\n]*)>\n"
                   rb"X-Original-To: ([^\n]*)\n"
                   rb"Delivered-To: ([^\n]*)\n"
                   rb"(Received: [^\n]*\n(?:[ \t][^\n]*\n)*)")


def split_postfix(data):
    """Stored file -> (return_path, delivered_to, received, content), or
    None when it does not start with what Postfix prepends."""
    m = TRACE.match(data)
    if not m:
        return None
    return m.group(1), m.group(3), m.group(4), data[m.end():]


def check_delivered(pf, box, expected, label, sender=b"sender@example.org",
                    rcpt=None, received=(), skip=0):
    """expected: the CRLF contents sent to box, in order, after the
    first `skip` (checked before). received: regular expressions the
    Received: header must match."""
    rcpt = rcpt if rcpt is not None else ("%s@example.test" % box).encode()
    got = pf.mailbox(box, skip + len(expected))[skip:]
    check(len(got) == len(expected), "%s: %d message(s) delivered (got %d)" %
          (label, len(expected), len(got)))
    for i, (exp, data) in enumerate(zip(expected, got)):
        parts = split_postfix(data)
        if not check(parts is not None, "%s #%d: Postfix trace headers" %
                     (label, i)):
            print("     got: %r" % data[:300])
            continue
        rp, dt, rcv, content = parts
        check(rp == sender, "%s #%d: Return-Path <%s>" %
              (label, i, sender.decode(errors="replace")))
        check(dt == rcpt, "%s #%d: Delivered-To %s" %
              (label, i, rcpt.decode(errors="replace")))
        for rx in received:
            if not check(re.search(rx, rcv) is not None,
                         "%s #%d: Received matches %s" %
                         (label, i, rx.decode())):
                print("     got: %r" % rcv)
        want = exp.replace(b"\r\n", b"\n")
        if not check(content == want, "%s #%d: content byte for byte "
                     "(%d bytes)" % (label, i, len(want))):
            show_diff(want, content)


def transcript(out):
    """`postel send -v` output -> the C:/S: lines in order."""
    return [ln for ln in out.splitlines() if ln[:3] in ("C: ", "S: ")]


def index_of(lines, prefix):
    for i, ln in enumerate(lines):
        if ln.startswith(prefix):
            return i
    return -1


# ---------------------------------------------------------------- cases

FROM = ["--from", "sender@example.org"]


def to(box):
    return ["--to", "%s@example.test" % box]


def case_plain(pf, postel, tmp):
    """No PIPELINING, no CHUNKING: one command, one reply; DATA with
    dot-stuffing (RFC 5321 §4.5.2)."""
    raw, crlf = send.lf_message("postfix-plain")
    o = send.send(postel, pf.ports["nochunk"],
                  FROM + to("plain") + ["--starttls", "never",
                                        "--no-pipelining", "-v"],
                  raw, "postfix plain")
    t = transcript(o)
    check("C: DATA" in t and not any(ln.startswith("C: BDAT") for ln in t),
          "postfix plain: DATA used (CHUNKING not offered)")
    mail, ok = index_of(t, "C: MAIL FROM:"), index_of(t, "S: 250 2.1.0")
    check(0 <= mail < ok < index_of(t, "C: RCPT TO:"),
          "postfix plain: not pipelined (RCPT after the MAIL reply)")
    check(re.search(r"^DATA: 250 2\.0\.0 Ok: queued as", o, re.M)
          is not None, "postfix plain: final reply printed")
    check_delivered(pf, "plain", [crlf], "postfix plain",
                    received=[rb"with ESMTP id"])


def case_pipelining(pf, postel, tmp):
    """RFC 2920: MAIL, RCPT, RCPT, DATA in one group, before any reply;
    smtpd_forbid_unauth_pipelining would cut a client that pipelines
    past DATA."""
    raw, crlf = send.lf_message("postfix-pipelining")
    o = send.send(postel, pf.ports["nochunk"],
                  FROM + to("pipelining") + to("pipelining-2") +
                  ["--starttls", "never", "-v"], raw,
                  "postfix pipelining")
    t = transcript(o)
    first = index_of(t, "S: 250 2.1.0")
    data = index_of(t, "C: DATA")
    check(0 <= index_of(t, "C: MAIL FROM:") < first and 0 <= data < first,
          "postfix pipelining: MAIL, RCPT, DATA sent before the first "
          "reply")
    check(index_of(t, "S: 354") > data, "postfix pipelining: 354 to DATA")
    check_delivered(pf, "pipelining", [crlf], "postfix pipelining")
    check_delivered(pf, "pipelining-2", [crlf], "postfix pipelining 2nd "
                    "recipient")


def case_chunking(pf, postel, tmp):
    """RFC 3030: BDAT with the content as is (no dot-stuffing): lines
    that are a lone dot or start with dots; a big body; BDAT without
    PIPELINING."""
    raw, crlf = send.lf_message("postfix-bdat", extra=".\n..\n...\n. .\n")
    o = send.send(postel, pf.ports["full"],
                  FROM + to("chunking") + ["--starttls", "never", "-v"],
                  raw, "postfix chunking")
    t = transcript(o)
    check(any(re.match(r"C: BDAT \d+ LAST$", ln) for ln in t) and
          "C: DATA" not in t, "postfix chunking: BDAT ... LAST used")
    check(0 <= index_of(t, "C: BDAT") < index_of(t, "S: 250 2.1.0"),
          "postfix chunking: MAIL, RCPT, BDAT pipelined")
    check_delivered(pf, "chunking", [crlf], "postfix chunking")

    raw, crlf = send.lf_message("postfix-bigchunks", extra="".join(
        "%06d .. chunk line\n.%06d\n" % (i, i) for i in range(20000)))
    o = send.send(postel, pf.ports["full"],
                  FROM + to("bigchunks") + ["--starttls", "never", "-v"],
                  raw, "postfix chunking big")
    # postel send hands the whole message to the engine (zero copy):
    # one chunk of exactly its size
    check("C: BDAT %d LAST" % len(crlf) in transcript(o),
          "postfix chunking big: BDAT %d LAST" % len(crlf))
    check_delivered(pf, "bigchunks", [crlf], "postfix chunking big")

    raw, crlf = send.lf_message("postfix-bdat-unpipelined", extra=".\n")
    o = send.send(postel, pf.ports["full"],
                  FROM + to("chunking") + ["--starttls", "never", "-v",
                                           "--no-pipelining"],
                  raw, "postfix chunking unpipelined")
    t = transcript(o)
    check(0 <= index_of(t, "S: 250 2.1.5") < index_of(t, "C: BDAT"),
          "postfix chunking unpipelined: BDAT after the RCPT reply")
    check_delivered(pf, "chunking", [crlf], "postfix chunking unpipelined",
                    skip=1)


def case_data_big(pf, postel, tmp):
    """RFC 5321 §4.5.2: 590 KB of dot-started lines through DATA, dot-
    stuffed across many writes of the engine's output buffer."""
    raw, crlf = send.lf_message("postfix-data-big", extra="".join(
        ".%06d\n..\n.\n" % i for i in range(40000)))
    o = send.send(postel, pf.ports["nochunk"],
                  FROM + to("databig") + ["--starttls", "never", "-v"],
                  raw, "postfix data big")
    check("C: DATA" in transcript(o), "postfix data big: DATA used")
    check_delivered(pf, "databig", [crlf], "postfix data big")


def case_starttls(pf, postel, tmp, cert, other):
    """RFC 3207: STARTTLS required, certificate checked against the
    self-signed one; the session starts over with EHLO. A certificate
    that is trusted but names another server is refused (RFC 3207 §4.1,
    the address the client dialled is the name to match)."""
    raw, crlf = send.lf_message("postfix-starttls")
    o = send.send(postel, pf.ports["full"],
                  FROM + to("starttls") + ["--starttls", "require",
                                           "--tls-ca", cert, "-v"],
                  raw, "postfix starttls")
    t = transcript(o)
    tls = index_of(t, "S: 220 2.0.0")
    ehlo = [i for i, ln in enumerate(t) if ln.startswith("C: EHLO ")]
    check(0 <= index_of(t, "C: STARTTLS") < tls and len(ehlo) == 2 and
          ehlo[1] > tls, "postfix starttls: STARTTLS, 220, EHLO again")
    check(tls < index_of(t, "C: MAIL FROM:"),
          "postfix starttls: MAIL only after TLS")
    o = send.send(postel, pf.ports["othername"],
                  FROM + to("starttls") + ["--starttls", "require",
                                           "--tls-ca", other],
                  raw, "postfix starttls certificate for another name",
                  expect_rc=75)
    check(pf.wait_log(r"smtpd\[\d+\]: warning: TLS library problem: "
                      r".*alert bad certificate"),
          "postfix starttls certificate for another name: the client "
          "aborted the handshake (bad certificate alert)")
    check_delivered(pf, "starttls", [crlf], "postfix starttls",
                    received=[rb"\(using TLSv1\.[23] ", rb"with ESMTPS id"])


def case_8bitmime(pf, postel, tmp):
    """RFC 6152: 8-bit content goes with BODY=8BITMIME."""
    raw, crlf = send.lf_message("postfix-8bit",
                                extra="caf\xe9 cr\xe8me br\xfbl\xe9e\n")
    o = send.send(postel, pf.ports["full"],
                  FROM + to("eightbit") + ["--starttls", "never", "-v"],
                  raw, "postfix 8bitmime")
    check(re.search(r"^C: MAIL FROM:<sender@example\.org> .*BODY=8BITMIME",
                    o, re.M) is not None,
          "postfix 8bitmime: MAIL ... BODY=8BITMIME")
    check_delivered(pf, "eightbit", [crlf], "postfix 8bitmime")


def case_smtputf8(pf, postel, tmp):
    """RFC 6531: UTF-8 addresses with the SMTPUTF8 parameter; without
    the extension the client must not send them (§3.4)."""
    sender = "j\xf6rg@ex\xe4mple.org"
    raw, crlf = send.lf_message("postfix-utf8", extra="Gr\xfc\xdfe\n")
    o = send.send(postel, pf.ports["full"],
                  ["--from", sender, "--to", UTF8_RCPT, "--starttls",
                   "never", "-v"], raw, "postfix smtputf8")
    check(re.search(r"^C: MAIL FROM:<%s> .*SMTPUTF8" % sender, o, re.M)
          is not None, "postfix smtputf8: MAIL ... SMTPUTF8")
    check_delivered(pf, "utf8", [crlf], "postfix smtputf8",
                    sender=sender.encode(), rcpt=UTF8_RCPT.encode(),
                    received=[rb"with UTF8SMTP id"])
    o = send.send(postel, pf.ports["noutf8"],
                  ["--from", sender, "--to", UTF8_RCPT, "--starttls",
                   "never", "-v"], raw, "postfix smtputf8 not offered",
                  expect_rc=69)
    check("C: MAIL" not in o,
          "postfix smtputf8 not offered: no MAIL sent")


def case_size(pf, postel, tmp):
    """RFC 1870: the message's size goes with MAIL; one larger than the
    advertised SIZE is not sent at all (§6)."""
    raw, crlf = send.lf_message("postfix-size")
    o = send.send(postel, pf.ports["small"],
                  FROM + to("size") + ["--starttls", "never", "-v"], raw,
                  "postfix size")
    check("S: 250-SIZE 20000" in o, "postfix size: SIZE 20000 advertised")
    check(re.search(r"^C: MAIL FROM:<sender@example\.org> SIZE=%d\b" %
                    len(crlf), o, re.M) is not None,
          "postfix size: MAIL ... SIZE=%d" % len(crlf))
    big, _ = send.lf_message("postfix-size-big", extra="".join(
        "%05d %s\n" % (i, "y" * 60) for i in range(300)))
    o = send.send(postel, pf.ports["small"],
                  FROM + to("size") + ["--starttls", "never", "-v"], big,
                  "postfix size over the limit", expect_rc=69)
    check("C: MAIL" not in o and "C: BDAT" not in o,
          "postfix size over the limit: nothing sent")
    check_delivered(pf, "size", [crlf], "postfix size")


def case_guard(pf):
    """The bare-LF guard the cases rely on is live: content with a bare
    LF is refused, so every message delivered intact went out with CRLF
    line ends only (RFC 5321 §2.3.8)."""
    s = socket.create_connection(("127.0.0.1", pf.ports["nochunk"]),
                                 timeout=20)
    f = s.makefile("rb")

    def code():
        while True:
            ln = f.readline()
            if ln[3:4] != b"-":
                return ln[:3]
    try:
        codes = [code()]
        for cmd in (b"EHLO guard.example", b"MAIL FROM:<sender@example.org>",
                    b"RCPT TO:<guard@example.test>", b"DATA"):
            s.sendall(cmd + b"\r\n")
            codes.append(code())
        s.sendall(b"Subject: bare LF\r\n\r\nbare\nLF\r\n.\r\n")
        codes.append(code())
    finally:
        f.close()
        s.close()
    check(codes[:5] == [b"220", b"250", b"250", b"250", b"354"] and
          codes[5][:1] == b"5", "postfix: a bare LF in DATA is refused "
          "(got %s)" % b" ".join(codes).decode(errors="replace"))


def case_recipients(pf, postel, tmp):
    """Three recipients, the middle one unknown: 550 5.1.1 for it, the
    others get the message; the exit status says some were refused."""
    raw, crlf = send.lf_message("postfix-multi")
    o = send.send(postel, pf.ports["full"],
                  FROM + to("multi-a") + to("nobody") + to("multi-b") +
                  ["--starttls", "never"], raw,
                  "postfix recipients one refused", expect_rc=69)
    check("RCPT <multi-a@example.test>: 250" in o and
          "RCPT <multi-b@example.test>: 250" in o,
          "postfix recipients: 250 for the known ones")
    check(re.search(r"^RCPT <nobody@example\.test>: 550 5\.1\.1 ", o, re.M)
          is not None, "postfix recipients: 550 5.1.1 for the unknown one")
    check(re.search(r"^DATA: 250 ", o, re.M) is not None,
          "postfix recipients: message accepted for the others")
    for box in ("multi-a", "multi-b"):
        check_delivered(pf, box, [crlf], "postfix recipients " + box)


def case_example(pf, client, tmp, cert):
    """examples/client_blocking: plain (-P) and STARTTLS with the
    certificate checked (-C)."""
    for box, opts, rcv in (("example-plain", ["-P"], rb"with ESMTP id"),
                           ("example-tls", ["-C", cert],
                            rb"with ESMTPS id")):
        raw, crlf = send.lf_message("postfix-" + box)
        path = os.path.join(tmp, box + ".eml")
        with open(path, "wb") as f:
            f.write(raw)
        interop.run_peer([client] + opts + [
            "127.0.0.1:%d" % pf.ports["full"], "sender@example.org",
            "%s@example.test" % box, path], "postfix client_blocking %s" %
            box)
        check_delivered(pf, box, [crlf], "postfix client_blocking " + box,
                        received=[rcv])


def run(postel, client, tmp):
    cert, key = send.self_signed(tmp)
    os.mkdir(os.path.join(tmp, "other"))
    other, _ = send.self_signed(os.path.join(tmp, "other"),
                                san="DNS:other.example")
    pf = Postfix(tmp, cert, key)
    try:
        case_plain(pf, postel, tmp)
        case_pipelining(pf, postel, tmp)
        case_chunking(pf, postel, tmp)
        case_data_big(pf, postel, tmp)
        case_starttls(pf, postel, tmp, cert, other)
        case_8bitmime(pf, postel, tmp)
        case_smtputf8(pf, postel, tmp)
        case_size(pf, postel, tmp)
        case_recipients(pf, postel, tmp)
        case_guard(pf)
        if client is not None:
            case_example(pf, client, tmp, cert)
    finally:
        pf.stop()
        log = pf.log()
        bad = [ln for ln in log.splitlines()
               if re.search(r"\b(fatal|panic|improper command "
                            r"pipelining)\b", ln)]
        if not check(not bad, "postfix: no fatal, panic or improper "
                     "pipelining in its log"):
            print("\n".join("     " + ln for ln in bad))
        if interop.FAILS or os.environ.get("INTEROP_VERBOSE"):
            print("---- postfix log\n" + log)


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    postel = argv[1]
    client = argv[2] if len(argv) == 3 else None
    if not check(os.geteuid() == 0, "postfix: the test runs as root "
                 "(master(8) starts its daemons as mail_owner and "
                 "virtual(8) delivers as uid %d)" % NOBODY):
        return 1
    interop.prereq.check("interop-postfix-smtpd")
    if client is not None:
        interop.need(client)
    check(become_subreaper(), "postfix: this process is the subreaper of "
          "the instance's daemons")
    with tempfile.TemporaryDirectory(prefix="postel-postfix-") as tmp:
        run(postel, client, tmp)
    return interop.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
