// Package digest computes the digests of artifacts: BLAKE3, hashed in place where the
// bytes are (a mapping of the file) and in independent pieces when asked, and the hex
// form both it and SHA-256 take.
package digest

import (
	"encoding/hex"
	"fmt"
	"hash"
	"math/bits"

	"lukechampine.com/blake3/guts"
)

// NewBLAKE3 returns a *BLAKE3 computing the 256-bit unkeyed BLAKE3 digest.
func NewBLAKE3() hash.Hash { return new(BLAKE3) }

// BLAKE3 is a hash computing the 256-bit unkeyed BLAKE3 digest, the same as
// lukechampine.com/blake3's New(32, nil), without copying the input: whole 16 KiB
// blocks of a Write are compressed where they are. It is that library's Hasher on its
// guts package, less the copy into its buffer (on amd64, where guts compresses with
// AVX2 or AVX-512, the copy took a sixth of the time on a mapped file; elsewhere guts
// is plain Go).
type BLAKE3 struct{ Subtree }

// Sum appends the digest of the input so far to b; it does not change the state.
func (h *BLAKE3) Sum(b []byte) []byte { return append(b, Join([]Node{h.Node()})...) }

func (h *BLAKE3) Reset()         { h.stack.n, h.buflen = 0, 0 }
func (h *BLAKE3) Size() int      { return 32 }
func (h *BLAKE3) BlockSize() int { return 64 }

// Hex returns the lowercase hex digest of the bytes written to h.
func Hex(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// bufSize is what guts.CompressBuffer compresses at once: MaxSIMD chunks.
const bufSize = guts.MaxSIMD * guts.ChunkSize

// A Piece of an input is bytes [Off, Off+Len) of it.
type Piece struct{ Off, Len int64 }

// Pieces cuts an input of size bytes into pieces of pieceSize bytes (a power of two,
// at least a 1 KiB chunk), the last one shorter or not; an empty input is one empty
// piece. Each piece is a node of the input's BLAKE3 tree: every piece but the last
// covers an aligned power of two of chunks, a complete subtree, and the last, the
// rest, is the right child of the lowest parent on the tree's right edge (or the whole
// tree). So the pieces can be hashed independently (NewSubtree) and joined into the
// digest (Join), as BLAKE3's reference implementation hashes the aligned subtrees it
// cuts a long input into.
func Pieces(size, pieceSize int64) []Piece {
	if pieceSize < guts.ChunkSize || pieceSize&(pieceSize-1) != 0 {
		panic(fmt.Sprintf("digest: piece size %d is not a power of two of at least a chunk", pieceSize))
	}
	ps := []Piece{{0, min(size, pieceSize)}}
	for off := pieceSize; off < size; off += pieceSize {
		ps = append(ps, Piece{off, min(size-off, pieceSize)})
	}
	return ps
}

// Node is the root node of the BLAKE3 tree over one piece, not compressed yet: only
// Join knows whether it is the root of the whole tree.
type Node struct{ n guts.Node }

// Subtree hashes one piece of an input, written to it in order; Node returns the root
// of the piece's tree. It keeps, as the library's Hasher does, the chaining values of
// the complete subtrees of bufSize blocks hashed so far and the last block, which may
// hold the piece's root and so is compressed only once more input follows or at Node.
type Subtree struct {
	stack  stack  // of blocks
	chunk  uint64 // the counter of the piece's first chunk
	buf    [bufSize]byte
	buflen int
}

// NewSubtree returns a Subtree for the piece of an input starting at byte off (a
// multiple of the 1 KiB chunk).
func NewSubtree(off int64) *Subtree {
	if off%guts.ChunkSize != 0 {
		panic(fmt.Sprintf("digest: piece offset %d is not a multiple of a chunk", off))
	}
	return &Subtree{chunk: uint64(off) / guts.ChunkSize}
}

func (h *Subtree) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if h.buflen == bufSize {
			h.push(&h.buf)
			h.buflen = 0
		}
		if h.buflen == 0 && len(p) > bufSize { // a whole block that is not the last
			h.push((*[bufSize]byte)(p))
			p = p[bufSize:]
			continue
		}
		c := copy(h.buf[h.buflen:], p)
		h.buflen += c
		p = p[c:]
	}
	return n, nil
}

// push compresses the full block b, the next of the input, onto the stack.
func (h *Subtree) push(b *[bufSize]byte) {
	h.stack.push(guts.ChainingValue(guts.CompressBuffer(b, bufSize, &guts.IV, h.chunk+h.stack.n*guts.MaxSIMD, 0)))
}

// Node returns the root of the tree over the input so far; it does not change the
// state.
func (h *Subtree) Node() Node {
	n := guts.CompressBuffer(&h.buf, h.buflen, &guts.IV, h.chunk+h.stack.n*guts.MaxSIMD, 0)
	return Node{h.stack.root(n)}
}

// Join returns the digest of an input from the Nodes of its pieces as Pieces cut it,
// in order: each piece but the last is a complete subtree, all of one size, pushed
// onto a stack of pieces; the last one's node takes in the stack, and the root is
// compressed with the ROOT flag.
func Join(nodes []Node) []byte {
	var s stack
	for _, p := range nodes[:len(nodes)-1] {
		s.push(guts.ChainingValue(p.n))
	}
	n := s.root(nodes[len(nodes)-1].n)
	n.Flags |= guts.FlagRoot
	out := guts.WordsToBytes(guts.CompressNode(n))
	return out[:32]
}

// stack holds the chaining values of the complete subtrees at the start of an input,
// made of units of one size (blocks, or pieces), one subtree per height at most: the
// bits of n, the units pushed.
type stack struct {
	cvs [64][8]uint32
	n   uint64
}

// push adds cv, the chaining value of the next unit, merging it with the subtrees of
// its height.
func (s *stack) push(cv [8]uint32) {
	i := 0
	for ; s.n&(1<<i) != 0; i++ {
		cv = guts.ChainingValue(guts.ParentNode(s.cvs[i], cv, &guts.IV, 0))
	}
	s.cvs[i] = cv
	s.n++
}

// root returns the root node of the tree whose last node is n: n merged with the
// subtrees of the stack, from the lowest; it does not change the stack.
func (s *stack) root(n guts.Node) guts.Node {
	for i := bits.TrailingZeros64(s.n); i < bits.Len64(s.n); i++ {
		if s.n&(1<<i) != 0 {
			n = guts.ParentNode(s.cvs[i], guts.ChainingValue(n), &guts.IV, 0)
		}
	}
	return n
}
