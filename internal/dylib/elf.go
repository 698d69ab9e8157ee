package dylib

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits of what is read of an ELF file: a real proc macro has about 30 sections and
// dynamic tables of a few KiB.
const (
	// MaxSections bounds the section header table read.
	MaxSections = 4096
	// scanWindow is the size of the windows the dynamic tables are scanned in.
	scanWindow = 64 << 10
	// maxSymName bounds a dynamic symbol name of interest (the marker, rust_metadata_…).
	maxSymName = 256
	// maxCandidates bounds the names of interest remembered from the string table.
	maxCandidates = 1024
)

// The prefixes of the dynamic symbol names looked for.
const (
	markerPrefix   = "__rustc_proc_macro_decls_"
	metadataPrefix = "rust_metadata_"
)

// elfSection is what is kept of a section header.
type elfSection struct {
	name      string // only for the names looked up (see wanted)
	typ       elf.SectionType
	off, size uint64
	link      uint32
}

// elfFile is an ELF file's header and section headers, read with bounded reads.
type elfFile struct {
	r        io.ReaderAt
	size     int64
	bo       binary.ByteOrder
	class    elf.Class
	arch     Arch
	sections []elfSection
}

// parseELF reads the ELF header, the section headers and the names of the sections
// named in wanted; everything else stays on disk.
func parseELF(r io.ReaderAt, size int64, wanted ...string) (*elfFile, error) {
	var h [64]byte
	n, err := r.ReadAt(h[:], 0)
	if n < 52 || !bytes.Equal(h[:4], []byte(elf.ELFMAG)) {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read ELF header: %w", err)
		}
		return nil, fmt.Errorf("%w: no ELF header", ErrNotELF)
	}
	f := &elfFile{r: r, size: size, class: elf.Class(h[elf.EI_CLASS])}
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		f.bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: unknown data encoding %d", ErrNotELF, h[elf.EI_DATA])
	}
	if v := elf.Version(h[elf.EI_VERSION]); v != elf.EV_CURRENT {
		return nil, fmt.Errorf("%w: unknown ELF version %d", ErrNotELF, v)
	}
	var shoff uint64
	var shentsize, shnum, shstrndx, want uint16
	switch f.class {
	case elf.ELFCLASS32:
		shoff = uint64(f.bo.Uint32(h[32:]))
		shentsize, shnum, shstrndx, want = f.bo.Uint16(h[46:]), f.bo.Uint16(h[48:]), f.bo.Uint16(h[50:]), 40
	case elf.ELFCLASS64:
		if n < 64 {
			return nil, fmt.Errorf("%w: ELF header cut short", ErrNotELF)
		}
		shoff = f.bo.Uint64(h[40:])
		shentsize, shnum, shstrndx, want = f.bo.Uint16(h[58:]), f.bo.Uint16(h[60:]), f.bo.Uint16(h[62:]), 64
	default:
		return nil, fmt.Errorf("%w: unknown class %d", ErrNotELF, h[elf.EI_CLASS])
	}
	f.arch = Arch{Machine: elf.Machine(f.bo.Uint16(h[18:])), Class: f.class, Data: elf.Data(h[elf.EI_DATA])}
	if shoff == 0 {
		return f, nil // no section headers
	}
	if shentsize != want {
		return nil, fmt.Errorf("%w: section header size %d, not %d", ErrNotELF, shentsize, want)
	}
	count := uint64(shnum)
	first, err := f.sectionHeader(shoff, 0)
	if err != nil {
		return nil, err
	}
	if shnum == 0 { // extended numbering: the count is in section 0
		count = first.size
	}
	strndx := uint64(shstrndx)
	if shstrndx == uint16(elf.SHN_XINDEX) {
		strndx = uint64(first.link)
	}
	if count > MaxSections {
		return nil, fmt.Errorf("%w: %d sections, more than the %d this reader accepts", ErrNotELF, count, MaxSections)
	}
	if shoff > uint64(size) || count*uint64(want) > uint64(size)-shoff {
		return nil, fmt.Errorf("%w: section headers (%d × %d bytes at %d) run past the end of the %d-byte file",
			ErrNotELF, count, want, shoff, size)
	}
	table := make([]byte, count*uint64(want))
	if err := readFull(r, table, int64(shoff)); err != nil {
		return nil, err
	}
	f.sections = make([]elfSection, count)
	names := make([]uint32, count)
	for i := range f.sections {
		f.sections[i], names[i] = f.decodeSection(table[i*int(want):])
		s := f.sections[i]
		if s.typ != elf.SHT_NOBITS && (s.off > uint64(size) || s.size > uint64(size)-s.off) {
			return nil, fmt.Errorf("%w: section %d (%d bytes at %d) runs past the end of the %d-byte file",
				ErrNotELF, i, s.size, s.off, size)
		}
	}
	if len(wanted) == 0 || count == 0 {
		return f, nil
	}
	if strndx >= count {
		return nil, fmt.Errorf("%w: section name table %d of %d sections", ErrNotELF, strndx, count)
	}
	return f, f.nameSections(f.sections[strndx], names, wanted)
}

