# shellcheck shell=bash
# Shared functions for the chroot helpers in this directory. Source it; it
# defines functions only and changes no state by itself.
#
#   chroot_mount DIR    mount /proc, /sys, /dev, /dev/pts inside DIR
#   chroot_umount DIR   unmount whatever chroot_mount mounted, innermost first
#   chroot_apt DIR ARGS apt-get inside DIR, non-interactive, tolerant of an
#                       archive whose Release file looks expired; downloaded
#                       .debs are shared through the host cache (see below)

: "${LINUX_LIBRUST_CACHE:=/var/cache/linux-librust-test}"

chroot_die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

chroot_require_root() {
	[ "$(id -u)" -eq 0 ] || chroot_die "must run as root (debootstrap, chroot and mount need it); try: sudo $0 $*"
}

# chroot_archive_uri prints the Debian archive URI the host's apt uses, so
# that a chroot of another suite reaches the same mirror.
chroot_archive_uri() {
	local uri=""
	if [ -n "${CHROOT_ARCHIVE_URI:-}" ]; then
		printf '%s\n' "$CHROOT_ARCHIVE_URI"
		return
	fi
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk 'tolower($1)=="uris:" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

chroot_is_mounted() {
	# /proc/self/mountinfo field 5 is the mount point; compare canonical paths.
	awk -v p="$1" '$5==p { found=1 } END { exit !found }' /proc/self/mountinfo
}

chroot_mount() {
	local dir
	dir=$(readlink -f "$1")
	[ -d "$dir" ] || chroot_die "chroot_mount: $dir is not a directory"
	mkdir -p "$dir/proc" "$dir/sys" "$dir/dev" "$dir/dev/pts"
	chroot_is_mounted "$dir/proc" || mount -t proc proc "$dir/proc"
	chroot_is_mounted "$dir/sys" || mount -t sysfs sysfs "$dir/sys"
	chroot_is_mounted "$dir/dev" || mount --bind /dev "$dir/dev"
	chroot_is_mounted "$dir/dev/pts" || mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts"
}

chroot_umount() {
	local dir m
	dir=$(readlink -f "$1")
	# Everything mounted at or below DIR, deepest first.
	awk -v p="$dir" '$5==p || index($5, p "/")==1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" || printf '%s: warning: cannot unmount %s\n' "${0##*/}" "$m" >&2
		done
}

# The host keeps downloaded .debs per suite under $LINUX_LIBRUST_CACHE/debs/.
# They are hard-linked (or copied) into the chroot before apt runs and new
# ones are copied back afterwards. Copying instead of bind-mounting lets
# several chroots of one suite run apt at the same time without fighting
# over apt's archive lock.
chroot_debcache() {
	local dir=$1 suite
	suite=$(cat "$dir/etc/linux-librust-test-suite" 2>/dev/null || echo unknown)
	printf '%s/debs/%s\n' "$LINUX_LIBRUST_CACHE" "$suite"
}

chroot_debs_in() {
	local dir=$1 cache
	cache=$(chroot_debcache "$dir")
	mkdir -p "$cache" "$dir/var/cache/apt/archives/partial"
	find "$cache" -maxdepth 1 -name '*.deb' -exec cp -n -l -t "$dir/var/cache/apt/archives/" {} + 2>/dev/null ||
		find "$cache" -maxdepth 1 -name '*.deb' -exec cp -n -t "$dir/var/cache/apt/archives/" {} +
}

chroot_debs_out() {
	local dir=$1 cache f
	cache=$(chroot_debcache "$dir")
	mkdir -p "$cache"
	for f in "$dir"/var/cache/apt/archives/*.deb; do
		[ -e "$f" ] || continue
		[ -e "$cache/${f##*/}" ] && continue
		cp "$f" "$cache/.${f##*/}.tmp" && mv "$cache/.${f##*/}.tmp" "$cache/${f##*/}"
	done
	# Old versions of a package are not needed once a newer one is cached.
	find "$cache" -maxdepth 1 -name '*.deb' -mtime +30 -delete 2>/dev/null || true
}

chroot_apt() {
	local dir=$1 rc=0
	shift
	chroot_debs_in "$dir"
	DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C.UTF-8 \
		chroot "$dir" apt-get -q -y \
		-o Acquire::Check-Valid-Until=false \
		-o APT::Install-Recommends=false \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@" || rc=$?
	chroot_debs_out "$dir"
	return "$rc"
}
