package egress

import (
	"crypto/tls"
	"errors"
	"net/http"
	"time"
)

// MaxRedirects is the most redirects a guarded client follows.
const MaxRedirects = 10

// NewTransport returns an HTTP transport that dials only through g and
// ignores proxy settings from the environment (a proxy would connect on
// our behalf to addresses the guard never sees). tlsConf may be nil.
// Keep-alives are on; callers that want a fresh connection per request
// (to time DNS, connect and TLS) set DisableKeepAlives.
func NewTransport(g *Guard, tlsConf *tls.Config) *http.Transport {
	gg := g.WithDefaults()
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   gg.DialTimeout,
		ResponseHeaderTimeout: 0, // the client timeout and ctx bound it
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// NewHTTPClient returns a client for tenant-supplied URLs: every
// connection, including those of redirects, is checked by g; at most
// MaxRedirects redirects are followed; the whole exchange is bounded by
// timeout (default 30s).
func NewHTTPClient(g *Guard, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{
		Transport:     NewTransport(g, nil),
		Timeout:       timeout,
		CheckRedirect: LimitRedirects(MaxRedirects),
	}
}

// ErrTooManyRedirects is returned (wrapped) when a chain of redirects is
// longer than allowed.
var ErrTooManyRedirects = errors.New("too many redirects")

// LimitRedirects returns a CheckRedirect function that follows at most n
// redirects; n == 0 follows none and returns the redirect response itself.
func LimitRedirects(n int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if n == 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > n {
			return ErrTooManyRedirects
		}
		return nil
	}
}