// sectionHeader decodes the header of section i (read on its own).
func (f *elfFile) sectionHeader(shoff uint64, i uint64) (elfSection, error) {
	n := uint64(64)
	if f.class == elf.ELFCLASS32 {
		n = 40
	}
	buf := make([]byte, n)
	if shoff > uint64(f.size) || n*(i+1) > uint64(f.size)-shoff {
		return elfSection{}, fmt.Errorf("%w: section headers at %d run past the end of the %d-byte file", ErrNotELF, shoff, f.size)
	}
	if err := readFull(f.r, buf, int64(shoff+n*i)); err != nil {
		return elfSection{}, err
	}
	s, _ := f.decodeSection(buf)
	return s, nil
}

func (f *elfFile) decodeSection(b []byte) (elfSection, uint32) {
	bo := f.bo
	if f.class == elf.ELFCLASS32 {
		return elfSection{typ: elf.SectionType(bo.Uint32(b[4:])), off: uint64(bo.Uint32(b[16:])),
			size: uint64(bo.Uint32(b[20:])), link: bo.Uint32(b[24:])}, bo.Uint32(b[0:])
	}
	return elfSection{typ: elf.SectionType(bo.Uint32(b[4:])), off: bo.Uint64(b[24:]),
		size: bo.Uint64(b[32:]), link: bo.Uint32(b[40:])}, bo.Uint32(b[0:])
}

// nameSections fills in the names of the sections whose name is one of wanted, reading
// only those names' bytes from the name table.
func (f *elfFile) nameSections(strtab elfSection, names []uint32, wanted []string) error {
	longest := 0
	for _, w := range wanted {
		longest = max(longest, len(w)+1)
	}
	var table []byte
	if strtab.size <= scanWindow {
		table = make([]byte, strtab.size)
		if err := readFull(f.r, table, int64(strtab.off)); err != nil {
			return err
		}
	}
	buf := make([]byte, longest)
	for i, off := range names {
		if uint64(off) >= strtab.size {
			return fmt.Errorf("%w: section %d's name at %d is past its %d-byte name table", ErrNotELF, i, off, strtab.size)
		}
		var b []byte
		if table != nil {
			b = table[off:min(uint64(off)+uint64(longest), strtab.size)]
		} else {
			b = buf[:min(uint64(longest), strtab.size-uint64(off))]
			if err := readFull(f.r, b, int64(strtab.off)+int64(off)); err != nil {
				return err
			}
		}
		for _, w := range wanted {
			if len(b) > len(w) && string(b[:len(w)]) == w && b[len(w)] == 0 {
				f.sections[i].name = w
			}
		}
	}
	return nil
}

