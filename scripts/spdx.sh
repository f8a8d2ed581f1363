#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Gives every source file of the tree an SPDX line, idempotently:
#   scripts/spdx.sh          adds `SPDX-License-Identifier: MIT` where missing
#   scripts/spdx.sh --check  adds nothing; lists the files without it, fails if any
# Source files: *.c *.h *.S *.py *.sh *.go *.rs, meson.build, meson_options.txt,
# and scripts with a sh/bash/python shebang, tracked or new (not ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = --check ] && check=1

# The comment syntax of file $1, or nothing if it is not a source file.
style() {
	case "${1##*/}" in
	*.c | *.h | *.S) echo c ;;
	*.go | *.rs) echo slash ;;
	*.py | *.sh | meson.build | meson_options.txt | meson.options) echo hash ;;
	*.*) ;;
	*) if head -n 1 "$1" | grep -Eq '^#!.*(sh|bash|python)'; then echo hash; fi ;;
	esac
}

missing=()
while IFS= read -r -d '' f; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	s=$(style "$f")
	[ -n "$s" ] || continue
	head -n 5 "$f" | grep -q 'SPDX-License-Identifier:' && continue
	if [ $check -eq 1 ]; then
		missing+=("$f")
		continue
	fi
	case "$s" in
	c) line='/* SPDX-License-Identifier: MIT */' ;;
	slash) line='// SPDX-License-Identifier: MIT' ;;
	hash) line='# SPDX-License-Identifier: MIT' ;;
	esac
	tmp=$(mktemp)
	if head -n 1 "$f" | grep -q '^#!'; then
		{ head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } >"$tmp"
	else
		{ echo "$line"; cat "$f"; } >"$tmp"
	fi
	cat "$tmp" >"$f"   # keeps the file's mode
	rm -f "$tmp"
	echo "spdx: added to $f"
done < <(git ls-files -z --cached --others --exclude-standard)

if [ $check -eq 1 ] && [ ${#missing[@]} -gt 0 ]; then
	echo "spdx: ${#missing[@]} source file(s) without an SPDX-License-Identifier line" \
		"(run scripts/spdx.sh):"
	printf '  %s\n' "${missing[@]}"
	exit 1
fi
[ $check -eq 1 ] && echo "spdx: every source file has an SPDX-License-Identifier line"
exit 0
