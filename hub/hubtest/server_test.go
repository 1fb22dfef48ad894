package hubtest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mimo-mlir/mimo/hub"
	"github.com/mimo-mlir/mimo/hub/hubtest"
)

// noRedirect sees the server's first answer, as the hub client's HEAD does.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestLayout checks the wire format the hub client relies on.
func TestLayout(t *testing.T) {
	root := t.TempDir()
	big := strings.Repeat("0123456789", 1000)
	hubtest.WriteRepo(t, root, hub.Dataset, "org/ds", map[string]string{"a.txt": "hello", "d/big.txt": big, "d/e/f.txt": "f"})
	srv := hubtest.NewServer(t, root, hubtest.WithPageSize(2))
	sum := sha256.Sum256([]byte(big))
	bigSHA := hex.EncodeToString(sum[:])

	t.Run("small file is served directly with a git ETag", func(t *testing.T) {
		resp, body := do(t, "GET", srv.URL+"/datasets/org/ds/resolve/main/a.txt", nil)
		// `printf hello | git hash-object --stdin`
		want := []string{"200", `"b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"`, hubtest.Commit("org/ds"), "hello"}
		got := []string{resp.Status[:3], resp.Header.Get("ETag"), resp.Header.Get("X-Repo-Commit"), body}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("LFS file redirects to the CDN with X-Linked-Etag", func(t *testing.T) {
		resp, _ := do(t, "HEAD", srv.URL+"/datasets/org/ds/resolve/main/d/big.txt", nil)
		loc := resp.Header.Get("Location")
		want := []string{"302", `"` + bigSHA + `"`, "10000", srv.URL + "/cdn/datasets/org/ds/" + hubtest.Commit("org/ds") + "/d/big.txt?X-Amz-Signature=fake"}
		got := []string{resp.Status[:3], resp.Header.Get("X-Linked-Etag"), resp.Header.Get("X-Linked-Size"), loc}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
		resp, body := do(t, "GET", loc, map[string]string{"Range": "bytes=9990-"})
		got = []string{resp.Status[:3], resp.Header.Get("Content-Range"), body}
		if diff := cmp.Diff([]string{"206", "bytes 9990-9999/10000", "0123456789"}, got); diff != "" {
			t.Errorf("range GET (-want +got):\n%s", diff)
		}
		resp, _ = do(t, "GET", loc, map[string]string{"Range": "bytes=10000-"})
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("range past the end: %s, want 416", resp.Status)
		}
	})

	t.Run("404s carry X-Error-Code", func(t *testing.T) {
		for url, code := range map[string]string{
			"/datasets/org/ds/resolve/main/nope.txt": "EntryNotFound",
			"/datasets/org/zz/resolve/main/a.txt":    "RepoNotFound",
			"/api/datasets/org/zz/tree/main":         "RepoNotFound",
		} {
			resp, _ := do(t, "GET", srv.URL+url, nil)
			if resp.StatusCode != 404 || resp.Header.Get("X-Error-Code") != code {
				t.Errorf("%s: %s %q, want 404 %s", url, resp.Status, resp.Header.Get("X-Error-Code"), code)
			}
		}
	})

	t.Run("tree API pages with Link headers", func(t *testing.T) {
		var paths []string
		next := srv.URL + "/api/datasets/org/ds/tree/main?recursive=true"
		pages := 0
		for next != "" {
			resp, body := do(t, "GET", next, nil)
			var entries []hub.TreeEntry
			if err := json.Unmarshal([]byte(body), &entries); err != nil {
				t.Fatal(err)
			}
			if len(entries) > 2 {
				t.Errorf("page of %d entries, page size 2", len(entries))
			}
			for _, e := range entries {
				paths = append(paths, e.Type+":"+e.Path)
			}
			next = ""
			if l := resp.Header.Get("Link"); l != "" {
				next = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			}
			pages++
		}
		want := []string{"file:a.txt", "directory:d", "file:d/big.txt", "directory:d/e", "file:d/e/f.txt"}
		if diff := cmp.Diff(want, paths); diff != "" || pages != 3 {
			t.Errorf("%d pages; entries (-want +got):\n%s", pages, diff)
		}
		_, body := do(t, "GET", srv.URL+"/api/datasets/org/ds/tree/main/d", nil)
		var top []hub.TreeEntry
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range top {
			got = append(got, e.Path)
		}
		if diff := cmp.Diff([]string{"d/big.txt", "d/e"}, got); diff != "" {
			t.Errorf("non-recursive listing of d (-want +got):\n%s", diff)
		}
	})

	t.Run("faults are consumed in order", func(t *testing.T) {
		srv.ResetLog()
		srv.FailNext(1, 503, "7", "a.txt")
		resp, _ := do(t, "GET", srv.URL+"/datasets/org/ds/resolve/main/a.txt", nil)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "7" {
			t.Errorf("injected failure: %s Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
		}
		resp, _ = do(t, "GET", srv.URL+"/datasets/org/ds/resolve/main/a.txt", nil)
		if resp.StatusCode != 200 {
			t.Errorf("after the fault: %s", resp.Status)
		}
		if n := srv.Count("GET", "a.txt"); n != 2 {
			t.Errorf("Count = %d, want 2", n)
		}
	})
}
