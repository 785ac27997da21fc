#!/usr/bin/env python3
"""The postel command line as a user meets it: help and --lenient.

usage: cli.py POSTEL

- `postel --help` and `postel CMD --help` print the usage on stdout,
  nothing on stderr, and exit 0; an unknown option exits 64 (EX_USAGE)
  with the usage on stderr.
- `--lenient` means the POSTEL_LENIENT preset in every command: `postel
  parse --lenient` refuses what the sink refuses in lenient mode (a bare
  LF line end, never tolerated: RFC 5321 §2.3.8) and accepts what it
  accepts (a space after the colon, RFC 5321 §4.1.2 is strict about it).
"""
import subprocess
import sys

failures = 0


def check(cond, what):
    global failures
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures += 1


def run(postel, args, stdin=b""):
    p = subprocess.run([postel] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    postel = sys.argv[1]
    rc, out, err = run(postel, ["--help"])
    check(rc == 0 and "usage" in out and err == "", "postel --help")
    for cmd in ("parse", "sink", "send", "load"):
        rc, out, err = run(postel, [cmd, "--help"])
        check(rc == 0 and out.startswith("usage: postel " + cmd) and
              err == "", "postel %s --help: usage on stdout, exit 0" % cmd)
        rc, out, err = run(postel, [cmd, "--no-such-option"])
        check(rc == 64 and "usage: postel " + cmd in err,
              "postel %s --no-such-option: usage on stderr, exit 64" % cmd)
    rc, out, _ = run(postel, ["parse", "--lenient"], b"NOOP\n")
    check(rc == 0 and "invalid" in out and "bare-lf" in out,
          "parse --lenient refuses a bare LF line end, as the preset does")
    rc, out, _ = run(postel, ["parse", "--lenient"],
                     b"MAIL FROM: <a@example.org>\r\n")
    check(rc == 0 and "status             ok" in out,
          "parse --lenient takes a space after the colon")
    rc, out, _ = run(postel, ["parse", "--strict"],
                     b"MAIL FROM: <a@example.org>\r\n")
    check(rc == 0 and "invalid" in out, "parse --strict does not")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
