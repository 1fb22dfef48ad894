package builders

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/mimo-mlir/mimo/internal/lines"
	"github.com/mimo-mlir/mimo/tasks"
	"github.com/mimo-mlir/mimo/tasks/formats"
)

// input reads the files of one repository at one revision through a Source
// and makes every error name the repository, revision and file.
type input struct {
	src tasks.Source
	ref Ref
}

// where names a file for error messages: "repo@rev: path".
func (in input) where(p string) string {
	return fmt.Sprintf("%s@%s: %s", in.ref.Repo, in.ref.Revision, p)
}

func (in input) open(ctx context.Context, p string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rc, err := in.src.Open(ctx, in.ref.Repo, in.ref.Revision, p)
	if err != nil {
		if tasks.NamesFile(err, in.ref.Repo, p) {
			return nil, err // the Source already named repository, revision and file
		}
		return nil, fmt.Errorf("opening %s: %w", in.where(p), err)
	}
	return rc, nil
}

// list returns the repository's files; the listing is what builders use to
// discover shards instead of assuming their number.
func (in input) list(ctx context.Context) ([]string, error) {
	files, err := in.src.List(ctx, in.ref.Repo, in.ref.Revision)
	if err != nil {
		return nil, fmt.Errorf("listing %s@%s: %w", in.ref.Repo, in.ref.Revision, err)
	}
	return files, nil
}

// readJSONL streams a JSON-lines file (gzip detected by the reader).
func (in input) readJSONL(ctx context.Context, p string, fn func(line int, raw json.RawMessage) error) error {
	rc, err := in.open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	return formats.ReadJSONL(rc, in.where(p), func(line int, raw json.RawMessage) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(line, raw)
	})
}

// readCSV streams a CSV file with a header row.
func (in input) readCSV(ctx context.Context, p string, fn func(line int, rec map[string]string) error) error {
	rc, err := in.open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	return formats.ReadCSV(rc, in.where(p), func(line int, rec map[string]string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(line, rec)
	})
}

// readSQuAD reads a SQuAD-v1.1 JSON file.
func (in input) readSQuAD(ctx context.Context, p string) (*formats.SQuAD, error) {
	rc, err := in.open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return formats.ReadSQuAD(rc, in.where(p))
}

// readParquet reads the named columns of a Parquet file row by row. Parquet
// needs random access: a Source that hands out an *os.File (a local copy or
// the Hub cache) is read in place, anything else is spooled to a temporary
// file first.
func (in input) readParquet(ctx context.Context, p string, columns []string, fn func(row int, rec map[string]any) error) error {
	rc, err := in.open(ctx, p)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, ok := rc.(*os.File)
	if !ok {
		tmp, err := os.CreateTemp("", "mimo-parquet-*")
		if err != nil {
			return fmt.Errorf("buffering %s: %w", in.where(p), err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, rc); err != nil {
			return fmt.Errorf("copying %s to a temporary file: %w", in.where(p), err)
		}
		f = tmp
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", in.where(p), err)
	}
	return formats.ReadParquet(f, st.Size(), in.where(p), columns, func(row int, rec map[string]any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(row, rec)
	})
}

// splitFiles returns the Parquet shards of split in config, as the Hub lays
// them out: "{config}/{split}-0000i-of-0000n.parquet" (also accepted:
// "{config}/{split}/*.parquet", the refs/convert/parquet layout). When the
// shard names carry "-of-n", all n shards must be present. With
// anySplit set and no shard for split, the shards of the config's only split
// are returned (MTEB corpora are sometimes stored under another split name).
func splitFiles(files []string, config, split string, anySplit bool) ([]string, error) {
	prefix := config + "/"
	bySplit := map[string][]string{}
	for _, f := range files {
		if !strings.HasPrefix(f, prefix) || !strings.HasSuffix(f, ".parquet") {
			continue
		}
		rest := strings.TrimPrefix(f, prefix)
		var s string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			s = rest[:i]
			if strings.Contains(rest[i+1:], "/") {
				continue
			}
		} else {
			base := strings.TrimSuffix(rest, ".parquet")
			if i := strings.Index(base, "-"); i >= 0 {
				s = base[:i]
			} else {
				s = base
			}
		}
		bySplit[s] = append(bySplit[s], f)
	}
	got := bySplit[split]
	if len(got) == 0 && anySplit && len(bySplit) == 1 {
		for _, v := range bySplit {
			got = v
		}
	}
	if len(got) == 0 {
		names := make([]string, 0, len(bySplit))
		for s := range bySplit {
			names = append(names, s)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("no parquet files for config %q split %q (splits found: %v): %w", config, split, names, tasks.ErrNotFound)
	}
	sort.Strings(got)
	if err := checkShards(got); err != nil {
		return nil, fmt.Errorf("config %q split %q: %w", config, split, err)
	}
	return got, nil
}

// checkShards verifies a complete "-0000i-of-0000n" shard sequence.
func checkShards(files []string) error {
	total := -1
	seen := map[int]bool{}
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".parquet")
		i := strings.LastIndex(base, "-of-")
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(base[i+4:])
		if err != nil {
			continue
		}
		j := strings.LastIndex(base[:i], "-")
		k, err := strconv.Atoi(base[j+1 : i])
		if err != nil {
			continue
		}
		if total >= 0 && n != total {
			return fmt.Errorf("shards disagree on their count (%d vs %d) at %s", total, n, f)
		}
		total = n
		seen[k] = true
	}
	for k := 0; k < total; k++ {
		if !seen[k] {
			return fmt.Errorf("truncated: shard %d of %d missing (have %v)", k, total, files)
		}
	}
	return nil
}

