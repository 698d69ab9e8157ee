package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// b3 stands for a BLAKE3 digest: any 64 hex digits, as this package never hashes.
func b3(s string) string { return sum("blake3 " + s) }

const rustc = "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"

// sample returns a manifest whose artifacts are deliberately out of order.
func sample() *Manifest {
	return &Manifest{
		Format:       1,
		ABI:          "7.2.13+deb14-amd64",
		Arch:         "x86",
		RustcVersion: rustc,
		ConfigSHA256: sum("config"),
		Artifacts: []Artifact{
			{Path: "scripts/target.json", Kind: KindTargetSpec, Size: 6, SHA256: sum("target"), BLAKE3: b3("target")},
			{Path: "rust/libmacros.so", Kind: KindProcMacro, Size: 6, SHA256: sum("macros"), BLAKE3: b3("macros"), RustcVersion: rustc, Machine: "EM_X86_64", Class: "ELFCLASS64"},
			{Path: "rust/libcore.rmeta", Kind: KindRmeta, Size: 4, SHA256: sum("core"), BLAKE3: b3("core"), RustcVersion: rustc},
			{Path: "rust/kernel/sub.rmeta", Kind: KindRmeta, Size: 3, SHA256: sum("sub"), BLAKE3: b3("sub"), RustcVersion: rustc},
		},
	}
}

// sha256Only is sample as versions before BLAKE3 wrote it.
func sha256Only() *Manifest {
	m := sample()
	for i := range m.Artifacts {
		m.Artifacts[i].BLAKE3 = ""
	}
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, got, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func TestMarshalGolden(t *testing.T) {
	m := sample()
	require.NoError(t, m.Validate())
	golden(t, "sample.manifest", m.Marshal())
	golden(t, "sample.SHA256SUMS", m.Sums())
}

// TestSHA256Only: a manifest written before BLAKE3 (as installed systems have them)
// still reads, with no BLAKE3, and its SHA256SUMS is the one written with BLAKE3.
func TestSHA256Only(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "sha256-only.manifest"))
	require.NoError(t, err)
	m, err := Parse(old)
	require.NoError(t, err)
	require.NoError(t, m.Validate())
	for _, a := range m.Artifacts {
		assert.Empty(t, a.BLAKE3, a.Path)
	}
	assert.Equal(t, string(old), string(m.Marshal()))
	assert.Equal(t, sha256Only().Marshal(), m.Marshal())
	assert.Equal(t, sample().Sums(), m.Sums())
	assert.NotContains(t, string(old), "BLAKE3")
	assert.Contains(t, string(sample().Marshal()), "\nBLAKE3: "+b3("core")+"\n")
}

// crossSample is the manifest of an arm64 kernel's set cross-built on amd64: its proc
// macro is x86_64, and the header says which machine runs it.
func crossSample() *Manifest {
	return &Manifest{
		Format: 1, ABI: "7.2.13+deb14-arm64", Arch: "arm64", RustcVersion: rustc,
		ConfigSHA256: sum("config"), ProcMacroArch: "amd64",
		Artifacts: []Artifact{
			{Path: "rust/libmacros.so", Kind: KindProcMacro, Size: 6, SHA256: sum("macros"), RustcVersion: rustc, Machine: "EM_X86_64", Class: "ELFCLASS64"},
			{Path: "rust/libcore.rmeta", Kind: KindRmeta, Size: 4, SHA256: sum("core"), RustcVersion: rustc},
		},
	}
}

func TestMarshalGoldenCross(t *testing.T) {
	m := crossSample()
	require.NoError(t, m.Validate())
	golden(t, "cross.manifest", m.Marshal())
	got, err := Parse(m.Marshal())
	require.NoError(t, err)
	assert.Equal(t, "amd64", got.ProcMacroArch)
	assert.Equal(t, m.Marshal(), got.Marshal())
	assert.NotContains(t, string(sample().Marshal()), "Proc-Macro-Architecture", "a native set's manifest is unchanged")
	assert.Equal(t, "linux-librust-7.2.13+deb14-arm64-for-amd64", m.Package())
	assert.Equal(t, "linux-librust-7.2.13+deb14-amd64", sample().Package())
}

