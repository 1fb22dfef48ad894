package gztest

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := []byte("MIMOLSA1 and some bytes \x00\xff")
	z := Compress(t, in)
	if len(z) < 18 || z[0] != 0x1f || z[1] != 0x8b {
		t.Fatalf("Compress gave %x, not a gzip stream", z)
	}
	if out := Decompress(t, z); !bytes.Equal(out, in) {
		t.Errorf("round trip gave %q, want %q", out, in)
	}
}
