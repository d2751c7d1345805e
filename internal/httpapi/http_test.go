package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
)

// logCapture keeps every line a server logs.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// The HTTP error handler answers passing failures as 503 unavailable with
// Retry-After (logged at warn), too-large bodies as 413, and keeps
// unexpected ones as 500 internal error (logged at error).
func TestHTTPErrorStatuses(t *testing.T) {
	var logs logCapture
	s := &Server{Deps: Deps{Config: platform.Config{BodyLimitBytes: 10 << 20}, Logger: platform.NewLogger(&logs, platform.Config{LogLevel: "debug"})}}
	e := echo.New()
	for _, tc := range []struct {
		err        error
		status     int
		code, warn string
	}{
		{opsward.Internal(fmt.Errorf("query: %w", context.DeadlineExceeded)), 503, opsward.EUNAVAILABLE, "level=WARN"},
		{fmt.Errorf("insert: %w", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), 503, opsward.EUNAVAILABLE, "level=WARN"},
		{opsward.Internal(errors.New("nil map")), 500, opsward.EINTERNAL, "level=ERROR"},
		{echo.ErrStatusRequestEntityTooLarge, 413, opsward.ETOOLARGE, ""},
		{opsward.Errorf(opsward.EUNSUPPORTED, "no"), 415, opsward.EUNSUPPORTED, ""},
	} {
		logs.buf.Reset()
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodPost, "/x", nil), rec)
		s.httpError(tc.err, c)
		var out struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != tc.status || out.Error.Code != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.err, rec.Code, rec.Body, tc.status, tc.code)
		}
		if tc.status == 503 && (rec.Header().Get("Retry-After") == "" || out.Error.Message == "internal error") {
			t.Errorf("%v: Retry-After %q, message %q", tc.err, rec.Header().Get("Retry-After"), out.Error.Message)
		}
		if got := logs.String(); tc.warn != "" && !strings.Contains(got, tc.warn) || tc.warn == "" && got != "" {
			t.Errorf("%v: logged %q, want %s", tc.err, got, tc.warn)
		}
	}
}
