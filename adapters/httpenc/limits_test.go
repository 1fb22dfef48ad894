package httpenc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mimo-mlir/mimo/adapters"
)

// TestEndlessResponseBounded reproduces issue 12 item 2: a server that
// answers an endless body made the encoder grow to 6.2 GB. The body is now
// read up to a limit and refused, without retrying.
func TestEndlessResponseBounded(t *testing.T) {
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"embedding":[`))
		chunk := []byte(strings.Repeat("0.125,", 4096))
		for i := 0; i < 1<<14; i++ { // up to 400 MB if nothing stops it
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	enc, err := New(context.Background(), Config{API: OpenAI, URL: srv.URL, Model: "m", Dim: 4, MaxResponseBytes: 1 << 20, MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	requests = 0
	_, err = enc.Encode(context.Background(), adapters.Request{Role: adapters.RoleQuery, Texts: []string{"a", "b"}})
	if err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("err = %v, want the response limit named", err)
	}
	if requests != 1 {
		t.Errorf("%d requests: an over-long answer must not be retried", requests)
	}
}

// TestKeyNotSentToOtherPort reproduces issue 12 item 3: a redirect to
// another port on the same host carried the API key (Go strips it only on
// a host change). Both the Authorization form and a custom key header.
func TestKeyNotSentToOtherPort(t *testing.T) {
	for _, header := range []string{"Authorization", "X-Api-Key"} {
		t.Run(header, func(t *testing.T) {
			var leaked []string
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if v := r.Header.Get(header); v != "" {
					leaked = append(leaked, v)
				}
				http.Error(w, `{"error":"nope"}`, http.StatusUnauthorized)
			}))
			defer other.Close()
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
			}))
			defer origin.Close()
			_, err := New(context.Background(), Config{API: OpenAI, URL: origin.URL, Model: "m", APIKey: "s3cret", APIKeyHeader: header, MaxRetries: 0})
			if err == nil {
				t.Fatal("no error from a 401")
			}
			if len(leaked) > 0 {
				t.Errorf("the key reached the other port: %v", leaked)
			}
		})
	}
}
