package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

var (
	// ErrNotFound is wrapped when the Hub answers 404 (repository,
	// revision or file); it also matches fs.ErrNotExist.
	ErrNotFound error = notFound{}
	// ErrUnauthorized is wrapped when the Hub answers 401 or 403.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrOffline is wrapped when offline mode needs a file the cache lacks.
	ErrOffline = errors.New("offline and not cached")
	// ErrIntegrity is wrapped when a download's size or SHA-256 is wrong.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrUnreachable is wrapped when the Hub's host name does not resolve
	// (no network, or a wrong HF_ENDPOINT). It is not retried: an unknown
	// host stays unknown for the seconds the retries would wait.
	ErrUnreachable = errors.New("the Hub cannot be reached")
)

// ref names one file for messages.
type ref struct {
	kind                 RepoKind
	repo, revision, path string
}

func (r ref) String() string {
	if r.path == "" {
		return fmt.Sprintf("%s %s at revision %s", r.kind, r.repo, r.revision)
	}
	return fmt.Sprintf("%s %s at revision %s, file %s", r.kind, r.repo, r.revision, r.path)
}

// statusError turns a final non-success HTTP answer into an error naming
// the file, with advice; errCode is the Hub's X-Error-Code header.
func (c *Client) statusError(r ref, status int, errCode, errMsg string) error {
	detail := ""
	if errMsg != "" {
		detail = " (" + strings.TrimSpace(errMsg) + ")"
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		page := c.endpoint + "/" + r.kind.urlPrefix() + r.repo
		switch {
		case errCode == "GatedRepo":
			return fmt.Errorf("%s: HTTP %d%s: the repository is gated: accept its conditions at %s while logged in, and set HF_TOKEN to a token of that account: %w", r, status, detail, page, ErrUnauthorized)
		case errCode == "RepoNotFound" && c.token == "":
			// The Hub answers this way for private repositories too, so
			// this is not ErrNotFound: nothing may skip it as absent.
			return fmt.Errorf("%s: HTTP %d%s: repository %s not found, or private: if it is private, set HF_TOKEN to a token with read access (https://huggingface.co/settings/tokens): %w", r, status, detail, r.repo, ErrUnauthorized)
		case c.token == "":
			return fmt.Errorf("%s: HTTP %d%s: the repository needs authentication: set HF_TOKEN to a token with read access (https://huggingface.co/settings/tokens): %w", r, status, detail, ErrUnauthorized)
		default:
			return fmt.Errorf("%s: HTTP %d%s: the token in use (HF_TOKEN or hub.WithToken) was rejected or lacks access to this repository; check it, and for a gated repository accept its conditions at %s: %w", r, status, detail, page, ErrUnauthorized)
		}
	case status == http.StatusNotFound:
		what := "not found"
		switch errCode {
		case "RepoNotFound":
			what = fmt.Sprintf("repository %s not found", r.repo)
		case "RevisionNotFound":
			what = fmt.Sprintf("revision %s not found in %s", r.revision, r.repo)
		case "EntryNotFound":
			what = fmt.Sprintf("file %s not found in %s at revision %s", r.path, r.repo, r.revision)
		}
		return fmt.Errorf("%s: HTTP 404%s: %s: %w", r, detail, what, ErrNotFound)
	}
	return fmt.Errorf("%s: HTTP %d%s", r, status, detail)
}

// retryable reports whether an HTTP status is worth another attempt.
func retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// notFound is ErrNotFound: errors.Is(err, fs.ErrNotExist) holds too, so
// callers that only know the standard library can tell absence apart.
type notFound struct{}

func (notFound) Error() string        { return "not found" }
func (notFound) Is(target error) bool { return target == fs.ErrNotExist }
