package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

// FuzzPortalPath sends any path to the portal: it answers the page, one of
// its own files, or 404, and never anything else (no file from outside the
// build, no 500).
func FuzzPortalPath(f *testing.F) {
	files := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><div id=root></div>")},
		"favicon.svg":         {Data: []byte("<svg/>")},
		"assets/index-abc.js": {Data: []byte("console.log(1)")},
	}
	p, err := newPortal(files)
	if err != nil {
		f.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = (&Server{Deps: Deps{Logger: slog.New(slog.DiscardHandler)}}).httpError
	e.GET("/*", p.serve)
	for _, s := range []string{"/", "/monitors/mon_1", "/assets/index-abc.js", "/assets/../index.html", "/../../etc/passwd",
		"/favicon.svg", "/auth/x", "//assets/index-abc.js", "/status/a.b", "/x.png", "/%2e%2e/", "/assets/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = "/" + strings.TrimPrefix(path, "/")
		req.URL.RawPath = ""
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		body := rec.Body.String()
		switch rec.Code {
		case http.StatusOK:
			ok := body == string(files["index.html"].Data)
			for _, f := range files {
				ok = ok || body == string(f.Data)
			}
			if !ok {
				t.Fatalf("%q: 200 with %q", path, body)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Fatalf("%q: no CSP", path)
			}
		case http.StatusNotFound, http.StatusMovedPermanently:
		default:
			t.Fatalf("%q: status %d %q", path, rec.Code, body)
		}
	})
}
