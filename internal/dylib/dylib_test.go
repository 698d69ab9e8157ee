package dylib

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/golang/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/rmeta"
)

const (
	v197   = "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"
	marker = "__rustc_proc_macro_decls_fbab6059f5b6c86__"
)

// metaBlob returns a metadata blob of format f: header, version, a proc-macro crate
// header at the root for formats 9 and 10, and the footer when footer is set.
func metaBlob(f byte, version string, footer bool) []byte {
	b := []byte("rust\x00\x00\x00")
	b = append(b, f)
	rootAt := len(b)
	if f >= 9 {
		b = append(b, make([]byte, 8)...)
	} else {
		b = append(b, make([]byte, 4)...)
	}
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(append(b, version...), 0xC1)
	root := len(b)
	b = append(b, 0, 3, 'x', '8', '6', 0xC1)      // built-in target "x86"
	b = append(b, bytes.Repeat([]byte{1}, 16)...) // SVH
	b = append(b, 0, 2, 'p', 'm', 0xC1, 1, 0)     // name "pm", proc macro, not a stub
	if f >= 9 {
		binary.LittleEndian.PutUint64(b[rootAt:], uint64(root))
	} else {
		binary.BigEndian.PutUint32(b[rootAt:], uint32(root))
	}
	if footer {
		b = append(b, rmeta.Footer...)
	}
	return b
}

// section wraps a blob as rustc does in .rustc for format f, with pad bytes after it.
func section(f byte, blob []byte, compress bool, pad int) []byte {
	s := append([]byte("rust\x00\x00\x00"), f)
	payload := blob
	if compress {
		var buf bytes.Buffer
		w := snappy.NewBufferedWriter(&buf)
		_, _ = w.Write(blob)
		_ = w.Close()
		payload = buf.Bytes()
	}
	switch {
	case f >= 9:
		s = binary.LittleEndian.AppendUint64(s, uint64(len(payload)))
	case f >= 7:
		s = binary.BigEndian.AppendUint32(s, uint32(len(payload)))
	}
	s = append(s, payload...)
	return append(s, make([]byte, pad)...)
}

func procMacro(rustc []byte) testELF {
	return testELF{
		machine:  elf.EM_X86_64,
		sections: []testSection{{".rustc", elf.SHT_PROGBITS, rustc}},
		syms: []testSym{
			{"__rustc_proc_macro_decls_0000000a__", false},
			{marker, true},
			{"rust_metadata_pin_init_internal_fbab6059f5b6c86", true},
		},
	}
}

func TestRead(t *testing.T) {
	x86 := Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}
	tests := []struct {
		name       string
		file       testELF
		want       Info // Metadata is compared by format and version only
		version    string
		err        error // of Read
		metaErr    error
		crateMacro bool
	}{{
		name:       "fmt 10 proc macro with padding",
		file:       procMacro(section(10, metaBlob(10, v197, true), false, 5)),
		want:       Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 10},
		version:    v197,
		crateMacro: true,
	}, {
		name:       "fmt 9 without footer",
		file:       procMacro(section(9, metaBlob(9, "rustc 1.78.0", false), false, 0)),
		want:       Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 9},
		version:    "rustc 1.78.0",
		crateMacro: true,
	}, {
		name:    "fmt 8 raw",
		file:    procMacro(section(8, metaBlob(8, "rustc 1.75.0", false), false, 3)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 8},
		version: "rustc 1.75.0",
	}, {
		name:    "fmt 7 snappy",
		file:    procMacro(section(7, metaBlob(7, "rustc 1.68.0", false), true, 3)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 7, Compressed: true},
		version: "rustc 1.68.0",
	}, {
		name:    "fmt 6 snappy framed",
		file:    procMacro(section(6, metaBlob(6, "rustc 1.63.0", false), true, 0)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 6, Compressed: true},
		version: "rustc 1.63.0",
	}, {
		name: "C library",
		file: testELF{machine: elf.EM_AARCH64, sections: []testSection{{".text", elf.SHT_PROGBITS, []byte{1, 2, 3}}},
			syms: []testSym{{"frob", true}}},
		want: Info{Arch: Arch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	}, {
		name:    "no dynamic symbols",
		file:    testELF{machine: elf.EM_X86_64, sections: []testSection{{".rustc", elf.SHT_PROGBITS, section(10, metaBlob(10, v197, true), false, 0)}}},
		want:    Info{Arch: x86, HasRustc: true, SectionFormat: 10},
		version: v197, crateMacro: true,
	}, {
		name:    "fmt 10 blob without footer",
		file:    procMacro(section(10, metaBlob(10, v197, false), false, 0)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 10},
		metaErr: rmeta.ErrTruncated,
	}, {
		name:    "length past the section",
		file:    procMacro(section(10, metaBlob(10, v197, true), false, 0)[:60]),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 10},
		metaErr: ErrBadSection,
	}, {
		name:    "section header of another format",
		file:    procMacro(section(9, metaBlob(10, v197, true), false, 0)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 9},
		metaErr: ErrBadSection,
	}, {
		name:    "section of an unknown format",
		file:    procMacro(section(11, metaBlob(10, v197, true), false, 0)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 11},
		metaErr: rmeta.ErrUnknownFormat,
	}, {
		name:    "section without header",
		file:    procMacro([]byte("junk")),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true},
		metaErr: ErrBadSection,
	}, {
		name:    "bad snappy",
		file:    procMacro(append([]byte("rust\x00\x00\x00\x06\xff\x06\x00\x00sNaPpY"), 0, 9, 0, 0, 1, 2, 3, 4)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 6, Compressed: true},
		metaErr: ErrBadSection,
	}, {
		name:    "fmt 9 payload that is no blob",
		file:    procMacro(section(9, []byte("junkjunkjunk"), false, 0)),
		want:    Info{Arch: x86, ProcMacroSymbol: marker, CrateName: "pin_init_internal", HasRustc: true, SectionFormat: 9},
		metaErr: rmeta.ErrNotMetadata,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.file.bytes()
			got, err := Read(bytes.NewReader(data), int64(len(data)))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			if tt.metaErr != nil {
				require.ErrorIs(t, got.MetadataErr, tt.metaErr)
				assert.Nil(t, got.Metadata)
			} else if tt.want.HasRustc {
				require.NoError(t, got.MetadataErr)
				require.NotNil(t, got.Metadata)
				assert.Equal(t, tt.version, got.Metadata.RustcVersion)
				assert.Equal(t, tt.want.SectionFormat, got.Metadata.Format)
				if got.Metadata.Format >= 9 {
					require.NotNil(t, got.Metadata.Crate)
					assert.Equal(t, tt.crateMacro, got.Metadata.Crate.IsProcMacro)
				}
			}
			got.Metadata, got.MetadataErr = nil, nil
			assert.Equal(t, &tt.want, got)
			assert.Equal(t, tt.want.ProcMacroSymbol != "", got.IsProcMacro())
		})
	}
}

