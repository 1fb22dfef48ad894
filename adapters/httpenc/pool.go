package httpenc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mimo-mlir/mimo/adapters"
)

// PoolPrefix starts a pool spec: "pool:" and two or more server specs
// joined by commas, all of one model:
//
//	pool:tei+http://gpu0:8080,tei+http://gpu1:8080
//	pool:openai+http://a:8000/v1?model=m&concurrency=8,openai+http://b:8000/v1?model=m
//
// No server spec starts with "pool:" (they start with the API name), so a
// pool cannot be read as one server. A comma starts a new replica only
// when an API name and "+" follow it; commas inside a replica's
// parameters (a prompt) stay where they are.
const PoolPrefix = "pool:"

// probeText is encoded by every replica at open; their vectors must agree.
const probeText = "mimo pool probe: the same model gives the same vector on every replica."

// minProbeCosine is how close the replicas' probe vectors must be. Same
// weights on another GPU or batch size differ in the last bits (cosine
// 0.99999+); another model or checkpoint is far below.
const minProbeCosine = 0.9999

// IsPoolSpec reports whether s is a pool spec ("pool:" + server specs).
func IsPoolSpec(s string) bool { return strings.HasPrefix(s, PoolPrefix) }

// SplitPoolSpec cuts a pool spec into its server specs.
func SplitPoolSpec(spec string) ([]string, error) {
	if !IsPoolSpec(spec) {
		return nil, fmt.Errorf("httpenc: pool spec %q: want pool:SPEC,SPEC,...", spec)
	}
	rest := strings.TrimPrefix(spec, PoolPrefix)
	var out []string
	start := 0
	for i := 0; i < len(rest); i++ {
		if rest[i] == ',' && startsSpec(rest[i+1:]) {
			out = append(out, rest[start:i])
			start = i + 1
		}
	}
	out = append(out, rest[start:])
	for i, s := range out {
		if !IsSpec(s) {
			return nil, fmt.Errorf("httpenc: pool spec %q: replica %d %q is not a server spec ({openai|tei|ollama}+http(s)://...)", spec, i, s)
		}
	}
	return out, nil
}

func startsSpec(s string) bool {
	for _, api := range []string{OpenAI, TEI, Ollama} {
		if strings.HasPrefix(s, api+"+http://") || strings.HasPrefix(s, api+"+https://") {
			return true
		}
	}
	return false
}

// OpenPool opens a pool spec. A replica without retries= retries a
// transient failure once on itself before its batch moves to another
// replica.
func OpenPool(ctx context.Context, spec string) (*Pool, error) {
	specs, err := SplitPoolSpec(spec)
	if err != nil {
		return nil, err
	}
	cfgs := make([]Config, len(specs))
	for i, s := range specs {
		if cfgs[i], err = ParseSpec(s); err != nil {
			return nil, err
		}
		if cfgs[i].MaxRetries == 0 {
			cfgs[i].MaxRetries = 1
		}
	}
	return NewPool(ctx, cfgs)
}

// Pool encodes through N replicas of one model: batches go to whichever
// replica has a free slot (at most its Concurrency in flight each), a batch
// a replica fails (after its own retries, or past its Timeout) is tried on
// another replica, and only a batch every replica has failed fails the
// Encode. Encode must not be called concurrently; Stats may be.
type Pool struct {
	reps  []*replica
	ident adapters.Identity
	batch int

	closeOnce sync.Once
	closeErr  error

	mu   sync.Mutex
	busy time.Duration // wall time inside Encode, for texts/s
}

type replica struct {
	enc   *Encoder
	label string // api and URL, for messages and stats

	mu       sync.Mutex
	texts    int
	batches  int
	failures int
}

