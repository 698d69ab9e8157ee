// Command bench measures linux-librust as whole processes next to the tools it is
// compared with, interleaving the commands of a comparison so that both see the same
// machine, and prints medians and ratios of medians. See testdata/bench/run.
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

var (
	bin  = flag.String("bin", "build/linux-librust", "the linux-librust binary")
	demo = flag.String("demo", "testdata/demo", "the demo trees")
	runs = flag.Int("runs", 30, "measured runs of each command")
	only = flag.String("only", "", "run only the scenarios whose name contains this")
	keep = flag.Bool("keep", false, "keep the trees made for the benchmarks (the path is printed)")
)

const abi = "7.2.13+deb14-amd64"

func main() {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "linux-librust-bench.")
	check(err)
	if *keep {
		fmt.Printf("trees kept in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fmt.Printf("linux-librust benchmarks: %d runs per command, interleaved; times are medians of wall time\n", *runs)
	for _, s := range []struct {
		name string
		fn   func(dir string)
	}{
		{"link-noop", linkNoop},
		{"status", status},
		{"verify", verify},
	} {
		if !strings.Contains(s.name, *only) {
			continue
		}
		dir := filepath.Join(tmp, s.name)
		check(os.MkdirAll(dir, 0o755))
		s.fn(dir)
	}
}

// linkNoop: link of an already linked ABI next to a no-op linux-update-symlinks upgrade.
func linkNoop(dir string) {
	root := makeRoot(dir, []string{abi})
	mustRun(*bin, "--root", root, "-q", "link", abi)

	// linux-update-symlinks works on /etc/kernel-img.conf and /boot: give it private ones.
	img := filepath.Join(dir, "img")
	for _, d := range []string{img, filepath.Join(dir, "etc-upper"), filepath.Join(dir, "etc-work")} {
		check(os.MkdirAll(d, 0o755))
	}
	mustRun("mount", "-t", "overlay", "overlay", "-o",
		"lowerdir=/etc,upperdir="+filepath.Join(dir, "etc-upper")+",workdir="+filepath.Join(dir, "etc-work"), "/etc")
	defer mustRun("umount", "/etc")
	check(os.WriteFile("/etc/kernel-img.conf", []byte("do_symlinks = yes\nimage_dest = "+img+"\n"), 0o644))
	mustRun("mount", "-t", "tmpfs", "bench-boot", "/boot")
	defer mustRun("umount", "/boot")
	check(os.WriteFile("/boot/vmlinuz-"+abi, []byte("kernel"), 0o644))
	check(os.WriteFile("/boot/initrd.img-"+abi, []byte("initrd"), 0o644))
	mustRun("linux-update-symlinks", "install", abi, "/boot/vmlinuz-"+abi)

	ours := []string{*bin, "--root", root, "-q", "link", abi}
	theirs := []string{"linux-update-symlinks", "upgrade", abi, "/boot/vmlinuz-" + abi}
	m := measure(ours, theirs)
	report("no-op link of a linked ABI", "linux-librust link", m[0], "linux-update-symlinks upgrade", m[1], "goal ≤ 0.20")
}

// status: one status over 20 ABIs and one over 200; the cost per ABI should be flat.
func status(dir string) {
	var r20, r200 string
	for _, n := range []int{20, 200} {
		abis := make([]string, n)
		for i := range abis {
			abis[i] = fmt.Sprintf("7.%d.0+deb14-amd64", i)
		}
		root := makeRoot(filepath.Join(dir, fmt.Sprint(n)), abis)
		debianScripts(root, abis)
		mustRun(*bin, "--root", root, "-q", "repair", "--all")
		if n == 20 {
			r20 = root
		} else {
			r200 = root
		}
	}
	m := measure([]string{*bin, "--root", r20, "status"}, []string{*bin, "--root", r200, "status"})
	per20, per200 := median(m[0])/20, median(m[1])/200
	fmt.Printf("\nstatus over 20 and 200 linked ABIs (Debian layout: scripts/target.json in linux-kbuild)\n")
	fmt.Printf("  20 ABIs:  %8s  (%s per ABI)\n", ms(median(m[0])), ms(per20))
	fmt.Printf("  200 ABIs: %8s  (%s per ABI)\n", ms(median(m[1])), ms(per200))
	fmt.Printf("  per-ABI cost, 200 vs 20: %.2f (goal: ≤ 1.00, flat)\n", float64(per200)/float64(per20))
}

// verify: verify --full over a set shaped like the real 7.2 kernel's next to
// sha256sum -c and openssl dgst over the same files; and the quick verify.
func verify(dir string) {
	if exec.Command(*bin, "verify", "--help").Run() != nil {
		fmt.Printf("\nverify: skipped (this linux-librust has no verify command)\n")
		return
	}
	root := makeBigRoot(dir)
	arts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	var files []string
	sums, err := os.ReadFile(filepath.Join(arts, "SHA256SUMS"))
	check(err)
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		files = append(files, filepath.Join(arts, strings.SplitN(line, "  ", 2)[1]))
	}
	ours := []string{*bin, "--root", root, "-q", "verify", "--full", abi}
	mustRun(ours...)
	sha := []string{"sh", "-c", "cd " + arts + " && exec sha256sum --quiet -c SHA256SUMS"}
	ossl := append([]string{"openssl", "dgst", "-sha256"}, files...)
	m := measure(ours, sha, ossl)
	report("verify --full over 13 files, 155 MB", "linux-librust verify --full", m[0], "sha256sum -c", m[1], "goal ≤ 1/6 = 0.17")
	report("", "linux-librust verify --full", m[0], "openssl dgst -sha256", m[2], "goal ≤ 0.50")

	quick := []string{*bin, "--root", root, "-q", "verify", abi}
	start := []string{*bin, "--root", root, "--help"}
	q := measure(quick, start)
	fmt.Printf("\nquick verify of that set: %s; process start (--help): %s; work beyond start: %s (goal ≤ 10 ms)\n",
		ms(median(q[0])), ms(median(q[1])), ms(median(q[0])-median(q[1])))
}

