#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keeps debian/libringo0.symbols equal to what libringo.so exports.

    scripts/debian-symbols.py [LIB]          rewrites the symbols file
    scripts/debian-symbols.py --check [LIB]  compares; fails naming the
                                             symbols added or removed
LIB defaults to build/lib/libringo.so. A symbol already listed keeps the
version it was added in; a new one gets the version in meson.build
(dpkg-shlibdeps then asks for at least that version of libringo0).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYMBOLS = os.path.join(ROOT, 'debian', 'libringo0.symbols')


def project_version():
    text = open(os.path.join(ROOT, 'meson.build'), encoding='utf-8').read()
    return re.search(r"version:\s*'([^']+)'", text).group(1)


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        name = parts[2].replace('@@', '@')
        base, _, node = name.partition('@')
        if parts[1] == 'A' and base.startswith('RINGO_'):
            syms.add('%s@%s' % (base, base))     # the version node itself
        elif base.startswith('ringo_'):
            syms.add(name)
    return syms


def soname(lib):
    out = subprocess.run(['readelf', '-d', lib], check=True, capture_output=True,
                         text=True).stdout
    return re.search(r'\(SONAME\).*\[(.*)\]', out).group(1)


def read_listed():
    listed = {}
    if os.path.exists(SYMBOLS):
        for line in open(SYMBOLS, encoding='utf-8'):
            if line.startswith(' '):
                sym, ver = line.split()[:2]
                listed[sym] = ver
    return listed


def render(lib, syms, listed):
    so = soname(lib)
    m = re.match(r'lib(.*)\.so\.(\d+)$', so)
    package = 'lib%s%s' % (m.group(1), m.group(2))
    lines = ['%s %s #MINVER#' % (so, package),
             '* Build-Depends-Package: lib%s-dev' % m.group(1)]
    new = project_version()
    for s in sorted(syms):
        lines.append(' %s %s' % (s, listed.get(s, new)))
    return '\n'.join(lines) + '\n'


def main():
    args = sys.argv[1:]
    check = '--check' in args
    args = [a for a in args if a != '--check']
    lib = args[0] if args else os.path.join(ROOT, 'build', 'lib', 'libringo.so')
    listed = read_listed()
    syms = exported(lib)
    text = render(lib, syms, listed)
    if not check:
        with open(SYMBOLS, 'w', encoding='utf-8') as f:
            f.write(text)
        print('debian-symbols: %d symbols written to debian/libringo0.symbols' % len(syms))
        return
    added = sorted(syms - set(listed))
    removed = sorted(set(listed) - syms)
    current = open(SYMBOLS, encoding='utf-8').read() if os.path.exists(SYMBOLS) else ''
    if not added and not removed and current == text:
        print('debian-symbols: debian/libringo0.symbols lists the %d exported symbols'
              % len(syms))
        return
    for s in added:
        print('debian-symbols: exported but not in debian/libringo0.symbols: ' + s)
    for s in removed:
        print('debian-symbols: in debian/libringo0.symbols but no longer exported '
              '(an ABI break: see docs/packaging.md, "Soname policy"): ' + s)
    if not added and not removed:
        print('debian-symbols: debian/libringo0.symbols is not in its generated form')
    print('debian-symbols: run scripts/debian-symbols.py after a build to update it')
    sys.exit(1)


if __name__ == '__main__':
    main()
