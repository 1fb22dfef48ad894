package hub

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/mimo-mlir/mimo/internal/limited"
	"github.com/mimo-mlir/mimo/internal/redirect"
)

// RepoKind is the kind of a Hub repository: it decides the URL prefix.
type RepoKind int

const (
	// Dataset repositories live under {endpoint}/datasets/{repo}.
	Dataset RepoKind = iota
	// Model repositories live under {endpoint}/{repo}.
	Model
)

// String returns "dataset" or "model".
func (k RepoKind) String() string {
	switch k {
	case Dataset:
		return "dataset"
	case Model:
		return "model"
	}
	return fmt.Sprintf("RepoKind(%d)", int(k))
}

// plural is the kind's name in API paths and cache folders.
func (k RepoKind) plural() string { return k.String() + "s" }

// urlPrefix is what precedes the repository id in file URLs.
func (k RepoKind) urlPrefix() string {
	if k == Dataset {
		return "datasets/"
	}
	return ""
}

func (k RepoKind) valid() bool { return k == Dataset || k == Model }

// DefaultEndpoint is the public Hub.
const DefaultEndpoint = "https://huggingface.co"

// Client downloads and lists Hub files through a local cache. It is safe
// for concurrent use: downloads of one file are serialised, within the
// process by a mutex and across processes sharing the cache by a file lock
// (flock, on Unix), so the second caller finds the finished file.
type Client struct {
	endpoint   string
	token      string
	cacheDir   string
	offline    bool
	retries    int
	timeout    time.Duration
	backoff    time.Duration
	maxBackoff time.Duration
	progress   io.Writer
	userAgent  string
	maxBytes   int64

	rc     *resty.Client // follows redirects (Go drops Authorization across hosts)
	rcHead *resty.Client // stops at the first response, to read the Hub's headers
}

type config struct {
	endpoint   string
	token      string
	cacheDir   string
	offline    bool
	retries    int
	timeout    time.Duration
	backoff    time.Duration
	maxBackoff time.Duration
	progress   io.Writer
	httpClient *http.Client
	userAgent  string
	maxBytes   int64
}

// Option configures a Client; New reports an invalid option as an error.
type Option func(*config) error

// WithEndpoint sets the Hub's base URL (http or https, no query).
func WithEndpoint(endpoint string) Option {
	return func(c *config) error {
		e, err := cleanEndpoint(endpoint)
		if err != nil {
			return err
		}
		c.endpoint = e
		return nil
	}
}

func cleanEndpoint(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("endpoint %q: want an http:// or https:// URL", endpoint)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("endpoint %q: want scheme://host[/path] without query or fragment", endpoint)
	}
	return u.String(), nil
}

// WithToken sets the bearer token sent to the Hub ("" sends none).
func WithToken(token string) Option {
	return func(c *config) error {
		if strings.ContainsAny(token, " \t\r\n") {
			return errors.New("token contains white space (copy it again from https://huggingface.co/settings/tokens)")
		}
		c.token = token
		return nil
	}
}

// WithCacheDir sets the cache folder (made absolute; created on first use).
func WithCacheDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("cache dir is empty")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("cache dir %q: %w", dir, err)
		}
		c.cacheDir = abs
		return nil
	}
}

// WithOffline makes the client use only the cache, as HF_HUB_OFFLINE=1 does.
func WithOffline(offline bool) Option {
	return func(c *config) error { c.offline = offline; return nil }
}

// WithRetries sets how many times a failed request is retried (0 to 100;
// default 5).
func WithRetries(n int) Option {
	return func(c *config) error {
		if n < 0 || n > 100 {
			return fmt.Errorf("retries %d: want 0..100", n)
		}
		c.retries = n
		return nil
	}
}

// WithTimeout sets how long a request may go without progress (waiting for
// the response headers, or between two reads of the body) before it is
// abandoned and retried. Default 60s. The whole download has no deadline:
// use the context for that.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("timeout %v: want > 0", d)
		}
		c.timeout = d
		return nil
	}
}

// WithBackoff sets the first retry delay and its cap (defaults 1s and 30s);
// each retry doubles the delay, with jitter.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) error {
		if base <= 0 || max < base {
			return fmt.Errorf("backoff %v..%v: want 0 < base <= max", base, max)
		}
		c.backoff, c.maxBackoff = base, max
		return nil
	}
}

// WithProgress sets where progress bars are drawn (default os.Stderr; nil
// for none). A bar is drawn only when the writer is a terminal or is not an
// *os.File at all (a log buffer); redirected stderr stays quiet.
func WithProgress(w io.Writer) Option {
	return func(c *config) error { c.progress = w; return nil }
}

// WithHTTPClient sets the HTTP client (its Transport, proxies, TLS). The
// client is copied, never modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("http client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// DefaultMaxBytes is the download ceiling: the Hub's own limit on one file
// (50 GB). A file announced larger, or a body that runs past it when no size
// was announced, is refused. MIMO_HUB_MAX_BYTES or WithMaxBytes change it.
const DefaultMaxBytes int64 = 50_000_000_000

// WithMaxBytes sets the download ceiling (see DefaultMaxBytes).
func WithMaxBytes(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("download ceiling %d: want a positive number of bytes", n)
		}
		c.maxBytes = n
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if ua == "" {
			return errors.New("user agent is empty")
		}
		c.userAgent = ua
		return nil
	}
}

