package formats

import (
	"fmt"
	"math"
)

// ColumnError is the error of the typed accessors: a column of a row that
// is missing, null or of an unexpected type. It matches ErrSchema with
// errors.Is. ReadParquet passes it through unwrapped when the callback
// returns it for the row being read, so the file is named once.
type ColumnError struct {
	File    string
	Row     int
	Column  string
	Problem string // "missing", "null", "want a string, got int64 (3)"
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%s: row %d: column %q: %s: %v", e.File, e.Row, e.Column, e.Problem, ErrSchema)
}

// Is makes errors.Is(err, ErrSchema) true.
func (e *ColumnError) Is(target error) bool { return target == ErrSchema }

func colErr(file string, row int, col, format string, args ...any) error {
	return &ColumnError{File: file, Row: row, Column: col, Problem: fmt.Sprintf(format, args...)}
}

func lookup(rec map[string]any, col, file string, row int) (any, error) {
	v, ok := rec[col]
	if !ok {
		return nil, colErr(file, row, col, "missing")
	}
	if v == nil {
		return nil, colErr(file, row, col, "null")
	}
	return v, nil
}

// String returns rec[col] as a string. A missing column, a null and a
// non-string value are errors naming file, row and column (ErrSchema).
func String(rec map[string]any, col, file string, row int) (string, error) {
	v, err := lookup(rec, col, file, row)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", colErr(file, row, col, "want a string, got %T (%v)", v, v)
	}
	return s, nil
}

// OptString is String for nullable columns: a null reads as "" with
// present false; a missing column or a non-string value is still an error.
func OptString(rec map[string]any, col, file string, row int) (s string, present bool, err error) {
	v, ok := rec[col]
	if !ok {
		return "", false, colErr(file, row, col, "missing")
	}
	if v == nil {
		return "", false, nil
	}
	s, err = String(rec, col, file, row)
	return s, err == nil, err
}

// Int returns rec[col] as an int64. Integers of every width arrive as
// int64; a float64 is accepted only when it is integral (pandas writes an
// integer column with nulls as doubles). Anything else is an error naming
// file, row and column (ErrSchema).
func Int(rec map[string]any, col, file string, row int) (int64, error) {
	v, err := lookup(rec, col, file, row)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
		return 0, colErr(file, row, col, "want an integer, got the non-integral float %v", x)
	}
	return 0, colErr(file, row, col, "want an integer, got %T (%v)", v, v)
}

// Float returns rec[col] as a float64 (integers are converted).
func Float(rec map[string]any, col, file string, row int) (float64, error) {
	v, err := lookup(rec, col, file, row)
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, colErr(file, row, col, "want a number, got %T (%v)", v, v)
}

// Bool returns rec[col] as a bool.
func Bool(rec map[string]any, col, file string, row int) (bool, error) {
	v, err := lookup(rec, col, file, row)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, colErr(file, row, col, "want a bool, got %T (%v)", v, v)
	}
	return b, nil
}

// List returns rec[col] as a list (a null is an error).
func List(rec map[string]any, col, file string, row int) ([]any, error) {
	v, err := lookup(rec, col, file, row)
	if err != nil {
		return nil, err
	}
	l, ok := v.([]any)
	if !ok {
		return nil, colErr(file, row, col, "want a list, got %T (%v)", v, v)
	}
	return l, nil
}
