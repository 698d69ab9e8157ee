# shellcheck shell=bash
# testdata/e2e/dkms.sh - the DKMS flows of the end-to-end run, sourced by run
# after the artifacts package was removed (see README.md next to this file).
#
# The sample module as a dh-dkms package (dkms/), installed the way users do:
# "apt-get install linux-librust-<flavour>", the metapackage made from
# hooks/maintscript/metapackage.control, from a local repository next to the
# archive. Every install order starts from one clean state and every removal
# order returns to it, compared path by path.

dkms_mod=rust-e2e
dkms_ver=1.0
# Everything the flows install, for the reset between flows.
dkms_pkgs=()

# apt_in LOG ARGS...: apt-get in the chroot; its output goes to $work/LOG and the
# lines about DKMS and linux-librust are shown. It fails when apt fails.
apt_in() {
	local log=$work/$1 rc=0
	shift
	chroot_apt "$root" "$@" >"$log" 2>&1 || rc=$?
	grep -E 'dkms|DKMS|linux-librust|Error|error|warning' "$log" | grep -v '^Get:\|^Selecting\|^Preparing\|^Unpacking' | head -n 40 || true
	if [ "$rc" != 0 ]; then
		tail -n 30 "$log"
		fail "apt-get $* failed (exit $rc, log: $log)"
		return 1
	fi
}

# apt_clean LOG ARGS...: apt_in, and its output has no warning or error of dpkg
# or linux-librust. One warning of dpkg is expected when the headers go while the
# artifacts stay linked (they have no maintainer script that could unlink first):
# their directory, and the kbuild tree's, "not empty so not removed"; the
# artifacts' file trigger on the headers tree then removes the links and those
# directories, which the clean-state comparison proves.
apt_clean() {
	apt_in "$@"
	if grep -E '^(W|E): |dpkg: (warning|error)' "$work/$1" |
		grep -vE "directory '/usr/(src/linux-headers|lib/linux-kbuild)-[^']*' not empty so not removed"; then
		fail "apt-get ${*:2} reported the lines above (log: $work/$1)"
		return 1
	fi
}

# dkms_snapshot FILE: the trees packages and DKMS change, path by path.
dkms_snapshot() {
	inroot "find /usr/src /usr/lib/modules /var/lib/dkms /var/lib/linux-librust /etc/dkms \
		\$(ls -d /usr/lib/linux-kbuild-* /usr/lib/linux-librust-* 2>/dev/null) \
		-printf '%p %y %m %s %l\n' 2>/dev/null | LC_ALL=C sort" >"$1"
}

dkms_expect_clean() {
	dkms_snapshot "$work/dkms-now.txt"
	diff -u "$work/dkms-clean.txt" "$work/dkms-now.txt" ||
		fail "the system differs from the clean state (lines above)"
	echo "identical to the clean state ($(wc -l <"$work/dkms-clean.txt") paths)"
}

# dkms_reset: back to the clean state after a flow that failed half-way.
dkms_reset() {
	restore_rustc >/dev/null 2>&1 || true
	chroot_apt "$root" purge "${dkms_pkgs[@]}" >"$work/dkms-reset.log" 2>&1 || true
	inroot "rm -rf /var/lib/dkms/$dkms_mod"
}

# dkms_start: every flow starts from the clean state.
dkms_start() {
	dkms_snapshot "$work/dkms-now.txt"
	if ! cmp -s "$work/dkms-clean.txt" "$work/dkms-now.txt"; then
		echo "not in the clean state (an earlier flow failed): resetting"
		dkms_reset
	fi
	dkms_expect_clean
}

# dkms_status ABI WANT: the module is installed for ABI, or (none) neither built
# nor installed for it.
dkms_status() {
	local out
	out=$(inroot "dkms status -m $dkms_mod -v $dkms_ver -k $1")
	echo "dkms status ($1): ${out:-(nothing)}"
	case $2 in
	installed) grep -q ": installed" <<<"$out" || fail "$dkms_mod is not installed for $1" ;;
	none) ! grep -qE ": (built|installed)" <<<"$out" || fail "$dkms_mod is built for $1: $out" ;;
	esac
}

