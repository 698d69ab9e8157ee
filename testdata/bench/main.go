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
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

var (
	bin     = flag.String("bin", "build/linux-librust", "the linux-librust binary")
	demo    = flag.String("demo", "testdata/demo", "the demo trees")
	cache   = flag.String("cache", "", "the e2e cache whose prepared tree of Debian's real kernel is used when present (default $LINUX_LIBRUST_CACHE or /var/cache/linux-librust-test)")
	runs    = flag.Int("runs", 30, "measured runs of each command")
	only    = flag.String("only", "", "run only the scenarios whose name contains this")
	keep    = flag.Bool("keep", false, "keep the trees made for the benchmarks (the path is printed)")
	nothing = flag.Bool("nothing", false, "exit at once (measured as the start-up of a Go program)")
)

const abi = "7.2.13+deb14-amd64"

// figure is one line of the summary.
type figure struct {
	what, ours, theirs, ratio, goal, cpu string
}

var summary []figure

// startup is the line on start-up the summary ends with, when link-noop ran.
var startup string

func main() {
	flag.Parse()
	if *nothing {
		return
	}
	tmp, err := os.MkdirTemp("", "linux-librust-bench.")
	check(err)
	if *keep {
		fmt.Printf("trees kept in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	fmt.Printf("linux-librust benchmarks: %d runs per command, interleaved; times are medians of wall time\n", *runs)
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average at start: %s", l)
	}
	var set *artifactSet
	for _, s := range []struct {
		name string
		fn   func(dir string)
	}{
		{"link-noop", func(dir string) { linkNoop(dir, set) }},
		{"verify", func(dir string) { verify(dir, set) }},
		{"status", status},
	} {
		if !strings.Contains(s.name, *only) {
			continue
		}
		if set == nil && s.name != "status" {
			set = makeSet(filepath.Join(tmp, "set"))
		}
		dir := filepath.Join(tmp, s.name)
		check(os.MkdirAll(dir, 0o755))
		s.fn(dir)
	}
	fmt.Printf("\nsummary (ratios of medians, %d runs each)\n", *runs)
	if set != nil {
		fmt.Printf("data set: %s: %d files, %d MB\n", set.name, set.files, set.bytes/1e6)
	}
	fmt.Printf("\n| comparison | ours | theirs | ratio | goal | CPU time, ours / theirs |\n|---|---|---|---|---|---|\n")
	for _, f := range summary {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", f.what, f.ours, f.theirs, f.ratio, f.goal, f.cpu)
	}
	if startup != "" {
		fmt.Printf("\n%s\n", startup)
	}
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("\nload average at the end: %s", l)
	}
}

// linkNoop: link of an already linked ABI next to a no-op linux-update-symlinks upgrade.
func linkNoop(dir string, set *artifactSet) {
	root := set.root(dir)

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
	check(os.WriteFile("/boot/vmlinuz-"+set.abi, []byte("kernel"), 0o644))
	check(os.WriteFile("/boot/initrd.img-"+set.abi, []byte("initrd"), 0o644))
	mustRun("linux-update-symlinks", "install", set.abi, "/boot/vmlinuz-"+set.abi)

	ours := []string{*bin, "--root", root, "-q", "link", set.abi}
	theirs := []string{"linux-update-symlinks", "upgrade", set.abi, "/boot/vmlinuz-" + set.abi}
	// What start-up alone costs here: the tool doing no work, and a Go program doing
	// nothing (this one).
	self, err := os.Executable()
	check(err)
	version := []string{*bin, "--version"}
	idle := []string{self, "-nothing"}
	m := measure(ours, theirs, version, idle)
	report("no-op link of a linked ABI ("+set.name+")", "linux-librust link", m[0], "linux-update-symlinks upgrade", m[1], 0.2)
	v, n := ms(median(walls(m[2]))), ms(median(walls(m[3])))
	fmt.Printf("  of which start-up: linux-librust --version %s; the benchmark program (Go) doing nothing %s\n", v, n)
	startup = "start-up in that run: `linux-librust --version` " + v + ", the benchmark program (Go) doing nothing " + n
}

