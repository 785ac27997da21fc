"""What each peer test needs on the machine, checked before it starts.

A missing prerequisite fails the test at once with one line that names
it and its Debian package (`bash .ci/deps` installs them all), instead of
failing later in a way that looks like a postel defect: swaks without
Net::SSLeay, say, prints "TLS not available" on every -tls case.

    import prereq; prereq.check("interop-swaks")

Keys are the meson test names (test/interop/meson.build,
test/faults/meson.build).
"""
import importlib.util
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(HERE, "node", "node_modules")

# (kind, name, Debian package or how to install)
OPENSSL = ("program", "openssl", "openssl")
POSTFIX = ("program", "/usr/sbin/postfix", "postfix")
SMTP_SINK = ("program", "/usr/sbin/smtp-sink", "postfix")
SMTP_SOURCE = ("program", "/usr/sbin/smtp-source", "postfix")
AIOSMTPD = ("python", "aiosmtpd", "python3-aiosmtpd")
NODE = ("program", "node", "nodejs")
TIMEOUT = ("program", "timeout", "coreutils")

NEEDS = {
    "interop-smtplib": [OPENSSL],
    # swaks only recommends Net::SSLeay; without it every -tls case fails
    "interop-swaks": [("program", "swaks", "swaks"),
                      ("perl", "Net::SSLeay", "libnet-ssleay-perl"),
                      OPENSSL],
    "interop-msmtp": [("program", "msmtp", "msmtp"), OPENSSL],
    "interop-smtp-source": [SMTP_SOURCE],
    "interop-lmtp": [SMTP_SOURCE],
    "interop-faults": [],
    "interop-idna": [],
    "interop-example-blocking": [],
    "interop-send-aiosmtpd": [AIOSMTPD],
    "interop-send-aiosmtpd-starttls": [AIOSMTPD, OPENSSL],
    "interop-send-aiosmtpd-auth": [AIOSMTPD, OPENSSL],
    "interop-send-aiosmtpd-lmtp": [AIOSMTPD],
    "interop-send-smtp-sink": [SMTP_SINK],
    "interop-send-smtp-sink-lmtp": [SMTP_SINK],
    "interop-send-postel-sink": [],
    "interop-nodemailer": [NODE, ("npm", "nodemailer", None), OPENSSL],
    "interop-smtp-server": [NODE, ("npm", "smtp-server", None), OPENSSL],
    "interop-postfix-smtpd": [POSTFIX],
    "faults-drop-command": [],
    "faults-drop-data": [],
    "faults-drop-tls": [OPENSSL],
    "faults-idle": [],
    "faults-long-line": [],
    "faults-churn": [],
    "faults-load": [TIMEOUT],
}


def missing(kind, name):
    """True when the prerequisite is not there."""
    if kind == "program":
        return shutil.which(name) is None
    if kind == "python":
        return importlib.util.find_spec(name) is None
    if kind == "perl":
        if shutil.which("perl") is None:
            return True
        return subprocess.run(["perl", "-M" + name, "-e", "1"],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode != 0
    if kind == "npm":
        return not os.path.exists(os.path.join(NODE_MODULES, name,
                                               "package.json"))
    raise ValueError(kind)


def check(test):
    """Exit 1 with one line per missing prerequisite of `test`."""
    if test not in NEEDS:
        print("FAIL prerequisites of %s are not listed in %s" %
              (test, __file__))
        sys.exit(1)
    lost = []
    for kind, name, package in NEEDS[test]:
        if missing(kind, name):
            how = ("Debian package %s" % package if package else
                   "npm ci --prefix test/interop/node")
            lost.append("FAIL %s: missing prerequisite %s %s (%s; "
                        "`bash .ci/deps` installs it)" %
                        (test, kind, name, how))
    if lost:
        print("\n".join(lost))
        sys.exit(1)


def selftest():
    """A missing prerequisite of each kind gives exit 1 and its line."""
    NEEDS["selftest"] = [("program", "postel-no-such-program", "nopkg"),
                         ("python", "postel_no_such_module", "nopkg2"),
                         ("perl", "Postel::NoSuchModule", "nopkg3"),
                         ("npm", "postel-no-such-package", None),
                         ("program", "sh", "dash")]
    r = subprocess.run([sys.executable, "-c",
                        "import sys; sys.path.insert(0, %r); import prereq; "
                        "prereq.NEEDS['selftest'] = %r; "
                        "prereq.check('selftest')" %
                        (HERE, NEEDS["selftest"])],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    lines = r.stdout.splitlines()
    ok = (r.returncode == 1 and len(lines) == 4 and
          all(line.startswith("FAIL selftest: missing prerequisite ")
              for line in lines) and
          "(Debian package nopkg;" in lines[0] and
          "Postel::NoSuchModule" in lines[2] and
          "npm ci --prefix test/interop/node" in lines[3])
    print(r.stdout, end="")
    print(("ok   " if ok else "FAIL ") +
          "each missing prerequisite is named with its package, exit 1")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(selftest())
