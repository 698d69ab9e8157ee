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
	"regexp"
	"strings"

	"github.com/golang/snappy"

	"github.com/linux-librust/linux-librust/internal/rmeta"
)

// SectionName is the ELF section holding a Rust shared object's crate metadata.
const SectionName = ".rustc"

// Limits guarding against hostile files.
const (
	// MaxDecompressed bounds the metadata decompressed from a snappy .rustc section.
	MaxDecompressed = 64 << 20
	// MaxTableSize bounds the dynamic symbol and string tables read.
	MaxTableSize = 64 << 20
)

var (
	// ErrNotELF: not an ELF file, or its headers are damaged or point past the end.
	ErrNotELF = errors.New("not a valid ELF file")
	// ErrBadSection: the .rustc section is damaged (bad wrapper header, length past the
	// section, undecodable snappy data); the metadata inside may still be fine elsewhere.
	ErrBadSection = errors.New("damaged .rustc section")
)

var procMacroSym = regexp.MustCompile(`^__rustc_proc_macro_decls_[0-9a-f]{8,16}__$`)

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
// section are reported in Info.MetadataErr.
func Read(r io.ReaderAt, size int64) (info *Info, err error) {
	defer func() {
		// debug/elf has panicked on hostile input in the past; last line of defense.
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("%w: %v", ErrNotELF, p)
		}
	}()
	if err := checkHeader(r, size); err != nil {
		return nil, err
	}
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotELF, err)
	}
	info = &Info{Arch: Arch{Machine: f.Machine, Class: f.Class, Data: f.Data}}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOBITS && (s.Offset > uint64(size) || s.Size > uint64(size)-s.Offset) {
			return nil, fmt.Errorf("%w: section %q (%d bytes at %d) runs past the end of the %d-byte file",
				ErrNotELF, s.Name, s.Size, s.Offset, size)
		}
	}
	if err := info.readSymbols(f); err != nil {
		return nil, err
	}
	if s := f.Section(SectionName); s != nil && s.Type != elf.SHT_NOBITS {
		info.HasRustc = true
		info.Metadata, info.MetadataErr = info.readSection(r, s)
	}
	return info, nil
}

// checkHeader rejects files whose ELF header announces tables past the end, before
// debug/elf allocates for them.
func checkHeader(r io.ReaderAt, size int64) error {
	var h [64]byte
	n, err := r.ReadAt(h[:], 0)
	if n < 52 || !bytes.Equal(h[:4], []byte(elf.ELFMAG)) {
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read ELF header: %w", err)
		}
		return fmt.Errorf("%w: no ELF header", ErrNotELF)
	}
	var bo binary.ByteOrder
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return fmt.Errorf("%w: unknown data encoding %d", ErrNotELF, h[elf.EI_DATA])
	}
	var shoff uint64
	var shentsize, shnum uint16
	switch elf.Class(h[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		shoff = uint64(bo.Uint32(h[32:]))
		shentsize, shnum = bo.Uint16(h[46:]), bo.Uint16(h[48:])
	case elf.ELFCLASS64:
		if n < 64 {
			return fmt.Errorf("%w: ELF header cut short", ErrNotELF)
		}
		shoff = bo.Uint64(h[40:])
		shentsize, shnum = bo.Uint16(h[58:]), bo.Uint16(h[60:])
	default:
		return fmt.Errorf("%w: unknown class %d", ErrNotELF, h[elf.EI_CLASS])
	}
	if shoff == 0 {
		return nil // no section headers (shnum 0 or in section 0 is then irrelevant)
	}
	if shoff > uint64(size) || uint64(shentsize)*uint64(shnum) > uint64(size)-shoff {
		return fmt.Errorf("%w: section headers (%d × %d bytes at %d) run past the end of the %d-byte file",
			ErrNotELF, shnum, shentsize, shoff, size)
	}
	return nil
}

// readSymbols finds the proc-macro marker and the crate name in the dynamic symbols.
func (info *Info) readSymbols(f *elf.File) error {
	if s := f.SectionByType(elf.SHT_DYNSYM); s == nil || s.Size > MaxTableSize {
		return nil
	} else if int(s.Link) < len(f.Sections) && f.Sections[s.Link].Size > MaxTableSize {
		return nil
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return nil
		}
		return fmt.Errorf("%w: dynamic symbols: %w", ErrNotELF, err)
	}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF {
			continue
		}
		if procMacroSym.MatchString(s.Name) {
			info.ProcMacroSymbol = s.Name
		} else if rest, ok := strings.CutPrefix(s.Name, "rust_metadata_"); ok {
			if i := strings.LastIndexByte(rest, '_'); i > 0 {
				info.CrateName = rest[:i]
			}
		}
	}
	return nil
}

// readSection unwraps the .rustc section (its own "rust\0\0\0"+format header, then the
// blob raw or snappy-framed) and reads the blob's header.
func (info *Info) readSection(r io.ReaderAt, s *elf.Section) (*rmeta.Info, error) {
	off, size := int64(s.Offset), int64(s.Size)
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
	blob, err := io.ReadAll(io.LimitReader(snappy.NewReader(payload), MaxDecompressed+1))
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrBadSection, err)
	}
	if len(blob) > MaxDecompressed {
		return nil, fmt.Errorf("%w: decompresses to more than %d bytes", ErrBadSection, MaxDecompressed)
	}
	m, err := rmeta.ReadBlob(blob)
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