// NewPool opens every replica, checks that they serve the same model
// (identities, TEI's reported model_id, and the probe vector within cosine
// 0.9999) and returns the pool. A disagreement is an error naming the
// replicas that differ from the first.
func NewPool(ctx context.Context, cfgs []Config) (*Pool, error) {
	if len(cfgs) < 2 {
		return nil, fmt.Errorf("httpenc: a pool needs at least 2 replicas, got %d", len(cfgs))
	}
	p := &Pool{}
	fail := func(err error) (*Pool, error) {
		p.Close()
		return nil, err
	}
	for i, c := range cfgs {
		e, err := New(ctx, c)
		if err != nil {
			return fail(fmt.Errorf("httpenc pool: replica %d: %w", i, err))
		}
		p.reps = append(p.reps, &replica{enc: e, label: e.describe()})
	}
	idents := make([]adapters.Identity, len(p.reps))
	for i, r := range p.reps {
		id := r.enc.Identity()
		if r.enc.cfg.API == TEI {
			model, err := r.enc.teiModelID(ctx)
			if err != nil {
				return fail(fmt.Errorf("httpenc pool: replica %d %s: %w", i, r.label, err))
			}
			if model != "" {
				id.Extra = cloneMap(id.Extra)
				id.Extra["model_id"] = model
			}
			if r.enc.nameDefaulted() {
				if model == "" {
					return fail(fmt.Errorf("httpenc pool: replica %d %s: a TEI replica without model= or name= that does not report its model at /info: add name=MODEL so the pool's identity names a model, not a host", i, r.label))
				}
				id.Name = model
			}
		}
		idents[i] = id
	}
	var differ []string
	for i := 1; i < len(idents); i++ {
		if idents[i].Key() != idents[0].Key() {
			differ = append(differ, fmt.Sprintf("replica %d %s (%s)", i, p.reps[i].label, identDiff(idents[0], idents[i])))
		}
	}
	if len(differ) > 0 {
		return fail(fmt.Errorf("httpenc pool: replicas differ from replica 0 %s: %s", p.reps[0].label, strings.Join(differ, "; ")))
	}
	probes := make([][]float32, len(p.reps))
	for i, r := range p.reps {
		v, err := r.enc.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: []string{probeText}})
		if err != nil {
			return fail(fmt.Errorf("httpenc pool: replica %d: probe: %w", i, err))
		}
		probes[i] = v[0]
	}
	for i := 1; i < len(probes); i++ {
		if c := cosine(probes[0], probes[i]); !(c >= minProbeCosine) {
			differ = append(differ, fmt.Sprintf("replica %d %s (probe cosine %.6f)", i, p.reps[i].label, c))
		}
	}
	if len(differ) > 0 {
		return fail(fmt.Errorf("httpenc pool: replicas give other vectors than replica 0 %s on the probe text (want cosine >= %g): %s", p.reps[0].label, minProbeCosine, strings.Join(differ, "; ")))
	}
	p.ident = idents[0]
	p.batch = p.reps[0].enc.BatchSize()
	for _, r := range p.reps[1:] {
		p.batch = min(p.batch, r.enc.BatchSize())
	}
	return p, nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// identDiff names the first identity fields that differ.
func identDiff(a, b adapters.Identity) string {
	var d []string
	if a.Name != b.Name {
		d = append(d, fmt.Sprintf("name %q vs %q", b.Name, a.Name))
	}
	if a.Dim != b.Dim {
		d = append(d, fmt.Sprintf("dim %d vs %d", b.Dim, a.Dim))
	}
	if a.Revision != b.Revision || a.Normalize != b.Normalize {
		d = append(d, "revision or normalisation")
	}
	if fmt.Sprint(a.Prompts) != fmt.Sprint(b.Prompts) {
		d = append(d, "prompts")
	}
	if fmt.Sprint(a.Extra) != fmt.Sprint(b.Extra) {
		d = append(d, fmt.Sprintf("settings %v vs %v", b.Extra, a.Extra))
	}
	if len(d) == 0 {
		d = append(d, "identity")
	}
	return strings.Join(d, ", ")
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// nameDefaulted reports whether the identity name is the API@host default.
func (e *Encoder) nameDefaulted() bool {
	u, err := url.Parse(e.cfg.URL)
	return err == nil && e.cfg.Name == e.cfg.API+"@"+u.Host
}

// teiModelID asks a TEI server which model it serves (GET /info,
// "model_id"); "" when the server has no /info (an imitation of TEI).
func (e *Encoder) teiModelID(ctx context.Context) (string, error) {
	var info struct {
		ModelID string `json:"model_id"`
	}
	resp, err := e.client.R().SetContext(ctx).SetResult(&info).Get(strings.TrimRight(e.cfg.URL, "/") + "/info")
	if err != nil {
		return "", fmt.Errorf("GET /info: %w", err)
	}
	if resp.StatusCode() == 404 || resp.StatusCode() == 405 {
		return "", nil
	}
	if !resp.IsSuccess() {
		return "", fmt.Errorf("GET /info: HTTP %d: %s", resp.StatusCode(), serverMessage(resp.Body()))
	}
	return info.ModelID, nil
}

// Dim implements adapters.Encoder.
func (p *Pool) Dim() int { return p.ident.Dim }

// Identity implements adapters.Encoder: the replicas' common identity,
// without URLs, so a pool shares the embedding cache with any other set of
// replicas of the model.
func (p *Pool) Identity() adapters.Identity { return p.ident }

// Close implements adapters.Encoder; it is idempotent.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		var errs []error
		for _, r := range p.reps {
			errs = append(errs, r.enc.Close())
		}
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}

// poolJob is one batch of the pool: texts [lo, hi), and the replicas that
// failed it.
type poolJob struct {
	lo, hi int
	failed []bool
	errs   []error
}

