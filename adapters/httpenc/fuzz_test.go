package httpenc

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzServer answers every request with the response set last; one server
// serves every input of a fuzzing process.
var fuzzServer = sync.OnceValue(func() *fuzzResponder {
	r := &fuzzResponder{}
	r.srv = httptest.NewServer(r)
	return r
})

type fuzzResponder struct {
	srv *httptest.Server

	mu         sync.Mutex
	status     int
	retryAfter string
	body       []byte
}

func (r *fuzzResponder) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	status, ra, body := r.status, r.retryAfter, r.body
	r.mu.Unlock()
	if ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var fuzzAPIs = []string{OpenAI, TEI, Ollama}

// FuzzResponse parses fuzzed server answers (issue 12, "Fuzzing, in CI"):
// the body as a successful answer of each API to a batch of n texts, the
// body as an error answer, the Retry-After header, and, with viaHTTP, the
// whole answer (status, header, body) through a real request, retries and
// all. The invariant: no panic, no hang (retries do not sleep here), no
// allocation beyond the body's size; an error is non-empty; accepted
// vectors are n, of the known dimension, finite, and of unit length when
// Normalize is set.
func FuzzResponse(f *testing.F) {
	f.Add(uint8(0), uint16(200), "", []byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AACAPwAAAEA="}],"model":"m"}`), uint8(1), true, uint8(2), false)
	f.Add(uint8(0), uint16(200), "", []byte(`{"data":[{"index":1,"embedding":[0.5,0.5]},{"index":0,"embedding":[1,0]}]}`), uint8(2), false, uint8(0), true)
	f.Add(uint8(1), uint16(200), "", []byte(`[[0.1,0.2,0.3],[0.4,0.5,0.6]]`), uint8(2), true, uint8(3), true)
	f.Add(uint8(2), uint16(200), "", []byte(`{"model":"bge-m3","embeddings":[[1e-45,0]]}`), uint8(0), true, uint8(2), false)
	f.Add(uint8(0), uint16(429), "1.5", []byte(`{"error":{"message":"rate limited","type":"requests"}}`), uint8(1), false, uint8(0), true)
	f.Add(uint8(1), uint16(413), "", []byte(`{"error":"batch size 64 > maximum allowed batch size 32","error_type":"Validation"}`), uint8(3), false, uint8(0), true)
	f.Add(uint8(2), uint16(503), "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`{"detail":[{"msg":"x"}]}`), uint8(1), false, uint8(0), true)
	f.Add(uint8(0), uint16(200), "", []byte(`{"data":[{"index":0,"embedding":[NaN]}]}`), uint8(1), false, uint8(0), false)
	f.Fuzz(func(t *testing.T, api uint8, status uint16, retry string, body []byte, n uint8, normalize bool, dim uint8, viaHTTP bool) {
		if len(body)+len(retry) > 1<<20 {
			t.Skip()
		}
		cfg := Config{API: fuzzAPIs[int(api)%len(fuzzAPIs)], URL: "http://127.0.0.1:1", Model: "m", Normalize: normalize, Dim: int(dim % 16), MaxRetries: 1}
		if err := cfg.defaults(); err != nil {
			t.Fatal(err)
		}
		e := &Encoder{cfg: cfg, dim: cfg.Dim, sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
		k := int(n%8) + 1

		checkVecs := func(vecs [][]float32, err error) {
			t.Helper()
			if err != nil {
				if strings.TrimSpace(err.Error()) == "" {
					t.Fatalf("empty error %#v", err)
				}
				return
			}
			if len(vecs) != k {
				t.Fatalf("%d vectors for %d texts", len(vecs), k)
			}
			for i, v := range vecs {
				if e.dim != 0 && len(v) != e.dim {
					t.Fatalf("vector %d: %d dimensions, want %d", i, len(v), e.dim)
				}
				var ss float64
				for j, x := range v {
					if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
						t.Fatalf("vector %d: %v at dimension %d accepted", i, x, j)
					}
					ss += float64(x) * float64(x)
				}
				if normalize && math.Abs(math.Sqrt(ss)-1) > 1e-3 {
					t.Fatalf("vector %d: norm %g after normalisation", i, math.Sqrt(ss))
				}
			}
		}
		checkVecs(e.decode(append([]byte(nil), body...), k, 0))
		if msg := serverMessage(body); msg == "" {
			t.Fatal("empty server message")
		}
		if d := retryAfter(retry, time.Unix(1_700_000_000, 0)); d < 0 {
			t.Fatalf("Retry-After %q: negative wait %v", retry, d)
		}
		if !viaHTTP {
			return
		}
		code := int(status)
		if code < 200 || code > 599 {
			code = 200 + code%400
		}
		if strings.ContainsAny(retry, "\r\n\x00") {
			retry = ""
		}
		srv := fuzzServer()
		srv.mu.Lock()
		srv.status, srv.retryAfter, srv.body = code, retry, body
		srv.mu.Unlock()
		hc := e.cfg
		hc.URL, hc.Dim = srv.srv.URL, 1 // a known dimension: New sends no probe (which would sleep)
		e2, err := New(t.Context(), hc)
		if err != nil {
			t.Fatal(err)
		}
		defer e2.Close() // each Encoder has its own connection pool
		e2.dim, e2.sleep = e.dim, e.sleep
		texts := make([]string, k)
		for i := range texts {
			texts[i] = "text " + strconv.Itoa(i)
		}
		e = e2
		checkVecs(e2.post(t.Context(), texts, 0))
	})
}

// TestNormalizeSubnormal pins what FuzzResponse found
// (testdata/fuzz/FuzzResponse/subnormal-vector): a server vector of
// subnormal floats, [1e-45, 0], was normalised with a float32 inverse norm,
// which is +Inf, and came out as [+Inf, NaN] without an error.
func TestNormalizeSubnormal(t *testing.T) {
	e := &Encoder{cfg: Config{API: Ollama, Normalize: true}, dim: 2}
	vecs, err := e.decode([]byte(`{"embeddings":[[1e-45,0],[3e-39,-4e-39]]}`), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{1, 0}, {0.6, -0.8}}
	for i, v := range vecs {
		for j, x := range v {
			if math.Abs(float64(x-want[i][j])) > 1e-6 {
				t.Fatalf("vector %d = %v, want %v", i, v, want[i])
			}
		}
	}
}
