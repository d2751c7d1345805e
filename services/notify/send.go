package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// SendError is a failed send that the remote explained. Its message is
// fit for the incident timeline: it names the remote host and the status,
// never a URL path, header or secret.
type SendError struct {
	// Status is the HTTP status or SMTP reply code; 0 when the remote
	// could not be reached.
	Status int
	// Permanent means sending again cannot succeed without a change of
	// configuration (a 4xx other than 408 and 429, an SMTP 5xx reply).
	Permanent bool
	// RetryAfter is how long the remote asked us to wait (429 with
	// Retry-After), at least a second; zero when it did not say.
	RetryAfter time.Duration
	// Message says what went wrong.
	Message string
}

func (e *SendError) Error() string { return e.Message }

// Classify reports how err should be retried: permanent, or after a wait
// the remote asked for (zero when it did not ask). Errors that are not a
// *SendError are transient.
func Classify(err error) (permanent bool, retryAfter time.Duration) {
	var se *SendError
	if errors.As(err, &se) {
		return se.Permanent, se.RetryAfter
	}
	return false, 0
}

// MaxRetryAfter caps the wait a remote may ask for.
const MaxRetryAfter = time.Hour

// StatusError classifies a non-2xx HTTP answer from host. body is a
// prefix of the answer; a short printable excerpt of it goes into the
// message, since remotes such as Slack explain themselves there.
func StatusError(host string, status int, header http.Header, body []byte, now time.Time) *SendError {
	e := &SendError{Status: status}
	switch {
	case status == http.StatusTooManyRequests:
		if d, ok := ParseRetryAfter(header.Get("Retry-After"), now); ok {
			// "Retry-After: 0" still asks for a wait, not a backoff.
			e.RetryAfter = max(d, time.Second)
		}
	case status == http.StatusRequestTimeout:
	case status >= 300 && status < 500:
		e.Permanent = true
	}
	e.Message = fmt.Sprintf("%s answered HTTP %d", host, status)
	if ex := excerpt(body, 200); ex != "" {
		e.Message += ": " + ex
	}
	return e
}

// ParseRetryAfter reads a Retry-After value, delay-seconds or an HTTP
// date, as a wait from now, capped at MaxRetryAfter. ok is false when v
// is empty or malformed.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) && strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
				return MaxRetryAfter, true
			}
			return 0, false
		}
		return min(time.Duration(n)*time.Second, MaxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}

// excerpt returns up to n bytes of b as one printable line.
func excerpt(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	return Truncate(s, n)
}

// maxResponse bounds how much of an answer is read.
const maxResponse = 64 << 10

// PostJSON posts body to rawURL through doer with the given extra
// headers. It returns the first 64 KiB of a 2xx answer, a *SendError for
// any other status or an unreachable remote, or ctx's error. Errors never
// contain the URL, which may be a secret (Slack and Teams webhooks).
func PostJSON(ctx context.Context, doer Doer, rawURL string, body []byte, header http.Header, now time.Time) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &SendError{Permanent: true, Message: "the destination URL is not valid"}
	}
	host := u.Hostname()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, &SendError{Permanent: true, Message: "the destination URL is not valid"}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	resp, err := doer.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &SendError{Message: fmt.Sprintf("could not reach %s: %s", host, transportCause(err))}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, StatusError(host, resp.StatusCode, resp.Header, data, now)
	}
	if err != nil {
		// The remote took the request; reading its answer failed. Treat
		// as delivered rather than send twice.
		return nil, nil
	}
	return data, nil
}

// UserAgent is sent with every outbound request.
const UserAgent = "Opsward-Notify/1"

// transportCause describes a transport error without the URL that
// *url.Error would print.
func transportCause(err error) string {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	if err == nil {
		return "connection failed"
	}
	return Truncate(err.Error(), 300)
}
