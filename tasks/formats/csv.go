package formats

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/mimo-mlir/mimo/internal/lines"
)

// ReadCSV streams an RFC 4180 CSV file whose first record is the header:
// fn gets each following record as a map from column name to field, and
// the 1-based line on which the record starts (a quoted field may span
// several lines). Fields are never converted: mixed-type columns arrive as
// the strings the file holds. A physical line longer than MaxLine is an
// error (lines.ErrLineTooLong); a quoted field may hold many lines, so a
// record is bounded only by the file. gzip input is detected by its magic
// bytes and a leading UTF-8 BOM is dropped.
//
// Every record must have as many fields as the header; duplicate header
// names are an error (the map could not hold both). rec is fresh for each
// call. Errors name the file and line ("file.csv:12: ..."), including the
// ones fn returns.
func ReadCSV(r io.Reader, name string, fn func(line int, rec map[string]string) error) error {
	br, closeFn, err := maybeGunzip(r, name)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := skipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	cr := csv.NewReader(lines.Bound(br, name, MaxLine))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file, want a header row", name)
	}
	if err != nil {
		return csvErr(name, "header: ", err)
	}
	header = append([]string(nil), header...)
	seen := make(map[string]int, len(header))
	for i, h := range header {
		if j, dup := seen[h]; dup {
			return fmt.Errorf("%s:1: column %q appears twice (fields %d and %d)", name, h, j+1, i+1)
		}
		seen[h] = i
	}
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(name, "", err)
		}
		line, _ := cr.FieldPos(0)
		rec := make(map[string]string, len(header))
		for i, h := range header {
			rec[h] = fields[i]
		}
		if err := fn(line, rec); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

// csvErr puts encoding/csv's position into the "file:line: " form used by
// the rest of the package; the *csv.ParseError stays reachable.
func csvErr(name, what string, err error) error {
	var tl *lines.TooLongError
	if errors.As(err, &tl) {
		return err // names the file and line already
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("%s:%d: %srecord has a different number of fields than the header: %w", name, pe.StartLine, what, err)
		}
		return fmt.Errorf("%s:%d: %s%w", name, pe.StartLine, what, err)
	}
	return fmt.Errorf("%s: %s%w", name, what, err)
}