// poolRun is one Encode call's shared state: the queue of batches not yet
// encoded, the vectors so far, and how the first batch that fails on every
// replica cancels the rest.
type poolRun struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*poolJob
	left   int
	out    [][]float32
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// take returns the next job replica r has not failed, nil when there is
// nothing left for it.
func (pr *poolRun) take(r int) *poolJob {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for {
		if pr.left == 0 || pr.ctx.Err() != nil {
			return nil
		}
		for i, j := range pr.queue {
			if !j.failed[r] {
				pr.queue = append(pr.queue[:i], pr.queue[i+1:]...)
				return j
			}
		}
		pr.cond.Wait()
	}
}

// finish records replica ri's answer for job j: its vectors, or its failure,
// which puts j back at the head of the queue for the other replicas, or
// cancels the run when every replica has failed it. It reports whether the
// replica failed.
func (pr *poolRun) finish(j *poolJob, ri int, vecs [][]float32, err error) bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	defer pr.cond.Broadcast()
	if err == nil {
		copy(pr.out[j.lo:j.hi], vecs)
		pr.left--
		return false
	}
	j.failed[ri], j.errs[ri] = true, err
	all := true
	for _, f := range j.failed {
		all = all && f
	}
	if all {
		pr.cancel(fmt.Errorf("httpenc pool: texts %d..%d failed on every replica: %w", j.lo, j.hi-1, errors.Join(j.errs...)))
	} else {
		pr.queue = append([]*poolJob{j}, pr.queue...)
	}
	return true
}

// work is one of replica ri's workers: it encodes the jobs it takes until
// none is left, stepping back after each failure so healthy replicas get
// the work first.
func (p *Pool) work(pr *poolRun, ri int, req adapters.Request) {
	r := p.reps[ri]
	fails := 0
	for {
		j := pr.take(ri)
		if j == nil {
			return
		}
		vecs, err := r.enc.Encode(pr.ctx, adapters.Request{Role: req.Role, Task: req.Task, Texts: req.Texts[j.lo:j.hi]})
		if pr.ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		if err == nil {
			r.texts += j.hi - j.lo
			r.batches++
		} else {
			r.failures++
		}
		r.mu.Unlock()
		if !pr.finish(j, ri, vecs, err) {
			fails = 0
			continue
		}
		fails++
		wait := min(r.enc.cfg.Backoff<<min(fails-1, 6), r.enc.cfg.MaxBackoff)
		if r.enc.sleep(pr.ctx, wait) != nil {
			return
		}
	}
}

// Encode implements adapters.Encoder.
func (p *Pool) Encode(ctx context.Context, req adapters.Request) ([][]float32, error) {
	out := make([][]float32, len(req.Texts))
	if len(req.Texts) == 0 {
		return out, nil
	}
	start := time.Now()
	defer func() {
		p.mu.Lock()
		p.busy += time.Since(start)
		p.mu.Unlock()
	}()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	pr := &poolRun{out: out, ctx: ctx, cancel: cancel}
	pr.cond = sync.NewCond(&pr.mu)
	for lo := 0; lo < len(req.Texts); lo += p.batch {
		pr.queue = append(pr.queue, &poolJob{lo: lo, hi: min(lo+p.batch, len(req.Texts)), failed: make([]bool, len(p.reps)), errs: make([]error, len(p.reps))})
	}
	pr.left = len(pr.queue)
	stop := context.AfterFunc(ctx, func() { pr.mu.Lock(); pr.cond.Broadcast(); pr.mu.Unlock() })
	defer stop()

	var wg sync.WaitGroup
	for ri, r := range p.reps {
		for range r.enc.cfg.Concurrency {
			wg.Go(func() { p.work(pr, ri, req) })
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// ReplicaStats is one replica's share of the work so far.
type ReplicaStats struct {
	Replica     string  // api and URL
	Texts       int     // texts encoded
	Batches     int     // batches done
	Failures    int     // batches it failed (tried again elsewhere)
	TextsPerSec float64 // Texts over the pool's time inside Encode
}

// ReplicaStats returns every replica's counts, in spec order.
func (p *Pool) ReplicaStats() []ReplicaStats {
	p.mu.Lock()
	busy := p.busy.Seconds()
	p.mu.Unlock()
	out := make([]ReplicaStats, len(p.reps))
	for i, r := range p.reps {
		r.mu.Lock()
		out[i] = ReplicaStats{Replica: r.label, Texts: r.texts, Batches: r.batches, Failures: r.failures}
		r.mu.Unlock()
		if busy > 0 {
			out[i].TextsPerSec = float64(out[i].Texts) / busy
		}
	}
	return out
}

// Stats describes ReplicaStats in lines, one per replica (the CLI prints
// it at the end of a run).
func (p *Pool) Stats() string {
	var b strings.Builder
	for _, s := range p.ReplicaStats() {
		fmt.Fprintf(&b, "pool replica %s: %d texts, %.1f texts/s, %d batches, %d failed\n", s.Replica, s.Texts, s.TextsPerSec, s.Batches, s.Failures)
	}
	return b.String()
}
