package rmeta

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blob describes a synthetic metadata blob.
type blob struct {
	format  byte
	version string
	crate   []byte // crate header bytes at the root; nil: a filler byte
	footer  bool
	body    int   // bytes between the version string and the root
	root    int64 // overrides the root position when non-zero
}

func (b blob) bytes() []byte {
	var buf bytes.Buffer
	buf.WriteString("rust\x00\x00\x00")
	buf.WriteByte(b.format)
	rootAt := buf.Len()
	if b.format >= 9 {
		buf.Write(make([]byte, 8))
	} else {
		buf.Write(make([]byte, 4))
	}
	buf.Write(str(b.version))
	buf.Write(bytes.Repeat([]byte{0x55}, b.body))
	root := int64(buf.Len())
	if b.root != 0 {
		root = b.root
	}
	if b.crate != nil {
		buf.Write(b.crate)
	} else {
		buf.WriteByte(0x77)
	}
	if b.footer {
		buf.WriteString(Footer)
	}
	out := buf.Bytes()
	if b.format >= 9 {
		binary.LittleEndian.PutUint64(out[rootAt:], uint64(root))
	} else {
		binary.BigEndian.PutUint32(out[rootAt:], uint32(root))
	}
	return out
}

// str encodes a string as rustc does: LEB128 length, bytes, 0xC1.
func str(s string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(s)))
	b = append(b, s...)
	return append(b, 0xC1)
}

// crateHeader encodes a CrateHeader with a built-in target (json == "") or a custom one.
func crateHeader(format byte, target, json string, name []byte, procMacro, stub bool) []byte {
	var b []byte
	if json == "" {
		b = append(append(b, 0), str(target)...)
	} else {
		b = append(append(append(b, 1), str(target)...), str(json)...)
	}
	b = append(b, bytes.Repeat([]byte{0xAB}, 16)...) // SVH
	b = append(b, name...)
	b = append(b, bit(procMacro))
	if format >= 10 {
		b = append(b, bit(stub))
	}
	return append(b, str("")...) // extra_filename
}

func bit(v bool) byte {
	if v {
		return 1
	}
	return 0
}

const (
	v197 = "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"
	v185 = "rustc 1.85.1 (4eb161250 2025-03-15) (built from a source tarball)"
	v178 = "rustc 1.78.0"
	v163 = "rustc 1.63.0"
	v182 = "rustc 1.82.0 (f6e511eec 2024-10-15)"
)

