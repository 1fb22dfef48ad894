package limited

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadAll(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int64
		ok    bool
	}{{"", 0, true}, {"abc", 3, true}, {"abcd", 3, false}} {
		b, err := ReadAll(strings.NewReader(tc.in), tc.limit)
		var tl *TooLargeError
		if tc.ok && (err != nil || string(b) != tc.in) || !tc.ok && (!errors.As(err, &tl) || tl.Limit != tc.limit) {
			t.Errorf("ReadAll(%q, %d) = %q, %v", tc.in, tc.limit, b, err)
		}
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p, 4); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("ReadFile over the limit: %v, want an error naming the file", err)
	}
}
