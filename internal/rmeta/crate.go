package rmeta

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Symbol encodings of the crate name (SYMBOL_STR, SYMBOL_OFFSET, SYMBOL_PREINTERNED).
const (
	symbolStr         = 0
	symbolOffset      = 1
	symbolPreinterned = 2
)

// errCrate is wrapped by every crate header decoding failure.
var errCrate = errors.New("cannot decode crate header")

// readCrate decodes CrateHeader at root: target, SVH, name, is_proc_macro_crate and, in
// format 10, is_stub. Nothing at or past end (the footer) is read.
func readCrate(r io.ReaderAt, format byte, root, end int64) (*Crate, error) {
	c := &cursor{r: r, pos: root, end: end}
	cr := &Crate{}
	tag, err := c.byte()
	if err != nil {
		return nil, err
	}
	switch tag {
	case 0:
		if cr.Target, err = c.string(MaxNameLen); err != nil {
			return nil, err
		}
	case 1:
		cr.CustomTarget = true
		if cr.Target, err = c.string(MaxNameLen); err != nil {
			return nil, err
		}
		if cr.TargetJSON, err = c.string(MaxTargetJSONLen); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: target tag %d at %d", errCrate, tag, root)
	}
	if err := c.skip(16); err != nil { // SVH
		return nil, err
	}
	symOff := c.pos
	sym, err := c.byte()
	if err != nil {
		return nil, err
	}
	switch sym {
	case symbolStr:
		if cr.Name, err = c.string(MaxNameLen); err != nil {
			return nil, err
		}
	case symbolOffset:
		at, err := c.uvarint()
		if err != nil {
			return nil, err
		}
		if at >= uint64(symOff) {
			return nil, fmt.Errorf("%w: crate name offset %d not before %d", errCrate, at, symOff)
		}
		name := &cursor{r: r, pos: int64(at), end: end}
		if cr.Name, err = name.string(MaxNameLen); err != nil {
			return nil, err
		}
	case symbolPreinterned:
		if _, err := c.uvarint(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: symbol tag %d at %d", errCrate, sym, symOff)
	}
	if cr.IsProcMacro, err = c.bool(); err != nil {
		return nil, err
	}
	if format >= 10 {
		if cr.IsStub, err = c.bool(); err != nil {
			return nil, err
		}
	}
	return cr, nil
}

// cursor reads forward through [pos, end) of r in small buffered chunks.
type cursor struct {
	r      io.ReaderAt
	pos    int64 // current offset
	end    int64 // nothing at or past end is read
	buf    []byte
	bufOff int64 // offset of buf[0]
}

const cursorChunk = 512

// need makes n bytes from pos available in the buffer and returns them.
func (c *cursor) need(n int) ([]byte, error) {
	if int64(n) > c.end-c.pos {
		return nil, fmt.Errorf("%w: field at %d runs past %d", errCrate, c.pos, c.end)
	}
	if c.pos >= c.bufOff && c.pos+int64(n) <= c.bufOff+int64(len(c.buf)) {
		i := c.pos - c.bufOff
		return c.buf[i : i+int64(n)], nil
	}
	size := min(max(int64(n), cursorChunk), c.end-c.pos)
	if int64(cap(c.buf)) < size {
		c.buf = make([]byte, size)
	}
	c.buf = c.buf[:size]
	if err := readAt(c.r, c.buf, c.pos); err != nil {
		c.buf = c.buf[:0]
		return nil, fmt.Errorf("%w: %w", errCrate, err)
	}
	c.bufOff = c.pos
	return c.buf[:n], nil
}

func (c *cursor) byte() (byte, error) {
	b, err := c.need(1)
	if err != nil {
		return 0, err
	}
	c.pos++
	return b[0], nil
}

func (c *cursor) bool() (bool, error) {
	b, err := c.byte()
	if err != nil {
		return false, err
	}
	if b > 1 {
		return false, fmt.Errorf("%w: boolean %d at %d", errCrate, b, c.pos-1)
	}
	return b == 1, nil
}

func (c *cursor) skip(n int) error {
	if _, err := c.need(n); err != nil {
		return err
	}
	c.pos += int64(n)
	return nil
}

func (c *cursor) uvarint() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		b, err := c.byte()
		if err != nil {
			return 0, err
		}
		if i == 9 && b > 1 {
			break
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: LEB128 number longer than 64 bits before %d", errCrate, c.pos)
}

func (c *cursor) string(maxLen int) (string, error) {
	start := c.pos
	n, err := c.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(maxLen) {
		return "", fmt.Errorf("%w: string length %d at %d exceeds %d", errCrate, n, start, maxLen)
	}
	b, err := c.need(int(n) + 1)
	if err != nil {
		return "", err
	}
	if b[n] != strSentinel {
		return "", fmt.Errorf("%w: string at %d lacks its 0xC1 sentinel", errCrate, start)
	}
	if !utf8.Valid(b[:n]) {
		return "", fmt.Errorf("%w: string at %d is not UTF-8", errCrate, start)
	}
	s := string(b[:n])
	c.pos += int64(n) + 1
	return s, nil
}