func TestReadBroken(t *testing.T) {
	good := procMacro(section(10, metaBlob(10, v197, true), false, 0)).bytes()
	shoff := binary.LittleEndian.Uint64(good[40:])
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"rmeta", metaBlob(10, v197, true)},
		{"cut in the ELF header", good[:40]},
		{"cut before the section headers", good[:shoff+10]},
		{"huge section count", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint16(b[60:], 0xffff)
			return b
		}()},
		{"section past the end", func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint64(b[shoff+64+32:], 1<<40) // .rustc size
			return b
		}()},
		{"bad class", func() []byte {
			b := bytes.Clone(good)
			b[elf.EI_CLASS] = 9
			return b
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Read(bytes.NewReader(tt.data), int64(len(tt.data)))
			require.ErrorIs(t, err, ErrNotELF)
			assert.Nil(t, info)
		})
	}
}

type errReader struct{}

func (errReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestReadIOError(t *testing.T) {
	_, err := Read(errReader{}, 4096)
	require.ErrorContains(t, err, "disk on fire")
}

func TestArch(t *testing.T) {
	host, ok := ArchOf("amd64")
	require.True(t, ok)
	assert.True(t, host.CanLoad(Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}))
	assert.False(t, host.CanLoad(Arch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}))
	assert.False(t, host.CanLoad(Arch{elf.EM_X86_64, elf.ELFCLASS32, elf.ELFDATA2LSB}), "x32")
	ppc, ok := ArchOf("ppc64")
	require.True(t, ok)
	assert.False(t, ppc.CanLoad(Arch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB}), "byte order")
	_, ok = ArchOf("wasm")
	assert.False(t, ok)
	_, ok = HostMachine()
	assert.True(t, ok)
	assert.Equal(t, "EM_X86_64 ELFCLASS64 ELFDATA2LSB", host.String())
}

func FuzzRead(f *testing.F) {
	f.Add(procMacro(section(10, metaBlob(10, v197, true), false, 5)).bytes())
	f.Add(procMacro(section(7, metaBlob(7, "rustc 1.68.0", false), true, 3)).bytes())
	f.Add(procMacro(section(6, metaBlob(6, "rustc 1.63.0", false), true, 0)).bytes())
	for _, name := range []string{"sid/libsamplemacro.so", "trixie/libsamplemacro.so"} {
		data, err := os.ReadFile(filepath.Join(samples, name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Read(bytes.NewReader(data), int64(len(data)))
		if err == nil && info == nil {
			t.Fatal("no info and no error")
		}
		if err == nil && info.Metadata != nil && info.MetadataErr != nil {
			t.Fatal("metadata and an error")
		}
	})
}
