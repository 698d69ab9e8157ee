# shellcheck shell=bash
# Shared by testdata/rustc/generate and testdata/demo/generate; source it, don't run it.
#
# Fetches Debian's rustc of a given suite with a private apt state (the host's apt
# configuration and package database are never touched), extracts it with dpkg-deb -x
# into a cache directory, and runs it from there through the extracted dynamic loader,
# so that a rustc built against a newer glibc/libstdc++ than the host's still runs.
# The linker rustc spawns (cc) is the host's and sees the host's environment.
#
# Environment:
#   LIBRUST_TESTDATA_CACHE  cache directory (default ${XDG_CACHE_HOME:-~/.cache}/linux-librust-testdata)
#   DEBIAN_MIRROR           archive URI (default: the first non-security URI of
#                           /etc/apt/sources.list.d/debian.sources, else http://deb.debian.org/debian)
#   REFRESH=1               re-read the archive's package lists and re-fetch the compilers

# Fixed collation and messages: file lists and parsed apt output must not vary by locale.
export LC_ALL=C

LIBRUST_CACHE=${LIBRUST_TESTDATA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/linux-librust-testdata}

# The suites whose rustc the test data comes from, oldest first.
LIBRUST_SUITES=(bookworm trixie sid)

librust_log() { printf '%s\n' "$*" >&2; }
librust_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

