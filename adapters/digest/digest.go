// Package digest hashes the files that make a model's vectors (weights,
// tokenizer, config, ONNX external data) so that the embedding cache and
// the result files can be keyed on their content, not on a name or a
// revision a folder declares.
//
// The mental model: FileSum is the SHA-256 of a file's bytes. Reading a
// multi-gigabyte model on every run would be slow, so a Memo remembers each
// file's sum next to what stat says about it (size, modification time,
// inode, change time); while those are unchanged, the sum is served from the
// memo without reading the file. A memo lives in one small JSON file
// (MemoFile, under the embedding cache folder), rewritten atomically; a
// missing or unreadable memo only costs a re-read.
//
// Like git's index, the memo does not trust a stat that is too fresh: a file
// modified less than RacyWindow before it was hashed could be modified again
// within the file system's timestamp granularity without any stat field
// changing, so its sum is not remembered (it is re-read next time).
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/mimo-mlir/mimo/internal/atomicfile"
)

// MemoFile is the name of the memo inside its folder.
const MemoFile = "file-digests.json"

// maxEntries bounds the memo: beyond it the least recently used entries are
// dropped (each is about 250 bytes, so the file stays under about 1 MB).
var maxEntries = 4096

// maxMemoBytes is the largest memo file read; a bigger one is ignored.
const maxMemoBytes = 16 << 20

// RacyWindow is how old a file's stamp must be to be trusted: a file whose
// modification or change time is less than this before the moment it was
// hashed is not remembered.
var RacyWindow = 2 * time.Second

// onRead, when set (by tests), is called with the path of every file whose
// bytes are read to be hashed.
var onRead func(path string)

// Part is one file of a model, under the name of its role ("weights",
// "tokenizer", "config", "onnx", "onnx-data:NAME").
type Part struct {
	Name string
	Path string
}

// stamp is what stat says about a file; a memo entry is valid while the
// file's stamp is unchanged.
type stamp struct {
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	CtimeNS int64  `json:"ctime_ns,omitempty"`
	Inode   uint64 `json:"inode,omitempty"`
	Dev     uint64 `json:"dev,omitempty"`
}

type entry struct {
	stamp
	SHA256 string `json:"sha256"`
	Used   int64  `json:"used"` // unix seconds of the last use, for eviction
}

type memoFile struct {
	Version int              `json:"version"`
	Files   map[string]entry `json:"files"`
}

const memoVersion = 1

// Memo remembers file sums. It is safe for concurrent use. The zero value
// is not usable; use NewMemo or Shared.
type Memo struct {
	path string // "" for a memo that lives in memory only

	mu      sync.Mutex
	entries map[string]entry
	dirty   bool
}

// NewMemo returns a memo kept in dir/MemoFile, loaded now ("" dir: in memory
// only). A missing, damaged or foreign memo file reads as empty.
func NewMemo(dir string) *Memo {
	m := &Memo{entries: map[string]entry{}}
	if dir != "" {
		m.path = filepath.Join(dir, MemoFile)
		m.entries = load(m.path)
	}
	return m
}

var (
	sharedMu sync.Mutex
	shared   = map[string]*Memo{}
)

// Shared returns the process-wide memo of dir ("" : one in-memory memo).
func Shared(dir string) *Memo {
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if m, ok := shared[dir]; ok {
		return m
	}
	m := NewMemo(dir)
	shared[dir] = m
	return m
}

// Path is the memo's file ("" when it lives in memory only).
func (m *Memo) Path() string { return m.path }

func load(path string) map[string]entry {
	out := map[string]entry{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMemoBytes+1))
	if err != nil || len(b) > maxMemoBytes {
		return out
	}
	var mf memoFile
	if json.Unmarshal(b, &mf) != nil || mf.Version != memoVersion {
		return out
	}
	for p, e := range mf.Files {
		if len(e.SHA256) == 2*sha256.Size {
			out[p] = e
		}
	}
	return out
}

// FileSum returns the hex SHA-256 of the file at path, from the memo when
// the file's stamp is unchanged since it was hashed. It does not save the
// memo (Sum does; or call Save).
func (m *Memo) FileSum(path string) (string, error) {
	key, err := memoKey(path)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	st, err := statStamp(key)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	now := time.Now()
	m.mu.Lock()
	if e, ok := m.entries[key]; ok && e.stamp == st {
		e.Used = now.Unix()
		m.entries[key] = e
		m.mu.Unlock()
		return e.SHA256, nil
	}
	m.mu.Unlock()

	sum, err := hashFile(key)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	// Remember it only when the file did not change while it was read and
	// its stamp is old enough to be trusted.
	after, err := statStamp(key)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	if after != st {
		return "", fmt.Errorf("digest: %s changed while it was read; retry when nothing writes it", path)
	}
	racy := now.UnixNano()-st.MtimeNS < RacyWindow.Nanoseconds() ||
		st.CtimeNS != 0 && now.UnixNano()-st.CtimeNS < RacyWindow.Nanoseconds()
	m.mu.Lock()
	if racy {
		delete(m.entries, key)
	} else {
		m.entries[key] = entry{stamp: st, SHA256: sum, Used: now.Unix()}
		m.dirty = true
	}
	m.mu.Unlock()
	return sum, nil
}

// Sum is the hex SHA-256 of the model's parts: of "name\x00sha256\n" for
// each part, in the given order. Two folders holding the same bytes under
// the same roles have the same sum wherever they are. The memo is saved
// when it learned something; failing to save it is not an error (it only
// costs a re-read next time).
func (m *Memo) Sum(parts ...Part) (string, error) {
	h := sha256.New()
	for _, p := range parts {
		s, err := m.FileSum(p.Path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p.Name, err)
		}
		fmt.Fprintf(h, "%s\x00%s\n", p.Name, s)
	}
	_ = m.Save()
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Save writes the memo to its file (atomically), merged with what other
// processes wrote there since it was loaded (this memo's entries win), when
// it learned something. In-memory memos are not saved.
func (m *Memo) Save() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.path == "" || !m.dirty {
		return nil
	}
	merged := load(m.path)
	for k, e := range m.entries {
		merged[k] = e
	}
	if len(merged) > maxEntries {
		keys := make([]string, 0, len(merged))
		for k := range merged {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			ea, eb := merged[keys[a]], merged[keys[b]]
			if ea.Used != eb.Used {
				return ea.Used > eb.Used
			}
			return keys[a] < keys[b]
		})
		for _, k := range keys[maxEntries:] {
			delete(merged, k)
		}
	}
	b, err := json.MarshalIndent(memoFile{Version: memoVersion, Files: merged}, "", " ")
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := atomicfile.WriteFile(m.path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("digest: memo: %w", err)
	}
	m.entries = merged
	m.dirty = false
	return nil
}

// memoKey is the absolute path of the file path resolves to (symbolic links
// followed: a Hugging Face snapshot links to its blobs).
func memoKey(path string) (string, error) {
	if path == "" {
		return "", errors.New("empty file name")
	}
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

func statStamp(path string) (stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return stamp{}, fmt.Errorf("%s is not a regular file", path)
	}
	st := stamp{Size: fi.Size(), MtimeNS: fi.ModTime().UnixNano()}
	sysStamp(fi, &st)
	return st, nil
}

// File is the hex SHA-256 of the file at path, read now (no memo).
func File(path string) (string, error) { return hashFile(path) }

func hashFile(path string) (string, error) {
	if onRead != nil {
		onRead(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
