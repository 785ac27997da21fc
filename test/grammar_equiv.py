#!/usr/bin/env python3
"""The rules of grammar/skips.rl are the languages of their common.rl rules.

usage: grammar_equiv.py RAGEL GRAMMAR_DIR

For each pair (accelerated rule, RFC rule), Ragel builds the symmetric
difference of the two languages, with the skip actions defined empty; the
pair is equal when that machine has no final state (`ragel -x` lists the
states). A pair known to differ is checked too, so the test can fail.
"""
import os
import subprocess
import sys
import tempfile

PAIRS = [
    ("label_f", "sub_domain"),
    ("domain_f", "domain"),
    ("atom_f", "atom"),
    ("dot_string_f", "dot_string"),
    ("atom_ascii_f", "atom_ascii"),
    ("xtext_f", "xtext_print"),
    ("xtext1_f", "xtext_print - zlen"),
    ("digits_f", "digit+"),
]
# must differ: proves the check sees a difference
CONTROL = ("dot_string_f", "dot_string_loose")

ACTIONS = ["skip_label", "skip_atom", "skip_atext", "skip_xchar",
           "skip_digit"]


def finals(ragel, grammar, a, b, tmp):
    src = os.path.join(tmp, "equiv.rl")
    with open(src, "w") as f:
        f.write("%%{\nmachine equiv;\nalphtype unsigned char;\n"
                "u8 = 0x80..0xff;\n")
        f.write('include common "%s";\n' % os.path.join(grammar, "common.rl"))
        for act in ACTIONS:
            f.write("action %s {}\n" % act)
        f.write('include skips "%s";\n' % os.path.join(grammar, "skips.rl"))
        f.write("main := ( (%s) - (%s) ) | ( (%s) - (%s) );\n"
                "write data;\n}%%%%\n" % (a, b, b, a))
    out = os.path.join(tmp, "equiv.xml")
    subprocess.run([ragel, "-x", src, "-o", out], check=True, timeout=120)
    with open(out) as f:
        return f.read().count('final="t"')


def main():
    ragel, grammar = sys.argv[1], os.path.abspath(sys.argv[2])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="postel-equiv-") as tmp:
        for a, b in PAIRS:
            n = finals(ragel, grammar, a, b, tmp)
            print(("ok    " if n == 0 else "FAIL  ") +
                  "%s = %s%s" % (a, b, "" if n == 0 else
                                 " (%d final states)" % n))
            failed += n != 0
        n = finals(ragel, grammar, CONTROL[0], CONTROL[1], tmp)
        print(("ok    " if n else "FAIL  ") + "control: %s != %s" % CONTROL)
        failed += n == 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
