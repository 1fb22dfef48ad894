package httpenc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
)

var ctx = context.Background()

func baseURL(api, server string) string {
	if api == OpenAI {
		return server + "/v1"
	}
	return server
}

// newEnc builds an encoder on f's server with fast, recorded backoff.
func newEnc(t testing.TB, f *fake, mod func(*Config)) (*Encoder, *[]time.Duration) {
	t.Helper()
	s := f.start(t)
	cfg := Config{API: f.api, URL: baseURL(f.api, s.URL), Model: "m", Dim: f.dim, Normalize: true, Backoff: 8 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	e, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var mu sync.Mutex
	waits := &[]time.Duration{}
	e.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return e, waits
}

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("text number %d", i)
	}
	return out
}

func checkVecs(t *testing.T, got [][]float32, in []string, prompt string, dim int) {
	t.Helper()
	if len(got) != len(in) {
		t.Fatalf("%d vectors for %d texts", len(got), len(in))
	}
	for i, s := range in {
		if !cmp.Equal(got[i], unit(fakeVec(prompt+s, dim))) {
			t.Fatalf("vector %d is not the vector of %q (order lost?)", i, prompt+s)
		}
	}
}

func TestAPIs(t *testing.T) {
	tests := []struct {
		name string
		f    *fake
		mod  func(*Config)
	}{
		{"openai base64 shuffled", &fake{api: OpenAI, dim: 16, shuffle: true}, nil},
		{"openai float", &fake{api: OpenAI, dim: 16, shuffle: true}, func(c *Config) { c.Encoding = "float" }},
		{"openai float answer to base64 request", &fake{api: OpenAI, dim: 16, float: true}, nil},
		{"tei", &fake{api: TEI, dim: 8}, nil},
		{"ollama", &fake{api: Ollama, dim: 12}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			e, _ := newEnc(t, f, func(c *Config) {
				c.MaxBatch = 7
				if tc.mod != nil {
					tc.mod(c)
				}
			})
			in := texts(100)
			got, err := e.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: in})
			if err != nil {
				t.Fatal(err)
			}
			checkVecs(t, got, in, "", f.dim)
			if f.requests != 15 { // ceil(100/7)
				t.Errorf("%d requests, want 15", f.requests)
			}
			for _, b := range f.batches {
				if b > 7 {
					t.Errorf("batch of %d > MaxBatch 7", b)
				}
			}
		})
	}
}

