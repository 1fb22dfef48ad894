// Package cache is the on-disk embedding cache of the harness.
//
// The mental model: one append-only log file per (encoder identity, role,
// prompt), under Dir/<identity key>/<role>-<prompt hash>.vec. Each record is
// the sha256 of a text, its float32 vector and a CRC-32C of both. Opening a
// log scans it once, checks every record's CRC and keeps an index from text
// hash to file offset. Records have a fixed length, so one that fails its
// CRC does not hide the ones after it: a bad record followed by a good one
// was damaged in place and is skipped, with a warning naming the file and
// the record, and overwritten with a hole so its text is encoded again;
// only what follows the last good record (a short record, or records a
// crash left half-written) is a torn tail, and the file is truncated there,
// so nothing half-written is ever read and an interrupted run resumes with
// what was completely written. The header (identity, role, prompt,
// dimension) is written to a temporary file and renamed into place, so it is
// never torn; a damaged one is a *DamagedError naming the file to delete.
//
// The identity key (adapters.Identity.Key) includes the digest of the
// model's files (Identity.Content), so an edited tokenizer or replaced
// weights get logs of their own. Options.Refresh (mimo-eval --overwrite)
// serves nothing stored before and replaces it.
//
// Keying by role and prompt as well as the model keeps query and document
// embeddings of prompted models apart (MTEB issue 5383).
//
// A Cache is safe for concurrent use by the goroutines of one process.
// Across processes, the first to open a log takes an exclusive advisory lock
// on it (flock) and is its only writer; a second process sharing the cache
// directory reads the records complete when it opened the log, and its own
// vectors are simply not cached (ReadOnly reports it).
//
// Sharded runs (mimo-eval --shard i/n on a Slurm array or a Kubernetes
// indexed Job): each shard's Cache has Options.Writer set and writes its own
// log beside the shared one, <role>-<prompt hash>.<writer>.vec, so n writers
// on one filesystem never contend for a lock. Every Cache reads all the logs
// of a key (its own first, then the others read-only and unlocked), so the
// final run without --shard finds every shard's vectors.
package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/x448/float16"
)

// EnvDir names the environment variable that overrides the default location.
const EnvDir = "MIMO_CACHE"

// DefaultDir returns $MIMO_CACHE, else ~/.cache/mimo/embeddings (the user
// cache directory of the platform).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cache: no default location (set $%s): %w", EnvDir, err)
	}
	return filepath.Join(base, "mimo", "embeddings"), nil
}

// Key selects one log: the encoder (adapters.Identity.Key()), the role
// ("query", "document"), the prompt the encoder prepends for that role and
// the storage dtype (Dtype).
type Key struct {
	Model  string `json:"model"`
	Role   string `json:"role"`
	Prompt string `json:"prompt"`
	// Dtype is how vectors are stored: "" for float32, F16 for IEEE half
	// precision (round to nearest even; half the disk, and scores change
	// slightly, so it keys a log of its own). Vectors are served as
	// float32 either way.
	Dtype string `json:"dtype,omitempty"`
}

// F16 is Key.Dtype for half-precision storage.
const F16 = "f16"

// RoundF16 rounds v in place to the nearest half-precision value (ties to
// even), the value an F16 log stores and serves: a vector put into an F16
// log and one read back from it then agree bit for bit. A component beyond
// the half range becomes an infinity.
func RoundF16(v []float32) {
	for i, x := range v {
		v[i] = float16.Fromfloat32(x).Float32()
	}
}

// width is the bytes per component.
func (k Key) width() int {
	if k.Dtype == F16 {
		return 2
	}
	return 4
}

// validate rejects keys that would not make a safe file name.
func (k Key) validate() error {
	if k.Dtype != "" && k.Dtype != F16 {
		return fmt.Errorf("cache: key dtype %q: want \"\" (float32) or %q", k.Dtype, F16)
	}
	for _, f := range []struct{ name, v string }{{"model", k.Model}, {"role", k.Role}} {
		if f.v == "" {
			return fmt.Errorf("cache: key %s is empty", f.name)
		}
		for _, r := range f.v {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') || f.v == "." || f.v == ".." {
				return fmt.Errorf("cache: key %s %q: only letters, digits, '-', '_' and '.' are allowed", f.name, f.v)
			}
		}
	}
	return nil
}

