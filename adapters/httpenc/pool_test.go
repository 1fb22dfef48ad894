package httpenc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/adapters"
)

func TestSplitPoolSpec(t *testing.T) {
	tests := []struct {
		spec string
		want []string
		err  string
	}{
		{spec: "pool:tei+http://a:8080,tei+http://b:8080", want: []string{"tei+http://a:8080", "tei+http://b:8080"}},
		{
			spec: "pool:openai+http://a/v1?model=m&query_prompt=q,x,openai+https://b/v1?model=m",
			want: []string{"openai+http://a/v1?model=m&query_prompt=q,x", "openai+https://b/v1?model=m"},
		},
		{spec: "pool:tei+http://a:8080,http://b:8080", want: []string{"tei+http://a:8080,http://b:8080"}},
		{spec: "pool:tei+http://a:8080,ftp://b", want: []string{"tei+http://a:8080,ftp://b"}},
		{spec: "pool:,tei+http://b", err: `replica 0 ""`},
		{spec: "pool:", err: "replica 0"},
		{spec: "tei+http://a:8080", err: "want pool:"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := SplitPoolSpec(tt.spec)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatal(d)
			}
		})
	}
	if IsSpec("pool:tei+http://a:8080") || !IsPoolSpec("pool:tei+http://a:8080") {
		t.Fatal("a pool spec must not read as a server spec")
	}
}

// poolConfigs starts the fakes and returns one Config per fake.
func poolConfigs(t *testing.T, fakes []*fake, mod func(*Config)) []Config {
	t.Helper()
	var cfgs []Config
	for _, f := range fakes {
		s := f.start(t)
		c := Config{API: f.api, URL: baseURL(f.api, s.URL), Model: "m", Dim: f.dim, Normalize: true,
			Backoff: 8 * time.Millisecond, MaxBatch: 4, Concurrency: 2, MaxRetries: 1, Timeout: 300 * time.Millisecond}
		if f.api == TEI {
			c.Model = ""
		}
		if mod != nil {
			mod(&c)
		}
		cfgs = append(cfgs, c)
	}
	return cfgs
}

func (f *fake) setScript(c ...canned) {
	f.mu.Lock()
	f.script = c
	f.mu.Unlock()
}

func repeat(c canned, n int) []canned {
	out := make([]canned, n)
	for i := range out {
		out[i] = c
	}
	return out
}

