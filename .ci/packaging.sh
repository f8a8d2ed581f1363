#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packaging checks (issue 14), each in a scratch directory and offline (apt
# aside, for the tools):
#   subproject  a parent meson project with subprojects/ringo (a symlink to
#               this tree) and the wrap file of docs/packaging.md: nothing but
#               the library is built, no cmocka, no -Werror imposed
#   cmake       find_package(ringo) + ringo::ringo against a
#               `meson install --destdir` tree of build/
#   debian      debian/libringo0.symbols against build/'s library,
#               dpkg-buildpackage -us -uc -b, lintian (no errors), the two
#               .debs installed, a program built with pkg-config and run
#               with no ldconfig by hand, the CMake consumer against /usr,
#               then the packages purged again
# Usage: .ci/packaging.sh [subproject] [cmake] [debian]   (default: all)
# build/ must hold a configured build (scripts/test.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
export DEBIAN_FRONTEND=noninteractive
# Whatever an earlier CI step pointed pkg-config at is not ours.
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo

# Installs the Debian packages given, if missing, saying so.
need() {
	local missing=() p
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "packaging: installing ${missing[*]} with ${SUDO:+sudo }apt-get"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Runs "$@" with its output in $work/$1.log, shown only if it fails.
quiet() {
	local log=$work/$(basename "$1").log
	"$@" >"$log" 2>&1 || { tail -n 60 "$log"; echo "packaging: '$*' failed"; return 1; }
}

check_subproject() {
	echo "== packaging: ringo as a meson subproject (docs/packaging.md)"
	local p=$work/parent
	mkdir -p "$p/subprojects"
	cp .ci/subproject/meson.build "$p/"
	cp .ci/subproject/ringo.wrap "$p/subprojects/"
	cp .ci/consumer.c "$p/main.c"
	ln -s "$src" "$p/subprojects/ringo"
	quiet meson setup "$p/build" "$p" --force-fallback-for=ringo
	meson introspect "$p/build" --targets --buildoptions --tests >"$work/intro.json"
	python3 - "$work/intro.json" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		ours = sorted(t['name'] for t in d['targets'] if t.get('subproject') == 'ringo')
		opts = {}
		for o in d['buildoptions']:
		    sub, _, name = o['name'].rpartition(':')
		    opts[(o.get('subproject') or sub, name)] = o['value']
		bad = [n for n in ours if not (n == 'man' or n.startswith('ringo'))]
		print('packaging: the subproject builds %d targets: %s' % (len(ours), ' '.join(ours)))
		for k in ('tests', 'demos', 'benchmarks'):
		    print('packaging: ringo:%s = %s' % (k, opts.get(('ringo', k))))
		werror = opts.get(('', 'werror'))
		print('packaging: werror of the parent = %s' % werror)
		if bad or d['tests'] or werror:
		    sys.exit('packaging: the subproject builds more than the library, or '
		             'registers tests, or turns on -Werror: %s' % (bad or d['tests'] or werror))
	EOF
	if grep -q -- '-Werror' "$p/build/compile_commands.json"; then
		echo "packaging: -Werror imposed on the parent build"
		return 1
	fi
	quiet meson compile -C "$p/build"
	"$p/build/hello"
}

check_cmake() {
	echo "== packaging: find_package(ringo) from CMake against an installed tree"
	need cmake
	local dest=$work/dest prefix libdir
	quiet meson install -C build --destdir "$dest"
	prefix=$(meson introspect build --buildoptions | python3 -c \
		'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
	libdir=$(meson introspect build --buildoptions | python3 -c \
		'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"))')
	quiet cmake -S .ci/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$dest$prefix" \
		-DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF
	grep -h 'ringo_DIR:PATH' "$work/cmake/CMakeCache.txt" | sed 's/^/packaging: /'
	quiet cmake --build "$work/cmake"
	readelf -d "$work/cmake/consumer" | grep -q 'NEEDED.*\[libringo\.so\.0\]' ||
		{ echo "packaging: the CMake consumer does not link libringo.so.0"; return 1; }
	LD_LIBRARY_PATH="$dest$prefix/$libdir" "$work/cmake/consumer"
}

check_debian() {
	echo "== packaging: Debian packages (dpkg-buildpackage -us -uc -b, lintian, install)"
	python3 scripts/debian-symbols.py --check build/lib/libringo.so
	need debhelper dpkg-dev lintian fakeroot
	local t0 tree=$work/ringo
	mkdir -p "$tree"
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree"
	t0=$(date +%s)
	echo "packaging: dpkg-buildpackage (log: shown on failure)"
	(cd "$tree" && quiet dpkg-buildpackage -us -uc -b)
	echo "packaging: built in $(( $(date +%s) - t0 )) s:" $(cd "$work" && ls ./*.deb)
	echo "packaging: lintian --fail-on error"
	lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$work"/ringo_*.changes ||
		{ echo "packaging: lintian found errors"; return 1; }
	$SUDO apt-get install -y -qq --no-install-recommends "$work"/libringo0_*.deb \
		"$work"/libringo-dev_*.deb >/dev/null
	trap '$SUDO apt-get purge -y -qq libringo0 libringo-dev >/dev/null; rm -rf "$work"' EXIT
	echo "packaging: installed; cc consumer.c \$(pkg-config --cflags --libs ringo), no ldconfig by hand"
	cc -std=c11 -Wall -Wextra -Werror .ci/consumer.c -o "$work/consumer" \
		$(pkg-config --cflags --libs ringo)
	"$work/consumer"
	# (read from the .deb: minimal Debian images exclude /usr/share/man on install)
	# (the listing is read whole first: grep -q ending the pipe early would
	# kill dpkg-deb with SIGPIPE and fail the pipeline under pipefail)
	listing=$(dpkg -c "$work"/libringo-dev_*.deb)
	grep -q 'man3/ringo_task_cancel\.3' <<<"$listing" ||
		{ echo "packaging: libringo-dev has no man page ringo_task_cancel(3)"; return 1; }
	quiet cmake -S .ci/cmake -B "$work/cmake-usr"
	quiet cmake --build "$work/cmake-usr"
	"$work/cmake-usr/consumer"
	$SUDO apt-get purge -y -qq libringo0 libringo-dev >/dev/null
	trap 'rm -rf "$work"' EXIT
	echo "packaging: packages purged again"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(subproject cmake debian)
for s in "${steps[@]}"; do
	start=$(date +%s)
	"check_$s"
	echo "($s: passed in $(( $(date +%s) - start )) s)"
done
