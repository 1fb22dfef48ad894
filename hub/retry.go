package hub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter bounds how long a Retry-After header may make us wait.
const maxRetryAfter = 5 * time.Minute

// transientError is a failure worth retrying (429, 5xx, a broken or
// stalled connection); retryAfter is the server's Retry-After, if any.
type transientError struct {
	err        error
	retryAfter time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoffFor is the delay before retry number attempt+1: base*2^attempt
// capped at maxBackoff, with "equal jitter" (uniform in [d/2, d]) so that
// clients failing together do not retry together.
func (c *Client) backoffFor(attempt int) time.Duration {
	d := c.backoff
	for i := 0; i < attempt && d < c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.maxBackoff)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(d-half)+1))
}

// unknownHost reports whether err is a DNS answer that the host does not
// exist (not a timeout or a temporary resolver failure, which are retried).
func unknownHost(err error) (string, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound && !dnsErr.IsTimeout && !dnsErr.IsTemporary {
		return dnsErr.Name, true
	}
	return "", false
}

// withRetries runs op until it succeeds, fails for good, or the retries
// run out. Only *transientError failures are retried, and not those whose
// host name does not resolve (ErrUnreachable).
func (c *Client) withRetries(ctx context.Context, what ref, op func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("%s: %w", what, ctxErr)
		}
		var te *transientError
		if !errors.As(err, &te) {
			return err
		}
		if host, ok := unknownHost(err); ok {
			return fmt.Errorf("%s: host %s not found: check the network and $HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use only the cache: %w: %w", what, host, ErrUnreachable, err)
		}
		if attempt >= c.retries {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempt+1, err)
		}
		wait := c.backoffFor(attempt)
		if te.retryAfter > 0 {
			if te.retryAfter > maxRetryAfter {
				return fmt.Errorf("%s: the Hub asks to retry after %v (more than %v): %w", what, te.retryAfter, maxRetryAfter, err)
			}
			wait = te.retryAfter
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (while waiting to retry after: %w)", what, ctx.Err(), err)
		case <-t.C:
		}
	}
}