func TestMarshalDeterministic(t *testing.T) {
	a, b := sample(), sample()
	b.Artifacts[0], b.Artifacts[3] = b.Artifacts[3], b.Artifacts[0]
	assert.Equal(t, a.Marshal(), b.Marshal())
	assert.Equal(t, a.Sums(), b.Sums())
	assert.Equal(t, "scripts/target.json", a.Artifacts[0].Path, "Marshal must not reorder the caller's slice")
}

func TestRoundTrip(t *testing.T) {
	m := sample()
	got, err := Parse(m.Marshal())
	require.NoError(t, err)
	assert.Equal(t, m.sorted(), got.Artifacts)
	assert.Equal(t, m.Marshal(), got.Marshal())
	sums, err := ParseSums(m.Sums())
	require.NoError(t, err)
	require.Len(t, sums, 4)
	assert.Equal(t, sum("core"), sums["rust/libcore.rmeta"])
}

func TestParseExtensions(t *testing.T) {
	text := strings.Replace(string(sample().Marshal()), "Format: 1\n", "format:   1  \nX-Future: a\n more text\n\tand more\n", 1)
	text = strings.Replace(text, "Kind: target-spec\n", "kIND: target-spec\nX-New-Field: ignored\n", 1)
	text = strings.Replace(text, "Path: ", "PATH: ", 1)
	m, err := Parse([]byte(text))
	require.NoError(t, err)
	assert.Equal(t, sample().Marshal(), m.Marshal())
}

