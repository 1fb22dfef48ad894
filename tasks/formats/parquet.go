package formats

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// ErrSchema is wrapped by every error about a file's columns: a column that
// is missing, or holds a type the caller did not expect.
var ErrSchema = errors.New("unexpected schema")

// parquetBatch is how many rows are decoded per read call.
const parquetBatch = 256

// ReadParquet streams the rows of a Parquet file, row group after row
// group, calling fn with the 0-based row number in the file and the row as
// a map from top-level column name to value. Only the columns asked for
// are decoded (nil: all); asking for a column the file lacks is an error
// naming the file, the column and the columns present, wrapping ErrSchema.
//
// Values are normalised to a small set of Go types, whatever the physical
// Parquet type: string (also for binary columns), int64 (every integer
// width), float64, bool, nil (null), time.Time (timestamps and dates),
// []any (lists) and map[string]any (structs and maps, recursively). rec is
// fresh for each call and may be kept. Errors, including fn's, name the
// file and row.
func ReadParquet(r io.ReaderAt, size int64, name string, columns []string, fn func(row int, rec map[string]any) error) error {
	f, err := openParquet(r, size)
	if err != nil {
		return fmt.Errorf("%s: opening parquet: %w", name, err)
	}
	schema, err := projection(f.Schema(), name, columns)
	if err != nil {
		return err
	}
	rows := make([]parquet.Row, parquetBatch)
	row := 0
	for g, rg := range f.RowGroups() {
		if err := readRowGroup(rg, schema, rows, &row, name, fn); err != nil {
			if errors.Is(err, errStop) {
				return errors.Unwrap(err)
			}
			return fmt.Errorf("%s: row group %d: %w", name, g, err)
		}
	}
	return nil
}

// errStop marks an error returned by the caller's fn (already positioned).
var errStop = errors.New("stop")

type stopErr struct{ err error }

func (s stopErr) Error() string        { return s.err.Error() }
func (s stopErr) Unwrap() error        { return s.err }
func (s stopErr) Is(target error) bool { return target == errStop }

func readRowGroup(rg parquet.RowGroup, schema *parquet.Schema, rows []parquet.Row, row *int, name string, fn func(int, map[string]any) error) error {
	rd := parquet.NewRowGroupReader(rg, schema)
	defer rd.Close()
	for {
		n, err := readRows(rd, rows)
		for i := 0; i < n; i++ {
			rec, rerr := reconstruct(schema, rows[i])
			if rerr != nil {
				return fmt.Errorf("row %d: decoding: %w", *row, rerr)
			}
			for k, v := range rec {
				rec[k] = normalise(v)
			}
			if ferr := fn(*row, rec); ferr != nil {
				var ce *ColumnError
				if errors.As(ferr, &ce) && ce.File == name && ce.Row == *row {
					return stopErr{ferr} // already names file, row and column
				}
				return stopErr{fmt.Errorf("%s: row %d: %w", name, *row, ferr)}
			}
			*row++
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", *row, err)
		}
	}
}

// openParquet is parquet.OpenFile, with the library's panics on damaged
// footers and page indexes (found by FuzzReadParquet: slice bounds out of
// range in ReadPageIndex) turned into errors.
func openParquet(r io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("damaged file (the parquet reader failed: %v)", p)
		}
	}()
	return parquet.OpenFile(r, size)
}

// readRows is rd.ReadRows with the library's panics on damaged pages
// turned into errors.
func readRows(rd parquet.RowReader, rows []parquet.Row) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("damaged page (the parquet reader failed: %v)", p)
		}
	}()
	return rd.ReadRows(rows)
}

// reconstruct decodes one row into a map. parquet-go panics on shapes it
// cannot map onto Go values; that becomes an error naming the row.
func reconstruct(schema *parquet.Schema, row parquet.Row) (rec map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: cannot decode the row into Go values: %v", ErrSchema, p)
		}
	}()
	rec = make(map[string]any, len(schema.Fields()))
	if err := schema.Reconstruct(&rec, row); err != nil {
		return nil, err
	}
	return rec, nil
}

// projection returns the schema restricted to columns (all when nil).
func projection(full *parquet.Schema, name string, columns []string) (*parquet.Schema, error) {
	if columns == nil {
		return full, nil
	}
	byName := map[string]parquet.Field{}
	for _, fld := range full.Fields() {
		byName[fld.Name()] = fld
	}
	group := parquet.Group{}
	for _, c := range columns {
		fld, ok := byName[c]
		if !ok {
			have := make([]string, 0, len(byName))
			for n := range byName {
				have = append(have, n)
			}
			sort.Strings(have)
			return nil, fmt.Errorf("%s: column %q missing (columns: %s): %w", name, c, strings.Join(have, ", "), ErrSchema)
		}
		group[c] = fld
	}
	return parquet.NewSchema(full.Name(), group), nil
}

// normalise maps the Go values parquet-go reconstructs onto the documented
// set: string, int64, float64, bool, nil, time.Time, []any, map[string]any.
func normalise(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, time.Time:
		return x
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
		return x
	}
	return v
}
