package dylib

import (
	"bytes"
	"crypto/rand"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hugeTables writes a proc macro whose .dynsym and .dynstr have about mib MiB each,
// with the marker as the last symbol.
func hugeTables(t *testing.T, mib int) string {
	const name = "_ZN4core3fmt5write17hab\x00" // 24 bytes, as many as a symbol
	n := mib << 20 / 24
	dynstr := bytes.NewBuffer(make([]byte, 0, mib<<20+64))
	dynstr.WriteByte(0)
	dynstr.WriteString(strings.Repeat(name, n-1))
	dynstr.WriteString(marker + "\x00")
	dynsym := make([]byte, 24*(n+1))
	for i := 1; i <= n; i++ {
		ent := dynsym[24*i:]
		binary.LittleEndian.PutUint32(ent, uint32(1+24*(i-1)))
		binary.LittleEndian.PutUint16(ent[6:], 1)
	}
	e := procMacro(section(10, metaBlob(10, v197, true), false, 0))
	e.syms = nil
	e.sections = append(e.sections, testSection{".dynsym", elf.SHT_DYNSYM, dynsym},
		testSection{".dynstr", elf.SHT_STRTAB, dynstr.Bytes()})
	data := e.bytes()
	p := filepath.Join(t.TempDir(), "libhuge.so")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// TestReadBoundedMemory: a proc macro with 60 MiB dynamic tables is read in bounded
// windows, not whole.
func TestReadBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 120 MiB file")
	}
	p := hugeTables(t, 60)
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	info, err := Read(f, fi.Size())
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, marker, info.ProcMacroSymbol)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(1<<20), "allocated %d bytes to read a file with %d-byte tables", allocated, 60<<20)
}

// TestDynamicNamesAcrossWindows: names anywhere in the string table, also across a
// window boundary or starting inside another string, are found as debug/elf finds them.
func TestDynamicNamesAcrossWindows(t *testing.T) {
	for _, at := range []int{0, scanWindow - 30, scanWindow - 1, scanWindow, 2*scanWindow + 7} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			var dynstr bytes.Buffer
			dynstr.WriteByte(0)
			dynstr.Write(bytes.Repeat([]byte{'x'}, at))
			off := dynstr.Len()
			dynstr.WriteString("prefix" + marker + "\x00rust_metadata_pin_init_internal_fbab6059f5b6c86\x00")
			meta := off + len("prefix"+marker) + 1
			dynsym := make([]byte, 24*4)
			for i, name := range []int{off + len("prefix"), meta, off} {
				ent := dynsym[24*(i+1):]
				binary.LittleEndian.PutUint32(ent, uint32(name))
				binary.LittleEndian.PutUint16(ent[6:], 1)
			}
			e := testELF{machine: elf.EM_X86_64, sections: []testSection{
				{".dynsym", elf.SHT_DYNSYM, dynsym}, {".dynstr", elf.SHT_STRTAB, dynstr.Bytes()}}}
			data := e.bytes()
			info, err := Read(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			assert.Equal(t, marker, info.ProcMacroSymbol)
			assert.Equal(t, "pin_init_internal", info.CrateName)
			assert.Equal(t, reference(t, data), info.ProcMacroSymbol)
		})
	}
}

// markerRe is the marker's name as a regular expression, for the reference reader.
var markerRe = regexp.MustCompile(`^__rustc_proc_macro_decls_[0-9a-f]{8,16}__$`)

// reference finds the marker with debug/elf, reading the whole tables.
func reference(t *testing.T, data []byte) string {
	f, err := elf.NewFile(bytes.NewReader(data))
	require.NoError(t, err)
	syms, err := f.DynamicSymbols()
	require.NoError(t, err)
	found := ""
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && markerRe.MatchString(s.Name) {
			found = s.Name
		}
	}
	return found
}

// TestSamplesAsDebugELF: on every real shared object, the bounded reader finds what
// debug/elf finds.
func TestSamplesAsDebugELF(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(samples, "*", "*.so"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		if len(data) < 4096 {
			continue // cut samples: debug/elf refuses them
		}
		if _, err := elf.NewFile(bytes.NewReader(data)); err != nil {
			continue
		}
		info, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			continue
		}
		assert.Equal(t, reference(t, data), info.ProcMacroSymbol, p)
	}
}

// TestHeadTail keeps exactly the head and the tail of a stream written in pieces.
func TestHeadTail(t *testing.T) {
	data := make([]byte, 1<<20+123)
	_, err := rand.Read(data)
	require.NoError(t, err)
	for _, piece := range []int{1, 7, 4096, keepTail, keepTail + 1, 1 << 20} {
		h := newHeadTail()
		for rest := data; len(rest) > 0; {
			n := min(piece, len(rest))
			_, err := h.Write(rest[:n])
			require.NoError(t, err)
			rest = rest[n:]
		}
		size := int64(len(data))
		for _, r := range [][2]int64{{0, 100}, {0, keepHead}, {size - 13, 13}, {size - keepTail, keepTail}} {
			buf := make([]byte, r[1])
			n, err := h.ReadAt(buf, r[0])
			require.NoError(t, err, "piece %d at %d", piece, r[0])
			assert.Equal(t, data[r[0]:r[0]+r[1]], buf[:n], "piece %d at %d", piece, r[0])
		}
		_, err = h.ReadAt(make([]byte, 10), size/2)
		assert.Error(t, err, "the middle is not kept")
		_, err = h.ReadAt(make([]byte, 10), size)
		assert.ErrorIs(t, err, io.EOF)
	}
}

func TestIsMarker(t *testing.T) {
	for _, name := range []string{
		marker, "__rustc_proc_macro_decls_01234567__", "__rustc_proc_macro_decls_0123456789abcdef__",
		"__rustc_proc_macro_decls_0123456__", "__rustc_proc_macro_decls_0123456789abcdef0__",
		"__rustc_proc_macro_decls_0123456A__", "__rustc_proc_macro_decls_01234567_", "__rustc_proc_macro_decls___",
		"x__rustc_proc_macro_decls_01234567__", "__rustc_proc_macro_decls_01234567__x", "",
	} {
		assert.Equal(t, markerRe.MatchString(name), isMarker(name), name)
	}
}
