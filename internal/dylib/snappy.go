package dylib

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// The snappy framing format (google/snappy framing_format.txt), in which rustc wrote
// metadata into .rustc before format 9: a stream identifier chunk, then chunks of at
// most 65,536 bytes each, compressed (snappy's block format) or not, each with the
// masked CRC-32C of its data. Decoded here rather than with a library whose package
// initialisation would cost every run of the program for the rare old proc macro.

var errSnappy = errors.New("invalid snappy stream")

const (
	chunkCompressed   = 0x00
	chunkUncompressed = 0x01
	chunkPadding      = 0xfe
	chunkStreamID     = 0xff
	maxChunkData      = 65536
	maxChunk          = 4 + 32 + maxChunkData + maxChunkData/6 // checksum and the longest encoding
	streamID          = "sNaPpY"
)

// snappyReader decodes a framed snappy stream from r.
type snappyReader struct {
	r       io.Reader
	started bool
	in      []byte // a chunk as read
	out     []byte // decoded data not yet returned
	dec     []byte // buffer of decoded chunks
	err     error
}

func newSnappyReader(r io.Reader) *snappyReader { return &snappyReader{r: r} }

func (s *snappyReader) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		s.err = s.next()
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// next reads one chunk; io.EOF at the end of a well-formed stream.
func (s *snappyReader) next() error {
	var h [4]byte
	if _, err := io.ReadFull(s.r, h[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("%w: chunk header: %w", errSnappy, unexpected(err))
	}
	typ, n := h[0], int(h[1])|int(h[2])<<8|int(h[3])<<16
	if !s.started && typ != chunkStreamID {
		return fmt.Errorf("%w: no stream identifier", errSnappy)
	}
	if typ >= 0x02 && typ <= 0x7f {
		return fmt.Errorf("%w: reserved chunk type %#x", errSnappy, typ)
	}
	if n > maxChunk || typ == chunkStreamID && n != len(streamID) {
		return fmt.Errorf("%w: chunk of type %#x and %d bytes", errSnappy, typ, n)
	}
	if typ >= 0x80 && typ != chunkStreamID { // skippable, padding included
		_, err := io.CopyN(io.Discard, s.r, int64(n))
		if err != nil {
			return fmt.Errorf("%w: skippable chunk: %w", errSnappy, unexpected(err))
		}
		return nil
	}
	if cap(s.in) < n {
		s.in = make([]byte, n)
	}
	in := s.in[:n]
	if _, err := io.ReadFull(s.r, in); err != nil {
		return fmt.Errorf("%w: chunk: %w", errSnappy, unexpected(err))
	}
	switch typ {
	case chunkStreamID:
		if string(in) != streamID {
			return fmt.Errorf("%w: bad stream identifier", errSnappy)
		}
		s.started = true
		return nil
	case chunkUncompressed:
		if n < 4 || n-4 > maxChunkData {
			return fmt.Errorf("%w: uncompressed chunk of %d bytes", errSnappy, n)
		}
		s.out = in[4:]
	case chunkCompressed:
		if n < 4 {
			return fmt.Errorf("%w: compressed chunk of %d bytes", errSnappy, n)
		}
		out, err := decodeBlock(s.dec[:0], in[4:])
		if err != nil {
			return err
		}
		s.dec, s.out = out, out
	}
	if want := binary.LittleEndian.Uint32(in); maskedCRC(s.out) != want {
		return fmt.Errorf("%w: checksum mismatch", errSnappy)
	}
	return nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maskedCRC is the framing format's checksum of data.
func maskedCRC(data []byte) uint32 {
	c := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	return (c>>15 | c<<17) + 0xa282ead8
}

// decodeBlock appends the decoding of one snappy block (at most maxChunkData bytes) to dst.
func decodeBlock(dst, src []byte) ([]byte, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > maxChunkData {
		return nil, fmt.Errorf("%w: block length", errSnappy)
	}
	src = src[k:]
	start := len(dst)
	for len(src) > 0 {
		tag := src[0]
		var length, offset int
		switch tag & 3 {
		case 0: // literal
			length = int(tag >> 2)
			src = src[1:]
			if length >= 60 {
				extra := length - 59
				if len(src) < extra {
					return nil, fmt.Errorf("%w: literal length cut short", errSnappy)
				}
				length = 0
				for i := extra - 1; i >= 0; i-- {
					length = length<<8 | int(src[i])
				}
				src = src[extra:]
			}
			length++
			if length > len(src) || len(dst)-start+length > int(n) {
				return nil, fmt.Errorf("%w: literal past the end", errSnappy)
			}
			dst = append(dst, src[:length]...)
			src = src[length:]
			continue
		case 1:
			if len(src) < 2 {
				return nil, fmt.Errorf("%w: copy cut short", errSnappy)
			}
			length, offset = 4+int(tag>>2&7), int(tag&0xe0)<<3|int(src[1])
			src = src[2:]
		case 2:
			if len(src) < 3 {
				return nil, fmt.Errorf("%w: copy cut short", errSnappy)
			}
			length, offset = 1+int(tag>>2), int(binary.LittleEndian.Uint16(src[1:]))
			src = src[3:]
		case 3:
			if len(src) < 5 {
				return nil, fmt.Errorf("%w: copy cut short", errSnappy)
			}
			length, offset = 1+int(tag>>2), int(binary.LittleEndian.Uint32(src[1:]))
			src = src[5:]
		}
		if offset <= 0 || offset > len(dst)-start || len(dst)-start+length > int(n) {
			return nil, fmt.Errorf("%w: copy out of range", errSnappy)
		}
		for i := 0; i < length; i++ { // may overlap what it appends
			dst = append(dst, dst[len(dst)-offset])
		}
	}
	if len(dst)-start != int(n) {
		return nil, fmt.Errorf("%w: block decodes to %d bytes, not %d", errSnappy, len(dst)-start, n)
	}
	return dst, nil
}
