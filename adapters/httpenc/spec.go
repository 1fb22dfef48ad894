package httpenc

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mimo-mlir/mimo/adapters"
)

// An http model folder:
//
//	{"kind": "http", "api": "openai", "url": "http://localhost:8000/v1",
//	 "model": "intfloat/multilingual-e5-large", "name": "intfloat/multilingual-e5-large",
//	 "dim": 1024, "prompts": {"query": "query: ", "document": "passage: "},
//	 "options": {"api_key_env": "OPENAI_API_KEY", "max_batch": 64, "concurrency": 4}}
//
// Options: api_key_env, api_key_header, max_batch, concurrency, timeout_s,
// max_retries, max_response_bytes, encoding, dimensions, truncate.

func init() { adapters.RegisterKind("http", openFolder) }

func openFolder(ctx context.Context, f adapters.Folder, opts adapters.Options) (adapters.Encoder, error) {
	cfg, err := FolderConfig(f)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	if opts.BatchSize > 0 && opts.BatchSize < cfg.MaxBatch {
		cfg.MaxBatch = opts.BatchSize
	}
	e, err := New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("model folder %s: %w", f.Dir, err)
	}
	return e, nil
}

// FolderConfig reads an http model folder into a Config.
func FolderConfig(f adapters.Folder) (Config, error) {
	cfg := Config{
		API: f.API, URL: f.URL, Model: f.Model, Name: f.Name, Revision: f.Revision,
		Dim: f.Dim, Normalize: f.NormalizeOrDefault(), Prompts: f.Prompts,
	}
	for k, v := range f.Options {
		var err error
		switch k {
		case "api_key_env":
			var name string
			if name, err = optString(k, v); err == nil {
				cfg.APIKey, err = keyFromEnv(name)
			}
		case "api_key_header":
			cfg.APIKeyHeader, err = optString(k, v)
		case "encoding":
			cfg.Encoding, err = optString(k, v)
		case "max_batch":
			cfg.MaxBatch, err = optInt(k, v)
		case "concurrency":
			cfg.Concurrency, err = optInt(k, v)
		case "max_retries":
			cfg.MaxRetries, err = optInt(k, v)
		case "max_response_bytes":
			var n int
			n, err = optInt(k, v)
			cfg.MaxResponseBytes = int64(n)
		case "dimensions":
			cfg.Dimensions, err = optInt(k, v)
		case "timeout_s":
			var s int
			s, err = optInt(k, v)
			cfg.Timeout = time.Duration(s) * time.Second
		case "truncate":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("option %q: want true or false, got %v", k, v)
			}
			cfg.Truncate = &b
		default:
			err = fmt.Errorf("unknown option %q (known: api_key_env, api_key_header, max_batch, concurrency, timeout_s, max_retries, max_response_bytes, encoding, dimensions, truncate)", k)
		}
		if err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func optString(k string, v any) (string, error) {
	s, ok := v.(string)
	if !ok || s == "" {
		return "", fmt.Errorf("option %q: want a non-empty string, got %v", k, v)
	}
	return s, nil
}

func optInt(k string, v any) (int, error) {
	n, ok := v.(float64)
	if !ok || n != math.Trunc(n) || n < 1 || n > 1<<30 {
		return 0, fmt.Errorf("option %q: want a positive integer, got %v", k, v)
	}
	return int(n), nil
}

// IsSpec reports whether s looks like a URL spec ("openai+http://...").
func IsSpec(s string) bool {
	api, rest, ok := strings.Cut(s, "+")
	return ok && (api == OpenAI || api == TEI || api == Ollama) &&
		(strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://"))
}

// ParseSpec reads a URL spec (see the package doc) into a Config.
// Normalize is on.
func ParseSpec(spec string) (Config, error) {
	api, rest, ok := strings.Cut(spec, "+")
	if !ok || !IsSpec(spec) {
		return Config{}, fmt.Errorf("httpenc: spec %q: want {openai|tei|ollama}+http(s)://host[:port][/path][?params]", spec)
	}
	u, err := url.Parse(rest)
	if err != nil {
		return Config{}, fmt.Errorf("httpenc: spec %q: %w", spec, err)
	}
	q := u.Query()
	u.RawQuery = ""
	u.Fragment = ""
	cfg := Config{API: api, URL: u.String(), Normalize: true}
	for k, vs := range q {
		v := vs[len(vs)-1]
		var err error
		atoi := func() int {
			n, e := strconv.Atoi(v)
			if e != nil || n < 1 {
				err = fmt.Errorf("parameter %s=%q: want a positive integer", k, v)
			}
			return n
		}
		switch k {
		case "model":
			cfg.Model = v
		case "name":
			cfg.Name = v
		case "dim":
			cfg.Dim = atoi()
		case "batch":
			cfg.MaxBatch = atoi()
		case "concurrency":
			cfg.Concurrency = atoi()
		case "retries":
			cfg.MaxRetries = atoi()
		case "timeout":
			cfg.Timeout = time.Duration(atoi()) * time.Second
		case "dimensions":
			cfg.Dimensions = atoi()
		case "max_response_bytes":
			cfg.MaxResponseBytes = int64(atoi())
		case "encoding":
			cfg.Encoding = v
		case "truncate":
			b, e := strconv.ParseBool(v)
			if e != nil {
				err = fmt.Errorf("parameter truncate=%q: want true or false", v)
			}
			cfg.Truncate = &b
		case "key_env":
			cfg.APIKey, err = keyFromEnv(v)
		case "key_header":
			cfg.APIKeyHeader = v
		case "query_prompt", "document_prompt":
			if cfg.Prompts == nil {
				cfg.Prompts = map[string]string{}
			}
			cfg.Prompts[strings.TrimSuffix(k, "_prompt")] = v
		default:
			err = fmt.Errorf("unknown parameter %q", k)
		}
		if err != nil {
			return Config{}, fmt.Errorf("httpenc: spec %q: %w", spec, err)
		}
	}
	return cfg, nil
}

// Open makes an Encoder from a URL spec.
func Open(ctx context.Context, spec string) (*Encoder, error) {
	cfg, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return New(ctx, cfg)
}