# build_meta FLAVOUR ABI: the metapackage linux-librust-FLAVOUR from the
# template, into the local repository.
build_meta() {
	local flavour=$1 abi=$2 d=/build/meta-$1
	inroot "rm -rf $d && mkdir -p $d/DEBIAN"
	{
		sed -e '/^#/d' -e "s/@FLAVOUR@/$flavour/g" -e "s/@ABI@/$abi/g" -e 's/@ARCH@/amd64/g' \
			-e "s/\${binary:Version}/$PKGVER/g" -e 's/, \${misc:Depends}//' "$repo/hooks/maintscript/metapackage.control"
		printf 'Version: %s\nMaintainer: linux-librust end-to-end test <root@localhost>\n' "$PKGVER"
	} >"$root$d/DEBIAN/control"
	inroot "dpkg-deb --root-owner-group --build $d /build/repo/linux-librust-${flavour}_${PKGVER}_amd64.deb >/dev/null && dpkg-deb -f /build/repo/linux-librust-${flavour}_${PKGVER}_amd64.deb Package Depends"
}

# repo_update: the local repository's index, and apt's view of it.
repo_update() {
	inroot "cd /build/repo && dpkg-scanpackages --multiversion . >Packages 2>/dev/null && ls /build/repo"
	chroot_apt "$root" update >/dev/null
}

