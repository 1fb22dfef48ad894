package cache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// servers are the logs that serve k, in the order Get asks them: this
// Cache's own log, then the other writers'.
func (c *Cache) servers(k Key) ([]*log, error) {
	l, err := c.log(k, 0)
	if err != nil {
		return nil, err
	}
	others, err := c.siblings(k)
	if err != nil {
		return nil, err
	}
	var ls []*log
	if l != nil {
		ls = append(ls, l)
	}
	return append(ls, others...), nil
}

// Missing returns the indices of the texts the log of k does not serve, in
// order, as Get does, without reading any vector.
func (c *Cache) Missing(k Key, texts []string) ([]int, error) {
	ls, err := c.servers(k)
	if err != nil {
		return nil, err
	}
	var miss []int
	for i, t := range texts {
		if _, _, ok := find(ls, HashText(t)); !ok {
			miss = append(miss, i)
		}
	}
	return miss, nil
}

// find is the first of ls that serves h, and the offset of h's record.
func find(ls []*log, h Hash) (int, int64, bool) {
	for j, l := range ls {
		if off, ok := l.lookup(h); ok {
			return j, off, true
		}
	}
	return 0, 0, false
}

// MissingError is returned by Rows when some texts have no vector in the
// cache.
type MissingError struct {
	Key     Key
	Missing int // how many texts
	First   int // the index of the first
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("cache: %d of the texts (the first is text %d) have no %s vector in the cache", e.Missing, e.First, e.Key.Role)
}

// Rows are the cached vectors of a list of texts, located once and read
// block by block, so a corpus larger than memory can be searched from the
// cache: memory is 18 bytes per text plus the block being read. Rows read
// through the Cache's open files: do not use them after Close.
type Rows struct {
	dim   int
	logs  []*log
	which []uint16 // row -> index in logs
	off   []int64  // row -> record offset
	tag   []uint64 // row -> first 8 bytes of its text's hash, checked on read

	order []int  // scratch: rows of a block by (log, offset)
	buf   []byte // scratch: one run of records
}

// Rows locates the vector of every text in the log of k; a text without
// one is a *MissingError.
func (c *Cache) Rows(k Key, texts []string) (*Rows, error) {
	ls, err := c.servers(k)
	if err != nil {
		return nil, err
	}
	if len(ls) > 1<<16 {
		return nil, fmt.Errorf("cache: %d logs for one key", len(ls))
	}
	r := &Rows{logs: ls, which: make([]uint16, len(texts)), off: make([]int64, len(texts)), tag: make([]uint64, len(texts))}
	if len(ls) > 0 {
		r.dim = ls[0].dim
	}
	var miss *MissingError
	for i, t := range texts {
		h := HashText(t)
		j, off, ok := find(ls, h)
		if !ok {
			if miss == nil {
				miss = &MissingError{Key: k, First: i}
			}
			miss.Missing++
			continue
		}
		if ls[j].dim != r.dim {
			return nil, fmt.Errorf("cache: %s holds dimension %d, %s %d", ls[j].path, ls[j].dim, ls[0].path, r.dim)
		}
		r.which[i], r.off[i], r.tag[i] = uint16(j), off, binary.LittleEndian.Uint64(h[:8])
	}
	if miss != nil {
		return nil, miss
	}
	return r, nil
}

// Len is the number of rows; Dim their dimension (0 when there are none).
func (r *Rows) Len() int { return len(r.off) }

// Dim is the dimension of the vectors.
func (r *Rows) Dim() int { return r.dim }

// maxRun caps the bytes one read of consecutive records covers.
const maxRun = 1 << 20

// Read fills dst (len(dst) a multiple of Dim) with the vectors of rows
// start, start+1, ... It reads the block's records in file order, one read
// per run of consecutive records, and checks each record's checksum and
// text hash. Rows are not safe for concurrent Read.
func (r *Rows) Read(start int, dst []float32) error {
	if r.dim == 0 || len(dst)%r.dim != 0 || start < 0 || start+len(dst)/r.dim > len(r.off) {
		return fmt.Errorf("cache: read of %d values from row %d: %d rows of dimension %d", len(dst), start, len(r.off), r.dim)
	}
	n := len(dst) / r.dim
	r.order = r.order[:0]
	for i := range n {
		r.order = append(r.order, start+i)
	}
	slices.SortFunc(r.order, func(a, b int) int {
		if r.which[a] != r.which[b] {
			return int(r.which[a]) - int(r.which[b])
		}
		return int(r.off[a] - r.off[b])
	})
	for s := 0; s < n; {
		l := r.logs[r.which[r.order[s]]]
		first := r.off[r.order[s]]
		// The run: rows whose records follow one another (or repeat one,
		// for duplicate texts) in one log, up to maxRun bytes.
		e, end := s+1, first+l.recLen
		for e < n && r.which[r.order[e]] == r.which[r.order[s]] {
			off := r.off[r.order[e]]
			if off == end && end-first+l.recLen <= maxRun {
				end += l.recLen
			} else if off != end-l.recLen {
				break
			}
			e++
		}
		if err := r.readRun(l, first, end, r.order[s:e], start, dst); err != nil {
			return err
		}
		s = e
	}
	return nil
}

// readRun reads the records [first, end) of l and decodes those of rows
// into dst (row i at dst[(i-start)*dim:]).
func (r *Rows) readRun(l *log, first, end int64, rows []int, start int, dst []float32) error {
	if int64(cap(r.buf)) < end-first {
		r.buf = make([]byte, end-first)
	}
	buf := r.buf[:end-first]
	if _, err := l.f.ReadAt(buf, first); err != nil {
		return fmt.Errorf("cache: %s: records at %d-%d: %w", l.path, first, end, err)
	}
	for _, i := range rows {
		rec := buf[r.off[i]-first : r.off[i]-first+l.recLen]
		var tag [8]byte
		binary.LittleEndian.PutUint64(tag[:], r.tag[i])
		if !recordOK(rec) || !bytes.Equal(rec[:8], tag[:]) {
			return fmt.Errorf("cache: %s: record at %d changed on disk (checksum mismatch)", l.path, r.off[i])
		}
		l.decode(dst[(i-start)*r.dim:(i-start+1)*r.dim], rec)
	}
	return nil
}