librust_mirror() {
	if [[ -n ${DEBIAN_MIRROR:-} ]]; then
		printf '%s\n' "$DEBIAN_MIRROR"
		return
	fi
	local uri=
	if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# librust_apt TOOL ARGS...: run apt-get or apt-cache on the private state.
librust_apt() { librust_apt_in "$LIBRUST_CACHE/apt" "$@"; }

# librust_apt_in DIR TOOL ARGS...: run apt-get or apt-cache on the private state in DIR.
librust_apt_in() {
	local d=$1 tool=$2
	shift 2
	"$tool" -q \
		-o Dir::Etc::sourcelist="$d/sources.list" \
		-o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$d/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$d/cache" \
		-o Acquire::Check-Valid-Until=false \
		-o Acquire::Languages=none \
		-o APT::Sandbox::User=root \
		"$@"
}

# librust_apt_update: write the private sources list and read the package lists,
# once (again with REFRESH=1).
librust_apt_update() {
	local d=$LIBRUST_CACHE/apt mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=$(librust_mirror)
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	local list='' s
	for s in "${LIBRUST_SUITES[@]}"; do
		list+="deb [signed-by=$keyring] $mirror $s main"$'\n'
	done
	if [[ ${REFRESH:-0} != 1 && -f $d/sources.list && $(<"$d/sources.list")$'\n' == "$list" && -f $d/updated ]]; then
		return
	fi
	printf '%s' "$list" >"$d/sources.list"
	librust_log "reading package lists of ${LIBRUST_SUITES[*]} from $mirror"
	librust_apt apt-get update >&2
	touch "$d/updated"
}

# librust_deb_version SUITE PKG: the version of PKG in SUITE.
librust_deb_version() {
	librust_apt apt-cache madison "$2" | awk -F' [|] ' -v s=" $1/main " 'index($3, s) { gsub(/ /, "", $2); print $2; exit }'
}

librust_root() { printf '%s/root/%s\n' "$LIBRUST_CACHE" "$1"; }

# librust_fetch SUITE: download SUITE's rustc, libstd-rust-dev, libstd-rust-<ver> and the
# shared libraries they need at run time (all from SUITE), and extract them into
# $(librust_root SUITE). Does nothing if that tree already holds the same rustc version.
librust_fetch() {
	local suite=$1 ver root debs stamp
	librust_apt_update
	ver=$(librust_deb_version "$suite" rustc)
	[[ -n $ver ]] || librust_die "no rustc in $suite (see $LIBRUST_CACHE/apt/sources.list)"
	root=$(librust_root "$suite")
	stamp=$root.debs
	if [[ ${REFRESH:-0} != 1 && -f $stamp && -x $root/usr/bin/rustc && $(head -n1 "$stamp") == "rustc $ver" ]]; then
		return
	fi
	local std
	std=$(librust_apt apt-cache show "libstd-rust-dev=$ver" |
		sed -n 's/^Depends:.*\(libstd-rust-[0-9.]*\) (= .*/\1/p' | head -n1)
	[[ -n $std ]] || librust_die "cannot tell which libstd-rust-<ver> libstd-rust-dev $ver needs"
	# The run-time closure of libstd-rust-<ver> (it holds librustc_driver, which links LLVM);
	# rustc's other dependencies (gcc, binutils, libc-dev) are the host's.
	local closure
	closure=$(librust_apt apt-cache -o APT::Default-Release="$suite" depends --recurse \
		--no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances "$std" |
		grep -v -e '^ ' -e '^<' -e "^$std\$" | sort -u)
	debs=$LIBRUST_CACHE/debs/$suite
	rm -rf "$debs" "$root" "$stamp"
	mkdir -p "$debs" "$root"
	librust_log "downloading rustc $ver from $suite"
	# shellcheck disable=SC2086 # closure is a list of package names
	(cd "$debs" && librust_apt apt-get -o APT::Default-Release="$suite" download \
		"rustc=$ver" "libstd-rust-dev=$ver" "$std=$ver" $closure >&2)
	local f
	for f in "$debs"/*.deb; do
		dpkg-deb -x "$f" "$root"
	done
	{
		printf 'rustc %s\n' "$ver"
		(cd "$debs" && ls -1 -- *.deb)
	} >"$stamp"
}

# librust_fetch_target SUITE ARCH TRIPLE: download the libstd-rust-dev of Debian
# architecture ARCH that matches SUITE's rustc exactly (same Debian version) and extract
# it into $(librust_root SUITE), which adds the standard library for the Rust target
# TRIPLE under usr/lib/rustlib/TRIPLE/; SUITE's rustc can then build for that target
# with --target TRIPLE (given a linker for it). Uses a second private apt state that
# reads only SUITE's ARCH package list. Does nothing if the tree already has it.
librust_fetch_target() {
	local suite=$1 arch=$2 triple=$3 root ver stamp
	root=$(librust_root "$suite")
	ver=$(librust_deb_of "$suite")
	[[ -n $ver ]] || librust_die "run librust_fetch $suite first"
	stamp=$root.$arch.debs
	if [[ ${REFRESH:-0} != 1 && -f $stamp && -d $root/usr/lib/rustlib/$triple/lib &&
		$(head -n1 "$stamp") == "libstd-rust-dev:$arch $ver" ]]; then
		return
	fi
	local d=$LIBRUST_CACHE/apt-$arch list mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	mirror=$(librust_mirror)
	list="deb [arch=$arch signed-by=$keyring] $mirror $suite main"$'\n'
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	local -a apt=(-o APT::Architecture="$arch" -o APT::Architectures="$arch")
	if [[ ${REFRESH:-0} == 1 || ! -f $d/sources.list || $(<"$d/sources.list")$'\n' != "$list" || ! -f $d/updated ]]; then
		printf '%s' "$list" >"$d/sources.list"
		librust_log "reading the $arch package list of $suite from $mirror"
		librust_apt_in "$d" apt-get "${apt[@]}" update >&2
		touch "$d/updated"
	fi
	local debs=$LIBRUST_CACHE/debs/$suite-$arch
	rm -rf "$debs" "$stamp"
	mkdir -p "$debs"
	librust_log "downloading libstd-rust-dev:$arch $ver from $suite"
	(cd "$debs" && librust_apt_in "$d" apt-get "${apt[@]}" download "libstd-rust-dev=$ver" >&2)
	local f
	for f in "$debs"/*.deb; do
		dpkg-deb -x "$f" "$root"
	done
	[[ -d $root/usr/lib/rustlib/$triple/lib ]] ||
		librust_die "libstd-rust-dev:$arch $ver has no usr/lib/rustlib/$triple/lib"
	{
		printf 'libstd-rust-dev:%s %s\n' "$arch" "$ver"
		(cd "$debs" && ls -1 -- *.deb)
	} >"$stamp"
}

# librust_rustc SUITE ARGS...: run SUITE's extracted rustc. The sysroot is given
# explicitly: older rustc derive it from the executable's path, which here is the loader's.
librust_rustc() {
	local root ld
	root=$(librust_root "$1")
	shift
	for ld in "$root/usr/lib64/ld-linux-x86-64.so.2" "$root/lib64/ld-linux-x86-64.so.2"; do
		[[ -e $ld ]] && break
	done
	[[ -e $ld ]] || librust_die "no dynamic loader under $root; run with REFRESH=1"
	"$ld" --library-path "$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu" \
		"$root/usr/bin/rustc" --sysroot "$root/usr" "$@"
}

# librust_version SUITE: rustc --version of SUITE's rustc, without the newline.
librust_version() { librust_rustc "$1" --version; }

# librust_deb_of SUITE: the Debian version of the extracted rustc.
librust_deb_of() { sed -n '1s/^rustc //p' "$(librust_root "$1").debs"; }
