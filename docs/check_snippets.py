#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compiles and runs the programs in the documentation.

    check_snippets.py --cc "CC..." --include DIR --lib LIBRINGO.so FILE.md...

Every fenced block opened with ```c program is a whole program: it is
compiled with -std=gnu11 -Wall -Wextra -Werror against the library and run
(30 s at most); it must exit 0. If the next fenced block is ```text output,
the program's standard output must be exactly that. Other ```c blocks are
fragments and are not compiled.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

FENCE = re.compile(r'^```\s*([^`]*)$')


def blocks(path):
    """[(info, first line number, text)] of the fenced blocks in a markdown file."""
    out, info, start, buf = [], None, 0, []
    for n, line in enumerate(open(path, encoding='utf-8'), 1):
        m = FENCE.match(line.rstrip('\n'))
        if info is None and m:
            info, start, buf = m.group(1).strip(), n, []
        elif info is not None and line.rstrip() == '```':
            out.append((info, start, ''.join(buf)))
            info = None
        elif info is not None:
            buf.append(line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cc', required=True)
    ap.add_argument('--include', required=True)
    ap.add_argument('--lib', required=True)
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    cc = shlex.split(a.cc)
    libdir = os.path.dirname(os.path.abspath(a.lib))
    failures, count = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in a.files:
            bs = blocks(path)
            for k, (info, line, text) in enumerate(bs):
                if info.split()[:2] != ['c', 'program']:
                    continue
                count += 1
                name = '%s:%d' % (os.path.relpath(path), line)
                src = os.path.join(tmp, 'prog%d.c' % count)
                exe = os.path.join(tmp, 'prog%d' % count)
                open(src, 'w', encoding='utf-8').write(text)
                cmd = cc + ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', a.include,
                            src, '-o', exe, a.lib, '-Wl,-rpath,' + libdir]
                res = subprocess.run(cmd, capture_output=True, text=True)
                if res.returncode != 0:
                    failures.append('%s: does not compile:\n%s' % (name, res.stderr))
                    continue
                try:
                    run = subprocess.run([exe], capture_output=True, text=True, timeout=30,
                                         cwd=tmp)
                except subprocess.TimeoutExpired:
                    failures.append('%s: still running after 30 s' % name)
                    continue
                if run.returncode != 0:
                    failures.append('%s: exit status %d\n%s%s' % (name, run.returncode,
                                                                run.stdout, run.stderr))
                    continue
                expect = bs[k + 1] if k + 1 < len(bs) else None
                if expect and expect[0] == 'text output' and run.stdout != expect[2]:
                    failures.append('%s: printed\n%s\nbut the text after it (line %d) says\n%s'
                                    % (name, run.stdout, expect[1], expect[2]))
                    continue
                print('ok: %s' % name)
    for f in failures:
        print('FAIL: ' + f)
    print('%d programs, %d failed' % (count, len(failures)))
    sys.exit(1 if failures or count == 0 else 0)


if __name__ == '__main__':
    main()
