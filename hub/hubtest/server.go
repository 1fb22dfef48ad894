// Package hubtest serves a folder as a Hugging Face Hub, in the Hub's URL
// layout, so tests run the real hub client (and the benchmark builders on
// top of it) without the network.
//
// The folder is laid out as root/<datasets|models>/<repo>/<files>, e.g.
// root/datasets/facebook/belebele/data/eng_Latn.jsonl. The server answers
//
//	HEAD|GET /datasets/{repo}/resolve/{revision}/{path}   (models: /{repo}/resolve/...)
//	GET      /api/{datasets|models}/{repo}/tree/{revision}[/{path}]?recursive=true
//
// like the Hub: small files are served directly with a git-blob ETag;
// "LFS" files (at least LFSThreshold bytes, or a .parquet/.gz/.zip/.bin/
// .safetensors/.onnx file) answer 302 to a CDN path with X-Linked-Etag (the
// SHA-256), X-Linked-Size and X-Repo-Commit; Range requests get 206; errors
// carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound); the
// tree API pages with Link: <...>; rel="next".
//
// Faults are injected at run time (FailNext, TruncateNext, CorruptFile,
// SetDelay, RequireToken) and every request is recorded (Requests, Count),
// so a test can assert what went over the wire. A typical builder test:
//
//	root := t.TempDir()
//	hubtest.WriteRepo(t, root, hub.Dataset, "facebook/belebele", map[string]string{"data/eng_Latn.jsonl": "..."})
//	srv := hubtest.NewServer(t, root)
//	src := HubSource{Client: hubtest.NewClient(t, srv)}
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mimo-mlir/mimo/hub"
)

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // unescaped URL path
	Query  string
	Range  string // the Range header
	Auth   string // the Authorization header
	Status int    // the status answered
}

// Server is a fake Hub over a folder. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	root string

	// LFSThreshold: files at least this large are served as LFS files
	// (302 to the CDN path, X-Linked-Etag = SHA-256). Default 4096.
	LFSThreshold int64
	// PageSize is the number of tree entries per API page. Default 50.
	PageSize int

	mu        sync.Mutex
	log       []Request
	fails     []fault
	truncates []truncation
	logGen    int // bumped by ResetLog, so a late status lands in no other log
	corrupt   map[string]bool
	delay     time.Duration
	token     string
	revisions map[string]bool
	gated     map[string]bool
}

type fault struct {
	status     int
	retryAfter string
	match      string
}

type truncation struct {
	after int64
	match string
}

// Option configures a Server.
type Option func(*Server)

// WithLFSThreshold sets the size from which files are served as LFS files.
func WithLFSThreshold(n int64) Option { return func(s *Server) { s.LFSThreshold = n } }

// WithPageSize sets the number of tree API entries per page.
func WithPageSize(n int) Option { return func(s *Server) { s.PageSize = n } }

// WithRevisions makes only these revisions exist (others answer 404
// RevisionNotFound). By default every revision name serves the folder.
func WithRevisions(revs ...string) Option {
	return func(s *Server) {
		s.revisions = map[string]bool{}
		for _, r := range revs {
			s.revisions[r] = true
		}
	}
}

// WithGated makes a repository gated: requests without the server's token
// (see WithToken; with none, every request) answer 403 GatedRepo.
func WithGated(repo string) Option {
	return func(s *Server) {
		if s.gated == nil {
			s.gated = map[string]bool{}
		}
		s.gated[repo] = true
	}
}

func (s *Server) isGated(p string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for repo := range s.gated {
		if strings.Contains(p, "/"+repo+"/") {
			return true
		}
	}
	return false
}