// envTrue reads a boolean environment variable the way huggingface_hub does.
func envTrue(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "1", "on", "yes", "true":
		return true
	}
	return false
}

// hfHome is huggingface_hub's HF_HOME: $HF_HOME, else
// $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
func hfHome() (string, error) {
	if h := os.Getenv("HF_HOME"); h != "" {
		return h, nil
	}
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "huggingface"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache dir: set HF_HUB_CACHE or HF_HOME, or use WithCacheDir (%w)", err)
	}
	return filepath.Join(home, ".cache", "huggingface"), nil
}

// defaultCacheDir is huggingface_hub's HF_HUB_CACHE: $HF_HUB_CACHE, else
// the older HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub. The same folder the
// Python library fills.
func defaultCacheDir() (string, error) {
	for _, v := range []string{"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"} {
		if d := os.Getenv(v); d != "" {
			return d, nil
		}
	}
	h, err := hfHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "hub"), nil
}

// defaultToken is huggingface_hub's get_token: $HF_TOKEN, else the older
// $HUGGING_FACE_HUB_TOKEN, else the file $HF_TOKEN_PATH (default
// $HF_HOME/token, what `hf auth login` writes). Surrounding white space is
// dropped; an unreadable token file is an error, a missing one is not.
func defaultToken() (string, error) {
	for _, v := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(v)); t != "" {
			return t, nil
		}
	}
	p := os.Getenv("HF_TOKEN_PATH")
	if p == "" {
		h, err := hfHome()
		if err != nil {
			return "", nil //nolint:nilerr // no home folder: no token file to read, anonymous access
		}
		p = filepath.Join(h, "token")
	}
	b, err := limited.ReadFile(p, 64<<10)
	if err != nil {
		if notExist(err) {
			return "", nil
		}
		return "", fmt.Errorf("token file (HF_TOKEN_PATH or $HF_HOME/token): %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// New returns a client configured from the environment (HF_ENDPOINT,
// HF_TOKEN, HF_HOME, HF_HUB_OFFLINE), then from opts.
func New(opts ...Option) (*Client, error) {
	token, err := defaultToken()
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	cfg := config{
		endpoint:   DefaultEndpoint,
		token:      token,
		offline:    envTrue("HF_HUB_OFFLINE"),
		maxBytes:   DefaultMaxBytes,
		retries:    5,
		timeout:    60 * time.Second,
		backoff:    time.Second,
		maxBackoff: 30 * time.Second,
		progress:   os.Stderr,
		userAgent:  "mimo-hub/1 (github.com/mimo-mlir/mimo)",
	}
	if v := os.Getenv("MIMO_HUB_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("hub: MIMO_HUB_MAX_BYTES=%q: want a positive number of bytes", v)
		}
		cfg.maxBytes = n
	}
	if e := os.Getenv("HF_ENDPOINT"); e != "" {
		ep, err := cleanEndpoint(e)
		if err != nil {
			return nil, fmt.Errorf("HF_ENDPOINT: %w", err)
		}
		cfg.endpoint = ep
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
	}
	if cfg.cacheDir == "" {
		d, err := defaultCacheDir()
		if err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
		cfg.cacheDir = d
	}
	base := &http.Client{}
	if cfg.httpClient != nil {
		cp := *cfg.httpClient
		base = &cp
	}
	follow := *base
	// Go forwards Authorization across a change of port or scheme on
	// one host; requests (and so huggingface_hub) does not.
	follow.CheckRedirect = redirect.StripCredentials()
	head := *base
	head.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &Client{
		endpoint: cfg.endpoint, token: cfg.token, cacheDir: cfg.cacheDir, offline: cfg.offline,
		retries: cfg.retries, timeout: cfg.timeout, backoff: cfg.backoff, maxBackoff: cfg.maxBackoff,
		progress: cfg.progress, userAgent: cfg.userAgent, maxBytes: cfg.maxBytes,
		rc:     resty.NewWithClient(&follow).SetDisableWarn(true),
		rcHead: resty.NewWithClient(&head).SetDisableWarn(true),
	}
	return c, nil
}

// Endpoint returns the Hub base URL in use.
func (c *Client) Endpoint() string { return c.endpoint }

// CacheDir returns the cache folder in use.
func (c *Client) CacheDir() string { return c.cacheDir }

// Offline reports whether the client only reads its cache.
func (c *Client) Offline() bool { return c.offline }

// request starts a resty request with the client's headers.
func (c *Client) request(rc *resty.Client) *resty.Request {
	// identity: sizes and Range offsets must be those of the file itself,
	// not of a compressed transfer (huggingface_hub does the same).
	r := rc.R().SetHeader("User-Agent", c.userAgent).SetHeader("Accept-Encoding", "identity")
	if c.token != "" {
		r.SetHeader("Authorization", "Bearer "+c.token)
	}
	return r
}

// fileURL is {endpoint}/{datasets/}{repo}/resolve/{revision}/{path}, with
// the revision escaped as one segment (refs/convert/parquet) and the path's
// segments escaped one by one, as huggingface_hub's hf_hub_url does.
func (c *Client) fileURL(kind RepoKind, repo, revision, path string) string {
	return c.endpoint + "/" + kind.urlPrefix() + repo + "/resolve/" + url.PathEscape(revision) + "/" + escapePath(path)
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}