func (k Key) fileName() string { return k.writerFile("") }

// writerFile is the log of k written by writer ("" for the shared one).
func (k Key) writerFile(writer string) string {
	h := sha256.Sum256([]byte(k.Prompt))
	if writer != "" {
		writer = "." + writer
	}
	role := k.Role
	if k.Dtype != "" {
		// "document-f16-<hash>": never taken for a writer's log of the
		// float32 key ("document-<hash>.<writer>.vec").
		role += "-" + k.Dtype
	}
	return filepath.Join(k.Model, fmt.Sprintf("%s-%s%s.vec", role, hex.EncodeToString(h[:8]), writer))
}

// siblings opens, once, the logs of k that other writers wrote (read-only,
// without their lock); a Refresh cache serves none of them.
func (c *Cache) siblings(k Key) ([]*log, error) {
	if c.opts.Refresh {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ls, ok := c.others[k]; ok {
		return ls, nil
	}
	own := filepath.Join(c.dir, k.writerFile(c.opts.Writer))
	shared := filepath.Join(c.dir, k.fileName())
	// The other writers' logs: <base>.<writer>.vec beside the shared one
	// (read from the folder, not globbed: the cache path may hold '[').
	var matches []string
	prefix := strings.TrimSuffix(filepath.Base(shared), ".vec") + "."
	entries, err := os.ReadDir(filepath.Dir(shared))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".vec") && !e.IsDir() {
			matches = append(matches, filepath.Join(filepath.Dir(shared), n))
		}
	}
	var ls []*log
	for _, p := range append([]string{shared}, matches...) {
		if p == own {
			continue
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		l, err := scan(f, p, k, false, c.opts.Warnings)
		if err != nil {
			f.Close()
			return nil, err
		}
		l.readOnly = true
		ls = append(ls, l)
	}
	c.others[k] = ls
	return ls, nil
}

// Cache holds open logs under one directory.
type Cache struct {
	dir  string
	opts Options

	mu     sync.Mutex
	logs   map[Key]*log
	others map[Key][]*log // the other writers' logs of a key, read-only
}

// Options configure a Cache; the zero value is the default.
type Options struct {
	// Refresh serves no vector that was in a log before this Cache opened
	// it: every text is a miss until it is Put again, and the new vector
	// replaces the old one (for mimo-eval --overwrite). Vectors Put since
	// are served.
	Refresh bool
	// Warnings receives one line per damaged record skipped (default
	// os.Stderr).
	Warnings io.Writer
	// Writer names this Cache's own logs ("shard-3-of-8": lower-case
	// letters, digits and '-'); empty writes the shared logs.
	Writer string
}

// Open returns a cache rooted at dir, creating it if needed.
func Open(dir string) (*Cache, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if opts.Warnings == nil {
		opts.Warnings = os.Stderr
	}
	for _, r := range opts.Writer {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return nil, fmt.Errorf("cache: writer %q: only lower-case letters, digits and '-'", opts.Writer)
		}
	}
	return &Cache{dir: dir, opts: opts, logs: map[Key]*log{}, others: map[Key][]*log{}}, nil
}

// ErrDamaged is what the error of a log whose header is damaged matches
// (errors.Is); the error is a *DamagedError naming the file to delete.
var ErrDamaged = errors.New("embedding cache file is damaged")