// named returns the first section named name (see parseELF's wanted), or nil.
func (f *elfFile) named(name string) *elfSection {
	for i := range f.sections {
		if f.sections[i].name == name {
			return &f.sections[i]
		}
	}
	return nil
}

// dynamicNames returns the defined dynamic symbols whose names start with one of
// prefixes, in symbol table order. It streams the string table, then the symbol table,
// in windows: memory stays bounded whatever their size. Tables larger than
// MaxTableSize are not read (no names).
func (f *elfFile) dynamicNames(prefixes ...string) ([]string, error) {
	var dynsym *elfSection
	for i := range f.sections {
		if f.sections[i].typ == elf.SHT_DYNSYM {
			dynsym = &f.sections[i]
			break
		}
	}
	if dynsym == nil || dynsym.size > MaxTableSize || uint64(dynsym.link) >= uint64(len(f.sections)) {
		return nil, nil
	}
	strtab := f.sections[dynsym.link]
	if strtab.size > MaxTableSize || strtab.typ == elf.SHT_NOBITS {
		return nil, nil
	}
	cands, err := f.candidates(strtab, prefixes)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	entsize := uint64(24)
	if f.class == elf.ELFCLASS32 {
		entsize = 16
	}
	var out []string
	buf := make([]byte, min(dynsym.size, scanWindow/entsize*entsize))
	for pos := uint64(0); pos+entsize <= dynsym.size; {
		n := min(uint64(len(buf)), (dynsym.size-pos)/entsize*entsize)
		if err := readFull(f.r, buf[:n], int64(dynsym.off+pos)); err != nil {
			return nil, fmt.Errorf("%w: dynamic symbols: %w", ErrNotELF, err)
		}
		for e := uint64(0); e < n; e += entsize {
			if pos+e == 0 {
				continue // the null symbol
			}
			ent := buf[e : e+entsize]
			name := f.bo.Uint32(ent)
			shndx := f.bo.Uint16(ent[6:])
			if f.class == elf.ELFCLASS32 {
				shndx = f.bo.Uint16(ent[14:])
			}
			if s, ok := cands[name]; ok && elf.SectionIndex(shndx) != elf.SHN_UNDEF {
				out = append(out, s)
			}
		}
		pos += n
	}
	return out, nil
}

// candidates scans the string table for the names starting with one of prefixes, keyed
// by their offset (a symbol's name may start inside another string).
func (f *elfFile) candidates(strtab elfSection, prefixes []string) (map[uint32]string, error) {
	cands := map[uint32]string{}
	overlap := uint64(maxSymName)
	buf := make([]byte, min(strtab.size, scanWindow+overlap))
	for start := uint64(0); start < strtab.size; start += scanWindow {
		n := min(uint64(len(buf)), strtab.size-start)
		if err := readFull(f.r, buf[:n], int64(strtab.off+start)); err != nil {
			return nil, fmt.Errorf("%w: dynamic string table: %w", ErrNotELF, err)
		}
		w := buf[:n]
		for _, p := range prefixes {
			for i := 0; ; {
				j := bytes.Index(w[i:], []byte(p))
				if j < 0 {
					break
				}
				at := uint64(i + j)
				i += j + 1
				if at >= scanWindow {
					break // in the overlap: the next window finds it
				}
				end := bytes.IndexByte(w[at:], 0)
				if end < 0 {
					continue // longer than maxSymName, or not terminated: of no interest
				}
				if len(cands) >= maxCandidates {
					return cands, nil
				}
				cands[uint32(start+at)] = string(w[at : at+uint64(end)])
			}
		}
	}
	return cands, nil
}

// readFull fills buf from off; a short read means the file is shorter than its headers say.
func readFull(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %d bytes at %d past the end of the file", ErrNotELF, len(buf)-n, off+int64(n))
	}
	return fmt.Errorf("read at %d: %w", off, err)
}
