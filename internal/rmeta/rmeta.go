// Package rmeta reads the header of Rust crate metadata (a .rmeta file, or the blob
// inside a Rust shared object's .rustc section) without reading the whole blob.
//
// Layout (rustc_metadata rmeta/mod.rs, decoder.rs; rustc_serialize opaque.rs):
//
//	"rust\0\0\0" format | root position | LEB128 length, "rustc …", 0xC1 | … | "rust-end-file"
//
// The root position is u32 big-endian in formats up to 8 and u64 little-endian in
// formats 9 and 10. The footer is written by rustc from about 1.82 on.
package rmeta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Supported metadata format numbers (METADATA_VERSION).
const (
	MinFormat = 6
	MaxFormat = 10
)

// Limits on what is read from a blob.
const (
	// MaxVersionLen bounds the rustc version string.
	MaxVersionLen = 1024
	// MaxNameLen bounds target triples and crate names in the crate header.
	MaxNameLen = 1024
	// MaxTargetJSONLen bounds the custom target JSON text stored in the crate header.
	MaxTargetJSONLen = 1 << 20
	// trailingWindow is how far back from the end a misplaced footer is searched for.
	trailingWindow = 8 << 10
)

var (
	magic  = []byte("rust\x00\x00\x00")
	footer = []byte("rust-end-file")
)

// Footer is the marker rustc appends to a blob (MAGIC_END_BYTES).
const Footer = "rust-end-file"

// strSentinel ends every serialized string (STR_SENTINEL).
const strSentinel = 0xC1

// Kinds of errors; test with errors.Is. Every error returned for a malformed blob is a
// *FormatError wrapping one of them.
var (
	// ErrNotMetadata: too short for a header, or no "rust\0\0\0" magic.
	ErrNotMetadata = errors.New("not rust crate metadata")
	// ErrUnknownFormat: a format number outside MinFormat..MaxFormat.
	ErrUnknownFormat = errors.New("unknown metadata format")
	// ErrTruncated: the blob ends too early (string or root past the end, or the footer
	// missing where the format and version require one).
	ErrTruncated = errors.New("truncated metadata")
	// ErrTrailing: bytes after the footer.
	ErrTrailing = errors.New("data after the metadata footer")
	// ErrCorrupt: the header is damaged (no string sentinel, invalid UTF-8, a version
	// string not starting with "rustc ", an overlong LEB128 or string length).
	ErrCorrupt = errors.New("corrupt metadata")
)

// FormatError describes a malformed blob.
type FormatError struct {
	Kind   error  // one of the Err* kinds above
	Format byte   // the format byte, 0 when not read
	Offset int64  // where the problem was found
	Detail string // what was wrong
	// Version is the version string when it could still be read (unknown formats, a
	// missing footer), for messages only.
	Version string
}