dkms_setup() {
	FLAVOUR=${ABI#"$KVER"-}
	chroot_apt "$root" install dkms dh-dkms debhelper >"$work/dkms-setup.log" 2>&1 ||
		{ tail -n 20 "$work/dkms-setup.log"; fail "cannot install dkms and dh-dkms"; }
	# DKMS signs modules with a machine key it makes on the first build and keeps
	# by design; made now, it is part of the clean state.
	inroot "dkms --version && dkms generate_mok"
	# The DKMS package: the sample module's sources and dkms/debian.
	rm -rf "$root/build/rust-e2e" && mkdir -p "$root/build/rust-e2e"
	cp -r "$here/module/." "$here/dkms/debian" "$root/build/rust-e2e/"
	inroot "cd /build/rust-e2e && dpkg-buildpackage -us -uc -b" >"$work/dkms-package.log" 2>&1 ||
		{ tail -n 30 "$work/dkms-package.log"; fail "dpkg-buildpackage of the DKMS package failed (log: $work/dkms-package.log)"; }
	inroot "mkdir -p /build/repo && mv /build/rust-e2e-dkms_${dkms_ver}_all.deb /build/repo/ &&
		dpkg-deb -c /build/repo/rust-e2e-dkms_${dkms_ver}_all.deb | grep usr/src &&
		dpkg-deb --fsys-tarfile /build/repo/rust-e2e-dkms_${dkms_ver}_all.deb | tar -xO ./usr/src/$dkms_mod-$dkms_ver/dkms.conf"
	inroot "cp /build/linux-librust-${ABI}_${PKGVER}_amd64.deb /build/repo/"
	build_meta "$FLAVOUR" "$ABI"
	inroot "echo 'deb [trusted=yes] file:/build/repo ./' >/etc/apt/sources.list.d/e2e-local.list"
	repo_update
	dkms_pkgs=(rust-e2e-dkms "linux-librust-$FLAVOUR" "linux-librust-$ABI" linux-headers-amd64 "linux-headers-$ABI"
		"linux-headers-$KVER-common" "linux-kbuild-$KVER")
	# The clean state: the kernel image and the tools, no headers.
	inroot "dpkg -P linux-librust-$ABI >/dev/null 2>&1 || true"
	apt_clean dkms-clean.log purge "linux-headers-$ABI" "linux-headers-$KVER-common" "linux-kbuild-$KVER"
	dkms_snapshot "$work/dkms-clean.txt"
	echo "clean state: $(wc -l <"$work/dkms-clean.txt") paths"
}

# ---- install orders ------------------------------------------------------------

# a: headers, artifacts and the DKMS package in one apt-get install, the users'
# way: the metapackage pulls the current ABI's headers and artifacts.
dkms_order_a() {
	dkms_start
	apt_in dkms-a.log install "linux-librust-$FLAVOUR" rust-e2e-dkms
	dkms_status "$ABI" installed
}

# b: headers and the DKMS package first: DKMS skips the kernel, and its make.log
# says in one line what to install; then the artifacts alone, whose postinst
# makes DKMS build.
dkms_order_b() {
	dkms_start
	apt_in dkms-b1.log install linux-headers-amd64 rust-e2e-dkms
	dkms_status "$ABI" none
	local log=/var/lib/dkms/$dkms_mod/$dkms_ver/build/make.log
	inroot "cat $log" | sed 's/^/  make.log: /'
	inroot "grep -q 'linux-librust-$ABI is not installed' $log" || fail "make.log does not name linux-librust-$ABI"
	if inroot "grep -q E0463 $log"; then fail "make.log has rustc's E0463"; fi
	echo "between the steps: $(inroot "grep -m1 'linux-librust-$ABI is not installed' $log")"
	apt_in dkms-b2.log install "linux-librust-$FLAVOUR"
	grep -q "$ABI: dkms autoinstall done" "$work/dkms-b2.log" || fail "the postinst of linux-librust-$ABI did not run DKMS"
	dkms_status "$ABI" installed
}

# c: the DKMS package first, then headers and artifacts together.
dkms_order_c() {
	dkms_start
	apt_in dkms-c1.log install rust-e2e-dkms
	dkms_status "$ABI" none
	apt_in dkms-c2.log install "linux-librust-$FLAVOUR"
	dkms_status "$ABI" installed
}

# ---- removal orders ------------------------------------------------------------

remove_artifacts_pkgs() { apt_clean "dkms-rm-$1.log" purge "linux-librust-$FLAVOUR" "linux-librust-$ABI"; }
remove_headers_pkgs() {
	apt_clean "dkms-rm-$1.log" purge "linux-librust-$FLAVOUR" linux-headers-amd64 "linux-headers-$ABI" \
		"linux-headers-$KVER-common" "linux-kbuild-$KVER"
}
remove_dkms_pkg() { apt_clean "dkms-rm-$1.log" purge rust-e2e-dkms; }

dkms_remove_artifacts_first() {
	remove_artifacts_pkgs a1
	remove_headers_pkgs a2
	remove_dkms_pkg a3
	dkms_expect_clean
}

dkms_remove_headers_first() {
	remove_headers_pkgs b1
	remove_artifacts_pkgs b2
	remove_dkms_pkg b3
	dkms_expect_clean
}

dkms_remove_dkms_first() {
	remove_dkms_pkg c1
	remove_artifacts_pkgs c2
	remove_headers_pkgs c3
	dkms_expect_clean
}

# ---- with the module installed -----------------------------------------------

# make rustavailable: the kernel's own check that module build systems call.
dkms_rustavailable() {
	inroot "make -C /lib/modules/$ABI/build rustavailable" 2>&1 | tee "$work/rustavailable.log" | tail -n 5
	grep -q "Rust is available" "$work/rustavailable.log" || fail "make rustavailable failed (log: $work/rustavailable.log)"
}

# rustc upgraded: the file trigger warns; a DKMS rebuild fails, and its make.log
# has dkms-prebuild's diagnosis before rustc's E0514; with the right rustc back
# the rebuild succeeds.
dkms_rustc_upgraded() {
	local log=/var/lib/dkms/$dkms_mod/$dkms_ver/build/make.log rc=0 diag e0514
	use_other_rustc
	inroot "dpkg-trigger --no-await /usr/bin/rustc && dpkg --triggers-only --pending" >"$work/dkms-trigger.log" 2>&1
	cat "$work/dkms-trigger.log"
	grep -q "$ABI: needs the rustc that prints" "$work/dkms-trigger.log" || { fail "the rustc trigger did not warn about $ABI"; rc=1; }
	inroot "dkms unbuild $dkms_mod/$dkms_ver -k $ABI >/dev/null; dkms build $dkms_mod/$dkms_ver -k $ABI" >"$work/dkms-rustc.log" 2>&1 &&
		{ fail "the DKMS build with another rustc succeeded"; rc=1; }
	inroot "grep -n -e 'linux-librust' -e 'error\\[E0514\\]' $log" | head -n 10 | sed 's/^/  make.log: /'
	diag=$(inroot "grep -n 'needs the rustc that prints\\|rustc-installed-mismatch' $log | head -n1 | cut -d: -f1")
	e0514=$(inroot "grep -n 'error\\[E0514\\]' $log | head -n1 | cut -d: -f1")
	if [ -z "$diag" ] || [ -z "$e0514" ] || [ "$diag" -ge "$e0514" ]; then
		fail "make.log must carry the diagnosis (line ${diag:-none}) before rustc's E0514 (line ${e0514:-none})"
		rc=1
	fi
	restore_rustc
	inroot "dkms install $dkms_mod/$dkms_ver -k $ABI" >>"$work/dkms-rustc.log" 2>&1 ||
		{ tail -n 20 "$work/dkms-rustc.log"; fail "the DKMS rebuild with the kernel's rustc failed"; rc=1; }
	dkms_status "$ABI" installed
	return "$rc"
}

# dkms_boot ABI: boot ABI's kernel under qemu with the module DKMS installed.
dkms_boot() {
	local ko
	ko=$(inroot "ls /usr/lib/modules/$1/updates/dkms/rust_e2e.ko*")
	inroot "case $ko in *.xz) xz -dc $ko ;; *.zst) zstd -qdc $ko ;; *) cat $ko ;; esac >/tmp/rust_e2e-$1.ko"
	boot_module "/usr/lib/modules/$1/vmlinuz" "/tmp/rust_e2e-$1.ko"
}

# Two flavours at once, each with its real artifacts (the cloud flavour's
# prepared from its own Debian .config): DKMS builds for both, both boot with
# it; removing the flavour the shared scripts/target.json link points into
# keeps the other's module building.
dkms_two_flavours() {
	local cabi=$KVER-cloud-amd64 kbc=/build/linux-source-$MM-cloud cimg rc=0
	inroot "apt-cache show --no-all-versions linux-headers-$cabi >/dev/null" || fail "no linux-headers-$cabi in the archive"
	inroot "rm -rf /build/cloud && mkdir -p /build/cloud && cd /build/cloud && apt-get -q download linux-headers-$cabi >/dev/null 2>&1 &&
		dpkg-deb --fsys-tarfile linux-headers-${cabi}_*.deb | tar -xO ./usr/src/linux-headers-$cabi/.config >/build/cloud/config"
	prepare_kbuild "$cabi" "$kbc" /build/cloud/config "${MAKEVARS/KERNELRELEASE=$ABI/KERNELRELEASE=$cabi}"
	inroot "cmp $kbc/.config /build/cloud/config" || fail "olddefconfig changed the .config of $cabi"
	inroot "rm -rf /build/pkg-cloud && linux-librust collect -q --build-dir $kbc --dest /build/pkg-cloud/usr/lib/linux-librust-$cabi --abi $cabi"
	package_artifacts "$cabi" /build/pkg-cloud >/dev/null
	inroot "cp /build/linux-librust-${cabi}_${PKGVER}_amd64.deb /build/repo/"
	build_meta cloud-amd64 "$cabi"
	repo_update
	cimg=linux-binary-$cabi
	inroot "apt-cache show --no-all-versions $cimg >/dev/null 2>&1" || cimg=linux-image-$cabi
	dkms_start
	apt_in dkms-f1.log install "linux-librust-$FLAVOUR" linux-librust-cloud-amd64 rust-e2e-dkms "$cimg"
	dkms_status "$ABI" installed
	dkms_status "$cabi" installed
	inroot "linux-librust status"
	dkms_boot "$ABI" || rc=1
	dkms_boot "$cabi" || rc=1
	inroot "ls -l /usr/lib/linux-kbuild-$KVER/scripts/target.json"
	apt_clean dkms-f2.log purge "linux-librust-$FLAVOUR" "linux-librust-$ABI"
	inroot "ls -l /usr/lib/linux-kbuild-$KVER/scripts/target.json"
	inroot "dkms unbuild $dkms_mod/$dkms_ver -k $cabi && dkms install $dkms_mod/$dkms_ver -k $cabi" >"$work/dkms-f3.log" 2>&1 ||
		{ tail -n 30 "$work/dkms-f3.log"; fail "the DKMS rebuild for $cabi failed after the other flavour's artifacts went"; }
	dkms_status "$cabi" installed
	apt_clean dkms-f4.log purge rust-e2e-dkms linux-librust-cloud-amd64 "linux-librust-$cabi" linux-headers-amd64 \
		linux-headers-cloud-amd64 "linux-headers-$ABI" "linux-headers-$cabi" "linux-headers-$KVER-common" "linux-kbuild-$KVER"
	# Then the image, with its dependencies (linux-base-<ABI>, …).
	apt_clean dkms-f5.log purge --autoremove "$cimg"
	dkms_expect_clean
	return "$rc"
}

dkms_flows() {
	step "dkms: setup" dkms_setup
	check "dkms a: one apt-get install" dkms_order_a
	check "dkms: make rustavailable" dkms_rustavailable
	check "dkms: rustc upgraded" dkms_rustc_upgraded
	check "dkms: boot, load module" dkms_boot "$ABI"
	check "dkms d: artifacts first" dkms_remove_artifacts_first
	check "dkms b: artifacts later" dkms_order_b
	check "dkms d: headers first" dkms_remove_headers_first
	check "dkms c: DKMS package first" dkms_order_c
	check "dkms d: DKMS package first" dkms_remove_dkms_first
	if [ "${E2E_FLAVOURS:-1}" != 0 ]; then
		check "dkms: two flavours" dkms_two_flavours
	fi
}
