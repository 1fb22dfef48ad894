package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ReadJSONL calls fn for every non-empty line of a JSON-lines file, with
// 1-based line numbers counted in the (decompressed) file. Input starting
// with the gzip magic bytes is decompressed on the fly; a leading UTF-8 BOM,
// trailing "\r" and surrounding blanks are dropped. Lines may be of any
// length.
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
	var long []byte // accumulates lines longer than the bufio buffer
	for line := 1; ; line++ {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = br.ReadSlice('\n')
				long = append(long, chunk...)
			}
			chunk = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if text := bytes.TrimSpace(chunk); len(text) > 0 {
			raw := make(json.RawMessage, len(text))
			copy(raw, text)
			if ferr := fn(line, raw); ferr != nil {
				return fmt.Errorf("%s:%d: %w", name, line, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}