func TestRead(t *testing.T) {
	kernelName := append([]byte{0}, str("kernel")...)
	coreName := []byte{2, 0xf5, 0x04} // preinterned symbol #629
	tests := []struct {
		name string
		data []byte
		want *Info // Size, Root and HeaderEnd are filled in from the data when zero
		err  error
	}{{
		name: "fmt 10 with footer and inline crate name",
		data: blob{format: 10, version: v197, footer: true, body: 40,
			crate: crateHeader(10, "x86_64-unknown-linux-gnu", "", kernelName, false, false)}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: "kernel"}},
	}, {
		name: "fmt 10 proc macro, preinterned name",
		data: blob{format: 10, version: v197, footer: true,
			crate: crateHeader(10, "x86_64-unknown-linux-gnu", "", coreName, true, false)}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", IsProcMacro: true}},
	}, {
		name: "fmt 10 stub",
		data: blob{format: 10, version: v197, footer: true,
			crate: crateHeader(10, "x86_64-unknown-linux-gnu", "", coreName, false, true)}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", IsStub: true}},
	}, {
		name: "fmt 10 custom target",
		data: blob{format: 10, version: v197, footer: true,
			crate: crateHeader(10, "target", `{"arch": "x86_64"}`, kernelName, false, false)}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "target", CustomTarget: true, TargetJSON: `{"arch": "x86_64"}`, Name: "kernel"}},
	}, {
		name: "fmt 10 custom target JSON longer than a read chunk",
		data: blob{format: 10, version: v197, footer: true,
			crate: crateHeader(10, "target", strings.Repeat("x", 3000), kernelName, false, false)}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "target", CustomTarget: true, TargetJSON: strings.Repeat("x", 3000), Name: "kernel"}},
	}, {
		name: "fmt 9 from 1.85 with footer",
		data: blob{format: 9, version: v185, footer: true,
			crate: crateHeader(9, "x86_64-unknown-linux-gnu", "", kernelName, false, false)}.bytes(),
		want: &Info{Format: 9, RustcVersion: v185, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: "kernel"}},
	}, {
		name: "fmt 9 from 1.78 without footer",
		data: blob{format: 9, version: v178,
			crate: crateHeader(9, "x86_64-unknown-linux-gnu", "", kernelName, true, false)}.bytes(),
		want: &Info{Format: 9, RustcVersion: v178,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: "kernel", IsProcMacro: true}},
	}, {
		name: "fmt 9 from 1.82 without footer: unknown",
		data: blob{format: 9, version: v182,
			crate: crateHeader(9, "x86_64-unknown-linux-gnu", "", kernelName, false, false)}.bytes(),
		want: &Info{Format: 9, RustcVersion: v182, FooterUnknown: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: "kernel"}},
	}, {
		name: "fmt 9 from 1.82 with footer",
		data: blob{format: 9, version: v182, footer: true,
			crate: crateHeader(9, "x86_64-unknown-linux-gnu", "", kernelName, false, false)}.bytes(),
		want: &Info{Format: 9, RustcVersion: v182, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: "kernel"}},
	}, {
		name: "fmt 6 without footer, crate header not decoded",
		data: blob{format: 6, version: v163, body: 10}.bytes(),
		want: &Info{Format: 6, RustcVersion: v163},
	}, {
		name: "fmt 8 with footer",
		data: blob{format: 8, version: "rustc 1.75.0", footer: true}.bytes(),
		want: &Info{Format: 8, RustcVersion: "rustc 1.75.0", HasFooter: true},
	}, {
		name: "crate name by offset to an earlier string",
		data: func() []byte {
			// The version string at 16 is the only earlier string: point at it.
			return blob{format: 10, version: v197, footer: true,
				crate: crateHeader(10, "x86_64-unknown-linux-gnu", "", []byte{1, 16}, false, false)}.bytes()
		}(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true,
			Crate: &Crate{Target: "x86_64-unknown-linux-gnu", Name: v197}},
	}, {
		name: "unknown crate header layout is tolerated",
		data: blob{format: 10, version: v197, footer: true, crate: []byte{7, 7, 7}}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true},
	}, {
		name: "crate header running into the footer is tolerated",
		data: blob{format: 10, version: v197, footer: true, crate: []byte{0, 30, 'x'}}.bytes(),
		want: &Info{Format: 10, RustcVersion: v197, HasFooter: true},
	}, {
		name: "empty",
		data: nil,
		err:  ErrNotMetadata,
	}, {
		name: "magic only",
		data: []byte("rust\x00\x00\x00"),
		err:  ErrNotMetadata,
	}, {
		name: "ELF file",
		data: []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		err:  ErrNotMetadata,
	}, {
		name: "format 5",
		data: blob{format: 5, version: "rustc 1.55.0", footer: true}.bytes(),
		err:  ErrUnknownFormat,
	}, {
		name: "format 11",
		data: blob{format: 11, version: "rustc 1.99.0", footer: true}.bytes(),
		err:  ErrUnknownFormat,
	}, {
		name: "fmt 10 without footer",
		data: blob{format: 10, version: v197}.bytes(),
		err:  ErrTruncated,
	}, {
		name: "fmt 9 from 1.85 without footer",
		data: blob{format: 9, version: v185}.bytes(),
		err:  ErrTruncated,
	}, {
		name: "fmt 10 with bytes after the footer",
		data: append(blob{format: 10, version: v197, footer: true}.bytes(), 0, 0, 0, 0),
		err:  ErrTrailing,
	}, {
		name: "fmt 9 from 1.78 cut before the root",
		data: blob{format: 9, version: v178, root: 500}.bytes(),
		err:  ErrTruncated,
	}, {
		name: "fmt 10 root pointing into the footer",
		data: blob{format: 10, version: v197, footer: true, root: 16 + 66 + 1 + 1}.bytes(),
		err:  ErrTruncated,
	}, {
		name: "root inside the header",
		data: blob{format: 10, version: v197, footer: true, root: 9}.bytes(),
		err:  ErrCorrupt,
	}, {
		name: "huge root",
		data: blob{format: 10, version: v197, footer: true, root: -1}.bytes(),
		err:  ErrTruncated,
	}, {
		name: "cut inside the version string",
		data: blob{format: 10, version: v197}.bytes()[:40],
		err:  ErrTruncated,
	}, {
		name: "cut inside the length",
		data: []byte("rust\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x80"),
		err:  ErrTruncated,
	}, {
		name: "cut before the length",
		data: []byte("rust\x00\x00\x00\x0a\x00\x00"),
		err:  ErrTruncated,
	}, {
		name: "no sentinel",
		data: func() []byte {
			b := blob{format: 10, version: v197, footer: true}.bytes()
			b[16+1+len(v197)] = 0
			return b
		}(),
		err: ErrCorrupt,
	}, {
		name: "not rustc",
		data: blob{format: 10, version: "gcc 14.2.0", footer: true}.bytes(),
		err:  ErrCorrupt,
	}, {
		name: "not UTF-8",
		data: blob{format: 10, version: "rustc \xff", footer: true}.bytes(),
		err:  ErrCorrupt,
	}, {
		name: "string too long",
		data: blob{format: 10, version: "rustc " + strings.Repeat("1", MaxVersionLen), footer: true}.bytes(),
		err:  ErrCorrupt,
	}, {
		name: "LEB128 too long",
		data: append([]byte("rust\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0xff}, 20)...),
		err:  ErrCorrupt,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadBlob(tt.data)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				var fe *FormatError
				require.ErrorAs(t, err, &fe)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			want := *tt.want
			want.Size = int64(len(tt.data))
			want.HeaderEnd = int64(17 + len(want.RustcVersion) + 1)
			if want.Format < 9 {
				want.HeaderEnd -= 4
				want.Root = int64(binary.BigEndian.Uint32(tt.data[8:]))
			} else {
				want.Root = int64(binary.LittleEndian.Uint64(tt.data[8:]))
			}
			if want.Format >= 9 && want.Crate == nil {
				assert.Error(t, got.CrateErr)
			}
			got.CrateErr = nil
			assert.Equal(t, &want, got)
		})
	}
}

