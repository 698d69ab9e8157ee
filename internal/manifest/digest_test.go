package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/digest"
)

// TestDigests: one pass, written in odd pieces as a copy writes them, gives both
// digests of the whole input.
func TestDigests(t *testing.T) {
	in := []byte(strings.Repeat("linux-librust ", 5000))
	d := NewDigests()
	_, err := io.CopyBuffer(d, struct{ io.Reader }{bytes.NewReader(in)}, make([]byte, 333))
	require.NoError(t, err)
	var a Artifact
	d.Set(&a)
	s, b := sha256.Sum256(in), digest.NewBLAKE3()
	b.Write(in)
	assert.Equal(t, hex.EncodeToString(s[:]), a.SHA256)
	assert.Equal(t, digest.Hex(b), a.BLAKE3)
	assert.Equal(t, "1a8482feb98a5aba5c3bd19ba19001b5bbbc13f72164e265ec9965b1e3e49d6f", a.BLAKE3, "b3sum of the same bytes")
}

func TestChecked(t *testing.T) {
	a := sample().Artifacts[2]
	name, want, h := a.Checked()
	assert.Equal(t, "BLAKE3", name)
	assert.Equal(t, a.BLAKE3, want)
	assert.Equal(t, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", digest.Hex(h), "a new BLAKE3")
	a.BLAKE3 = ""
	name, want, h = a.Checked()
	assert.Equal(t, "SHA-256", name)
	assert.Equal(t, a.SHA256, want)
	assert.Equal(t, sum(""), digest.Hex(h), "a new SHA-256")
}