// TestPoolFaults: one replica answers 500 from some point on, one hangs
// past the timeout; every batch still lands, the vectors are those of a
// single encoder bit for bit, and no endpoint sees more than its
// concurrency in flight.
func TestPoolFaults(t *testing.T) {
	for _, api := range []string{OpenAI, TEI} {
		t.Run(api, func(t *testing.T) {
			fakes := []*fake{{api: api, dim: 16}, {api: api, dim: 16}, {api: api, dim: 16}, {api: api, dim: 16}}
			cfgs := poolConfigs(t, fakes, func(c *Config) { c.Name = "org/model" })
			p, err := NewPool(ctx, cfgs)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			single, err := New(ctx, cfgs[0])
			if err != nil {
				t.Fatal(err)
			}
			defer single.Close()
			// Faults start after open: replica 1 dies, replica 2 hangs.
			fakes[1].setScript(repeat(canned{status: 500}, 1000)...)
			fakes[2].setScript(repeat(canned{sleep: 10 * time.Second}, 1000)...)

			in := texts(203)
			for _, role := range []adapters.Role{adapters.RoleQuery, adapters.RoleDocument} {
				req := adapters.Request{Role: role, Task: "T", Texts: in}
				got, err := p.Encode(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				want, err := single.Encode(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if !cmp.Equal(got, want) {
					t.Fatal("pool vectors differ from a single encoder's")
				}
			}
			st := p.ReplicaStats()
			total := 0
			for _, s := range st {
				total += s.Texts
			}
			if total != 2*len(in) {
				t.Errorf("replicas encoded %d texts, want %d: %+v", total, 2*len(in), st)
			}
			if st[1].Failures == 0 || st[2].Failures == 0 || st[1].Texts != 0 || st[2].Texts != 0 {
				t.Errorf("the failing replicas: %+v", st[1:3])
			}
			if st[0].Texts == 0 || st[3].Texts == 0 {
				t.Errorf("the healthy replicas got no work: %+v", st)
			}
			for i, f := range fakes {
				f.mu.Lock()
				if f.maxInFlight > cfgs[i].Concurrency {
					t.Errorf("replica %d: %d requests in flight, limit %d", i, f.maxInFlight, cfgs[i].Concurrency)
				}
				f.mu.Unlock()
			}
			if s := p.Stats(); strings.Count(s, "\n") != 4 || !strings.Contains(s, "texts/s") {
				t.Errorf("Stats:\n%s", s)
			}
		})
	}
}

func TestPoolEveryReplicaFails(t *testing.T) {
	fakes := []*fake{{api: OpenAI, dim: 8}, {api: OpenAI, dim: 8}}
	p, err := NewPool(ctx, poolConfigs(t, fakes, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, f := range fakes {
		f.setScript(repeat(canned{status: 503}, 1000)...)
	}
	_, err = p.Encode(ctx, adapters.Request{Role: adapters.RoleQuery, Texts: texts(10)})
	if err == nil || !strings.Contains(err.Error(), "failed on every replica") || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err %v", err)
	}
}

// TestPoolRefusesOtherModel: a replica that reports another model (TEI's
// /info) or gives other vectors on the probe stops the pool at open, and
// the error names it.
func TestPoolRefusesOtherModel(t *testing.T) {
	tests := []struct {
		name  string
		fakes []*fake
		mod   func(*Config)
		want  string
		bad   int // the replica the error names
	}{
		{
			name:  "tei model_id",
			fakes: []*fake{{api: TEI, dim: 8, modelID: "org/a"}, {api: TEI, dim: 8, modelID: "org/a"}, {api: TEI, dim: 8, modelID: "org/b"}},
			want:  "replica 2",
			bad:   2,
		},
		{
			name:  "probe vectors",
			fakes: []*fake{{api: OpenAI, dim: 8}, {api: OpenAI, dim: 8, modelID: "other"}},
			want:  "probe cosine",
			bad:   1,
		},
		{
			name:  "dim",
			fakes: []*fake{{api: OpenAI, dim: 8}, {api: OpenAI, dim: 12}},
			want:  "dim 12 vs 8",
			bad:   1,
		},
		{
			name:  "tei without a name",
			fakes: []*fake{{api: TEI, dim: 8}, {api: TEI, dim: 8}},
			want:  "add name=MODEL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgs := poolConfigs(t, tt.fakes, tt.mod)
			_, err := NewPool(ctx, cfgs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			bad := cfgs[tt.bad].URL
			if !strings.Contains(err.Error(), bad) {
				t.Fatalf("err %v does not name %s", err, bad)
			}
		})
	}
}

// TestPoolIdentity: the identity carries no URL, so two pools on other
// hosts share the cache; TEI's reported model names it; Close twice is nil.
func TestPoolIdentity(t *testing.T) {
	open := func() *Pool {
		fakes := []*fake{{api: TEI, dim: 8, modelID: "org/a"}, {api: TEI, dim: 8, modelID: "org/a"}}
		p, err := NewPool(ctx, poolConfigs(t, fakes, nil))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, q := open(), open()
	b, _ := json.Marshal(p.Identity())
	if strings.Contains(string(b), "127.0.0.1") || p.Identity().Name != "org/a" {
		t.Errorf("identity %s", b)
	}
	if p.Identity().Key() != q.Identity().Key() {
		t.Error("pools on other hosts have other identities")
	}
	for range 2 {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()
}

func TestOpenPoolSpec(t *testing.T) {
	a := (&fake{api: OpenAI, dim: 8}).start(t)
	b := (&fake{api: OpenAI, dim: 8}).start(t)
	p, err := OpenPool(ctx, "pool:openai+"+a.URL+"/v1?model=m&concurrency=3,openai+"+b.URL+"/v1?model=m")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.reps[0].enc.cfg.Concurrency != 3 || p.reps[1].enc.cfg.MaxRetries != 1 || p.Dim() != 8 {
		t.Fatalf("replica configs %+v %+v", p.reps[0].enc.cfg, p.reps[1].enc.cfg)
	}
	got, err := p.Encode(ctx, adapters.Request{Role: adapters.RoleDocument, Texts: texts(5)})
	if err != nil {
		t.Fatal(err)
	}
	checkVecs(t, got, texts(5), "", 8)
}
