package manifest

import (
	"crypto/sha256"
	"hash"

	"github.com/linux-librust/linux-librust/internal/digest"
)

// Digests computes both digests an Artifact records, SHA256 and BLAKE3, in one pass
// over its bytes: an io.Writer.
type Digests struct{ sha256, blake3 hash.Hash }

// NewDigests returns Digests of no bytes yet.
func NewDigests() *Digests { return &Digests{sha256: sha256.New(), blake3: digest.NewBLAKE3()} }

// Write adds p to both digests; it never fails.
func (d *Digests) Write(p []byte) (int, error) {
	d.sha256.Write(p)
	return d.blake3.Write(p)
}

// Set records the digests of the bytes written in a.
func (d *Digests) Set(a *Artifact) {
	a.SHA256, a.BLAKE3 = digest.Hex(d.sha256), digest.Hex(d.blake3)
}

// Checked returns the digest a full check of a compares, its name for messages and a
// new hash computing it: BLAKE3 where the manifest records it (the faster), else
// SHA-256 (a manifest written without it).
func (a *Artifact) Checked() (name, want string, h hash.Hash) {
	if a.BLAKE3 != "" {
		return "BLAKE3", a.BLAKE3, digest.NewBLAKE3()
	}
	return "SHA-256", a.SHA256, sha256.New()
}
