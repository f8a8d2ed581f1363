#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates ringo's man pages (mdoc) from the public headers.

The headers are the source: each section of a header (a banner comment of
dashes, its first line the title) becomes one page in man3, named after the
first function the section declares; every other function of the section
gets a one-line `.so` page pointing at it. A header without banners is one
section. Each declaration is shown with the contract comment above it.
ringo.h's opening comment becomes the overview page ringo(7), which lists
every page.

    mangen.py --outdir DIR [--version V] include/ringo.h include/ringo/*.h
        writes DIR/man3/*.3 and DIR/man7/ringo.7 (both emptied first)
    mangen.py --list HEADER...
        prints each page and the functions it documents (no files written)

Rules the headers follow for this to work (they already do):
 - a section banner is a comment whose first line is /* ---...--- ;
 - a contract comment sits directly above what it describes;
 - a one-line comment /* ---- title ---- */ opens a subsection, and one
   whose title says "not API" hides what follows until the next banner;
 - names starting with ringo__ / RINGO__ are internal and never shown.
"""
import argparse
import datetime
import os
import re
import shutil
import textwrap
import sys

BANNER = re.compile(r'^/\*\s*-{8,}')
SUBBANNER = re.compile(r'^/\*\s*-{3,}\s*(.*?)\s*-{3,}\s*\*/\s*$')
FUNC = re.compile(r'\b(ringo_[a-z0-9_]+)\s*\(')


class Entry:
    """A contract comment and/or the declaration(s) below it, or a subsection heading."""

    def __init__(self, comment=None, decl=None, heading=None):
        self.comment = comment   # list of comment lines (without /* * */)
        self.decl = decl         # declaration text, verbatim
        self.heading = heading


class Section:
    def __init__(self, header, title, intro):
        self.header = header     # include name: "ringo.h" or "ringo/io.h"
        self.title = title
        self.intro = intro       # comment lines after the title
        self.entries = []
        self.inline = set()      # functions defined inline in the header

    def functions(self):
        names = []
        for e in self.entries:
            if e.decl:
                names += decl_functions(e.decl)
        return names

    def page(self):
        f = self.functions()
        return f[0] if f else None


def comment_lines(text):
    """The lines of a /* */ comment, without the delimiters and the leading ' * '."""
    body = text.strip()
    assert body.startswith('/*') and body.endswith('*/')
    body = body[2:-2]
    out = []
    for line in body.split('\n'):
        m = re.match(r'^\s*\* ?(.*)$', line)
        line = m.group(1) if m else line.strip()
        out.append(line.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def strip_comments(code):
    return re.sub(r'/\*.*?\*/', ' ', code, flags=re.S)


def decl_functions(decl):
    """The public functions a declaration chunk declares (prototypes only)."""
    names = []
    for stmt in split_statements(strip_comments(decl)):
        s = stmt.strip()
        if not s or s.startswith('#') or s.startswith('typedef') or '{' in s:
            continue
        m = FUNC.search(s)
        if m and not m.group(1).startswith('ringo__'):
            names.append(m.group(1))
    return names


def split_statements(code):
    out, depth, cur = [], 0, ''
    for ch in code:
        cur += ch
        if ch in '({':
            depth += 1
        elif ch in ')}':
            depth -= 1
        elif ch == ';' and depth == 0:
            out.append(cur)
            cur = ''
    if cur.strip():
        out.append(cur)
    return out


def parse(path, include_name):
    """Returns (header top comment lines, [Section])."""
    text = open(path, encoding='utf-8').read()
    lines = text.split('\n')
    i, n = 0, len(lines)
    top = None
    sections = []
    pre = Section(include_name, None, [])
    cur = pre
    pending = None      # a comment waiting for its declaration
    hidden = False      # inside a "not API" part
    cxx = False         # inside #ifdef __cplusplus

    def flush_pending():
        nonlocal pending
        if pending is not None and not hidden:
            cur.entries.append(Entry(comment=pending))
        pending = None

    while i < n:
        line = lines[i]
        s = line.strip()
        if not s:
            i += 1
            continue
        if s.startswith('/*'):
            j = i
            while '*/' not in lines[j]:
                j += 1
            block = '\n'.join(lines[i:j + 1])
            i = j + 1
            if 'SPDX-License-Identifier' in block and j == i - 1 and block.count('\n') == 0:
                continue
            if top is None and not sections and not pre.entries and pending is None:
                top = comment_lines(block)
                continue
            m = SUBBANNER.match(s) if j == i - 1 else None
            if BANNER.match(s) and not m:
                flush_pending()
                body = [l for l in comment_lines(block) if not re.match(r'^-{8,}$', l.strip())]
                title = banner_title(body) or include_name
                intro = body
                cur = Section(include_name, title, intro)
                sections.append(cur)
                hidden = False
                continue
            if m:
                flush_pending()
                hidden = 'not API' in m.group(1)
                if not hidden:
                    cur.entries.append(Entry(heading=m.group(1)))
                continue
            flush_pending()
            pending = comment_lines(block)
            continue
        # Code: preprocessor lines, declarations, definitions. What only C++
        # sees (#ifdef __cplusplus ... #else) is left out.
        if re.match(r'#\s*ifdef\s+__cplusplus', s):
            cxx = True
            i += 1
            continue
        if cxx and re.match(r'#\s*(else|endif)', s):
            cxx = False
            i += 1
            continue
        if cxx:
            i += 1
            continue
        if s.startswith('#'):
            j = i
            while lines[j].rstrip().endswith('\\') and j + 1 < n:
                j += 1
            chunk = '\n'.join(lines[i:j + 1])
            i = j + 1
            m = re.match(r'#\s*define\s+(RINGO_[A-Z0-9_]*)', s)
            if m and not m.group(1).startswith('RINGO__') and not m.group(1).endswith('_H'):
                add_decl(cur, pending, chunk, hidden)
            elif pending is not None and not hidden:
                cur.entries.append(Entry(comment=pending))
            pending = None
            continue
        if s.startswith('extern "C"') or s == '}':
            i += 1
            continue
        # A declaration: up to a ';' at depth 0, or a body's closing brace.
        j, depth, chunk = i, 0, []
        while j < n:
            l = lines[j]
            chunk.append(l)
            code = strip_comments(l)
            depth += code.count('{') + code.count('(') - code.count('}') - code.count(')')
            j += 1
            t = code.strip()
            if depth <= 0 and (t.endswith(';') or t.endswith('}')):
                break
        i = j
        chunk = '\n'.join(chunk)
        code = strip_comments(chunk)
        m = FUNC.search(code)
        if 'static inline' in code and '{' in code and m and not m.group(1).startswith('ringo__'):
            # A public inline function: its signature, as a prototype.
            chunk = chunk[:chunk.index('{')].rstrip() + ';'
            cur.inline.add(m.group(1))
            add_decl(cur, pending, chunk, hidden)
        else:
            add_decl(cur, pending, chunk, hidden or 'ringo__' in code)
        pending = None
    flush_pending()
    if pre.entries:
        if pre.functions() or not sections:
            title = pre_title(top, include_name)
            pre.title = title
            sections.insert(0, pre)
        else:
            sections[0].entries = pre.entries + sections[0].entries
            sections[0].inline |= pre.inline
    return top or [], sections


def banner_title(body):
    """A banner's first sentence; its part before ':' when that is long."""
    para = []
    for l in body:
        if not l.strip():
            break
        para.append(l.strip())
    text = ' '.join(para)
    title = re.split(r'(?<=[a-z0-9)])\.(?:\s|$)', text)[0].rstrip('.')
    if len(title) > 60 and ':' in title:
        title = title.split(':')[0]
    return title


