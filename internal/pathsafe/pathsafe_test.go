package pathsafe

import (
	"errors"
	"strings"
	"testing"
)

func TestComponent(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"intfloat__multilingual-e5-small", true},
		{"main", true},
		{"0123456789abcdef0123456789abcdef01234567", true},
		{"XQuAD-MLIR", true},
		{"模型", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../x", false},
		{"a/b", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\x7fb", false},
		{"\xff", false},
		{strings.Repeat("a", 256), false},
		{"...", true}, // a real (odd) file name, not a parent reference
	} {
		t.Run(tc.value, func(t *testing.T) {
			err := Component("revision", tc.value)
			if (err == nil) != tc.ok {
				t.Fatalf("Component(%q) = %v, want ok=%v", tc.value, err, tc.ok)
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Field != "revision" || !strings.Contains(err.Error(), "revision") {
					t.Errorf("error %v does not name the field", err)
				}
			}
		})
	}
}

func TestIsCommit(t *testing.T) {
	for s, want := range map[string]bool{
		"0123456789abcdef0123456789abcdef01234567": true,
		"0123456789ABCDEF0123456789abcdef01234567": false,
		"../../../../x": false,
		"0123456789abcdef0123456789abcdef0123456":   false,
		"0123456789abcdef0123456789abcdef012345678": false,
		"": false,
	} {
		if got := IsCommit(s); got != want {
			t.Errorf("IsCommit(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRelPath(t *testing.T) {
	for p, ok := range map[string]bool{
		"onnx/model.onnx":       true,
		"model.safetensors":     true,
		"1_Pooling/config.json": true,
		"":                      false,
		"/etc/passwd":           false,
		"a//b":                  false,
		"a/../../b":             false,
		"a/./b":                 false,
		`onnx\model.onnx`:       false,
		"a/b/":                  false,
	} {
		if err := RelPath("listed path", p); (err == nil) != ok {
			t.Errorf("RelPath(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}
