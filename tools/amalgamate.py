#!/usr/bin/env python3
"""Builds the single-file distribution: postel.h (every public header) and
postel.c (every source, generated Ragel output included), for vendoring.

usage: amalgamate.py OUT_H OUT_C INCLUDE_DIR SRC_DIR GEN_INCLUDE_DIR -- SOURCES...
"""
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def main():
    out_h, out_c, inc_dir, src_dir, gen_inc = sys.argv[1:6]
    inputs = sys.argv[sys.argv.index('--') + 1:]
    # generated machines (<m>_machine.h) are reached through their
    # drivers' includes; their folder is searched like the others
    sources = [s for s in inputs if not s.endswith('.h')]
    gen_dirs = sorted({os.path.dirname(os.path.abspath(s))
                       for s in inputs if s.endswith('.h')})
    seen = set()

    def find(name, here):
        for d in (here, inc_dir, os.path.join(inc_dir, 'postel'), src_dir,
                  gen_inc, os.path.join(gen_inc, 'postel'), *gen_dirs):
            p = os.path.join(d, name)
            if os.path.isfile(p):
                return os.path.realpath(p)
        return None

    def guarded(path):
        with open(path, encoding='utf-8') as f:
            return re.search(r'^#ifndef \w+_H\b', f.read(), re.M) is not None

    def expand(path, out):
        path = os.path.realpath(path)
        if path in seen:
            return
        if guarded(path):
            seen.add(path)  # files without a guard (templates) repeat
        here = os.path.dirname(path)
        with open(path, encoding='utf-8') as f:
            for line in f:
                m = INCLUDE_RE.match(line)
                if m:
                    target = find(m.group(1), here)
                    if target:
                        expand(target, out)
                        continue
                if line.startswith('#line '):
                    continue  # refers to files the amalgamation does not ship
                out.append(line)

    header = ['/* postel.h: amalgamated public headers of postel. */\n',
              '#ifndef POSTEL_AMALGAMATION_H\n#define POSTEL_AMALGAMATION_H\n']
    umbrella = os.path.join(inc_dir, 'postel', 'postel.h')
    headers = [umbrella] if os.path.isfile(umbrella) else []
    headers += sorted(os.path.join(inc_dir, 'postel', h)
                      for h in os.listdir(os.path.join(inc_dir, 'postel'))
                      if h.endswith('.h'))
    headers.append(os.path.join(gen_inc, 'postel', 'version.h'))
    for h in headers:
        expand(h, header)
    header.append('#endif\n')
    with open(out_h, 'w', encoding='utf-8') as f:
        f.writelines(header)

    body = ['/* postel.c: amalgamated sources of postel (generated). */\n',
            '#include "postel.h"\n']
    for s in sources:
        expand(s, body)
    with open(out_c, 'w', encoding='utf-8') as f:
        f.writelines(body)


if __name__ == '__main__':
    main()