def add_decl(sec, comment, decl, hidden):
    if hidden:
        return
    # Declarations with no comment between them belong to the comment above.
    if comment is None and sec.entries and sec.entries[-1].decl and not sec.entries[-1].heading:
        sec.entries[-1].decl += '\n' + decl
        return
    sec.entries.append(Entry(comment=comment, decl=decl))


def pre_title(top, include_name):
    if top:
        first = ' '.join(l.strip() for l in top[:3] if l.strip())
        first = re.sub(r'^ringo\s+\S+\s+', '', first)    # "ringo — "
        first = re.split(r'(?<=[.)])\s', first)[0]
        first = re.sub(r'\s*\(included by <ringo\.h>\)\.?', '', first, flags=re.I)
        return first.rstrip('.').strip() or include_name
    return include_name


# ---------------------------------------------------------------------------
# mdoc output

def esc(text):
    text = text.replace('\\', '\\e')
    if text[:1] in ('.', "'"):
        text = '\\&' + text
    return text


def literal(lines, out, indent=True):
    out.append('.Bd -literal' + (' -offset indent' if indent else ''))
    for l in lines:
        out.append(esc(l.expandtabs(8)) if l.strip() else '')
    out.append('.Ed')


def filled(words, out):
    text = ' '.join(words).strip()
    if not text:
        return
    # One sentence per line, as mdoc wants, wrapped at 80 columns.
    for sentence in sentences(text):
        for line in textwrap.wrap(sentence, 78, break_long_words=False,
                                  break_on_hyphens=False):
            out.append(esc(line))


