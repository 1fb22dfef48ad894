// Package gztest gzips and gunzips byte slices for tests that build or
// damage compressed fixtures; a failure ends the test.
package gztest

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// Compress returns b gzipped with the default level.
func Compress(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Decompress returns the content of the gzip stream b.
func Decompress(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
