// Package dylib inspects Rust shared objects (proc macros, dylibs): the ELF machine, the
// proc-macro marker symbol and the crate metadata in the .rustc section.
package dylib

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/linux-librust/linux-librust/internal/rmeta"
)

// SectionName is the ELF section holding a Rust shared object's crate metadata.
const SectionName = ".rustc"

// Limits guarding against hostile files.
const (
	// MaxDecompressed bounds the metadata decompressed from a snappy .rustc section
	// (streamed: only its head and tail are kept).
	MaxDecompressed = 256 << 20
	// MaxTableSize bounds the dynamic symbol and string tables scanned.
	MaxTableSize = 64 << 20
)

var (
	// ErrNotELF: not an ELF file, or its headers are damaged or point past the end.
	ErrNotELF = errors.New("not a valid ELF file")
	// ErrBadSection: the .rustc section is damaged (bad wrapper header, length past the
	// section, undecodable snappy data); the metadata inside may still be fine elsewhere.
	ErrBadSection = errors.New("damaged .rustc section")
)

// isMarker tells whether name is __rustc_proc_macro_decls_<8 to 16 hex digits>__ (by
// hand: every hook run would otherwise compile a regular expression).
func isMarker(name string) bool {
	h, ok := strings.CutPrefix(name, markerPrefix)
	if h, ok = strings.CutSuffix(h, "__"); !ok || len(h) < 8 || len(h) > 16 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Info describes a shared object.
type Info struct {
	Arch Arch // machine, class and byte order
	// ProcMacroSymbol is the defined dynamic symbol __rustc_proc_macro_decls_<h>__, "" if none.
	ProcMacroSymbol string
	// CrateName comes from the rust_metadata_<crate>_<h> dynamic symbol, "" if none.
	CrateName string
	// HasRustc tells whether the file has a .rustc section.
	HasRustc bool
	// SectionFormat is the format byte of the .rustc section's own header.
	SectionFormat byte
	// Compressed tells whether the section's payload was snappy-compressed.
	Compressed bool
	// Metadata is the blob in .rustc; nil when there is none or MetadataErr says why.
	Metadata    *rmeta.Info
	MetadataErr error
}

// IsProcMacro tells whether the proc-macro marker symbol is present.
func (i *Info) IsProcMacro() bool { return i.ProcMacroSymbol != "" }

// Read inspects the size-byte ELF file in r. The error is non-nil only when the file is
// not a usable ELF file (wrapping ErrNotELF) or cannot be read; problems with the .rustc
// section are reported in Info.MetadataErr. It reads the headers, the dynamic string and
// symbol tables in bounded windows, and the metadata header: a few KiB for a real proc
// macro, and bounded memory whatever the file.
func Read(r io.ReaderAt, size int64) (info *Info, err error) {
	defer func() {
		// Last line of defense against hostile input.
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("%w: %v", ErrNotELF, p)
		}
	}()
	f, err := parseELF(r, size, SectionName)
	if err != nil {
		return nil, err
	}
	info = &Info{Arch: f.arch}
	names, err := f.dynamicNames(markerPrefix, metadataPrefix)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if isMarker(name) {
			info.ProcMacroSymbol = name
		} else if rest, ok := strings.CutPrefix(name, metadataPrefix); ok {
			if i := strings.LastIndexByte(rest, '_'); i > 0 {
				info.CrateName = rest[:i]
			}
		}
	}
	if s := f.named(SectionName); s != nil && s.typ != elf.SHT_NOBITS {
		info.HasRustc = true
		info.Metadata, info.MetadataErr = info.readSection(r, s)
	}
	return info, nil
}

// readSection unwraps the .rustc section (its own "rust\0\0\0"+format header, then the
// blob raw or snappy-framed) and reads the blob's header.
func (info *Info) readSection(r io.ReaderAt, s *elfSection) (*rmeta.Info, error) {
	off, size := int64(s.off), int64(s.size)
	var h [16]byte
	n, err := r.ReadAt(h[:min(size, 16)], off)
	if int64(n) < min(size, 16) {
		return nil, fmt.Errorf("read %s section: %w", SectionName, err)
	}
	if size < 8 || !bytes.Equal(h[:7], []byte("rust\x00\x00\x00")) {
		return nil, fmt.Errorf("%w: no \"rust\\0\\0\\0\" header", ErrBadSection)
	}
	f := h[7]
	info.SectionFormat = f
	var payOff, payLen int64
	switch {
	case f >= 9 && f <= rmeta.MaxFormat:
		if size < 16 {
			return nil, fmt.Errorf("%w: %d bytes, too short for the length field", ErrBadSection, size)
		}
		payOff, payLen = 16, int64(min(binary.LittleEndian.Uint64(h[8:]), 1<<62))
	case f == 7 || f == 8:
		if size < 12 {
			return nil, fmt.Errorf("%w: %d bytes, too short for the length field", ErrBadSection, size)
		}
		payOff, payLen = 12, int64(binary.BigEndian.Uint32(h[8:]))
	case f == 5 || f == 6:
		payOff, payLen = 8, size-8
	default:
		return nil, fmt.Errorf("%w: section format %d, this reader knows 5 to %d", rmeta.ErrUnknownFormat, f, rmeta.MaxFormat)
	}
	if payLen > size-payOff {
		return nil, fmt.Errorf("%w: payload of %d bytes runs past the %d-byte section", ErrBadSection, payLen, size)
	}
	payload := io.NewSectionReader(r, off+payOff, payLen)
	var start [4]byte
	if _, err := payload.ReadAt(start[:], 0); err == nil && string(start[:]) == "rust" && f >= 7 {
		m, err := rmeta.Read(payload, payLen)
		return sameFormat(f, m, err)
	}
	if f >= 9 {
		return rmeta.Read(payload, payLen) // reports what the payload is not
	}
	info.Compressed = true
	blob := newHeadTail()
	total, err := io.Copy(blob, io.LimitReader(newSnappyReader(payload), MaxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrBadSection, err)
	}
	if total > MaxDecompressed {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrBadSection, MaxDecompressed)
	}
	m, err := rmeta.Read(blob, total)
	return sameFormat(f, m, err)
}

// sameFormat requires the blob's format to equal the section header's format f.
func sameFormat(f byte, m *rmeta.Info, err error) (*rmeta.Info, error) {
	if err != nil {
		return nil, err
	}
	if m.Format != f {
		return nil, fmt.Errorf("%w: section header says format %d, the metadata format %d", ErrBadSection, f, m.Format)
	}
	return m, nil
}
