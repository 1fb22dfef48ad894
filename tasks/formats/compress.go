package formats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzipMagic starts every gzip member (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// utf8BOM is stripped from the start of text files (Excel and some
// Windows tools write it).
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// maybeGunzip returns a buffered reader over r's content, decompressing it
// when it starts with the gzip magic bytes. close releases the decompressor.
func maybeGunzip(r io.Reader, name string) (br *bufio.Reader, closeFn func(), err error) {
	br = bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if !bytes.Equal(head, gzipMagic) {
		return br, func() {}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: gzip header: %w", name, err)
	}
	// gzip.Reader.Close only repeats an error its Read already returned.
	return bufio.NewReaderSize(zr, 1<<16), func() { _ = zr.Close() }, nil
}

// skipBOM drops a leading UTF-8 byte order mark.
func skipBOM(br *bufio.Reader) error {
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return err
	}
	if bytes.Equal(head, utf8BOM) {
		_, err := br.Discard(3)
		return err
	}
	return nil
}
