// Package redirect decides whether credentials may follow an HTTP redirect.
//
// Go's http.Client forwards Authorization (and Cookie) on a redirect whenever
// the new host name is the old one or a subdomain of it, whatever the scheme
// or port: a Hub mirror at https://mirror:443 redirecting to http://mirror:8080
// would receive HF_TOKEN in clear text, on a port someone else may own. We
// follow Python requests' rule instead (Session.should_strip_auth), which
// huggingface_hub and most embedding-server clients inherit: credentials are
// kept only when scheme, host and port are all unchanged, with one exception,
// the upgrade from http on port 80 to https on port 443. Once stripped they
// are not restored by a later hop back to the first origin.
package redirect

import (
	"net/http"
	"net/url"
	"strings"
)

// maxHops is Go's own default redirect limit.
const maxHops = 10

// KeepCredentials reports whether credentials sent to from may be sent to to.
func KeepCredentials(from, to *url.URL) bool {
	if !strings.EqualFold(from.Hostname(), to.Hostname()) {
		return false
	}
	fs, ts := strings.ToLower(from.Scheme), strings.ToLower(to.Scheme)
	fp, tp := port(from), port(to)
	if fs == "http" && ts == "https" && fp == "80" && tp == "443" {
		return true
	}
	return fs == ts && fp == tp
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// StripCredentials returns an http.Client CheckRedirect function that
// deletes the named headers (Authorization, and e.g. an API-key header) from
// a redirected request unless every hop so far kept scheme, host and port
// (KeepCredentials against the first request). It also stops after 10 hops,
// as Go's default does.
func StripCredentials(headers ...string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxHops {
			return http.ErrUseLastResponse
		}
		first := via[0].URL
		keep := KeepCredentials(first, req.URL)
		for _, v := range via[1:] {
			keep = keep && KeepCredentials(first, v.URL)
		}
		if !keep {
			for _, h := range headers {
				req.Header.Del(h)
			}
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
		}
		return nil
	}
}
