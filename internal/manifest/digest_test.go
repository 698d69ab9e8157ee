package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDigests: BLAKE3's published test vectors (input: bytes 0, 1, …, 250, 0, 1, …),
// from one chunk to a tree of 31 chunks; SHA-256 of the same bytes alongside.
func TestDigests(t *testing.T) {
	tests := []struct {
		n      int
		blake3 string
	}{
		{0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
		{1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
		{1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
		{1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
		{31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"},
	}
	for _, tt := range tests {
		in := make([]byte, tt.n)
		for i := range in {
			in[i] = byte(i % 251)
		}
		s := sha256.Sum256(in)
		// Written in odd pieces, as a copy writes them.
		d := NewDigests()
		_, err := io.CopyBuffer(d, struct{ io.Reader }{strings.NewReader(string(in))}, make([]byte, 333))
		require.NoError(t, err)
		var a Artifact
		d.Set(&a)
		assert.Equal(t, tt.blake3, a.BLAKE3, "%d bytes", tt.n)
		assert.Equal(t, hex.EncodeToString(s[:]), a.SHA256, "%d bytes", tt.n)
		h := NewBLAKE3()
		h.Write(in)
		assert.Equal(t, tt.blake3, Hex(h))
	}
}

func TestChecked(t *testing.T) {
	a := sample().Artifacts[2]
	name, want, h := a.Checked()
	assert.Equal(t, "BLAKE3", name)
	assert.Equal(t, a.BLAKE3, want)
	assert.Equal(t, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", Hex(h), "a new BLAKE3")
	a.BLAKE3 = ""
	name, want, h = a.Checked()
	assert.Equal(t, "SHA-256", name)
	assert.Equal(t, a.SHA256, want)
	assert.Equal(t, sum(""), Hex(h), "a new SHA-256")
}
