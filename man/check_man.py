#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the generated man pages against the library.

    check_man.py LIBRINGO.so MAN3_DIR MAN7_DIR

Fails, naming them, on: an exported ringo_* symbol (nm -D --defined-only)
without a page in MAN3_DIR; a page for a function the library does not
export; a .so page whose target is missing; any error that mandoc -Tlint
(or, without mandoc, groff -ww) reports in a page. Warnings are printed.
"""
import os
import re
import shutil
import subprocess
import sys


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in 'TtWiDdBbRr':
            name = parts[2].split('@')[0]
            if name.startswith('ringo_') and not name.startswith('ringo__'):
                names.add(name)
    return names


def main():
    lib, man3, man7 = sys.argv[1:4]
    failures = []
    pages = {f[:-2]: os.path.join(man3, f) for f in os.listdir(man3) if f.endswith('.3')}
    real = []
    inline = set()   # functions defined in the headers, not exported
    for name, path in sorted(pages.items()):
        first = open(path, encoding='utf-8').readline()
        m = re.match(r'^\.so\s+(\S+)', first)
        if m:
            target = os.path.join(os.path.dirname(man3), m.group(1))
            if not os.path.exists(target):
                failures.append('%s.3: .so target %s is missing' % (name, m.group(1)))
        else:
            real.append(path)
            for line in open(path, encoding='utf-8'):
                m = re.match(r'^\.\\" inline: (.*)$', line)
                if m:
                    inline.update(m.group(1).split())
    real += [os.path.join(man7, f) for f in sorted(os.listdir(man7))]

    symbols = exported(lib)
    for s in sorted(symbols - set(pages)):
        failures.append('%s is exported by %s but has no man page: declare it in a '
                        'header under include/ with a contract comment above it'
                        % (s, os.path.basename(lib)))
    for p in sorted(set(pages) - symbols - inline):
        failures.append('%s(3) documents a function that %s does not export'
                        % (p, os.path.basename(lib)))
    print('man: %d exported ringo_* functions, %d pages (%d with text, %d .so links)'
          % (len(symbols), len(pages), len(real) - len(os.listdir(man7)),
             len(pages) - len(real) + len(os.listdir(man7))))

    if shutil.which('mandoc'):
        cmd = ['mandoc', '-Tlint', '-Wwarning']
        res = subprocess.run(cmd + real, capture_output=True, text=True)
        lines = (res.stdout + res.stderr).splitlines()
        errors = [l for l in lines if re.search(r': (ERROR|UNSUPP|BADARG):', l)]
        warnings = [l for l in lines if ': WARNING:' in l]
    elif shutil.which('groff'):
        cmd = ['groff', '-ww', '-mandoc', '-z']
        errors, warnings = [], []
        for p in real:
            res = subprocess.run(cmd + [p], capture_output=True, text=True)
            errors += [p + ': ' + l for l in res.stderr.splitlines() if l.strip()]
    else:
        print('man: neither mandoc nor groff installed; pages not linted '
              '(scripts/deps.sh installs mandoc)')
        cmd, errors, warnings = None, [], []
    if cmd:
        print('man: %s on %d pages: %d errors, %d warnings'
              % (' '.join(cmd), len(real), len(errors), len(warnings)))
    for w in warnings:
        print('  ' + w)
    failures += errors
    for f in failures:
        print('FAIL: ' + f)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