// TestReadDocDumps reads the header dumps published for real compilers (the first 64
// bytes of a small crate's .rmeta), completed with a root past the end: each must give
// its version, then fail as truncated (the footer-less ones by the root position).
func TestReadDocDumps(t *testing.T) {
	tests := []struct {
		hex     string
		format  byte
		version string
	}{
		{"7275737400000006 00000abd 0c 72757374632031 2e36332e30 c1 0373746400", 6, v163},
		{"7275737400000009 c608000000000000 0c 72757374632031 2e37382e30 c1 0280", 9, v178},
		{"727573740000000a bf08000000000000 23 727573746320312e39352e30202835393830373631366520323032362d30342d313429 c1 02ba0e", 10,
			"rustc 1.95.0 (59807616e 2026-04-14)"},
		{"727573740000000a be08000000000000 2b 727573746320312e39372e302d6e696768746c79202865353061613666626120323032362d30352d313929 c1 02d5", 10,
			"rustc 1.97.0-nightly (e50aa6fba 2026-05-19)"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			data, err := hex.DecodeString(strings.ReplaceAll(tt.hex, " ", ""))
			require.NoError(t, err)
			_, err = ReadBlob(data)
			require.ErrorIs(t, err, ErrTruncated)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.format, fe.Format)
			assert.Equal(t, tt.version, fe.Version)
		})
	}
}

// TestReadUnknownFormatVersion checks that the version of a newer format is named when it
// sits where formats 9 and 10 put it.
func TestReadUnknownFormatVersion(t *testing.T) {
	_, err := ReadBlob(blob{format: 11, version: "rustc 1.99.0", footer: true}.bytes())
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, byte(11), fe.Format)
	assert.Equal(t, "rustc 1.99.0", fe.Version)
	assert.Contains(t, err.Error(), "format 11")
}

// countingReader records how many bytes are read.
type countingReader struct {
	r     io.ReaderAt
	bytes int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.bytes += n
	return n, err
}

// TestReadIsSmall checks that a 64 MB blob is read in a few kilobytes.
func TestReadIsSmall(t *testing.T) {
	crate := crateHeader(10, "target", strings.Repeat("j", 545), append([]byte{0}, str("core")...), false, false)
	data := blob{format: 10, version: v197, footer: true, body: 64 << 20, crate: crate}.bytes()
	cr := &countingReader{r: bytes.NewReader(data)}
	info, err := Read(cr, int64(len(data)))
	require.NoError(t, err)
	require.NoError(t, info.CrateErr)
	assert.Equal(t, "core", info.Crate.Name)
	assert.Less(t, cr.bytes, 4096)
}

// errReader fails every read.
type errReader struct{}

func (errReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("disk on fire") }

func TestReadIOError(t *testing.T) {
	_, err := Read(errReader{}, 1000)
	require.ErrorContains(t, err, "disk on fire")
	var fe *FormatError
	assert.False(t, errors.As(err, &fe))
}

func TestReadShorterThanStated(t *testing.T) {
	data := blob{format: 10, version: v197, footer: true}.bytes()
	_, err := Read(bytes.NewReader(data[:50]), int64(len(data)))
	require.ErrorIs(t, err, ErrTruncated)
}

func FuzzRead(f *testing.F) {
	f.Add(blob{format: 10, version: v197, footer: true,
		crate: crateHeader(10, "x86_64-unknown-linux-gnu", "", []byte{2, 0xf5, 0x04}, true, false)}.bytes())
	f.Add(blob{format: 10, version: v197, footer: true,
		crate: crateHeader(10, "target", "{}", []byte{1, 16}, false, false)}.bytes())
	f.Add(blob{format: 9, version: v178, crate: crateHeader(9, "x", "", []byte{0, 1, 'k', 0xC1}, false, false)}.bytes())
	f.Add(blob{format: 6, version: v163}.bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ReadBlob(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if info.Root < info.HeaderEnd || info.Root >= info.Size || len(info.RustcVersion) > MaxVersionLen {
			t.Fatalf("inconsistent %+v", info)
		}
	})
}