// DamagedError is a log whose header cannot be trusted: nothing in it can
// be read. Deleting the file loses only its vectors (they are encoded
// again).
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("cache: %s: %s (%s); delete this file and its vectors will be encoded again", e.Path, ErrDamaged, e.Reason)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path, format string, args ...any) error {
	return &DamagedError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// Dir is the cache's root directory.
func (c *Cache) Dir() string { return c.dir }

// Hash is the sha256 of a text, the record key within a log.
type Hash [sha256.Size]byte

// HashText hashes a text.
func HashText(text string) Hash { return sha256.Sum256([]byte(text)) }

// Get looks up texts in the log of k. It returns a vector per text (nil for
// a miss) and the indices of the misses, in order. A log that does not exist
// yet is all misses.
func (c *Cache) Get(k Key, texts []string) ([][]float32, []int, error) {
	ls, err := c.servers(k)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]float32, len(texts))
	var miss []int
	for i, t := range texts {
		var v []float32
		h := HashText(t)
		for _, l := range ls {
			if v, err = l.get(h); err != nil {
				return nil, nil, fmt.Errorf("cache: text %d: %w", i, err)
			}
			if v != nil {
				break
			}
		}
		if v == nil {
			miss = append(miss, i)
		}
		out[i] = v
	}
	return out, miss, nil
}

// Put appends the vectors of texts to the log of k (texts already present
// are skipped). All vectors must have the log's dimension.
func (c *Cache) Put(k Key, texts []string, vecs [][]float32) error {
	if len(texts) != len(vecs) {
		return fmt.Errorf("cache: %d texts, %d vectors", len(texts), len(vecs))
	}
	if len(vecs) == 0 {
		return nil
	}
	l, err := c.log(k, len(vecs[0]))
	if err != nil {
		return err
	}
	hs := make([]Hash, len(texts))
	for i, t := range texts {
		hs[i] = HashText(t)
	}
	if err := l.put(hs, vecs); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Len reports how many vectors the log of k holds (0 if none).
func (c *Cache) Len(k Key) (int, error) {
	l, err := c.log(k, 0)
	if err != nil || l == nil {
		return 0, err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.index), nil
}

// ReadOnly reports whether the log of k is open without its write lock
// (another process or Cache writes it), so Put does not add to it.
func (c *Cache) ReadOnly(k Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.logs[k]
	return ok && l.readOnly
}

// Flush syncs every open log to stable storage.
func (c *Cache) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, l := range c.logs {
		if err := l.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("cache: sync %s: %w", l.path, err))
		}
	}
	return errors.Join(errs...)
}

// Close syncs and closes every open log.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for k, l := range c.logs {
		if err := l.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("cache: sync %s: %w", l.path, err))
		}
		if err := l.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("cache: close %s: %w", l.path, err))
		}
		delete(c.logs, k)
	}
	for k, ls := range c.others {
		for _, l := range ls {
			if err := l.f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("cache: close %s: %w", l.path, err))
			}
		}
		delete(c.others, k)
	}
	return errors.Join(errs...)
}

// log returns the open log of k. With dim == 0 (a read) a missing log
// yields nil; with dim > 0 (a write) it is created.
func (c *Cache) log(k Key, dim int) (*log, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.logs[k]; ok {
		if dim > 0 && dim != l.dim {
			return nil, fmt.Errorf("cache: %s holds dimension %d, got %d", l.path, l.dim, dim)
		}
		return l, nil
	}
	path := filepath.Join(c.dir, k.writerFile(c.opts.Writer))
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if dim == 0 {
			return nil, nil
		}
		if err := createLog(path, k, dim); err != nil {
			return nil, err
		}
	}
	l, err := openLog(path, k, c.opts.Warnings)
	if err != nil {
		return nil, err
	}
	l.refresh = c.opts.Refresh
	if dim > 0 && dim != l.dim {
		l.f.Close()
		return nil, fmt.Errorf("cache: %s holds dimension %d, got %d", path, l.dim, dim)
	}
	c.logs[k] = l
	return l, nil
}

// File layout:
//
//	header: "MIMOVEC1" | u32 dim | u32 n | n bytes of JSON Key | u32 crc32c(dim|n|json)
//	record: 32-byte sha256 | dim x f32 (dim x f16 for Key.Dtype F16) | u32 crc32c(sha|vector)
//
// All integers and floats little-endian.
const magic = "MIMOVEC1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type log struct {
	path   string
	dim    int
	width  int // bytes per component: 4, or 2 for F16
	recLen int64

	// readOnly: another open file holds the lock; put does nothing.
	readOnly bool
	// refresh: records before start (the size at open) are not served, and
	// put replaces them (Options.Refresh).
	refresh bool
	start   int64

	first int64 // offset of record 1 (the header's length)

	mu    sync.RWMutex
	f     *os.File
	size  int64 // end of the last good record
	index map[Hash]int64
}