// status: status over 20 and over 200 ABIs, each with its own linux-kbuild tree and all
// sharing one; the cost per ABI should be flat.
func status(dir string) {
	for li, layout := range []struct {
		name string
		abi  func(i int) string
	}{
		{"one kbuild tree per ABI", func(i int) string { return fmt.Sprintf("7.%d.0+deb14-amd64", i) }},
		{"all ABIs sharing one kbuild tree", func(i int) string { return fmt.Sprintf("7.2.%d+deb14-amd64", i) }},
	} {
		var roots [2]string
		for k, n := range []int{20, 200} {
			abis := make([]string, n)
			for i := range abis {
				abis[i] = layout.abi(i)
			}
			root := makeRoot(filepath.Join(dir, fmt.Sprintf("%d-%d", li, n)), abis)
			debianScripts(root, abis)
			mustRun(*bin, "--root", root, "-q", "repair", "--all")
			roots[k] = root
		}
		m := measure([]string{*bin, "--root", roots[0], "status"}, []string{*bin, "--root", roots[1], "status"})
		per20, per200 := median(walls(m[0]))/20, median(walls(m[1]))/200
		cpu20, cpu200 := median(cpus(m[0]))/20, median(cpus(m[1]))/200
		fmt.Printf("\nstatus over 20 and 200 linked ABIs, %s (Debian layout)\n", layout.name)
		fmt.Printf("  20 ABIs:  %8s  (%s per ABI, CPU %s)\n", ms(median(walls(m[0]))), ms(per20), ms(cpu20))
		fmt.Printf("  200 ABIs: %8s  (%s per ABI, CPU %s)\n", ms(median(walls(m[1]))), ms(per200), ms(cpu200))
		ratio := float64(per200) / float64(per20)
		fmt.Printf("  per-ABI cost, 200 vs 20: %.2f (goal ≤ 1.30)\n", ratio)
		summary = append(summary, figure{"`status`, per ABI, 200 vs 20 ABIs, " + layout.name, ms(per200), ms(per20),
			fmt.Sprintf("%.2f", ratio), "≤ 1.3", fmt.Sprintf("%s / %s per ABI (%.2f)", ms(cpu200), ms(cpu20), float64(cpu200)/float64(cpu20))})
	}
}

// verify: verify --full over the set next to sha256sum -c and openssl dgst over the
// same files; and the quick verify beyond status, the checks every link and hook runs.
func verify(dir string, set *artifactSet) {
	root := set.root(dir)
	arts := filepath.Join(root, "usr/lib/linux-librust-"+set.abi)
	var files []string
	sums, err := os.ReadFile(filepath.Join(arts, "SHA256SUMS"))
	check(err)
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		files = append(files, filepath.Join(arts, strings.SplitN(line, "  ", 2)[1]))
	}
	ours := []string{*bin, "--root", root, "-q", "verify", "--full", set.abi}
	mustRun(ours...)
	sha := []string{"sh", "-c", "cd " + arts + " && exec sha256sum --quiet -c SHA256SUMS"}
	ossl := append([]string{"openssl", "dgst", "-sha256"}, files...)
	m := measure(ours, sha, ossl)
	title := fmt.Sprintf("verify --full over %d files, %d MB (%s)", len(files), set.bytes/1e6, set.name)
	report(title, "linux-librust verify --full", m[0], "sha256sum -c", m[1], 0.1)
	report("", "linux-librust verify --full", m[0], "openssl dgst -sha256", m[2], 0.4)

	quick := []string{*bin, "--root", root, "-q", "verify", set.abi}
	st := []string{*bin, "--root", root, "status", set.abi}
	q := measure(quick, st)
	vq, vs := median(walls(q[0])), median(walls(q[1]))
	cq, cs := median(cpus(q[0])), median(cpus(q[1]))
	fmt.Printf("\nquick verify of that set: %s (CPU %s); status of it: %s (CPU %s); beyond status: %s (goal ≤ 2 ms)\n",
		ms(vq), ms(cq), ms(vs), ms(cs), ms(vq-vs))
	summary = append(summary, figure{"quick `verify` beyond `status`", ms(vq), ms(vs),
		ms(vq-vs) + " beyond", "≤ 2 ms", fmt.Sprintf("%s / %s (%s beyond)", ms(cq), ms(cs), ms(cq-cs))})
}

// artifactSet is a collected artifact set shaped like Debian's real one, with the
// headers tree it belongs to; root copies it into a new root.
type artifactSet struct {
	name      string // where it comes from
	abi       string
	artifacts string // collected artifacts tree
	headers   string // headers tree: Makefile and .config
	bytes     int64  // size of the artifacts
	files     int    // number of artifacts
}

func (s *artifactSet) root(dir string) string {
	root := filepath.Join(dir, "root")
	h := filepath.Join(root, "usr/src/linux-headers-"+s.abi)
	a := filepath.Join(root, "usr/lib/linux-librust-"+s.abi)
	check(os.MkdirAll(filepath.Dir(h), 0o755))
	check(os.MkdirAll(filepath.Dir(a), 0o755))
	mustRun("cp", "-a", s.headers, h)
	mustRun("cp", "-a", s.artifacts, a)
	// As installed files are: changed more than a second ago, so that the check cache
	// may keep what it finds (files just changed are always read again).
	time.Sleep(1200 * time.Millisecond)
	mustRun(*bin, "--root", root, "-q", "link", s.abi)
	return root
}

const generatedName = "generated set of the real sizes"

