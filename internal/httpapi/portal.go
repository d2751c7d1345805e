package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
)

// portalCSP is the Content-Security-Policy of every page the portal
// serves: scripts and styles only from the binary's own files (no inline
// script, no CDN), API calls and the subscription socket to this origin,
// and no framing.
const portalCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// explorerCSP is the policy of the explorer's page: its editor (Monaco)
// writes style elements at run time and its icon fonts are data: URLs in
// its stylesheet, so styles may be inline and fonts data there; scripts
// still come only from the binary's files.
var explorerCSP = strings.NewReplacer("style-src 'self'", "style-src 'self' 'unsafe-inline'", "font-src 'self'", "font-src 'self' data:").Replace(portalCSP)

// apiPrefixes are the paths that belong to the API: an unknown path under
// one answers the API's 404, never the portal's page.
var apiPrefixes = []string{"/auth/", "/graphql", "/ingest/", "/heartbeat/", "/edl/", "/export/", "/webhooks/", "/.well-known/", "/healthz", "/readyz", "/metrics", "/debug/", "/public/"}

// portal serves the embedded single-page application: hashed assets with
// a year's cache, other files as they are, and index.html for every other
// GET, so that a client route (/monitors/mon_…) loads the application,
// which then routes itself.
type portal struct {
	files fs.FS
	index []byte
	start time.Time
}

func newPortal(files fs.FS) (*portal, error) {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	return &portal{files: files, index: index, start: time.Now()}, nil
}

// mountPortal adds the portal at / (after every API route, which echo's
// router prefers to the catch-all).
func (s *Server) mountPortal() error {
	p, err := newPortal(s.Portal)
	if err != nil {
		return err
	}
	s.e.GET("/*", p.serve)
	s.e.HEAD("/*", p.serve)
	// Other methods on a path no route serves stay 404 (the catch-all
	// above would make them 405): a POST to a webhook that is not
	// configured is not found, as before the portal.
	s.e.Match([]string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, "/*",
		func(echo.Context) error { return echo.ErrNotFound })
	s.e.GET("/public/status/:slug", s.publicStatus(newPageCache(statusCacheTTL, 1000)))
	return nil
}

// statusCacheTTL is how long a public status page is served from memory:
// anyone may ask for it, and building it reads 90 days per monitor.
const statusCacheTTL = 30 * time.Second

// publicStatus answers the public status page of a slug: no credentials,
// and nothing but what the page publishes.
func (s *Server) publicStatus(cache *pageCache) echo.HandlerFunc {
	return func(c echo.Context) error {
		slug := c.Param("slug")
		c.Response().Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(statusCacheTTL.Seconds())))
		if b, ok := cache.get(slug); ok {
			return c.JSONBlob(http.StatusOK, b)
		}
		page, err := s.NOC.PublicPage(c.Request().Context(), slug)
		if err != nil {
			c.Response().Header().Set("Cache-Control", "no-store")
			return err
		}
		b, err := json.Marshal(page)
		if err != nil {
			return opsward.Internal(err)
		}
		cache.put(slug, b)
		return c.JSONBlob(http.StatusOK, b)
	}
}

// pageCache keeps built answers for a while, at most max of them.
type pageCache struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	m   map[string]cachedPage
}

type cachedPage struct {
	at   time.Time
	body []byte
}

func newPageCache(ttl time.Duration, max int) *pageCache {
	return &pageCache{ttl: ttl, max: max, m: map[string]cachedPage{}}
}

func (pc *pageCache) get(k string) ([]byte, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	e, ok := pc.m[k]
	if !ok || time.Since(e.at) > pc.ttl {
		return nil, false
	}
	return e.body, true
}

func (pc *pageCache) put(k string, b []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.m) >= pc.max {
		clear(pc.m)
	}
	pc.m[k] = cachedPage{at: time.Now(), body: b}
}

func (p *portal) serve(c echo.Context) error {
	urlPath := c.Request().URL.Path
	for _, pre := range apiPrefixes {
		if strings.HasPrefix(urlPath, pre) {
			return opsward.Errorf(opsward.ENOTFOUND, "no such endpoint")
		}
	}
	h := c.Response().Header()
	setPortalHeaders(h)
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name != "" && name != "index.html" {
		if b, err := fs.ReadFile(p.files, name); err == nil {
			if strings.HasPrefix(name, "assets/") {
				// Vite names every asset by a hash of its content.
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "public, max-age=300")
			}
			http.ServeContent(c.Response(), c.Request(), name, p.start, bytes.NewReader(b))
			return nil
		}
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" && !strings.HasPrefix(name, "status/") {
			// A missing file is missing: answering it with the page
			// would hide a broken build behind a blank screen.
			return opsward.Errorf(opsward.ENOTFOUND, "no such file")
		}
	}
	// The page itself is never cached, so that a new build is picked up
	// on the next load.
	h.Set("Cache-Control", "no-cache")
	if name == "explorer" {
		h.Set("Content-Security-Policy", explorerCSP)
	}
	http.ServeContent(c.Response(), c.Request(), "index.html", p.start, bytes.NewReader(p.index))
	return nil
}

// setPortalHeaders sets the security headers of a portal response.
func setPortalHeaders(h http.Header) {
	h.Set("Content-Security-Policy", portalCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