// errColumn reports a missing or mistyped column or field (the readers'
// ErrSchema, so callers test one sentinel).
var errColumn = formats.ErrSchema

// strCol returns a string column of a Parquet row; absent columns and
// non-string values are errors naming the column, nulls read as "".
func strCol(rec map[string]any, col string) (string, error) {
	v, ok := rec[col]
	if !ok {
		return "", fmt.Errorf("column %q missing: %w", col, errColumn)
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", fmt.Errorf("column %q: want a string, got %T: %w", col, v, errColumn)
}

// intCol returns an integer column of a Parquet row (ints, integral floats
// and numeric strings are accepted; MTEB stores scores as int64).
func intCol(rec map[string]any, col string) (int, error) {
	v, ok := rec[col]
	if !ok {
		return 0, fmt.Errorf("column %q missing: %w", col, errColumn)
	}
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case int32:
		return int(x), nil
	case int:
		return x, nil
	case uint32:
		return int(x), nil
	case uint64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case float32:
		if x == float32(int(x)) {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
	case []byte:
		if n, err := strconv.Atoi(strings.TrimSpace(string(x))); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("column %q: want an integer, got %T %v: %w", col, v, v, errColumn)
}

// firstCol returns the first of cols present in rec (e.g. "_id" or "id").
func firstCol(rec map[string]any, cols ...string) (string, error) {
	for _, c := range cols {
		if _, ok := rec[c]; ok {
			return strCol(rec, c)
		}
	}
	return "", fmt.Errorf("none of the columns %q present: %w", cols, errColumn)
}

// textMaxLine bounds a line of the text files read with readLines
// (NeuCLIR's and MIRACL's query TSVs and TREC qrels: short rows);
// MIMO_MAX_LINE replaces it (internal/lines).
const textMaxLine = 16 << 20

// readLines streams the non-empty lines of a text file.
func readLines(ctx context.Context, in input, name string, fn func(line int, s string) error) error {
	rc, err := in.open(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	lr := lines.NewReader(rc, in.where(name), textMaxLine)
	n := 0
	for lr.Scan() {
		s := strings.TrimRight(lr.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		n++
		if err := fn(lr.Line(), s); err != nil {
			return fmt.Errorf("%s:%d: %w", in.where(name), lr.Line(), err)
		}
	}
	if err := lr.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: empty file: %w", in.where(name), errColumn)
	}
	return nil
}
