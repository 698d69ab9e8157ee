package dylib

import (
	"fmt"
	"io"

	"github.com/linux-librust/linux-librust/internal/rmeta"
)

// headTail keeps the first and the last bytes of a stream: all that rmeta.Read reads of
// a blob of formats before 9 (the header, the footer and what may follow it).
type headTail struct {
	head, tail []byte
	n          int64 // bytes written
}

// Sizes kept: the longest header rmeta.Read reads, and its footer search window.
const (
	keepHead = 4 << 10
	keepTail = 16 << 10
)

func newHeadTail() *headTail {
	return &headTail{head: make([]byte, 0, keepHead), tail: make([]byte, 0, 2*keepTail)}
}

func (h *headTail) Write(p []byte) (int, error) {
	n := len(p)
	h.n += int64(n)
	if room := keepHead - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(room, len(p))]...)
	}
	if len(p) >= keepTail {
		h.tail = append(h.tail[:0], p[len(p)-keepTail:]...)
		return n, nil
	}
	if len(h.tail)+len(p) > cap(h.tail) {
		h.tail = append(h.tail[:0], h.tail[len(h.tail)-(keepTail-len(p)):]...)
	}
	h.tail = append(h.tail, p...)
	return n, nil
}

// ReadAt serves reads inside the head or the tail; anything else is an error that
// rmeta reports (it never asks for it from blobs of these formats).
func (h *headTail) ReadAt(p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	switch tailStart := h.n - int64(len(h.tail)); {
	case off < 0 || end > h.n:
		if off >= 0 && off < h.n {
			return 0, fmt.Errorf("read of %d bytes at %d past the %d-byte blob", len(p), off, h.n)
		}
		return 0, io.EOF
	case end <= int64(len(h.head)):
		return copy(p, h.head[off:end]), nil
	case off >= tailStart:
		return copy(p, h.tail[off-tailStart:end-tailStart]), nil
	}
	return 0, fmt.Errorf("%w: read at %d of a streamed blob", rmeta.ErrCorrupt, off)
}