// WithToken makes every resolve and API request need "Authorization:
// Bearer token", as a private repository does: anonymous requests get 401
// RepoNotFound (the Hub hides private repositories), a wrong token 401
// "Invalid credentials".
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// NewServer starts a fake Hub over root and closes it when the test ends.
func NewServer(t testing.TB, root string, opts ...Option) *Server {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{root: abs, LFSThreshold: 4096, PageSize: 50, corrupt: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// NewClient returns a hub client for srv with a fresh cache under
// t.TempDir(), fast retries, no progress output and the server's token;
// opts are applied last. Environment variables are ignored.
func NewClient(t testing.TB, srv *Server, opts ...hub.Option) *hub.Client {
	t.Helper()
	base := []hub.Option{
		hub.WithEndpoint(srv.URL),
		hub.WithCacheDir(t.TempDir()),
		hub.WithOffline(false),
		hub.WithToken(srv.Token()),
		hub.WithBackoff(time.Millisecond, 10*time.Millisecond),
		hub.WithProgress(nil),
		hub.WithTimeout(5 * time.Second),
	}
	c, err := hub.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// WriteRepo writes files (path -> content) under root in the server's
// layout for a repository of kind.
func WriteRepo(t testing.TB, root string, kind hub.RepoKind, repo string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, kindDir(kind), filepath.FromSlash(repo), filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func kindDir(k hub.RepoKind) string {
	if k == hub.Model {
		return "models"
	}
	return "datasets"
}

// Token returns the token the server requires ("" when none).
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// RequireToken changes the token the server requires ("" for none).
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// FailNext makes the next n requests whose path contains match ("" for
// any) answer status, with a Retry-After header when retryAfter is not "".
func (s *Server) FailNext(n, status int, retryAfter, match string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.fails = append(s.fails, fault{status, retryAfter, match})
	}
}

// TruncateNext makes the next n file bodies whose path contains match stop
// after `after` bytes and drop the connection (the headers announce the
// full length, so the client sees an unexpected EOF).
func (s *Server) TruncateNext(n int, after int64, match string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.truncates = append(s.truncates, truncation{after, match})
	}
}

// CorruptFile makes the server send p (a repository-relative path) with
// its first byte changed while announcing the true size and hashes.
func (s *Server) CorruptFile(p string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt[p] = on
}

// SetDelay makes every response wait d before its headers.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count returns how many requests had this method ("" for any) and a path
// containing match.
func (s *Server) Count(method, match string) int {
	n := 0
	for _, r := range s.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, match) {
			n++
		}
	}
	return n
}

// ResetLog forgets the recorded requests.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.logGen++
}

// Commit is the fake commit id the server reports for a repository.
func Commit(repo string) string {
	sum := sha1.Sum([]byte("commit:" + repo))
	return hex.EncodeToString(sum[:])
}

// statusWriter records the status for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	// Logged on arrival (a client may have its whole answer before a
	// deferred log line would run, and a test reading the log right after
	// the call would miss the request); the status is filled in at the end.
	s.mu.Lock()
	s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization")})
	entry, gen := len(s.log)-1, s.logGen
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.logGen == gen && entry < len(s.log) {
			s.log[entry].Status = w.status
		}
		s.mu.Unlock()
	}()
	s.mu.Lock()
	delay := s.delay
	var f *fault
	for i, ft := range s.fails {
		if strings.Contains(r.URL.Path, ft.match) {
			f = &ft
			s.fails = append(s.fails[:i:i], s.fails[i+1:]...)
			break
		}
	}
	token := s.token
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if f != nil {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, fmt.Sprintf("injected failure %d", f.status), f.status)
		return
	}
	segs := splitEscaped(r.URL.EscapedPath())
	if len(segs) > 0 && segs[0] == "cdn" {
		s.serveCDN(w, r, segs[1:])
		return
	}
	if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
		if r.Header.Get("Authorization") == "" {
			// The Hub hides private repositories from anonymous callers.
			hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository Not Found")
			return
		}
		w.Header().Set("X-Error-Message", "Invalid credentials in Authorization header")
		http.Error(w, "Invalid credentials in Authorization header", http.StatusUnauthorized)
		return
	}
	if gated := s.isGated(r.URL.Path); gated && (token == "" || r.Header.Get("Authorization") != "Bearer "+token) {
		hubError(w, http.StatusForbidden, "GatedRepo", "Access to this repository is restricted: you must accept its conditions")
		return
	}
	if len(segs) > 2 && segs[0] == "api" && (segs[1] == "datasets" || segs[1] == "models") {
		s.serveTree(w, r, segs[1], segs[2:])
		return
	}
	kind := "models"
	if len(segs) > 0 && segs[0] == "datasets" {
		kind, segs = "datasets", segs[1:]
	}
	s.serveResolve(w, r, kind, segs)
}

