package httpenc

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fake imitates an embedding server of one API: its request and response
// shapes, its limits and its failures.
type fake struct {
	api      string
	dim      int
	maxBatch int    // a larger batch gets 413 (TEI's max_client_batch_size)
	maxChars int    // a batch with more characters gets 413 (max tokens)
	key      string // required "Authorization: Bearer {key}" when set
	shuffle  bool   // OpenAI: answer data items in random order
	float    bool   // OpenAI: answer floats even when base64 was asked (some servers do)
	delay    time.Duration
	// modelID, when set, is served at GET /info (TEI) and seeds the
	// vectors: another modelID is another model.
	modelID string
	// script is a queue of canned failures answered before normal service.
	script []canned

	mu          sync.Mutex
	requests    int
	batches     []int
	inputs      []string
	inFlight    int
	maxInFlight int
	status      map[int]int
}

type canned struct {
	status     int
	retryAfter string
	body       string
	sleep      time.Duration // hang this long first (client timeouts)
}

func fakeVec(text string, dim int) []float32 {
	h := fnv.New64a()
	h.Write([]byte(text))
	r := rand.New(rand.NewPCG(h.Sum64(), 7))
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func unit(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * float32(1/math.Sqrt(ss))
	}
	return out
}

func (f *fake) start(t testing.TB) *httptest.Server {
	s := httptest.NewServer(f)
	t.Cleanup(s.Close)
	return s
}

func (f *fake) answer(w http.ResponseWriter, status int, body any) {
	f.mu.Lock()
	if f.status == nil {
		f.status = map[int]int{}
	}
	f.status[status]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if s, ok := body.(string); ok {
		_, _ = w.Write([]byte(s)) // the client under test sees a short body
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fake) errBody(msg string) any {
	switch f.api {
	case OpenAI:
		return map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}}
	default:
		return map[string]any{"error": msg, "error_type": "Validation"}
	}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	var c *canned
	if len(f.script) > 0 {
		c = &f.script[0]
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.inFlight--; f.mu.Unlock() }()
	time.Sleep(f.delay)

	if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
		f.answer(w, 401, f.errBody("Incorrect API key provided"))
		return
	}
	if c != nil {
		if c.sleep > 0 {
			// Read the body first: the server notices a client that gave
			// up (and cancels r.Context) only once the body is consumed.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-time.After(c.sleep):
			case <-r.Context().Done():
				return
			}
		}
		if c.retryAfter != "" {
			w.Header().Set("Retry-After", c.retryAfter)
		}
		if c.status != 0 {
			body := any(c.body)
			if c.body == "" {
				body = f.errBody(http.StatusText(c.status))
			}
			f.answer(w, c.status, body)
			return
		}
	}

	if f.api == TEI && r.Method == http.MethodGet && r.URL.Path == "/info" && f.modelID != "" {
		f.answer(w, 200, map[string]any{"model_id": f.modelID, "model_dtype": "float16", "max_client_batch_size": 32})
		return
	}
	want := map[string]string{OpenAI: "/v1/embeddings", TEI: "/embed", Ollama: "/api/embed"}[f.api]
	if r.Method != http.MethodPost || r.URL.Path != want {
		f.answer(w, 404, f.errBody("no route "+r.Method+" "+r.URL.Path))
		return
	}
	var req struct {
		Input    []string `json:"input"`
		Inputs   []string `json:"inputs"`
		Model    string   `json:"model"`
		Format   string   `json:"encoding_format"`
		Truncate *bool    `json:"truncate"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.answer(w, 400, f.errBody("bad json: "+err.Error()))
		return
	}
	texts := req.Input
	if f.api == TEI {
		texts = req.Inputs
		if req.Truncate == nil {
			f.answer(w, 400, f.errBody("truncate missing"))
			return
		}
	} else if req.Model == "" {
		f.answer(w, 400, f.errBody("model is required"))
		return
	}
	if len(texts) == 0 {
		f.answer(w, 400, f.errBody("input is empty"))
		return
	}
	if f.maxBatch > 0 && len(texts) > f.maxBatch {
		f.answer(w, 413, f.errBody("batch size "+itoa(len(texts))+" > maximum allowed batch size "+itoa(f.maxBatch)))
		return
	}
	chars := 0
	for _, t := range texts {
		chars += len([]rune(t))
	}
	if f.maxChars > 0 && chars > f.maxChars {
		f.answer(w, 413, f.errBody("input is too long: "+itoa(chars)+" tokens > "+itoa(f.maxChars)))
		return
	}
	f.mu.Lock()
	f.batches = append(f.batches, len(texts))
	f.inputs = append(f.inputs, texts...)
	f.mu.Unlock()

	vecs := make([][]float32, len(texts))
	for i, t := range texts {
		vecs[i] = fakeVec(t, f.dim)
		if f.modelID != "" {
			vecs[i] = fakeVec(f.modelID+"\x00"+t, f.dim)
		}
	}
	switch f.api {
	case TEI:
		f.answer(w, 200, vecs)
	case Ollama:
		f.answer(w, 200, map[string]any{"model": req.Model, "embeddings": vecs})
	case OpenAI:
		type item struct {
			Object    string `json:"object"`
			Index     int    `json:"index"`
			Embedding any    `json:"embedding"`
		}
		items := make([]item, len(vecs))
		for i, v := range vecs {
			items[i] = item{Object: "embedding", Index: i, Embedding: v}
			if req.Format == "base64" && !f.float {
				b := make([]byte, 4*len(v))
				for j, x := range v {
					binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
				}
				items[i].Embedding = base64.StdEncoding.EncodeToString(b)
			}
		}
		if f.shuffle {
			rand.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		}
		f.answer(w, 200, map[string]any{"object": "list", "data": items, "model": req.Model, "usage": map[string]int{"prompt_tokens": chars}})
	}
}

var itoa = strconv.Itoa

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// http1123 is the HTTP date layout of Retry-After.
const http1123 = http.TimeFormat
