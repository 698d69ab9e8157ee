package dylib

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/golang/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func frame(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	w := snappy.NewBufferedWriter(&buf)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// TestSnappyAsLibrary: what the reference encoder writes decodes to the same bytes,
// compressible or not, across chunk boundaries.
func TestSnappyAsLibrary(t *testing.T) {
	random := make([]byte, 200_000)
	_, err := rand.Read(random)
	require.NoError(t, err)
	for _, data := range [][]byte{
		{}, []byte("rust\x00\x00\x00\x06"), bytes.Repeat([]byte("rustc 1.63.0 abcabcab"), 20_000), random,
		append(bytes.Repeat([]byte{0}, 70_000), random[:70_000]...),
	} {
		got, err := io.ReadAll(newSnappyReader(bytes.NewReader(frame(t, data))))
		require.NoError(t, err)
		assert.Equal(t, len(data), len(got))
		assert.True(t, bytes.Equal(data, got))
	}
}

// FuzzSnappy holds the decoder to the library's: the same bytes, or both refuse.
func FuzzSnappy(f *testing.F) {
	f.Add(frame(f, []byte("rust\x00\x00\x00\x06 rustc 1.63.0 rustc 1.63.0 rustc 1.63.0")))
	f.Add(frame(f, bytes.Repeat([]byte{7}, 70_000)))
	f.Add([]byte("\xff\x06\x00\x00sNaPpY\x01\x09\x00\x00\x00\x00\x00\x00abcde"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := io.ReadAll(io.LimitReader(snappy.NewReader(bytes.NewReader(data)), 1<<20))
		got, gotErr := io.ReadAll(io.LimitReader(newSnappyReader(bytes.NewReader(data)), 1<<20))
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("library: %v, this: %v", wantErr, gotErr)
		}
		if wantErr == nil && !bytes.Equal(want, got) {
			t.Fatalf("decoded %d bytes, the library %d", len(got), len(want))
		}
	})
}