func TestParseErrors(t *testing.T) {
	good := string(sample().Marshal())
	h := sum("x")
	head := "Format: 1\nABI: 7.2.13+deb14-amd64\nArchitecture: x86\nRustc-Version: " + rustc + "\nConfig-SHA256: " + h + "\n"
	art := func(lines ...string) string { return head + "\n" + strings.Join(lines, "\n") + "\n" }
	ok := func(p string) string {
		return "Path: " + p + "\nKind: rmeta\nSize: 1\nSHA256: " + h
	}
	withB3 := func(v string) string { return art(ok("rust/a.rmeta"), "BLAKE3: "+v) }
	tests := []struct {
		name, in, err string
	}{
		{"empty", "", "empty manifest"},
		{"short blake3", withB3("abc"), `line 11: artifact rust/a.rmeta: BLAKE3: "abc" is not a BLAKE3 (64 lowercase hex digits)`},
		{"long blake3", withB3(h + "0"), `artifact rust/a.rmeta: BLAKE3: "` + h + `0" is not a BLAKE3`},
		{"upper blake3", withB3(strings.ToUpper(h)), "is not a BLAKE3"},
		{"non-hex blake3", withB3(strings.Repeat("z", 64)), "is not a BLAKE3"},
		{"blake3 with spaces", withB3(h[:32] + " " + h[33:]), "is not a BLAKE3"},
		{"huge blake3", withB3(strings.Repeat("0", 100000)), `BLAKE3: "` + strings.Repeat("0", 80) + `" is not a BLAKE3`},
		{"empty blake3", withB3(""), `line 11: artifact rust/a.rmeta: BLAKE3: "" is not a BLAKE3`},
		{"blake3 repeated", withB3(h) + "BLAKE3: " + h + "\n", "line 12: field BLAKE3 repeated (first at line 11)"},
		{"blake3 continued", withB3(h) + " " + h + "\n", "line 12: continuation line for BLAKE3, which is a one-line field"},
		{"format 2", strings.Replace(good, "Format: 1", "Format: 2", 1), `line 1: unsupported manifest format "2"`},
		{"no format", strings.Replace(good, "Format: 1\n", "", 1), "stanza at line 1: missing Format"},
		{"bad abi", strings.Replace(good, "ABI: 7.2.13+deb14-amd64", "ABI: ../x", 1), "line 2: ABI: invalid kernel ABI"},
		{"no rustc", strings.Replace(good, "Rustc-Version: "+rustc+"\nConfig", "Rustc-Version:\nConfig", 1), "line 4: Rustc-Version: Rustc-Version: empty"},
		{"bad config hex", strings.Replace(good, "Config-SHA256: "+sum("config"), "Config-SHA256: "+strings.ToUpper(sum("config")), 1), "line 5: Config-SHA256:"},
		{"crlf", strings.ReplaceAll(good, "\n", "\r\n"), "line 1: carriage return"},
		{"no colon", head + "\nPath rust/x\n", `line 7: "Path rust/x" is not "Field: value"`},
		{"dup field", head + "ABI: x\n", "line 6: field ABI repeated (first at line 2)"},
		{"dup field in another case", head + "aBi: x\n", "line 6: field aBi repeated (first at line 2)"},
		{"continuation of known", head + " more\n", "line 6: continuation line for Config-SHA256"},
		{"leading continuation", " x\n" + head, "line 1: continuation line without a field"},
		{"missing kind", art("Path: rust/a.rmeta", "Size: 1", "SHA256: "+h), "stanza at line 7: missing Kind"},
		{"dup path", art(ok("rust/a.rmeta"), "", ok("rust/a.rmeta")), "line 12: artifact rust/a.rmeta already listed at line 7"},
		{"absolute", art(ok("/rust/a.rmeta")), "absolute"},
		{"dotdot", art(ok("rust/../../etc/passwd")), `".." component`},
		{"dot", art(ok("./rust/a.rmeta")), `"." component`},
		{"empty component", art(ok("rust//a.rmeta")), "empty component"},
		{"trailing slash", art(ok("rust/")), "empty component"},
		{"backslash", art(ok(`rust\a.rmeta`)), "not allowed"},
		{"tab in path", art(ok("rust/a\tb")), "not allowed"},
		{"reserved", art(ok("SHA256SUMS")), "reserved"},
		{"nested", art(ok("rust.rmeta"), "", ok("rust.rmeta/a.rmeta")), "artifact path rust.rmeta is also the directory of rust.rmeta/a.rmeta"},
		{"tool's temporary name", art(ok("rust/a.rmeta"), "", ok("rust/a.rmeta.linux-librust-tmp")), "ends in .linux-librust-tmp, which linux-librust reserves"},
		{"tool's backup name", art(ok("rust/a.rmeta"), "", ok("rust/a.rmeta.linux-librust-backup")), "ends in .linux-librust-backup"},
		{"tool's backup copy", art(ok("rust/a.rmeta.linux-librust-backup-tmp")), "ends in .linux-librust-backup-tmp"},
		{"tool's name in a directory", art(ok("rust.linux-librust-tmp/a.rmeta")), "ends in .linux-librust-tmp"},
		{"manifest temporary", art(ok("linux-librust.manifest.tmp")), "reserved for the manifest"},
		{"1000 levels", art(ok(strings.Repeat("a/", 999) + "a.rmeta")), "1000 components, more than 16"},
		{"17 levels", art(ok(strings.Repeat("a/", 16) + "a.rmeta")), "17 components, more than 16"},
		{"too long", art(ok(strings.Repeat(strings.Repeat("a", 200)+"/", 6) + "a.rmeta")), "longer than 1024 bytes"},
		{"rmeta named Makefile", art(ok("Makefile")), "a rmeta artifact's name ends in .rmeta"},
		{"proc macro named .config", art("Path: .config", "Kind: proc-macro", "Size: 1", "SHA256: "+h, "Rustc-Version: x", "Machine: EM_X86_64", "Class: ELFCLASS64"), "a proc-macro artifact's name ends in .so"},
		{"target spec not json", art("Path: scripts/Makefile", "Kind: target-spec", "Size: 1", "SHA256: "+h), "a target-spec artifact's name ends in .json"},
		{"bad kind", art("Path: a", "Kind: so", "Size: 1", "SHA256: "+h), `unknown Kind "so"`},
		{"negative size", art("Path: a", "Kind: rmeta", "Size: -1", "SHA256: "+h), `line 9: negative Size "-1"`},
		{"plus size", art("Path: a", "Kind: rmeta", "Size: +1", "SHA256: "+h), "not a decimal number"},
		{"huge size", art("Path: a", "Kind: rmeta", "Size: 99999999999999999999", "SHA256: "+h), "not a decimal number"},
		{"short hex", art("Path: a", "Kind: rmeta", "Size: 1", "SHA256: abc"), "not a SHA-256"},
		{"non-hex", art("Path: a", "Kind: rmeta", "Size: 1", "SHA256: "+strings.Repeat("g", 64)), "not a SHA-256"},
		{"proc macro without machine", art("Path: a.so", "Kind: proc-macro", "Size: 1", "SHA256: "+h, "Class: ELFCLASS64"), "Machine: empty"},
		{"machine on rmeta", art(ok("a") + "\nMachine: EM_X86_64"), "proc-macro artifacts only"},
		{"rustc on target spec", art("Path: scripts/target.json", "Kind: target-spec", "Size: 1", "SHA256: "+h, "Rustc-Version: x"), "no Rustc-Version"},
		{"path in first stanza", head + "Path: x\n", "has no Path"},
		{"empty proc-macro architecture", head + "Proc-Macro-Architecture:\n", "line 6: Proc-Macro-Architecture: empty"},
		{"bad proc-macro architecture", head + "Proc-Macro-Architecture: amd64 arm64\n", `line 6: Proc-Macro-Architecture "amd64 arm64": character ' ' not allowed`},
		{"proc-macro architecture continued", head + "Proc-Macro-Architecture: amd64\n arm64\n", "line 7: continuation line for Proc-Macro-Architecture, which is a one-line field"},
		{"not utf8", head + "\nPath: \xff\n", "line 7: not UTF-8"},
		{"too big", strings.Repeat("X: y\n", MaxBytes/5+1), "more than 1048576"},
		{"too many stanzas", head + strings.Repeat("\nX: y\n", MaxArtifacts+1), "more than 10000 artifacts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.in))
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestParseSumsErrors(t *testing.T) {
	h := sum("x")
	tests := []struct{ name, in, err string }{
		{"one space", h + " a\n", "is not"},
		{"short", "abc  a\n", "is not"},
		{"upper hex", strings.ToUpper(h) + "  a\n", "line 1: \"" + strings.ToUpper(h) + "\" is not a SHA-256"},
		{"escaped", `\` + h + `  a\nb` + "\n", "is not"},
		{"dup", h + "  a\n" + h + " *a\n", "line 2: a already listed at line 1"},
		{"dotdot", h + "  ../a\n", `".." component`},
		{"absolute", h + "  /a\n", "absolute"},
		{"empty line", h + "  a\n\n", "line 2"},
		{"crlf", h + "  a\r\n", "carriage return"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSums([]byte(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
	got, err := ParseSums([]byte(h + " *bin/a\n" + h + "  b"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"bin/a": h, "b": h}, got)
}

func TestValidate(t *testing.T) {
	m := sample()
	m.Artifacts = append(m.Artifacts, m.Artifacts[0])
	assert.ErrorContains(t, m.Validate(), "listed twice")
	m = sample()
	m.RustcVersion = "a\nb"
	assert.ErrorContains(t, m.Validate(), "control character")
	m = sample()
	m.Format = 0
	assert.ErrorContains(t, m.Validate(), "unsupported manifest format 0")
}

// writeTree writes the sample's artifacts with contents matching their digests.
func writeTree(t *testing.T, fsys afero.Fs, dir string) *Manifest {
	t.Helper()
	m := sample()
	content := map[string]string{"scripts/target.json": "target", "rust/libmacros.so": "macros", "rust/libcore.rmeta": "core", "rust/kernel/sub.rmeta": "sub"}
	for p, c := range content {
		require.NoError(t, fsys.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755))
		require.NoError(t, afero.WriteFile(fsys, filepath.Join(dir, p), []byte(c), 0o644))
	}
	return m
}

func TestWriteSha256sumCheck(t *testing.T) {
	root := t.TempDir()
	fsys, err := rootfs.New(root)
	require.NoError(t, err)
	dir := "/usr/lib/linux-librust-7.2.13+deb14-amd64"
	m := writeTree(t, fsys, dir)
	require.NoError(t, Write(fsys, dir, m))

	cmd := exec.Command("sha256sum", "--strict", "-c", layout.SumsName)
	cmd.Dir = filepath.Join(root, dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, 4, strings.Count(string(out), ": OK"))

	// sha256sum's own output parses to the same sums.
	cmd = exec.Command("sha256sum", "rust/libcore.rmeta", "rust/kernel/sub.rmeta", "rust/libmacros.so", "scripts/target.json")
	cmd.Dir = filepath.Join(root, dir)
	out, err = cmd.Output()
	require.NoError(t, err)
	theirs, err := ParseSums(out)
	require.NoError(t, err)
	ours, err := ParseSums(m.Sums())
	require.NoError(t, err)
	assert.Equal(t, theirs, ours)

	got, err := Read(fsys, dir)
	require.NoError(t, err)
	assert.Equal(t, m.Marshal(), got.Marshal())

	// No temporary files remain; modes do not depend on the umask.
	for _, name := range []string{layout.ManifestName, layout.SumsName} {
		fi, err := os.Lstat(filepath.Join(root, dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), fi.Mode())
		_, err = os.Lstat(filepath.Join(root, dir, name+".tmp"))
		assert.True(t, os.IsNotExist(err))
	}
}

func TestWriteReplacesAndCleansStaleTemp(t *testing.T) {
	fsys, err := rootfs.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, fsys.MkdirAll("/a", 0o755))
	require.NoError(t, afero.WriteFile(fsys, "/a/"+layout.ManifestName+".tmp", []byte("junk"), 0o600))
	require.NoError(t, afero.WriteFile(fsys, "/a/"+layout.ManifestName, []byte("old"), 0o644))
	m := sample()
	require.NoError(t, Write(fsys, "/a", m))
	data, err := afero.ReadFile(fsys, "/a/"+layout.ManifestName)
	require.NoError(t, err)
	assert.Equal(t, m.Marshal(), data)
	ok, _ := afero.Exists(fsys, "/a/"+layout.ManifestName+".tmp")
	assert.False(t, ok)

	bad := sample()
	bad.ABI = ""
	assert.ErrorContains(t, Write(fsys, "/a", bad), "invalid kernel ABI")
}

func TestReadErrors(t *testing.T) {
	m := sample()
	other := sample()
	other.Artifacts[0].SHA256 = sum("changed")
	fewer := sample()
	fewer.Artifacts = fewer.Artifacts[1:]
	hostile := sample()
	hostile.Artifacts[3].Path += ".linux-librust-backup"
	badB3 := sample()
	badB3.Artifacts[2].BLAKE3 = strings.ToUpper(badB3.Artifacts[2].BLAKE3)
	tests := []struct {
		name           string
		manifest, sums []byte
		err            string
	}{
		{"no manifest", nil, m.Sums(), "read manifest /a/linux-librust.manifest: "},
		{"no sums", m.Marshal(), nil, "read checksums /a/SHA256SUMS: "},
		{"bad manifest", []byte("Format: 9\n"), m.Sums(), "parse manifest /a/linux-librust.manifest: line 1: unsupported"},
		{"bad sums", m.Marshal(), []byte("x\n"), "parse checksums /a/SHA256SUMS: line 1"},
		{"disagree", m.Marshal(), other.Sums(), "disagree on the SHA-256 of scripts/target.json"},
		{"missing in sums", m.Marshal(), fewer.Sums(), "/a/linux-librust.manifest lists scripts/target.json but /a/SHA256SUMS does not"},
		{"extra in sums", fewer.Marshal(), m.Sums(), "/a/SHA256SUMS lists scripts/target.json but /a/linux-librust.manifest does not"},
		{"too big", m.Marshal(), []byte(strings.Repeat("x", MaxBytes+1)), "larger than"},
		{"bad blake3", badB3.Marshal(), badB3.Sums(), "parse manifest /a/linux-librust.manifest: line 18: artifact rust/libcore.rmeta: BLAKE3: \"" + strings.ToUpper(b3("core")) + "\" is not a BLAKE3 (64 lowercase hex digits)"},
		{"tool's name", hostile.Marshal(), hostile.Sums(), "parse manifest /a/linux-librust.manifest: stanza at line 7: artifact path \"rust/kernel/sub.rmeta.linux-librust-backup\": ends in .linux-librust-backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			require.NoError(t, fsys.MkdirAll("/a", 0o755))
			if tt.manifest != nil {
				require.NoError(t, afero.WriteFile(fsys, "/a/"+layout.ManifestName, tt.manifest, 0o644))
			}
			if tt.sums != nil {
				require.NoError(t, afero.WriteFile(fsys, "/a/"+layout.SumsName, tt.sums, 0o644))
			}
			_, err := Read(fsys, "/a")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
			var re *ReadError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "reinstall the package that ships /a, or rerun linux-librust collect", re.Fix)
			assert.Equal(t, re.Err.Error()+"; "+re.Fix, err.Error())
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample().Marshal())
	f.Add([]byte("Format: 1\n"))
	f.Add([]byte("Format: 1\nX: a\n b\n\nPath: a\n"))
	f.Add(sha256Only().Marshal())
	for _, v := range []string{"", "abc", strings.ToUpper(b3("x")), b3("x") + "0", " " + b3("x")} {
		m := sample()
		m.Artifacts[1].BLAKE3 = v
		f.Add(m.Marshal())
	}
	for _, p := range []string{"rust/libcore.rmeta.linux-librust-tmp", "rust/libcore.rmeta.linux-librust-backup",
		strings.Repeat("a/", 20) + "b.rmeta", "Makefile", "linux-librust.manifest.tmp"} {
		m := sample()
		m.Artifacts[2].Path = p
		f.Add(m.Marshal())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever parses is valid and survives a round trip unchanged.
		require.NoError(t, m.Validate())
		// No path collides with the tool's own names or nests absurdly deep.
		for _, a := range m.Artifacts {
			require.LessOrEqual(t, strings.Count(a.Path, "/"), 15, a.Path)
			require.NotContains(t, a.Path, ".linux-librust-", a.Path)
			require.True(t, strings.HasSuffix(a.Path, ".rmeta") || strings.HasSuffix(a.Path, ".so") || strings.HasSuffix(a.Path, ".json"), a.Path)
			// A BLAKE3 is absent or a digest, never a value to pass on unchecked.
			if a.BLAKE3 != "" {
				require.NoError(t, CheckBLAKE3(a.BLAKE3), a.Path)
			}
		}
		again, err := Parse(m.Marshal())
		require.NoError(t, err)
		require.Equal(t, m.Marshal(), again.Marshal())
		sums, err := ParseSums(m.Sums())
		require.NoError(t, err)
		require.Len(t, sums, len(m.Artifacts))
	})
}

func FuzzParseSums(f *testing.F) {
	f.Add(sample().Sums())
	f.Add([]byte(sum("") + " *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sums, err := ParseSums(data)
		if err != nil {
			return
		}
		for p, s := range sums {
			require.NoError(t, CheckPath(p))
			require.NoError(t, CheckSHA256(s))
		}
	})
}