// makeSet collects Debian's real set from the e2e cache when it holds a prepared tree,
// else a generated one of the same sizes.
func makeSet(dir string) *artifactSet {
	check(os.MkdirAll(dir, 0o755))
	build, name := realBuild(dir)
	if build == "" {
		build, name = generatedBuild(dir), generatedName
	}
	abiData, err := os.ReadFile(filepath.Join(build, "include/config/kernel.release"))
	check(err)
	s := &artifactSet{name: name, abi: strings.TrimSpace(string(abiData)),
		artifacts: filepath.Join(dir, "artifacts"), headers: filepath.Join(dir, "headers")}
	collect := []string{*bin, "-q", "collect", "--build-dir", build, "--dest", s.artifacts}
	if name != generatedName {
		collect = append(collect, "--strip") // as Debian packages it
	}
	mustRun(collect...)
	check(os.MkdirAll(s.headers, 0o755))
	mustRun("cp", "-a", filepath.Join(*demo, "headers")+"/.", s.headers)
	config, err := os.ReadFile(filepath.Join(build, ".config"))
	check(err)
	check(os.WriteFile(filepath.Join(s.headers, ".config"), config, 0o644))
	check(filepath.Walk(s.artifacts, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.HasPrefix(fi.Name(), "linux-librust.") && fi.Name() != "SHA256SUMS" {
			s.bytes += fi.Size()
			s.files++
		}
		return err
	}))
	check(os.RemoveAll(build))
	return s
}

// realBuild unpacks the newest prepared tree of the e2e cache (testdata/e2e/run), or
// returns "".
func realBuild(dir string) (build, name string) {
	c := *cache
	if c == "" {
		c = os.Getenv("LINUX_LIBRUST_CACHE")
	}
	if c == "" {
		c = "/var/cache/linux-librust-test"
	}
	tars, _ := filepath.Glob(filepath.Join(c, "e2e-prepared", "*.tar.zst"))
	if len(tars) == 0 {
		return "", ""
	}
	// The newest of Debian's main flavour (amd64, not cloud-amd64 or rt-amd64), else the newest.
	main := regexp.MustCompile(`/[0-9][^/-]*-amd64-[0-9a-f]+\.tar\.zst$`)
	sort.Slice(tars, func(i, j int) bool {
		if mi, mj := main.MatchString(tars[i]), main.MatchString(tars[j]); mi != mj {
			return mi
		}
		return modTime(tars[i]).After(modTime(tars[j]))
	})
	build = filepath.Join(dir, "build")
	check(os.MkdirAll(build, 0o755))
	mustRun("tar", "--zstd", "-xpf", tars[0], "-C", build)
	return build, "Debian's real set, " + filepath.Base(tars[0])
}

func modTime(p string) time.Time {
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
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
		if _, err := os.Stat(filepath.Join(kbuild, "scripts")); err == nil {
			check(os.RemoveAll(scripts)) // another flavour of the version brought it
		} else {
			check(os.Rename(scripts, filepath.Join(kbuild, "scripts")))
		}
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

// generatedBuild makes a kernel build tree shaped like the real one from the demo's
// real rustc output, grown to the real sizes (metadata: filler between the header and
// the crate root, root offset adjusted; proc macros: filler appended after the ELF data).
func generatedBuild(dir string) string {
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
	return build
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
// sample is one run of a command: its wall time, and the CPU time (user and system) it
// used, which a machine shared with other work disturbs less.
type sample struct{ wall, cpu time.Duration }

func walls(ss []sample) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = s.wall
	}
	return out
}

func cpus(ss []sample) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = s.cpu
	}
	return out
}

func measure(cmds ...[]string) [][]sample {
	// The trees just made are still being written back: let that finish first, so
	// that it does not slow whichever command does more I/O.
	syscall.Sync()
	out := make([][]sample, len(cmds))
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

func timed(argv []string) sample {
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
	return sample{d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(title, a string, sa []sample, b string, sb []sample, goal float64) {
	if title != "" {
		fmt.Printf("\n%s\n", title)
	}
	ma, mb := median(walls(sa)), median(walls(sb))
	ca, cb := median(cpus(sa)), median(cpus(sb))
	ratio := float64(ma) / float64(mb)
	fmt.Printf("  %-32s %9s  (CPU %s)\n  %-32s %9s  (CPU %s)\n  ratio of medians: %.3f (goal ≤ %.2f)\n",
		a, ms(ma), ms(ca), b, ms(mb), ms(cb), ratio, goal)
	summary = append(summary, figure{"`" + strings.TrimPrefix(a, "linux-librust ") + "` vs `" + b + "`", ms(ma), ms(mb),
		fmt.Sprintf("%.2f", ratio), fmt.Sprintf("≤ %.2g", goal), ms(ca) + " / " + ms(cb)})
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
