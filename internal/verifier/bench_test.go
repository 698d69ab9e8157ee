package verifier

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rmeta"
)

// kernelSizes are the artifact sizes of Debian's 7.2.13 amd64 kernel build.
var kernelSizes = map[string]int{
	"rust/libcore.rmeta": 63784300, "rust/libbindings.rmeta": 37129233, "rust/libuapi.rmeta": 23490548,
	"rust/libzerocopy.rmeta": 15021127, "rust/libkernel.rmeta": 7718508, "rust/libpin_init.rmeta": 354447,
	"rust/libffi.rmeta": 11155, "rust/libcompiler_builtins.rmeta": 8918, "rust/libbuild_error.rmeta": 3771,
}

// grow pads a real format 10 .rmeta to size bytes between its header and its root,
// moving the root position along: still a valid header.
func grow(t testing.TB, blob []byte, size int) []byte {
	info, err := rmeta.ReadBlob(blob)
	require.NoError(t, err)
	pad := size - len(blob)
	out := make([]byte, 0, size)
	out = append(out, blob[:info.HeaderEnd]...)
	out = append(out, make([]byte, pad)...)
	out = append(out, blob[info.HeaderEnd:]...)
	binary.LittleEndian.PutUint64(out[8:], uint64(info.Root)+uint64(pad))
	return out
}

// kernelSet is a set shaped like the real kernel's: 9 .rmeta of the real sizes, three proc
// macros (real, smaller than the kernel's) and the target spec.
func kernelSet(t testing.TB) set {
	s := set{"scripts/target.json": {manifest.KindTargetSpec, sample(t, "sid/target.json")}}
	nocore := sample(t, "sid/libnocore.rmeta")
	for p, n := range kernelSizes {
		s[p] = setFile{manifest.KindRmeta, grow(t, nocore, n)}
	}
	for _, p := range []string{"rust/libmacros.so", "rust/libpin_init_internal.so", "rust/libzerocopy_derive.so"} {
		s[p] = setFile{manifest.KindProcMacro, sample(t, "sid/libsamplemacro.so")}
	}
	return s
}

func TestKernelSet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 150 MB")
	}
	fsys := newRoot(t)
	sid := version(t, "sid")
	s := kernelSet(t)
	install(t, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
	rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Full: true, Links: true, RustcVersion: rustcIs(sid)})
	require.Empty(t, rep.Findings)
}

func benchmarkVerify(b *testing.B, full bool) {
	fsys := newRoot(b)
	sid := version(b, "sid")
	s := kernelSet(b)
	install(b, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Full: full, Links: true, RustcVersion: rustcIs(sid)})
		if len(rep.Findings) != 0 {
			b.Fatal(rep.Findings)
		}
	}
}

func BenchmarkVerifyQuick(b *testing.B) { benchmarkVerify(b, false) }
func BenchmarkVerifyFull(b *testing.B)  { benchmarkVerify(b, true) }