// makeRoot lays out a root with the demo's headers and collected artifacts for abis.
func makeRoot(dir string, abis []string) string {
	root := filepath.Join(dir, "root")
	for _, a := range abis {
		headers := filepath.Join(root, "usr/src/linux-headers-"+a)
		check(os.MkdirAll(headers, 0o755))
		mustRun("cp", "-a", filepath.Join(*demo, "headers")+"/.", headers)
		mustRun(*bin, "-q", "collect", "--build-dir", filepath.Join(*demo, "build"), "--abi", a,
			"--dest", filepath.Join(root, "usr/lib/linux-librust-"+a))
	}
	return root
}

// debianScripts gives each ABI Debian's layout: <headers>/scripts is a link into the
// linux-kbuild tree of its version, so scripts/target.json is linked there.
func debianScripts(root string, abis []string) {
	for _, a := range abis {
		ver := strings.Join(strings.SplitN(a, ".", 3)[:2], ".")
		kbuild := filepath.Join(root, "usr/lib/linux-kbuild-"+ver)
		check(os.MkdirAll(kbuild, 0o755))
		scripts := filepath.Join(root, "usr/src/linux-headers-"+a, "scripts")
		check(os.Rename(scripts, filepath.Join(kbuild, "scripts")))
		check(os.Symlink("../../lib/linux-kbuild-"+ver+"/scripts", scripts))
	}
}

// The real set (rust-artifacts.md): file, size in bytes.
var realSet = []struct {
	path string
	size int64
}{
	{"rust/libcore.rmeta", 63784300},
	{"rust/libbindings.rmeta", 37129233},
	{"rust/libuapi.rmeta", 23490548},
	{"rust/libzerocopy.rmeta", 15021127},
	{"rust/libkernel.rmeta", 7718508},
	{"rust/libpin_init.rmeta", 354447},
	{"rust/libffi.rmeta", 11155},
	{"rust/libcompiler_builtins.rmeta", 8918},
	{"rust/libbuild_error.rmeta", 3771},
	{"rust/libmacros.so", 2400000},
	{"rust/libpin_init_internal.so", 2200000},
	{"rust/libzerocopy_derive.so", 2500000},
}

// makeBigRoot builds a kernel build tree shaped like the real one from the demo's real
// rustc output, grown to the real sizes (metadata: filler between the header and the
// crate root, root offset adjusted; proc macros: filler appended after the ELF data),
// collects it and links it.
func makeBigRoot(dir string) string {
	build := filepath.Join(dir, "build")
	mustRun("cp", "-a", *demo+"/build", build)
	rmeta, err := os.ReadFile(filepath.Join(*demo, "build/rust/libkernel.rmeta"))
	check(err)
	so, err := os.ReadFile(filepath.Join(*demo, "build/rust/libmacros.so"))
	check(err)
	for _, f := range realSet {
		p := filepath.Join(build, f.path)
		var data []byte
		if strings.HasSuffix(f.path, ".so") {
			data = append(append([]byte{}, so...), filler(f.size-int64(len(so)))...)
		} else {
			data = growRmeta(rmeta, f.size)
		}
		check(os.WriteFile(p, data, 0o644))
	}
	root := filepath.Join(dir, "root")
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	check(os.MkdirAll(headers, 0o755))
	mustRun("cp", "-a", filepath.Join(*demo, "headers")+"/.", headers)
	mustRun(*bin, "-q", "collect", "--build-dir", build, "--dest", filepath.Join(root, "usr/lib/linux-librust-"+abi))
	mustRun(*bin, "--root", root, "-q", "link", abi)
	check(os.RemoveAll(build))
	return root
}

// growRmeta inserts filler before the crate root of a format 9/10 blob.
func growRmeta(blob []byte, size int64) []byte {
	root := int64(0)
	for i := 7; i >= 0; i-- {
		root = root<<8 | int64(blob[8+i])
	}
	n := size - int64(len(blob))
	if n < 0 {
		n = 0
	}
	out := make([]byte, 0, int64(len(blob))+n)
	out = append(out, blob[:root]...)
	out = append(out, filler(n)...)
	out = append(out, blob[root:]...)
	nr := root + n
	for i := 0; i < 8; i++ {
		out[8+i] = byte(nr >> (8 * i))
	}
	return out
}

func filler(n int64) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	check(err)
	return b
}

// measure runs the commands interleaved: 3 warm-up rounds, then *runs rounds.
func measure(cmds ...[]string) [][]time.Duration {
	out := make([][]time.Duration, len(cmds))
	for round := -3; round < *runs; round++ {
		for i, c := range cmds {
			d := timed(c)
			if round >= 0 {
				out[i] = append(out[i], d)
			}
		}
	}
	return out
}

func timed(argv []string) time.Duration {
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
		os.Exit(1)
	}
	return d
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(title, a string, da []time.Duration, b string, db []time.Duration, goal string) {
	if title != "" {
		fmt.Printf("\n%s\n", title)
	}
	ma, mb := median(da), median(db)
	fmt.Printf("  %-32s %9s\n  %-32s %9s\n  ratio of medians: %.3f (%s)\n", a, ms(ma), b, ms(mb), float64(ma)/float64(mb), goal)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mustRun(argv ...string) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n%s", strings.Join(argv, " "), err, out)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}