func TestDimensionProbe(t *testing.T) {
	f := &fake{api: TEI, dim: 24}
	s := f.start(t)
	e, err := New(ctx, Config{API: TEI, URL: s.URL})
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 24 || f.requests != 1 {
		t.Errorf("dim %d after %d requests; want 24 after 1", e.Dim(), f.requests)
	}
	id := e.Identity()
	if id.Kind != "http" || id.Dim != 24 || id.Extra["api"] != TEI || id.Extra["truncate"] != "true" {
		t.Errorf("identity %+v", id)
	}
	// A server answering another size than configured is an error naming the text.
	e2, err := New(ctx, Config{API: TEI, URL: s.URL, Dim: 10})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e2.Encode(ctx, adapters.Request{Texts: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "text 0: server returned 24 dimensions, want 10") {
		t.Errorf("err = %v", err)
	}
}

func TestPromptsClientSide(t *testing.T) {
	f := &fake{api: OpenAI, dim: 4}
	e, _ := newEnc(t, f, func(c *Config) {
		c.Prompts = map[string]string{"query": "query: ", "document": "passage: ", "Quirky:query": "Q! "}
	})
	in := []string{"a", "b"}
	for _, tc := range []struct {
		role   adapters.Role
		task   string
		prompt string
	}{{adapters.RoleQuery, "", "query: "}, {adapters.RoleDocument, "X", "passage: "}, {adapters.RoleQuery, "Quirky", "Q! "}} {
		got, err := e.Encode(ctx, adapters.Request{Role: tc.role, Task: tc.task, Texts: in})
		if err != nil {
			t.Fatal(err)
		}
		checkVecs(t, got, in, tc.prompt, 4)
	}
	if diff := cmp.Diff([]string{"query: a", "query: b", "passage: a", "passage: b", "Q! a", "Q! b"}, f.inputs); diff != "" {
		t.Errorf("server inputs (-want +got):\n%s", diff)
	}
}

func TestRetries(t *testing.T) {
	t.Run("429 with Retry-After", func(t *testing.T) {
		f := &fake{api: OpenAI, dim: 4, script: []canned{{status: 429, retryAfter: "3"}, {status: 429, retryAfter: "0.25"}}}
		e, waits := newEnc(t, f, nil)
		got, err := e.Encode(ctx, adapters.Request{Texts: []string{"x"}})
		if err != nil {
			t.Fatal(err)
		}
		checkVecs(t, got, []string{"x"}, "", 4)
		if diff := cmp.Diff([]time.Duration{3 * time.Second, 250 * time.Millisecond}, *waits); diff != "" {
			t.Errorf("waits (-want +got):\n%s", diff)
		}
	})
	t.Run("500 then success, exponential backoff", func(t *testing.T) {
		f := &fake{api: TEI, dim: 4, script: []canned{{status: 500}, {status: 502, body: "<html>bad gateway</html>"}, {status: 503}}}
		e, waits := newEnc(t, f, nil)
		if _, err := e.Encode(ctx, adapters.Request{Texts: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		if len(*waits) != 3 {
			t.Fatalf("waits %v, want 3", *waits)
		}
		for i, w := range *waits {
			hi := 8 * time.Millisecond << i
			if w < hi/2 || w > hi {
				t.Errorf("wait %d = %v, want in [%v, %v]", i, w, hi/2, hi)
			}
		}
	})
	t.Run("gives up after MaxRetries", func(t *testing.T) {
		f := &fake{api: Ollama, dim: 4}
		for range 10 {
			f.script = append(f.script, canned{status: 500, body: `{"error": "model runner crashed"}`})
		}
		e, _ := newEnc(t, f, func(c *Config) { c.MaxRetries = 3 })
		_, err := e.Encode(ctx, adapters.Request{Texts: []string{"x"}})
		if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts: HTTP 500: model runner crashed") {
			t.Errorf("err = %v", err)
		}
		if f.requests != 4 {
			t.Errorf("%d requests, want 4", f.requests)
		}
	})
	t.Run("client timeout is retried", func(t *testing.T) {
		f := &fake{api: TEI, dim: 4, script: []canned{{sleep: 2 * time.Second}}}
		e, waits := newEnc(t, f, func(c *Config) { c.Timeout = 100 * time.Millisecond })
		if _, err := e.Encode(ctx, adapters.Request{Texts: []string{"x"}}); err != nil {
			t.Fatal(err)
		}
		if len(*waits) != 1 || f.requests != 2 {
			t.Errorf("waits %v, requests %d; want one retry", *waits, f.requests)
		}
	})
	t.Run("connection refused is retried then reported", func(t *testing.T) {
		f := &fake{api: TEI, dim: 4}
		e, waits := newEnc(t, f, func(c *Config) { c.MaxRetries = 2 })
		e.cfg.URL = "http://127.0.0.1:1" // nothing listens on port 1
		_, err := e.Encode(ctx, adapters.Request{Texts: []string{"x"}})
		if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") || len(*waits) != 2 {
			t.Errorf("err = %v, waits %v", err, *waits)
		}
	})
}

func TestTransientNetErr(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "http://h/embed", Err: err} }
	tests := []struct {
		err  error
		want bool
	}{
		{wrap(&net.DNSError{Err: "no such host", Name: "h", IsNotFound: true}), false},
		{wrap(&net.DNSError{Err: "i/o timeout", Name: "h", IsTimeout: true}), true},
		{wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{wrap(io.ErrUnexpectedEOF), true},
		{wrap(errors.New("unsupported protocol scheme")), false},
	}
	for _, tc := range tests {
		if got := transientNetErr(tc.err); got != tc.want {
			t.Errorf("transientNetErr(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestClientErrorsFailAtOnce(t *testing.T) {
	for _, api := range []string{OpenAI, TEI, Ollama} {
		t.Run(api, func(t *testing.T) {
			f := &fake{api: api, dim: 4, script: []canned{{status: 400, body: string(mustJSON((&fake{api: api}).errBody("input contains invalid token ids")))}}}
			e, waits := newEnc(t, f, nil)
			_, err := e.Encode(ctx, adapters.Request{Texts: texts(3)})
			if err == nil || !strings.Contains(err.Error(), "texts 0..2: HTTP 400: input contains invalid token ids") {
				t.Errorf("err = %v", err)
			}
			if f.requests != 1 || len(*waits) != 0 {
				t.Errorf("%d requests, waits %v; a 400 must not be retried", f.requests, *waits)
			}
		})
	}
	t.Run("missing API key", func(t *testing.T) {
		f := &fake{api: OpenAI, dim: 4, key: "sekret"}
		s := f.start(t)
		_, err := New(ctx, Config{API: OpenAI, URL: s.URL + "/v1", Model: "m"})
		if err == nil || !strings.Contains(err.Error(), "HTTP 401: Incorrect API key provided") {
			t.Errorf("err = %v", err)
		}
		e, err := New(ctx, Config{API: OpenAI, URL: s.URL + "/v1", Model: "m", APIKey: "sekret"})
		if err != nil || e.Dim() != 4 {
			t.Errorf("with the key: %v", err)
		}
	})
	t.Run("wrong path", func(t *testing.T) {
		f := &fake{api: OpenAI, dim: 4}
		s := f.start(t)
		_, err := New(ctx, Config{API: OpenAI, URL: s.URL, Model: "m"}) // forgot /v1
		if err == nil || !strings.Contains(err.Error(), "HTTP 404: no route POST /embeddings") {
			t.Errorf("err = %v", err)
		}
	})
}

func mustJSON(v any) []byte {
	b, err := jsonMarshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestShrinkOn413(t *testing.T) {
	f := &fake{api: TEI, dim: 4, maxBatch: 10}
	e, _ := newEnc(t, f, func(c *Config) { c.MaxBatch = 64; c.Concurrency = 1 })
	in := texts(100)
	got, err := e.Encode(ctx, adapters.Request{Texts: in})
	if err != nil {
		t.Fatal(err)
	}
	checkVecs(t, got, in, "", 4)
	if e.BatchSize() != 8 { // 64 -> 32 -> 16 -> 8
		t.Errorf("batch size %d, want 8", e.BatchSize())
	}
	first413 := f.status[413]
	if first413 != 3 {
		t.Errorf("%d answers 413, want 3 (64, 32, 16)", first413)
	}
	// Remembered: the next call sends batches of 8 straight away.
	if _, err := e.Encode(ctx, adapters.Request{Texts: in}); err != nil {
		t.Fatal(err)
	}
	if f.status[413] != first413 {
		t.Errorf("second Encode got %d more 413s", f.status[413]-first413)
	}

	t.Run("422 from token limits, concurrent", func(t *testing.T) {
		f := &fake{api: OpenAI, dim: 4, maxChars: 200, shuffle: true}
		e, _ := newEnc(t, f, func(c *Config) { c.MaxBatch = 64; c.Concurrency = 4 })
		in := texts(300) // ~14-16 characters each
		got, err := e.Encode(ctx, adapters.Request{Texts: in})
		if err != nil {
			t.Fatal(err)
		}
		checkVecs(t, got, in, "", 4)
		if e.BatchSize() > 13 {
			t.Errorf("batch size %d, want <= 13 (200 characters)", e.BatchSize())
		}
	})
	t.Run("a text too large alone", func(t *testing.T) {
		f := &fake{api: TEI, dim: 4, maxChars: 50}
		e, _ := newEnc(t, f, nil)
		in := []string{"short", "short too", strings.Repeat("long ", 20), "fine"}
		_, err := e.Encode(ctx, adapters.Request{Texts: in})
		if err == nil || !strings.Contains(err.Error(), "text 2 is too large for the server even alone (HTTP 413: input is too long: 100 tokens > 50)") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestConcurrencyBound(t *testing.T) {
	f := &fake{api: Ollama, dim: 4, delay: 20 * time.Millisecond}
	e, _ := newEnc(t, f, func(c *Config) { c.MaxBatch = 5; c.Concurrency = 3 })
	in := texts(60)
	got, err := e.Encode(ctx, adapters.Request{Texts: in})
	if err != nil {
		t.Fatal(err)
	}
	checkVecs(t, got, in, "", 4)
	if f.maxInFlight > 3 || f.maxInFlight < 2 {
		t.Errorf("max in flight %d, want 2..3", f.maxInFlight)
	}
}

func TestCancel(t *testing.T) {
	f := &fake{api: TEI, dim: 4, script: []canned{{status: 503, retryAfter: "60"}}}
	s := f.start(t)
	e, err := New(ctx, Config{API: TEI, URL: s.URL, Dim: 4, MaxBackoff: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = e.Encode(cctx, adapters.Request{Texts: []string{"x"}})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v; want the context's error, promptly", err, time.Since(start))
	}
}

func TestBadResponses(t *testing.T) {
	tests := []struct {
		name, api, body, want string
	}{
		{"count", TEI, `[[1,2]]`, "server returned 1 embeddings for 2 inputs"},
		{"NaN-ish", Ollama, `{"embeddings": [[1,2],[0,0]]}`, "text 1: server returned a zero vector"},
		{"index repeated", OpenAI, `{"data": [{"index": 0, "embedding": [1,2]}, {"index": 0, "embedding": [1,2]}]}`, "index 0 (out of range or repeated)"},
		{"base64 garbage", OpenAI, `{"data": [{"index": 1, "embedding": "!!"}, {"index": 0, "embedding": [1,2]}]}`, "text 1: base64 embedding"},
		{"not json", TEI, `<html>`, "bad response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{api: tc.api, dim: 2, script: []canned{{status: 200, body: tc.body}}}
			e, _ := newEnc(t, f, nil)
			_, err := e.Encode(ctx, adapters.Request{Texts: []string{"a", "b"}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := retryAfter(now.Add(7*time.Second).Format(http1123), now); got != 7*time.Second {
		t.Errorf("date: %v", got)
	}
	for _, h := range []string{"", "soon", "-3"} {
		if got := retryAfter(h, now); got != 0 {
			t.Errorf("retryAfter(%q) = %v", h, got)
		}
	}
}

func TestParseSpec(t *testing.T) {
	t.Setenv("MIMO_TEST_KEY", "k123")
	tests := []struct {
		spec string
		want Config
		err  string
	}{
		{"openai+http://localhost:8000/v1?model=intfloat/multilingual-e5-large&batch=16&key_env=MIMO_TEST_KEY&query_prompt=query:+",
			Config{API: OpenAI, URL: "http://localhost:8000/v1", Model: "intfloat/multilingual-e5-large", MaxBatch: 16, APIKey: "k123", Normalize: true, Prompts: map[string]string{"query": "query: "}}, ""},
		{"tei+https://tei.example.com", Config{API: TEI, URL: "https://tei.example.com", Normalize: true}, ""},
		{"ollama+http://localhost:11434?model=bge-m3&dim=1024&concurrency=2", Config{API: Ollama, URL: "http://localhost:11434", Model: "bge-m3", Dim: 1024, Concurrency: 2, Normalize: true}, ""},
		{"cohere+http://x", Config{}, "want {openai|tei|ollama}+http(s)://"},
		{"openai+ftp://x", Config{}, "want {openai|tei|ollama}"},
		{"tei+http://x?batch=0", Config{}, "parameter batch=\"0\": want a positive integer"},
		{"tei+http://x?colour=red", Config{}, `unknown parameter "colour"`},
		{"openai+http://x/v1?model=m&key_env=MIMO_UNSET_VAR", Config{}, "MIMO_UNSET_VAR (named by key_env) is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseSpec(tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if !IsSpec("tei+http://h") || IsSpec("/models/e5") || IsSpec("hf:org/name") {
		t.Error("IsSpec")
	}
}

func TestSpecAndFolderOpen(t *testing.T) {
	f := &fake{api: OpenAI, dim: 6, key: "abc"}
	s := f.start(t)
	t.Setenv("MIMO_TEST_KEY", "abc")
	e, err := Open(ctx, "openai+"+s.URL+"/v1?model=mini&key_env=MIMO_TEST_KEY")
	if err != nil {
		t.Fatal(err)
	}
	if e.Dim() != 6 || e.Identity().Name != "mini" {
		t.Errorf("dim %d, identity %+v", e.Dim(), e.Identity())
	}

	dir := t.TempDir()
	js := fmt.Sprintf(`{"kind": "http", "api": "openai", "url": %q, "model": "mini", "name": "org/mini", "dim": 6,
		"prompts": {"query": "q: "}, "options": {"api_key_env": "MIMO_TEST_KEY", "max_batch": 3, "concurrency": 2, "encoding": "float"}}`, s.URL+"/v1")
	if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	fo, err := adapters.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := adapters.OpenFolder(ctx, fo, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	got, err := enc.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: texts(7)})
	if err != nil {
		t.Fatal(err)
	}
	checkVecs(t, got, texts(7), "q: ", 6)
	if id := enc.Identity(); id.Name != "org/mini" || id.Prompts["query"] != "q: " || id.Extra["model"] != "mini" {
		t.Errorf("identity %+v", id)
	}
	if enc.(*Encoder).BatchSize() != 3 {
		t.Errorf("batch %d, want 3", enc.(*Encoder).BatchSize())
	}

	for _, bad := range []struct{ opts, want string }{
		{`{"max_batch": 0}`, `option "max_batch": want a positive integer`},
		{`{"colour": "red"}`, `unknown option "colour"`},
		{`{"truncate": "yes"}`, `option "truncate": want true or false`},
	} {
		js := fmt.Sprintf(`{"kind": "http", "api": "tei", "url": %q, "options": %s}`, s.URL, bad.opts)
		if err := os.WriteFile(filepath.Join(dir, adapters.FolderFile), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		fo, _ := adapters.ReadFolder(dir)
		if _, err := adapters.OpenFolder(ctx, fo, adapters.Options{}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v", bad.opts, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "http://x"}, "api is missing"},
		{Config{API: "grpc", URL: "http://x"}, `unknown api "grpc"`},
		{Config{API: TEI}, "url is missing"},
		{Config{API: TEI, URL: "localhost:8080"}, "not an http(s) URL"},
		{Config{API: OpenAI, URL: "http://x/v1"}, "needs a model name"},
		{Config{API: TEI, URL: "http://user:pw@x"}, "carries credentials"},
		{Config{API: OpenAI, URL: "http://x", Model: "m", Encoding: "int8"}, `encoding "int8"`},
	} {
		if _, err := New(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func BenchmarkEncodeTEI(b *testing.B) {
	f := &fake{api: TEI, dim: 384}
	e, _ := newEnc(b, f, func(c *Config) { c.MaxBatch = 32 })
	in := texts(512)
	for b.Loop() {
		if _, err := e.Encode(ctx, adapters.Request{Texts: in}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOpenAI(b *testing.B) {
	for _, format := range []string{"base64", "float"} {
		b.Run(format, func(b *testing.B) {
			f := &fake{api: OpenAI, dim: 1024}
			e, _ := newEnc(b, f, func(c *Config) { c.MaxBatch = 64; c.Encoding = format })
			in := texts(64)
			for b.Loop() {
				if _, err := e.Encode(ctx, adapters.Request{Texts: in}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
