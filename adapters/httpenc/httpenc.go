// Package httpenc encodes texts through embedding servers: the OpenAI
// embeddings API (also served by vLLM, Infinity, LiteLLM, ...), Hugging
// Face's text-embeddings-inference (TEI) and Ollama.
//
// The mental model: the Encoder is a client-side batcher in front of a
// server that has limits and fails now and then. It applies the model's
// prompts itself (servers get the final strings), cuts a request into
// batches of at most the server's batch size, sends up to Concurrency
// batches at once, and puts every vector back at its text's position
// (OpenAI-style responses are reordered by their "index"). Failures are
// sorted into three kinds:
//   - transient (429, 5xx, timeouts, dropped connections): retried with
//     exponential backoff and jitter, honouring Retry-After;
//   - too large (413, 422): the batch is halved and the smaller size is
//     remembered for the rest of the Encoder's life; a single text the
//     server still refuses is an error naming it;
//   - anything else (400, 401, 404, ...): fails at once with the server's
//     own error message.
//
// # URL specs
//
// A model can be named by a URL spec, "{api}+{scheme}://{host}[:port][/path][?params]":
//
//	openai+http://localhost:8000/v1?model=intfloat/multilingual-e5-large
//	openai+https://api.openai.com/v1?model=text-embedding-3-small&key_env=OPENAI_API_KEY&dimensions=256
//	tei+http://localhost:8080
//	ollama+http://localhost:11434?model=bge-m3
//
// The part after "+" is the server's base URL: the OpenAI API posts to
// {base}/embeddings (so the base usually ends in /v1), TEI to {base}/embed,
// Ollama to {base}/api/embed. Parameters: model, dim, batch (max texts per
// request), concurrency, encoding (openai: base64 or float), dimensions
// (openai's output-size parameter), truncate (tei: true/false), key_env (the
// environment variable holding the API key; keys never go in specs),
// key_header (default "Authorization", sent as "Bearer {key}"; any other
// header gets the bare key), timeout (seconds per request), retries,
// query_prompt and document_prompt.
package httpenc

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/mimo-mlir/mimo/adapters"
	"github.com/mimo-mlir/mimo/internal/limited"
	"github.com/mimo-mlir/mimo/internal/redirect"
)

// APIs.
const (
	OpenAI = "openai"
	TEI    = "tei"
	Ollama = "ollama"
)

// Config describes a server and how to talk to it. Zero fields take the
// defaults documented on each.
type Config struct {
	API   string // OpenAI, TEI or Ollama
	URL   string // base URL, see the package doc
	Model string // model name sent to the server (OpenAI, Ollama; TEI serves one model)
	// Name is the model's name in the identity (default: Model, else the API name).
	Name     string
	Revision string

	APIKey       string // sent on every request when set
	APIKeyHeader string // default "Authorization" (as "Bearer {key}")

	// MaxResponseBytes bounds one response body; 0 allows room for the
	// batch's vectors at up to 8192 dimensions (at least 16 MiB). A larger
	// answer is an error, not retried.
	MaxResponseBytes int64

	// Dim is the vector size; 0 asks the server once, at New.
	Dim int
	// Normalize L2-normalises vectors client-side (the harness needs unit
	// vectors; servers differ on whether they normalise).
	Normalize bool
	// Prompts per role ("query", "document") and "task:role", prepended here.
	Prompts map[string]string

	MaxBatch    int           // texts per request; default OpenAI 256, TEI 32, Ollama 64
	Concurrency int           // batches in flight; default 4
	Timeout     time.Duration // per request; default 120s
	MaxRetries  int           // retries of a transient failure; default 8
	// Backoff is the first retry's wait (doubled each time, jittered,
	// capped at MaxBackoff); defaults 500ms and 30s. A Retry-After header
	// replaces it, capped at MaxBackoff too.
	Backoff    time.Duration
	MaxBackoff time.Duration

	Encoding   string // OpenAI encoding_format: "base64" (default; exact float32, a third of the bytes of JSON floats) or "float"
	Dimensions int    // OpenAI "dimensions" parameter (Matryoshka models); 0: not sent
	Truncate   *bool  // TEI "truncate"; default true
}

