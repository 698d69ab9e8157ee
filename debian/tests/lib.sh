# shellcheck shell=sh
# Shared by the tests in this directory: a temporary root with the demo kernel's
# headers tree and, collected by the installed tool, its Rust artifacts.
set -eu

# LINUX_LIBRUST_PREFIX: where the package is installed (default /), to try the
# tests on an unpacked package.
prefix=${LINUX_LIBRUST_PREFIX:-}
PATH=$prefix/usr/sbin:$PATH
tool=$prefix/usr/sbin/linux-librust
demo=testdata/demo
abi=$(cat "$demo/build/include/config/kernel.release")
tmp=$(mktemp -d "${AUTOPKGTEST_TMP:-${TMPDIR:-/tmp}}/linux-librust.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
headers=$root/usr/src/linux-headers-$abi
artifacts=$root/usr/lib/linux-librust-$abi

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# tree DIR: every path under DIR with its type, mode and link target.
tree() { (cd "$1" && find . -printf '%y %m %p %l\n' | LC_ALL=C sort); }

# expect WANT GOT: GOT is exactly WANT.
expect() {
	[ "$1" = "$2" ] || fail "expected: $1
got:      $2"
}

# make_root: the headers tree as linux-headers-ABI ships it, and the artifacts tree
# as linux-librust-ABI would, made by the installed collect.
make_root() {
	mkdir -p "$headers" "$root/usr/lib/modules/$abi"
	cp -R "$demo/headers/." "$headers/"
	ln -s "../../../src/linux-headers-$abi" "$root/usr/lib/modules/$abi/build"
	cp -R "$demo/build" "$tmp/build"
	"$tool" collect --build-dir "$tmp/build" --dest "$artifacts"
	tree "$headers" >"$tmp/shipped"
}

# linked: every artifact of the manifest is a link of the tool in the headers tree.
linked() {
	n=0
	for p in $(sed -n 's/^Path: //p' "$artifacts/linux-librust.manifest"); do
		depth=$(printf '%s\n' "$headers/$p" | sed "s|^$root/||" | tr -cd / | wc -c)
		up=$(i=1; while [ "$i" -lt "$depth" ]; do printf '../'; i=$((i + 1)); done)
		expect "${up}lib/linux-librust-$abi/$p" "$(readlink "$headers/$p")"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "the manifest lists no artifact"
}