func createLog(path string, k Key, dim int) error {
	meta, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(magic)
	body := binary.LittleEndian.AppendUint32(nil, uint32(dim))
	body = binary.LittleEndian.AppendUint32(body, uint32(len(meta)))
	body = append(body, meta...)
	b.Write(body)
	b.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(body, castagnoli)))

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.vec")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// openLog reads the header, verifies that it belongs to k, scans the records
// and truncates a torn tail.
func openLog(path string, k Key, warn io.Writer) (*log, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	owner, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cache: lock %s: %w", path, err)
	}
	l, err := scan(f, path, k, owner, warn)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.readOnly = !owner
	l.start = l.size
	return l, nil
}

// scan indexes the records of f (numbered from 1 in messages).
//
// A record that fails its checksum followed by a good one is damaged in
// place (a flipped bit, a bad sector): it is skipped with a warning on warn,
// and the lock owner overwrites it with a hole (a valid record of the zero
// hash, which no text has, skipped silently from then on), so the text is
// encoded again and the warning is not repeated. Only the records after
// the last good one, a short record included, form a torn tail (a crash
// mid-append): the owner truncates the file there; a reader without the
// lock just stops there (the owner may be writing it). A header that cannot
// be trusted is a *DamagedError.
func scan(f *os.File, path string, k Key, owner bool, warn io.Writer) (*log, error) {
	r := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, len(magic)+8)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, damaged(path, "header: %v", err)
	}
	if string(head[:len(magic)]) != magic {
		return nil, damaged(path, "not an embedding log: bad magic")
	}
	dim := int(binary.LittleEndian.Uint32(head[len(magic):]))
	n := int(binary.LittleEndian.Uint32(head[len(magic)+4:]))
	if dim <= 0 || dim > 1<<20 || n > 1<<20 {
		return nil, damaged(path, "implausible header: dim %d, metadata %d bytes", dim, n)
	}
	meta := make([]byte, n+4)
	if _, err := io.ReadFull(r, meta); err != nil {
		return nil, damaged(path, "header: %v", err)
	}
	body := append(append([]byte(nil), head[len(magic):]...), meta[:n]...)
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(meta[n:]) {
		return nil, damaged(path, "header checksum mismatch")
	}
	var got Key
	if err := json.Unmarshal(meta[:n], &got); err != nil {
		return nil, damaged(path, "header: %v", err)
	}
	if got != k {
		return nil, damaged(path, "header belongs to %+v, not %+v", got, k)
	}
	l := &log{
		path:   path,
		dim:    dim,
		width:  k.width(),
		recLen: int64(sha256.Size + k.width()*dim + 4),
		f:      f,
		size:   int64(len(magic) + 8 + n + 4),
		index:  map[Hash]int64{},
	}
	l.first = l.size
	rec := make([]byte, l.recLen)
	off := l.size       // offset of the record being read
	var suspect []int64 // offsets of bad records since the last good one
	for {
		_, err := io.ReadFull(r, rec)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cache: %s: record %d at byte %d: %w", path, l.recNo(off), off, err)
		}
		if !recordOK(rec) {
			suspect = append(suspect, off)
			off += l.recLen
			continue
		}
		// A good record: the bad ones before it were damaged in place.
		for _, bad := range suspect {
			if err := l.skipDamaged(bad, owner, warn); err != nil {
				return nil, err
			}
		}
		suspect = suspect[:0]
		var h Hash
		copy(h[:], rec)
		if h != (Hash{}) { // a hole
			l.index[h] = off
		}
		off += l.recLen
		l.size = off
	}
	if !owner {
		return l, nil
	}
	// Torn tail: everything after the last good record.
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("cache: %s: %w", path, err)
	} else if fi.Size() > l.size {
		if len(suspect) > 0 {
			fmt.Fprintf(warn, "cache: %s: dropping %d unreadable record(s) at the end (%d-%d, an interrupted write); their texts will be encoded again\n",
				path, len(suspect), l.recNo(suspect[0]), l.recNo(suspect[len(suspect)-1]))
		}
		if err := f.Truncate(l.size); err != nil {
			return nil, fmt.Errorf("cache: %s: truncating torn tail at %d: %w", path, l.size, err)
		}
	}
	return l, nil
}