func (c *Config) defaults() error {
	switch c.API {
	case OpenAI, TEI, Ollama:
	case "":
		return errors.New("httpenc: api is missing (openai, tei or ollama)")
	default:
		return fmt.Errorf("httpenc: unknown api %q (want openai, tei or ollama)", c.API)
	}
	if c.URL == "" {
		return errors.New("httpenc: url is missing")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("httpenc: url %q is not an http(s) URL", c.URL)
	}
	if u.User != nil {
		return fmt.Errorf("httpenc: url %q carries credentials; pass the key through key_env / APIKey", u.Redacted())
	}
	if (c.API == OpenAI || c.API == Ollama) && c.Model == "" {
		return fmt.Errorf("httpenc: api %s needs a model name", c.API)
	}
	if c.Name == "" {
		c.Name = c.Model
	}
	if c.Name == "" {
		c.Name = c.API + "@" + u.Host
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = map[string]int{OpenAI: 256, TEI: 32, Ollama: 64}[c.API]
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Timeout == 0 {
		c.Timeout = 120 * time.Second
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 8
	}
	if c.Backoff == 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.APIKeyHeader == "" {
		c.APIKeyHeader = "Authorization"
	}
	if c.API == OpenAI && c.Encoding == "" {
		c.Encoding = "base64"
	}
	if c.Encoding != "" && c.Encoding != "base64" && c.Encoding != "float" {
		return fmt.Errorf("httpenc: encoding %q (want base64 or float)", c.Encoding)
	}
	if c.API == TEI && c.Truncate == nil {
		t := true
		c.Truncate = &t
	}
	if c.MaxBatch < 1 || c.Concurrency < 1 || c.MaxRetries < 0 || c.Dim < 0 || c.Dimensions < 0 {
		return fmt.Errorf("httpenc: batch %d, concurrency %d, retries %d, dim %d: out of range", c.MaxBatch, c.Concurrency, c.MaxRetries, c.Dim)
	}
	if c.MaxResponseBytes < 0 {
		return fmt.Errorf("httpenc: max_response_bytes %d: out of range", c.MaxResponseBytes)
	}
	return nil
}

// Encoder encodes through a server. Encode must not be called concurrently
// (it is concurrent inside); Dim, Identity and Close may be.
type Encoder struct {
	cfg    Config
	client *resty.Client
	ident  adapters.Identity
	dim    int
	// batch is the current batch size: MaxBatch, lowered for good when the
	// server answers 413/422.
	batch atomic.Int64
	// sleep waits, or returns early with ctx's error (replaced in tests).
	sleep func(ctx context.Context, d time.Duration) error
}

// New makes an Encoder. With cfg.Dim == 0 it sends one short text to learn
// the dimension, so a wrong URL, model or key fails here, not mid-run.
func New(ctx context.Context, cfg Config) (*Encoder, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	e := &Encoder{cfg: cfg, sleep: sleepCtx}
	e.batch.Store(int64(cfg.MaxBatch))
	e.client = resty.New().SetTimeout(cfg.Timeout).SetHeader("User-Agent", "mimo-httpenc/1").
		SetRedirectPolicy(resty.RedirectPolicyFunc(redirect.StripCredentials(cfg.APIKeyHeader)))
	if cfg.APIKey != "" {
		if strings.EqualFold(cfg.APIKeyHeader, "Authorization") {
			e.client.SetHeader("Authorization", "Bearer "+cfg.APIKey)
		} else {
			e.client.SetHeader(cfg.APIKeyHeader, cfg.APIKey)
		}
	}
	e.dim = cfg.Dim
	if e.dim == 0 {
		v, err := e.post(ctx, []string{"dimension probe"}, 0)
		if err != nil {
			return nil, fmt.Errorf("httpenc %s: probing the dimension: %w", e.describe(), err)
		}
		e.dim = len(v[0])
	}
	extra := map[string]string{"api": cfg.API}
	if cfg.Model != "" {
		extra["model"] = cfg.Model
	}
	if cfg.Dimensions > 0 {
		extra["dimensions"] = strconv.Itoa(cfg.Dimensions)
	}
	if cfg.Truncate != nil {
		extra["truncate"] = strconv.FormatBool(*cfg.Truncate)
	}
	// The URL is left out on purpose: the same model behind another host
	// gives the same vectors, and its embedding cache should be shared.
	e.ident = adapters.Identity{
		Name: cfg.Name, Revision: cfg.Revision, Kind: "http", Normalize: cfg.Normalize,
		Dim: e.dim, Prompts: cfg.Prompts, Extra: extra,
	}
	return e, nil
}

// Dim implements adapters.Encoder.
func (e *Encoder) Dim() int { return e.dim }

// Identity implements adapters.Encoder.
func (e *Encoder) Identity() adapters.Identity { return e.ident }

// BatchSize is the batch size in use (MaxBatch unless the server refused it).
func (e *Encoder) BatchSize() int { return int(e.batch.Load()) }

// Close implements adapters.Encoder: it drops idle connections.
func (e *Encoder) Close() error {
	e.client.GetClient().CloseIdleConnections()
	return nil
}

func (e *Encoder) describe() string {
	return e.cfg.API + " " + e.cfg.URL
}

// Encode implements adapters.Encoder.
func (e *Encoder) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	prompt := e.ident.PromptFor(req.Role, req.Task)
	texts := make([]string, len(req.Texts))
	for i, t := range req.Texts {
		if t == "" && prompt == "" {
			return nil, fmt.Errorf("httpenc %s: text %d is empty (servers reject empty inputs)", e.describe(), i)
		}
		texts[i] = prompt + t
	}
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Work items are ranges [lo, hi); a worker that hears "too large"
	// splits its range and does both halves itself.
	type span struct{ lo, hi int }
	jobs := make(chan span)
	go func() {
		defer close(jobs)
		for lo := 0; lo < len(texts); {
			hi := min(lo+e.BatchSize(), len(texts))
			select {
			case jobs <- span{lo, hi}:
			case <-ctx.Done():
				return
			}
			lo = hi
		}
	}()
	var wg sync.WaitGroup
	bs := e.BatchSize()
	for range min(e.cfg.Concurrency, (len(texts)+bs-1)/bs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				if err := e.encodeSpan(ctx, texts, out, s.lo, s.hi); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeSpan encodes texts[lo:hi] into out[lo:hi], halving on 413/422.
func (e *Encoder) encodeSpan(ctx context.Context, texts []string, out [][]float32, lo, hi int) error {
	for lo < hi {
		n := min(hi-lo, e.BatchSize())
		vecs, err := e.post(ctx, texts[lo:lo+n], lo)
		var tl *tooLargeError
		if errors.As(err, &tl) {
			if n == 1 {
				return fmt.Errorf("httpenc %s: text %d is too large for the server even alone (HTTP %d: %s)", e.describe(), lo, tl.status, tl.msg)
			}
			half := int64(n / 2)
			for { // lower the shared size, never raise it
				cur := e.batch.Load()
				if cur <= half || e.batch.CompareAndSwap(cur, half) {
					break
				}
			}
			continue
		}
		if err != nil {
			return err
		}
		copy(out[lo:lo+n], vecs)
		lo += n
	}
	return nil
}

// tooLargeError is a 413/422 answer.
type tooLargeError struct {
	status int
	msg    string
}

func (t *tooLargeError) Error() string { return fmt.Sprintf("HTTP %d: %s", t.status, t.msg) }

// post sends one batch (texts are at offset off of the request, for
// messages) and returns its vectors in order, retrying transient failures.
func (e *Encoder) post(ctx context.Context, texts []string, off int) ([][]float32, error) {
	var body any
	var path string
	switch e.cfg.API {
	case OpenAI:
		b := map[string]any{"input": texts, "model": e.cfg.Model, "encoding_format": e.cfg.Encoding}
		if e.cfg.Dimensions > 0 {
			b["dimensions"] = e.cfg.Dimensions
		}
		body, path = b, "/embeddings"
	case TEI:
		body, path = map[string]any{"inputs": texts, "truncate": *e.cfg.Truncate}, "/embed"
	case Ollama:
		body, path = map[string]any{"model": e.cfg.Model, "input": texts}, "/api/embed"
	}
	endpoint := strings.TrimRight(e.cfg.URL, "/") + path
	backoff := e.cfg.Backoff
	for attempt := 0; ; attempt++ {
		resp, err := e.client.R().SetContext(ctx).SetBody(body).SetDoNotParseResponse(true).Post(endpoint)
		var b []byte
		if err == nil {
			b, err = limited.ReadClose(resp.RawBody(), e.responseLimit(len(texts)))
			var big *limited.TooLargeError
			if errors.As(err, &big) {
				return nil, fmt.Errorf("httpenc %s: texts %d..%d: %w", e.describe(), off, off+len(texts)-1, bodyTooLarge(big.Limit))
			}
		}
		var wait time.Duration
		var failure error
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			if !transientNetErr(err) {
				return nil, fmt.Errorf("httpenc %s: texts %d..%d: %w", e.describe(), off, off+len(texts)-1, err)
			}
			failure = err
		case resp.StatusCode() == http.StatusRequestEntityTooLarge || resp.StatusCode() == http.StatusUnprocessableEntity:
			return nil, &tooLargeError{resp.StatusCode(), serverMessage(b)}
		case resp.StatusCode() == http.StatusTooManyRequests || resp.StatusCode() >= 500:
			failure = fmt.Errorf("HTTP %d: %s", resp.StatusCode(), serverMessage(b))
			wait = retryAfter(resp.Header().Get("Retry-After"), time.Now())
		case resp.StatusCode() < 200 || resp.StatusCode() > 299:
			return nil, fmt.Errorf("httpenc %s: texts %d..%d: HTTP %d: %s", e.describe(), off, off+len(texts)-1, resp.StatusCode(), serverMessage(b))
		default:
			vecs, err := e.decode(b, len(texts), off)
			if err != nil {
				return nil, fmt.Errorf("httpenc %s: %w", e.describe(), err)
			}
			return vecs, nil
		}
		if attempt >= e.cfg.MaxRetries {
			return nil, fmt.Errorf("httpenc %s: texts %d..%d: giving up after %d attempts: %w", e.describe(), off, off+len(texts)-1, attempt+1, failure)
		}
		if wait == 0 {
			// Full jitter in [backoff/2, backoff].
			wait = backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
			backoff = min(2*backoff, e.cfg.MaxBackoff)
		}
		if err := e.sleep(ctx, min(wait, e.cfg.MaxBackoff)); err != nil {
			return nil, context.Cause(ctx)
		}
	}
}

// bodyTooLarge words an answer over the limit: not retried, since the same
// request gets the same answer.
func bodyTooLarge(limit int64) error {
	return fmt.Errorf("the response is larger than %d bytes (Config.MaxResponseBytes; max_response_bytes in the server spec): a misbehaving server, or raise the limit", limit)
}

// responseLimit bounds the answer to a batch of n texts: Config.MaxResponseBytes
// when set, else room for n vectors of up to 8192 dimensions (or the known
// dimension, when larger) at 32 bytes per JSON number, and at least 16 MiB.
func (e *Encoder) responseLimit(n int) int64 {
	if e.cfg.MaxResponseBytes > 0 {
		return e.cfg.MaxResponseBytes
	}
	dim := max(int64(e.dim), 8192)
	return max(16<<20, int64(n)*dim*32+1<<20)
}

func transientNetErr(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // a misspelt host does not come back
	}
	var ne net.Error // *url.Error is one too: ask it, not its type
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true // connection refused / reset: a restarting server
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true // the server closed the connection mid-answer
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "Client.Timeout")
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(h, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// serverMessage extracts the error message of the usual error bodies:
// {"error": {"message": ...}} (OpenAI, vLLM), {"error": "..."} (TEI,
// Ollama), {"detail": ...} (Infinity/FastAPI), {"message": ...}, else the
// body itself, shortened.
func serverMessage(b []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Detail  json.RawMessage `json:"detail"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(b, &v) == nil {
		if len(v.Error) > 0 {
			var s string
			if json.Unmarshal(v.Error, &s) == nil {
				return s
			}
			var o struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
				return o.Message
			}
			return string(v.Error)
		}
		if len(v.Detail) > 0 {
			var s string
			if json.Unmarshal(v.Detail, &s) == nil {
				return s
			}
			return string(v.Detail)
		}
		if v.Message != "" {
			return v.Message
		}
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// decode parses a successful response into n vectors in request order.
func (e *Encoder) decode(b []byte, n, off int) ([][]float32, error) {
	var vecs [][]float32
	switch e.cfg.API {
	case OpenAI:
		var r struct {
			Data []struct {
				Index     *int            `json:"index"`
				Embedding json.RawMessage `json:"embedding"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("texts %d..%d: bad response: %w", off, off+n-1, err)
		}
		if len(r.Data) != n {
			return nil, fmt.Errorf("texts %d..%d: server returned %d embeddings for %d inputs", off, off+n-1, len(r.Data), n)
		}
		vecs = make([][]float32, n)
		for i, d := range r.Data {
			idx := i
			if d.Index != nil {
				idx = *d.Index
			}
			if idx < 0 || idx >= n || vecs[idx] != nil {
				return nil, fmt.Errorf("texts %d..%d: response item %d has index %d (out of range or repeated)", off, off+n-1, i, idx)
			}
			v, err := embedding(d.Embedding)
			if err != nil {
				return nil, fmt.Errorf("text %d: %w", off+idx, err)
			}
			vecs[idx] = v
		}
	case TEI:
		if err := json.Unmarshal(b, &vecs); err != nil {
			return nil, fmt.Errorf("texts %d..%d: bad response: %w", off, off+n-1, err)
		}
	case Ollama:
		var r struct {
			Embeddings [][]float32 `json:"embeddings"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("texts %d..%d: bad response: %w", off, off+n-1, err)
		}
		vecs = r.Embeddings
	}
	if len(vecs) != n {
		return nil, fmt.Errorf("texts %d..%d: server returned %d embeddings for %d inputs", off, off+n-1, len(vecs), n)
	}
	for i, v := range vecs {
		if err := e.check(v); err != nil {
			return nil, fmt.Errorf("text %d: %w", off+i, err)
		}
	}
	return vecs, nil
}

// check validates (and normalises, when asked) one vector in place.
func (e *Encoder) check(v []float32) error {
	if e.dim != 0 && len(v) != e.dim {
		return fmt.Errorf("server returned %d dimensions, want %d", len(v), e.dim)
	}
	if len(v) == 0 {
		return errors.New("server returned an empty embedding")
	}
	var ss float64
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("server returned %v at dimension %d", x, j)
		}
		ss += float64(x) * float64(x)
	}
	if e.cfg.Normalize {
		if ss == 0 {
			return errors.New("server returned a zero vector")
		}
		inv := float32(1 / math.Sqrt(ss))
		if math.IsInf(float64(inv), 0) {
			// A subnormal vector: its inverse norm overflows float32
			// ([1e-45, 0] became [+Inf, NaN]); scale in float64.
			adapters.Normalize(v)
			return nil
		}
		for j := range v {
			v[j] *= inv
		}
	}
	return nil
}

// embedding reads an OpenAI embedding: a float array, or base64 of
// little-endian float32s.
func embedding(raw json.RawMessage) ([]float32, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("base64 embedding: %w", err)
		}
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("base64 embedding of %d bytes is not float32s", len(b))
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	var v []float32
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	return v, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keyFromEnv reads an API key from the named environment variable.
func keyFromEnv(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	k := os.Getenv(name)
	if k == "" {
		return "", fmt.Errorf("httpenc: environment variable %s (named by key_env) is empty", name)
	}
	return k, nil
}
