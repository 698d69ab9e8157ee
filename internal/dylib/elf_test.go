package dylib

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// testELF describes a minimal ELF64 little-endian shared object: a section for each
// entry of sections, plus .dynsym/.dynstr when syms is non-empty.
type testELF struct {
	machine  elf.Machine
	sections []testSection
	syms     []testSym
}

type testSection struct {
	name string
	typ  elf.SectionType
	data []byte
}

type testSym struct {
	name    string
	defined bool
}

func (e testELF) bytes() []byte {
	secs := append([]testSection(nil), e.sections...)
	if len(e.syms) > 0 {
		var dynstr bytes.Buffer
		dynstr.WriteByte(0)
		var dynsym bytes.Buffer
		dynsym.Write(make([]byte, 24)) // the null symbol
		for _, s := range e.syms {
			var ent [24]byte
			binary.LittleEndian.PutUint32(ent[0:], uint32(dynstr.Len()))
			ent[4] = byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_OBJECT)
			if s.defined {
				binary.LittleEndian.PutUint16(ent[6:], 1) // the first section
			}
			binary.LittleEndian.PutUint64(ent[16:], 16)
			dynsym.Write(ent[:])
			dynstr.WriteString(s.name)
			dynstr.WriteByte(0)
		}
		secs = append(secs, testSection{".dynsym", elf.SHT_DYNSYM, dynsym.Bytes()},
			testSection{".dynstr", elf.SHT_STRTAB, dynstr.Bytes()})
	}
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	names := make([]uint32, len(secs)+1)
	for i, s := range secs {
		names[i] = uint32(shstr.Len())
		shstr.WriteString(s.name)
		shstr.WriteByte(0)
	}
	names[len(secs)] = uint32(shstr.Len())
	shstr.WriteString(".shstrtab\x00")
	secs = append(secs, testSection{".shstrtab", elf.SHT_STRTAB, shstr.Bytes()})

	var out bytes.Buffer
	out.Write(make([]byte, 64))
	offsets := make([]uint64, len(secs))
	for i, s := range secs {
		for out.Len()%8 != 0 {
			out.WriteByte(0)
		}
		offsets[i] = uint64(out.Len())
		out.Write(s.data)
	}
	for out.Len()%8 != 0 {
		out.WriteByte(0)
	}
	shoff := uint64(out.Len())
	out.Write(make([]byte, 64)) // the null section header
	dynstrIndex := uint32(0)
	for i, s := range secs {
		if s.name == ".dynstr" {
			dynstrIndex = uint32(i + 1)
		}
	}
	for i, s := range secs {
		var sh [64]byte
		binary.LittleEndian.PutUint32(sh[0:], names[i])
		binary.LittleEndian.PutUint32(sh[4:], uint32(s.typ))
		binary.LittleEndian.PutUint64(sh[24:], offsets[i])
		binary.LittleEndian.PutUint64(sh[32:], uint64(len(s.data)))
		if s.typ == elf.SHT_DYNSYM {
			binary.LittleEndian.PutUint32(sh[40:], dynstrIndex)
			binary.LittleEndian.PutUint32(sh[44:], 1)
			binary.LittleEndian.PutUint64(sh[56:], 24)
		}
		binary.LittleEndian.PutUint64(sh[48:], 1)
		out.Write(sh[:])
	}
	b := out.Bytes()
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_DYN))
	binary.LittleEndian.PutUint16(b[18:], uint16(e.machine))
	binary.LittleEndian.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	binary.LittleEndian.PutUint64(b[40:], shoff)
	binary.LittleEndian.PutUint16(b[52:], 64)
	binary.LittleEndian.PutUint16(b[58:], 64)
	binary.LittleEndian.PutUint16(b[60:], uint16(len(secs)+1))
	binary.LittleEndian.PutUint16(b[62:], uint16(len(secs)))
	return b
}