func (e *FormatError) Error() string {
	msg := e.Kind.Error()
	if e.Format != 0 {
		msg += fmt.Sprintf(" (format %d)", e.Format)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Version != "" {
		msg += fmt.Sprintf(", written by %q", e.Version)
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Kind }

// Info is what the header of a blob says.
type Info struct {
	Format       byte   // metadata format number
	RustcVersion string // exactly what the producing `rustc --version` printed
	Root         int64  // absolute offset of the crate root
	HeaderEnd    int64  // offset just past the version string's sentinel
	Size         int64  // size of the blob
	HasFooter    bool   // the blob ends with "rust-end-file"
	// FooterUnknown is set when a format 9 blob from rustc 1.79–1.84 has no footer: those
	// releases may or may not write one, so the blob may be truncated. Worth a warning.
	FooterUnknown bool
	// Crate is the crate header at the root (formats 9 and 10 only); nil when it was not
	// decoded, with CrateErr saying why. Its layout changes without notice, so failing to
	// decode it is not an error of the blob.
	Crate    *Crate
	CrateErr error
}

// Crate is the start of the crate root (CrateHeader, formats 9 and 10).
type Crate struct {
	Target       string // built-in target triple, or the custom target's name
	CustomTarget bool   // Target names a JSON target spec
	TargetJSON   string // the custom target's JSON text as rustc read it
	Name         string // crate name; "" when stored as a rustc built-in symbol
	IsProcMacro  bool
	IsStub       bool // format 10 only: a -Zembed-metadata=no stub
}

// ReadBlob reads the header of a blob held in memory.
func ReadBlob(data []byte) (*Info, error) {
	return Read(bytes.NewReader(data), int64(len(data)))
}

// Read reads the header of the size-byte blob in r: magic, format, root position,
// version string and footer, and for formats 9 and 10 the crate header at the root.
// It reads a few hundred bytes whatever the size.
func Read(r io.ReaderAt, size int64) (*Info, error) {
	if size < int64(len(magic))+1 {
		return nil, &FormatError{Kind: ErrNotMetadata, Detail: fmt.Sprintf("%d bytes, shorter than the 8-byte header", max(size, 0))}
	}
	// Everything up to the end of a maximal version string.
	head := make([]byte, min(size, 8+8+binary.MaxVarintLen64+MaxVersionLen+1))
	if err := readAt(r, head, 0); err != nil {
		return nil, err
	}
	if !bytes.Equal(head[:7], magic) {
		return nil, &FormatError{Kind: ErrNotMetadata, Detail: fmt.Sprintf("starts with %q, not \"rust\\0\\0\\0\"", head[:min(len(head), 7)])}
	}
	info := &Info{Format: head[7], Size: size}
	if info.Format < MinFormat || info.Format > MaxFormat {
		e := &FormatError{Kind: ErrUnknownFormat, Format: info.Format, Offset: 7,
			Detail: fmt.Sprintf("format %d, this reader knows %d to %d", info.Format, MinFormat, MaxFormat)}
		e.Version = guessVersion(head)
		return nil, e
	}

	// Root position and version string.
	strOff := 12
	if info.Format >= 9 {
		strOff = 16
	}
	if len(head) < strOff {
		return nil, &FormatError{Kind: ErrTruncated, Format: info.Format, Offset: size, Detail: "ends inside the root position"}
	}
	if info.Format >= 9 {
		root := binary.LittleEndian.Uint64(head[8:16])
		if root > uint64(1)<<62 {
			root = uint64(1) << 62 // anything this large is past the end
		}
		info.Root = int64(root)
	} else {
		info.Root = int64(binary.BigEndian.Uint32(head[8:12]))
	}
	s, end, err := decodeString(head, strOff, MaxVersionLen)
	if err != nil {
		return nil, withFormat(err, info.Format, size, int64(len(head)))
	}
	if !strings.HasPrefix(s, "rustc ") {
		return nil, &FormatError{Kind: ErrCorrupt, Format: info.Format, Offset: int64(strOff),
			Detail: fmt.Sprintf("version string %q does not start with \"rustc \"", s)}
	}
	info.RustcVersion = s
	info.HeaderEnd = int64(end)

	// Footer.
	var tail [len(Footer)]byte
	if size >= info.HeaderEnd+int64(len(tail)) {
		if err := readAt(r, tail[:], size-int64(len(tail))); err != nil {
			return nil, err
		}
		info.HasFooter = bytes.Equal(tail[:], footer)
	}
	dataEnd := size
	if info.HasFooter {
		dataEnd -= int64(len(footer))
	} else if footerRequired(info.Format, info.RustcVersion) {
		if n, ok := trailingBytes(r, size, info.HeaderEnd); ok {
			return nil, &FormatError{Kind: ErrTrailing, Format: info.Format, Offset: size - n,
				Detail: fmt.Sprintf("%d bytes after the %q footer", n, Footer), Version: info.RustcVersion}
		}
		return nil, &FormatError{Kind: ErrTruncated, Format: info.Format, Offset: size,
			Detail: fmt.Sprintf("no %q footer at the end", Footer), Version: info.RustcVersion}
	} else if info.Format == 9 && !footerAbsentOK(info.RustcVersion) {
		info.FooterUnknown = true
	}

	// Root position.
	if info.Root < info.HeaderEnd || info.Root >= dataEnd {
		kind, what := ErrCorrupt, "before the end of the header"
		if info.Root >= dataEnd {
			kind, what = ErrTruncated, fmt.Sprintf("past the end of the data at %d", dataEnd)
		}
		return nil, &FormatError{Kind: kind, Format: info.Format, Offset: 8,
			Detail: fmt.Sprintf("root position %d is %s", info.Root, what), Version: info.RustcVersion}
	}

	if info.Format >= 9 {
		info.Crate, info.CrateErr = readCrate(r, info.Format, info.Root, dataEnd)
	}
	return info, nil
}

// footerRequired tells whether a blob of this format and version must end with the footer.
func footerRequired(format byte, version string) bool {
	switch {
	case format >= 10:
		return true
	case format == 9:
		maj, minor, ok := release(version)
		return ok && (maj > 1 || minor >= 85)
	}
	return false
}

// footerAbsentOK tells whether a format 9 blob of this version is known to have no footer.
func footerAbsentOK(version string) bool {
	maj, minor, ok := release(version)
	return ok && maj == 1 && minor <= 78
}

// release parses the major and minor numbers of "rustc 1.85.1 …".
func release(version string) (major, minor int, ok bool) {
	v, ok := strings.CutPrefix(version, "rustc ")
	if !ok {
		return 0, 0, false
	}
	v, _, _ = strings.Cut(v, " ")
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return 0, 0, false
	}
	maj, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return maj, mi, true
}

// trailingBytes looks for the footer shortly before the end and returns how many bytes follow it.
func trailingBytes(r io.ReaderAt, size, from int64) (int64, bool) {
	start := max(from, size-trailingWindow)
	if size-start < int64(len(footer)) {
		return 0, false
	}
	buf := make([]byte, size-start)
	if readAt(r, buf, start) != nil {
		return 0, false
	}
	i := bytes.LastIndex(buf, footer)
	if i < 0 {
		return 0, false
	}
	return int64(len(buf) - i - len(footer)), true
}

// guessVersion returns the version string of a blob of unknown format if it sits where
// formats 6–10 put it, for messages only.
func guessVersion(head []byte) string {
	for _, off := range []int{16, 12} {
		if s, _, err := decodeString(head, off, MaxVersionLen); err == nil && strings.HasPrefix(s, "rustc ") {
			return s
		}
	}
	return ""
}

// readAt fills buf from off; a short read means the blob is shorter than its stated size.
func readAt(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return &FormatError{Kind: ErrTruncated, Offset: off + int64(n), Detail: "file shorter than expected"}
	}
	return fmt.Errorf("read metadata at offset %d: %w", off, err)
}