// splitEscaped splits an escaped URL path into unescaped segments, so an
// escaped "/" inside a revision (refs%2Fconvert%2Fparquet) stays in its
// segment.
func splitEscaped(p string) []string {
	var out []string
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			u = s
		}
		out = append(out, u)
	}
	return out
}

// splitRepo finds "{repo}/{verb}/{revision}/..." with a one- or two-part
// repository id.
func splitRepo(segs []string, verb string) (repo, rev string, rest []string, ok bool) {
	for n := 1; n <= 2; n++ {
		if len(segs) > n+1 && segs[n] == verb {
			return strings.Join(segs[:n], "/"), segs[n+1], segs[n+2:], true
		}
	}
	return "", "", nil, false
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Error-Code", code)
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, msg, status)
}

// locate checks repository, revision and file, answering the Hub's 404s.
func (s *Server) locate(w http.ResponseWriter, kind, repo, rev string) (string, bool) {
	dir := filepath.Join(s.root, kind, filepath.FromSlash(repo))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || strings.Contains(repo, "..") {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return "", false
	}
	s.mu.Lock()
	revs := s.revisions
	s.mu.Unlock()
	if revs != nil && !revs[rev] && rev != Commit(repo) {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return "", false
	}
	return dir, true
}

func (s *Server) isLFS(p string, size int64) bool {
	switch path.Ext(p) {
	case ".parquet", ".gz", ".zip", ".bin", ".safetensors", ".onnx":
		return true
	}
	return size >= s.LFSThreshold
}

// gitBlobSHA is git's object id of a blob.
func gitBlobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, kind string, segs []string) {
	repo, rev, rest, ok := splitRepo(segs, "resolve")
	if !ok || len(rest) == 0 {
		http.Error(w, "not a resolve URL", http.StatusNotFound)
		return
	}
	dir, ok := s.locate(w, kind, repo, rev)
	if !ok {
		return
	}
	p := strings.Join(rest, "/")
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
	if err != nil || strings.Contains(p, "..") {
		hubError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", p, rev))
		return
	}
	w.Header().Set("X-Repo-Commit", Commit(repo))
	if s.isLFS(p, int64(len(data))) {
		w.Header().Set("X-Linked-Etag", `"`+sha256Hex(data)+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(data)))
		w.Header().Set("ETag", `"`+gitBlobSHA([]byte("version https://git-lfs.github.com/spec/v1\noid sha256:"+sha256Hex(data)))+`"`)
		// The Hub redirects LFS files to an absolute, signed CDN URL.
		w.Header().Set("Location", "http://"+r.Host+"/cdn/"+kind+"/"+repo+"/"+Commit(repo)+"/"+escapePath(p)+"?X-Amz-Signature=fake")
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+gitBlobSHA(data)+`"`)
	s.writeBody(w, r, p, data)
}

