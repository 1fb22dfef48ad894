// Package pathsafe checks values that come from outside (a model name, a
// revision a server announced, a task name in a config file) before they
// become one component of a path under a folder the user chose.
//
// The rule is deliberately narrow: a component is one non-empty path element
// that cannot climb out of, or point beside, its parent. It is not "." or
// "..", holds no path separator ('/' or '\\', on every OS, so a results folder
// written on Linux is safe to copy to Windows), no NUL and no control
// character, and is valid UTF-8. Callers map characters they want to keep
// ("/" in "org/model" becomes "__", as MTEB does) before they check.
package pathsafe

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the longest component accepted, in bytes: the common file-name
// limit (NAME_MAX on Linux, macOS and Windows' NTFS).
const MaxLen = 255

// Error says which field holds an unsafe value and why.
type Error struct {
	Field  string // "model name", "revision", "task name", ...
	Value  string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("unsafe %s %q: %s", e.Field, e.Value, e.Reason)
}

// Component returns nil when value is safe as one path component, else an
// *Error naming field.
func Component(field, value string) error {
	bad := func(reason string) error { return &Error{Field: field, Value: value, Reason: reason} }
	switch {
	case value == "":
		return bad("empty")
	case value == "." || value == "..":
		return bad("names the folder itself or its parent")
	case len(value) > MaxLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxLen))
	case !utf8.ValidString(value):
		return bad("not valid UTF-8")
	}
	for _, r := range value {
		switch {
		case r == '/' || r == '\\':
			return bad("holds a path separator")
		case r == 0:
			return bad("holds a NUL byte")
		case unicode.IsControl(r):
			return bad(fmt.Sprintf("holds control character %U", r))
		}
	}
	return nil
}

// IsCommit reports whether s is a full git commit id: 40 lower-case hex
// digits, the only form the Hub sends in X-Repo-Commit.
func IsCommit(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// RelPath returns nil when p is a safe relative path inside a folder: one or
// more safe components separated by '/', as a file path in a Hub repository
// listing ("onnx/model.onnx"). Empty components ("a//b"), a leading '/' and
// backslashes are refused.
func RelPath(field, p string) error {
	switch {
	case p == "":
		return &Error{Field: field, Value: p, Reason: "empty"}
	case p[0] == '/':
		return &Error{Field: field, Value: p, Reason: "absolute (want a path relative to the folder)"}
	case strings.Contains(p, "//") || strings.HasSuffix(p, "/"):
		return &Error{Field: field, Value: p, Reason: "has an empty component (want a clean path)"}
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if err := Component(field, p[start:i]); err != nil {
				var e *Error
				if errors.As(err, &e) {
					e.Value = p
				}
				return err
			}
			start = i + 1
		}
	}
	return nil
}
