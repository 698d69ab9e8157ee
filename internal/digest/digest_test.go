package digest

import (
	"bytes"
	"encoding/hex"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"lukechampine.com/blake3"
)

// TestBLAKE3Vectors: BLAKE3's published test vectors (input: bytes 0, 1, …, 250, 0, …),
// from the empty input to a tree of many blocks, written whole and in odd writes, and
// hashed in Pieces joined.
func TestBLAKE3Vectors(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
		{1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
		{1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
		{1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
		{31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"},
		{100000, "d93c23eedaf165a7e0be908ba86f1a7a520d568d2d13cde787c8580c5c72cc54"},
	}
	for _, tt := range tests {
		in := make([]byte, tt.n)
		for i := range in {
			in[i] = byte(i % 251)
		}
		for _, piece := range []int{tt.n + 1, 333, bufSize, bufSize + 1} { // the first: one write
			h := NewBLAKE3()
			_, err := io.CopyBuffer(h, struct{ io.Reader }{strings.NewReader(string(in))}, make([]byte, piece))
			require.NoError(t, err)
			assert.Equal(t, tt.want, Hex(h), "%d bytes in writes of %d", tt.n, piece)
		}
		for _, pieceSize := range []int64{1024, 4096, bufSize, 64 << 10} {
			assert.Equal(t, tt.want, hex.EncodeToString(joined(t, in, pieceSize, 1000)), "%d bytes in pieces of %d", tt.n, pieceSize)
		}
	}
}

// TestBLAKE3AsLibrary: the digest is the library Hasher's for lengths around block
// and tree boundaries however the input is split, Sum leaves the state as it was, and
// Reset starts again.
func TestBLAKE3AsLibrary(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, 9<<20+bufSize+17)
	rng.Read(data)
	for _, n := range []int{0, 1, 64, 1023, 1024, 1025, bufSize - 1, bufSize, bufSize + 1,
		2 * bufSize, 2*bufSize + 1, 3 * bufSize, 4*bufSize - 1, 8<<20 - 1, 8 << 20, 8<<20 + 1, len(data)} {
		want := blake3.Sum256(data[:n])
		for _, piece := range []int{1 << 30, 8 << 20, bufSize, bufSize + 1, 2*bufSize + 3, 4096, 1000} {
			h := NewBLAKE3()
			for p := data[:n]; len(p) > 0; {
				k := min(piece, len(p))
				h.Write(p[:k])
				p = p[k:]
			}
			require.Equal(t, want[:], h.Sum(nil), "%d bytes in pieces of %d", n, piece)
			require.Equal(t, want[:], h.Sum(nil), "Sum changed the state")
			h.Reset()
			h.Write(data[:n])
			require.Equal(t, want[:], h.Sum([]byte{}), "%d bytes after Reset", n)
		}
	}
	h := NewBLAKE3()
	assert.Equal(t, 32, h.Size())
	assert.Equal(t, 64, h.BlockSize())
	assert.Equal(t, []byte("x"), h.Sum([]byte("x"))[:1], "Sum appends")
}

// FuzzBLAKE3: any input, cut at any two places, hashes as the library hashes it whole.
func FuzzBLAKE3(f *testing.F) {
	f.Add([]byte("abc"), uint32(1), uint32(2))
	f.Add(bytes.Repeat([]byte{7}, 3*bufSize+5), uint32(bufSize), uint32(bufSize+1))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint32) {
		i := int(a) % (len(data) + 1)
		j := i + int(b)%(len(data)-i+1)
		h := NewBLAKE3()
		h.Write(data[:i])
		h.Write(data[i:j])
		h.Write(data[j:])
		want := blake3.Sum256(data)
		require.Equal(t, want[:], h.Sum(nil))
	})
}

// joined returns the digest of data hashed in pieces of pieceSize, each written to its
// Subtree in writes of at most write bytes.
func joined(t testing.TB, data []byte, pieceSize int64, write int) []byte {
	var nodes []Node
	end := int64(0)
	for _, p := range Pieces(int64(len(data)), pieceSize) {
		require.Equal(t, end, p.Off, "pieces are contiguous")
		require.LessOrEqual(t, p.Len, pieceSize)
		end = p.Off + p.Len
		h := NewSubtree(p.Off)
		for b := data[p.Off:end]; len(b) > 0; {
			k := min(write, len(b))
			h.Write(b[:k])
			b = b[k:]
		}
		nodes = append(nodes, h.Node())
	}
	require.Equal(t, int64(len(data)), end, "pieces cover the input")
	return Join(nodes)
}

// TestPieces: an input hashed in pieces, each on its own, and joined has the library's
// digest, for lengths around chunk, block, piece and tree boundaries and pieces from a
// chunk to the 8 MiB the verifier uses.
func TestPieces(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	data := make([]byte, 70<<20)
	rng.Read(data[:1<<20+7]) // random, repeated at an odd period
	for i := 1<<20 + 7; i < len(data); i *= 2 {
		copy(data[i:], data[:i])
	}
	sizes := []int{0, 1, 64, 1023, 1024, 1025, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 7}
	for k := 1; k <= 12; k++ { // 2^k chunks, ±1 byte and ±1 chunk
		c := 1 << k * 1024
		sizes = append(sizes, c-1024, c-1, c, c+1, c+1024)
	}
	for _, pieceSize := range []int64{1024, 2048, 8192, bufSize, 64 << 10, 1 << 20} {
		for _, n := range sizes {
			want := blake3.Sum256(data[:n])
			require.Equal(t, want[:], joined(t, data[:n], pieceSize, 1<<30), "%d bytes in pieces of %d", n, pieceSize)
		}
	}
	const piece = 8 << 20
	for _, n := range []int{piece - 1, piece, piece + 1, piece + 1024, 2 * piece, 3*piece - 1, 4*piece + 1,
		8*piece - 1024, 8 * piece, 8*piece + 1, rng.Intn(len(data)), rng.Intn(len(data)), rng.Intn(len(data)), len(data)} {
		want := blake3.Sum256(data[:n])
		require.Equal(t, want[:], joined(t, data[:n], piece, 1<<20+3), "%d bytes in pieces of %d", n, piece)
	}
}

// TestPiecesRefuse: a piece size that is no power of two of chunks, or a piece that
// starts inside a chunk, is a programming error.
func TestPiecesRefuse(t *testing.T) {
	for _, size := range []int64{0, 512, 3 << 10, 1<<20 + 1} {
		assert.Panics(t, func() { Pieces(1<<20, size) }, "piece size %d", size)
	}
	assert.Panics(t, func() { NewSubtree(1000) })
	assert.NotPanics(t, func() { NewSubtree(3 << 10) })
}

// FuzzPieces: an input of any size, in pieces of any size Pieces allows, each written
// in writes of any size, joins into the library's digest.
func FuzzPieces(f *testing.F) {
	f.Add(uint32(0), uint8(0), uint32(1))
	f.Add(uint32(3*bufSize+5), uint8(4), uint32(bufSize))
	f.Add(uint32(1<<18), uint8(2), uint32(1000))
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i % 251)
	}
	f.Fuzz(func(t *testing.T, size uint32, pieceLog uint8, write uint32) {
		n := int(size) % (len(data) + 1)
		pieceSize := int64(1024) << (pieceLog % 11)
		want := blake3.Sum256(data[:n])
		require.Equal(t, want[:], joined(t, data[:n], pieceSize, 1+int(write)%(2*bufSize)))
	})
}
