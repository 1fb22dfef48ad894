package formats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// MaxLine is the longest line, in bytes, that ReadJSONL and ReadCSV
// accept (lines.DefaultLimit, 64 MiB: hundreds of times the longest
// passage or speech of the datasets read here). The environment variable
// MIMO_MAX_LINE replaces it, for a corpus of longer documents; an
// over-long line is a *lines.TooLongError naming the file and line.
const MaxLine = lines.DefaultLimit

// ReadJSONL calls fn for every non-empty line of a JSON-lines file, with
// 1-based line numbers counted in the (decompressed) file. Input starting
// with the gzip magic bytes is decompressed on the fly; a leading UTF-8 BOM,
// trailing "\r" and surrounding blanks are dropped. A line longer than
// MaxLine is an error (lines.ErrLineTooLong).
//
// raw is a fresh copy that fn may keep. It is not validated here: fn's
// json.Unmarshal reports syntax errors, and ReadJSONL wraps every error fn
// returns as "name:line: ...", so fn need not add the position itself.
// Returning an error from fn stops the read.
func ReadJSONL(r io.Reader, name string, fn func(line int, raw json.RawMessage) error) error {
	br, closeFn, err := maybeGunzip(r, name)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := skipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	lr := lines.NewReader(br, name, MaxLine)
	for lr.Scan() {
		if text := bytes.TrimSpace(lr.Bytes()); len(text) > 0 {
			raw := make(json.RawMessage, len(text))
			copy(raw, text)
			if err := fn(lr.Line(), raw); err != nil {
				return fmt.Errorf("%s:%d: %w", name, lr.Line(), err)
			}
		}
	}
	return lr.Err()
}