// recNo is the number (from 1) of the record at byte off.
func (l *log) recNo(off int64) int64 { return (off-l.first)/l.recLen + 1 }

// skipDamaged reports the damaged record at off and, as the lock owner,
// overwrites it with a hole.
func (l *log) skipDamaged(off int64, owner bool, warn io.Writer) error {
	fmt.Fprintf(warn, "cache: %s: record %d (byte %d) is damaged (checksum mismatch); skipped, its text will be encoded again\n",
		l.path, l.recNo(off), off)
	if !owner {
		return nil
	}
	hole := make([]byte, l.recLen-4)
	hole = binary.LittleEndian.AppendUint32(hole, crc32.Checksum(hole, castagnoli))
	if _, err := l.f.WriteAt(hole, off); err != nil {
		return fmt.Errorf("cache: %s: record %d: overwriting a damaged record: %w", l.path, l.recNo(off), err)
	}
	return nil
}

func recordOK(rec []byte) bool {
	n := len(rec) - 4
	return crc32.Checksum(rec[:n], castagnoli) == binary.LittleEndian.Uint32(rec[n:])
}

// lookup is the offset of h's record, if the log serves one.
func (l *log) lookup(h Hash) (int64, bool) {
	l.mu.RLock()
	off, ok := l.index[h]
	l.mu.RUnlock()
	return off, ok && (!l.refresh || off >= l.start)
}

func (l *log) get(h Hash) ([]float32, error) {
	off, ok := l.lookup(h)
	if !ok {
		return nil, nil
	}
	rec := make([]byte, l.recLen)
	if _, err := l.f.ReadAt(rec, off); err != nil {
		return nil, fmt.Errorf("%s: record at %d: %w", l.path, off, err)
	}
	if !recordOK(rec) || !bytes.Equal(rec[:sha256.Size], h[:]) {
		return nil, fmt.Errorf("%s: record at %d changed on disk (checksum mismatch)", l.path, off)
	}
	v := make([]float32, l.dim)
	l.decode(v, rec)
	return v, nil
}

// decode reads the vector of record rec into v.
func (l *log) decode(v []float32, rec []byte) {
	b := rec[sha256.Size:]
	if l.width == 2 {
		for j := range v {
			v[j] = float16.Frombits(binary.LittleEndian.Uint16(b[2*j:])).Float32()
		}
		return
	}
	for j := range v {
		v[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
	}
}

// put appends the records of hs/vs not already present with one write.
func (l *log) put(hs []Hash, vs [][]float32) error {
	for i, v := range vs {
		if len(v) != l.dim {
			return fmt.Errorf("%s: vector %d has dimension %d, log holds %d", l.path, i, len(v), l.dim)
		}
	}
	if l.readOnly {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := make([]byte, 0, int64(len(vs))*l.recLen)
	fresh := map[Hash]int64{}
	for i, v := range vs {
		h := hs[i]
		if off, dup := l.index[h]; dup && (!l.refresh || off >= l.start) {
			continue
		}
		if _, dup := fresh[h]; dup {
			continue
		}
		fresh[h] = l.size + int64(len(buf))
		start := len(buf)
		buf = append(buf, h[:]...)
		for _, x := range v {
			if l.width == 2 {
				buf = binary.LittleEndian.AppendUint16(buf, float16.Fromfloat32(x).Bits())
			} else {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
			}
		}
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
	}
	if len(buf) == 0 {
		return nil
	}
	if _, err := l.f.WriteAt(buf, l.size); err != nil {
		// Leave no partial record behind for a later append to follow.
		_ = l.f.Truncate(l.size)
		return fmt.Errorf("%s: append: %w", l.path, err)
	}
	for h, off := range fresh {
		l.index[h] = off
	}
	l.size += int64(len(buf))
	return nil
}