// serveCDN serves /cdn/{kind}/{repo}/{commit}/{path}: no auth, Range.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) < 4 {
		http.Error(w, "bad CDN path", http.StatusNotFound)
		return
	}
	kind := segs[0]
	var repo string
	var rest []string
	for n := 1; n <= 2 && len(segs) > n+2; n++ { // kind, repo (1 or 2 parts), commit, path...
		if segs[n+1] == Commit(strings.Join(segs[1:n+1], "/")) {
			repo, rest = strings.Join(segs[1:n+1], "/"), segs[n+2:]
			break
		}
	}
	if repo == "" {
		http.Error(w, "bad CDN path", http.StatusNotFound)
		return
	}
	p := strings.Join(rest, "/")
	data, err := os.ReadFile(filepath.Join(s.root, kind, filepath.FromSlash(repo), filepath.FromSlash(p)))
	if err != nil || strings.Contains(p, "..") {
		http.Error(w, "NoSuchKey", http.StatusNotFound)
		return
	}
	w.Header().Set("ETag", `"`+sha256Hex(data)+`"`)
	s.writeBody(w, r, p, data)
}

// writeBody answers a GET or HEAD for data, honouring "Range: bytes=N-" and
// "bytes=N-M", and applying corruption and truncation faults.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, p string, data []byte) {
	s.mu.Lock()
	if s.corrupt[p] && len(data) > 0 {
		data = append([]byte{data[0] ^ 0xff}, data[1:]...)
	}
	cut := int64(-1)
	if r.Method == http.MethodGet {
		for i, t := range s.truncates {
			if strings.Contains(r.URL.Path, t.match) {
				cut = t.after
				s.truncates = append(s.truncates[:i:i], s.truncates[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Accept-Ranges", "bytes")
	start, end, status := int64(0), int64(len(data)), http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		a, b, ok := parseRange(rg, int64(len(data)))
		if !ok {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, end, status = a, b, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b-1, len(data)))
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(end-start, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	body := data[start:end]
	if cut >= 0 && cut < int64(len(body)) {
		_, _ = w.Write(body[:cut]) // a client gone mid-body is what this simulates
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	_, _ = w.Write(body) // the client sees a short body if this fails
}

// Flush lets truncation push the partial body out before aborting.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// parseRange reads a single "bytes=N-" or "bytes=N-M" range.
func parseRange(v string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end = size
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e+1, size)
	}
	return start, end, true
}

// serveTree answers the tree API with the Hub's entry shape and paging.
func (s *Server) serveTree(w http.ResponseWriter, r *http.Request, kind string, segs []string) {
	repo, rev, rest, ok := splitRepo(segs, "tree")
	if !ok {
		http.Error(w, "not a tree URL", http.StatusNotFound)
		return
	}
	dir, ok := s.locate(w, kind, repo, rev)
	if !ok {
		return
	}
	sub := strings.Join(rest, "/")
	recursive := r.URL.Query().Get("recursive")
	rec := recursive == "true" || recursive == "True" || recursive == "1"
	var entries []hub.TreeEntry
	// A repository folder may be a symbolic link (to real data outside the
	// test's temporary root); walk what it points to.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	base := filepath.Join(dir, filepath.FromSlash(sub))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == base {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			entries = append(entries, hub.TreeEntry{Type: "directory", OID: gitBlobSHA([]byte("tree:" + rel)), Path: rel})
			if !rec {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		e := hub.TreeEntry{Type: "file", OID: gitBlobSHA(data), Size: int64(len(data)), Path: rel}
		if s.isLFS(rel, int64(len(data))) {
			e.LFS = &hub.TreeLFS{OID: sha256Hex(data), Size: int64(len(data)), PointerSize: 134}
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		hubError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", sub, rev))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	cursor := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > len(entries) {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		cursor = n
	}
	end := min(cursor+s.PageSize, len(entries))
	if end < len(entries) {
		q := r.URL.Query()
		q.Set("cursor", strconv.Itoa(end))
		next := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: q.Encode()}
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	w.Header().Set("Content-Type", "application/json")
	page := entries[cursor:end]
	if page == nil {
		page = []hub.TreeEntry{}
	}
	_ = json.NewEncoder(w).Encode(page) // the client sees bad JSON if this fails
}