// withFormat completes a decoding error found in buf (read from a size-byte blob):
// running off the end of buf is truncation only when buf ends where the blob does.
func withFormat(err error, format byte, size, bufLen int64) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Format = format
		if fe.Kind == errShort {
			fe.Kind = ErrTruncated
			if bufLen < size {
				fe.Kind = ErrCorrupt
			}
		}
	}
	return err
}

// errShort marks running off the end of a buffer; withFormat turns it into a kind.
var errShort = errors.New("short buffer")

// decodeUvarint reads an unsigned LEB128 number of at most 10 bytes.
func decodeUvarint(buf []byte, off int) (uint64, int, error) {
	var v uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if off+i >= len(buf) {
			return 0, 0, &FormatError{Kind: errShort, Offset: int64(off + i), Detail: "ends inside a LEB128 number"}
		}
		b := buf[off+i]
		if i == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, off + i + 1, nil
		}
	}
	return 0, 0, &FormatError{Kind: ErrCorrupt, Offset: int64(off), Detail: "LEB128 number longer than 64 bits"}
}

// decodeString reads a LEB128 length, that many UTF-8 bytes and the 0xC1 sentinel.
func decodeString(buf []byte, off, maxLen int) (string, int, error) {
	n, p, err := decodeUvarint(buf, off)
	if err != nil {
		return "", 0, err
	}
	if n > uint64(maxLen) {
		return "", 0, &FormatError{Kind: ErrCorrupt, Offset: int64(off), Detail: fmt.Sprintf("string length %d exceeds %d", n, maxLen)}
	}
	end := p + int(n)
	if end >= len(buf) {
		return "", 0, &FormatError{Kind: errShort, Offset: int64(len(buf)), Detail: fmt.Sprintf("ends inside a %d-byte string at %d", n, off)}
	}
	if buf[end] != strSentinel {
		return "", 0, &FormatError{Kind: ErrCorrupt, Offset: int64(end), Detail: fmt.Sprintf("string at %d lacks its 0xC1 sentinel", off)}
	}
	s := buf[p:end]
	if !utf8.Valid(s) {
		return "", 0, &FormatError{Kind: ErrCorrupt, Offset: int64(p), Detail: fmt.Sprintf("string at %d is not UTF-8", off)}
	}
	return string(s), end + 1, nil
}