ABBREV = ('e.g.', 'i.e.', 'etc.', 'vs.', 'cf.')


def sentences(text):
    words = text.split()
    out, cur = [], []
    for k, w in enumerate(words):
        cur.append(w)
        end = re.search(r'[.!?][)"\']?$', w) and not w.lower().endswith(ABBREV) \
            and not re.match(r'^\.+$', w)
        if end and k + 1 < len(words):
            out.append(' '.join(cur))
            cur = []
    if cur:
        out.append(' '.join(cur))
    return out


def tidy(lines):
    """Drops paragraph macros where mdoc does not want them."""
    out = []
    for k, l in enumerate(lines):
        if l == '.Pp':
            nxt = lines[k + 1] if k + 1 < len(lines) else ''
            prev = out[-1] if out else ''
            if nxt.startswith(('.Bd', '.Bl', '.Sh', '.Ss', '.Pp')) or \
                    prev.startswith(('.Sh', '.Ss', '.Pp')):
                continue
        out.append(l)
    return out


def prose(lines, out):
    """Renders comment lines: paragraphs, '- ' lists, indented blocks as literal."""
    i, n = 0, len(lines)
    first = True
    while i < n:
        l = lines[i]
        if not l.strip():
            i += 1
            continue
        if not first:
            out.append('.Pp')
        first = False
        m = re.match(r'^(\s*)- (.*)$', l)
        if m:
            base = len(m.group(1))
            out.append('.Bl -dash')
            while i < n:
                m = re.match(r'^(\s*)- (.*)$', lines[i])
                if not m or len(m.group(1)) != base:
                    break
                words = [m.group(2)]
                i += 1
                while i < n and lines[i].strip() and not re.match(r'^\s*- ', lines[i]) \
                        and len(lines[i]) - len(lines[i].lstrip()) > base:
                    words.append(lines[i].strip())
                    i += 1
                out.append('.It')
                filled(words, out)
                while i < n and not lines[i].strip():
                    i += 1
            out.append('.El')
            continue
        if l.startswith('\t') or l.startswith('  '):
            block = []
            while i < n and (lines[i].startswith('\t') or lines[i].startswith('  ') or not lines[i].strip()):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            literal(block, out)
            continue
        words = []
        while i < n and lines[i].strip() and not lines[i].startswith('\t') \
                and not lines[i].startswith('  ') and not re.match(r'^\s*- ', lines[i]):
            words.append(lines[i].strip())
            i += 1
        filled(words, out)


def header_line(version, date, name, section, source):
    return [
        '.\\" SPDX-License-Identifier: MIT',
        '.\\" Generated by man/mangen.py from %s; do not edit.' % source,
        '.Dd %s' % date,
        '.Dt %s %s' % (name.upper(), section),
        '.Os ringo %s' % version,
    ]


def nd(title):
    t = title.strip().rstrip('.')
    return esc(t[0].lower() + t[1:] if t[:1].isupper() and not t[1:2].isupper() else t)


def render_section(sec, top, version, date, siblings):
    funcs = sec.functions()
    name = sec.page()
    out = header_line(version, date, name, 3, 'include/' + sec.header)
    inline = [f for f in funcs if f in sec.inline]
    if inline:
        # check_man.py: these are not exported symbols, by design.
        out.insert(2, '.\\" inline: %s' % ' '.join(inline))
    out.append('.Sh NAME')
    for k, f in enumerate(funcs):
        out.append('.Nm %s%s' % (f, ' ,' if k + 1 < len(funcs) else ''))
    out.append('.Nd %s' % nd(sec.title))
    out.append('.Sh LIBRARY')
    out.append('ringo (libringo, \\-lringo)')
    out.append('.Sh SYNOPSIS')
    out.append('.In %s' % ('ringo.h'))
    decls = []
    for e in sec.entries:
        if e.decl:
            decls += [strip_trailing(e.decl)]
    if decls:
        literal('\n\n'.join(decls).split('\n'), out, indent=False)
    out.append('.Sh DESCRIPTION')
    if sec.intro:
        prose(sec.intro, out)
    for e in sec.entries:
        if e.heading:
            out.append('.Ss %s' % esc(e.heading[:1].upper() + e.heading[1:]))
            continue
        if e.decl:
            if out[-1] != '.Sh DESCRIPTION' and not out[-1].startswith('.Ss'):
                out.append('.Pp')
            literal(e.decl.split('\n'), out)
        if e.comment:
            if out[-1] != '.Sh DESCRIPTION' and not out[-1].startswith('.Ss') and out[-1] != '.Ed':
                out.append('.Pp')
            prose(e.comment, out)
    if top and sec.header != 'ringo.h':
        out.append('.Sh NOTES')
        out.append('From')
        out.append('.In %s :' % sec.header)
        out.append('.Pp')
        prose(top, out)
    out = tidy(out)
    out.append('.Sh SEE ALSO')
    refs = ['%s 3' % s for s in sorted(siblings) if s != name] + ['ringo 7']
    for k, r in enumerate(refs):
        out.append('.Xr %s%s' % (r, ' ,' if k + 1 < len(refs) else ''))
    return '\n'.join(out) + '\n'


def strip_trailing(decl):
    return decl.rstrip()


def render_overview(top, pages, version, date):
    out = header_line(version, date, 'ringo', 7, 'include/ringo.h')
    out.append('.Sh NAME')
    out.append('.Nm ringo')
    out.append(".Nd asyncio's programming model in C11 on io_uring")
    out.append('.Sh SYNOPSIS')
    out.append('.In ringo.h')
    out.append('.Pp')
    out.append('.Dl cc prog.c $(pkg-config \\-\\-cflags \\-\\-libs ringo)')
    out.append('.Sh DESCRIPTION')
    body = list(top)
    if body and re.match(r'^ringo\s+\S+\s+', body[0]):
        body = body[1:]
    prose(body, out)
    out.append('.Pp')
    out.append('The manual pages, one per group of functions:')
    out.append('.Bl -tag -width Ds')
    for name, title, header in pages:
        out.append('.It Xr %s 3' % name)
        out.append('%s' % esc(title))
        out.append('.Pq In %s' % header)
    out.append('.El')
    out = tidy(out)
    return '\n'.join(out) + '\n'


def include_name(path):
    path = os.path.normpath(path)
    parts = path.split(os.sep)
    if 'include' in parts:
        k = len(parts) - 1 - parts[::-1].index('include')
        return '/'.join(parts[k + 1:])
    return os.path.basename(path)


def order(paths):
    # ringo.h first, then the others in name order
    return sorted(paths, key=lambda p: (include_name(p) != 'ringo.h', include_name(p)))


def collect(headers):
    result = []   # (section, top)
    overview = []
    for h in order(headers):
        top, sections = parse(h, include_name(h))
        if include_name(h) == 'ringo.h':
            overview = top
        for s in sections:
            if s.page():
                result.append((s, top))
    return overview, result


def build_date():
    epoch = os.environ.get('SOURCE_DATE_EPOCH')
    d = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch \
        else datetime.datetime.now(datetime.timezone.utc)
    return d.strftime('%B ') + str(d.day) + d.strftime(', %Y')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--outdir')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--version', default='0')
    ap.add_argument('headers', nargs='+')
    a = ap.parse_args()
    overview, sections = collect(a.headers)
    seen = {}
    for s, _ in sections:
        for f in s.functions():
            if f in seen:
                sys.exit('mangen: %s declared twice (%s, %s)' % (f, seen[f], s.header))
            seen[f] = s.header
    if a.list:
        for s, _ in sections:
            print('%s(3): %s  [%s: %s]' % (s.page(), ' '.join(s.functions()[1:]), s.header, s.title))
        return
    if not a.outdir:
        ap.error('--outdir or --list')
    date = build_date()
    man3 = os.path.join(a.outdir, 'man3')
    man7 = os.path.join(a.outdir, 'man7')
    for d in (man3, man7):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    by_header = {}
    for s, _ in sections:
        by_header.setdefault(s.header, []).append(s.page())
    pages = []
    for s, top in sections:
        name = s.page()
        with open(os.path.join(man3, name + '.3'), 'w', encoding='utf-8') as f:
            f.write(render_section(s, top, a.version, date, by_header[s.header]))
        for other in s.functions()[1:]:
            with open(os.path.join(man3, other + '.3'), 'w', encoding='utf-8') as f:
                f.write('.so man3/%s.3\n' % name)
        pages.append((name, s.title, s.header))
    with open(os.path.join(man7, 'ringo.7'), 'w', encoding='utf-8') as f:
        f.write(render_overview(overview, pages, a.version, date))


if __name__ == '__main__':
    main()
