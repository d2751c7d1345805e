package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/graph"
	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
)

// newEcho builds the HTTP front door with the middleware every route
// shares. Routes are added by the caller.
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.httpError
	e.IPExtractor = echo.ExtractIPDirect()

	httpRequests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "opsward_http_requests_total",
		Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	httpDuration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "opsward_http_request_duration_seconds",
		Help:    "HTTP request time by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	s.Registry.MustRegister(httpRequests, httpDuration)

	e.Use(requestID)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Logger.ErrorContext(c.Request().Context(), "panic in handler", "err", err, "stack", string(stack))
			return opsward.Internal(err)
		},
	}))
	// Every request is counted in the metrics; the log keeps what needs a
	// look (failures and slow answers) at info and the rest at debug, so
	// that a busy API does not spend its time writing lines.
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			latency := time.Since(start)
			req, res := c.Request(), c.Response()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			httpRequests.WithLabelValues(route, req.Method, strconv.Itoa(res.Status)).Inc()
			httpDuration.WithLabelValues(route).Observe(latency.Seconds())
			if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				return nil // probes and scrapes would drown the log
			}
			lvl := slog.LevelDebug
			switch {
			case res.Status == http.StatusServiceUnavailable:
				// Load shed on purpose or a passing failure: the client
				// is told to retry; its cause is logged where it happened.
				lvl = slog.LevelWarn
			case res.Status >= 500:
				lvl = slog.LevelError
			case res.Status >= 400 || latency > time.Second:
				lvl = slog.LevelInfo
			}
			if s.Logger.Enabled(req.Context(), lvl) {
				s.Logger.LogAttrs(req.Context(), lvl, "http request",
					slog.String("method", req.Method), slog.String("path", logPath(c)),
					slog.Int("status", res.Status), slog.Duration("latency", latency),
					slog.String("remote_ip", c.RealIP()), slog.Int64("bytes", res.Size),
					// What was sent, described, never its bytes.
					slog.Int64("request_bytes", req.ContentLength), slog.String("content_type", clipHeader(req.Header.Get(echo.HeaderContentType))))
			}
			return nil
		}
	})
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: fmt.Sprintf("%dB", s.Config.BodyLimitBytes),
		// The GraphQL transport applies the same limit itself, after
		// decompression, and answers in GraphQL's shape.
		Skipper: func(c echo.Context) bool { return c.Path() == "/graphql" },
	}))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper: func(c echo.Context) bool { return isWebsocket(c.Request()) },
		// Compressing a small answer costs more than it saves.
		MinLength: 1400,
	}))
	if len(s.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  s.Config.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "X-Opsward-Tenant"},
			ExposeHeaders: []string{echo.HeaderXRequestID},
			MaxAge:        600,
		}))
	}
	// A WebSocket lives longer than the server's write timeout allows a
	// request: lift the deadlines for upgrades only.
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if isWebsocket(c.Request()) {
				rc := http.NewResponseController(c.Response().Writer)
				_ = rc.SetReadDeadline(time.Time{})
				_ = rc.SetWriteDeadline(time.Time{})
			}
			return next(c)
		}
	})

	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{DisableCompression: true})))
	return e
}

// requestID gives every request an id: the caller's X-Request-Id when it
// is a sane token, else a new one. The id goes back in the response and
// into every log line written with the request's context, which also
// carries the caller's address for the services that record it.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if !saneRequestID(id) {
			id = fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		ctx := platform.WithLogAttrs(req.Context(), slog.String("request_id", id))
		ctx = graph.WithRequest(ctx, tenants.Request{IP: c.RealIP(), UserAgent: req.UserAgent()})
		c.SetRequest(req.WithContext(ctx))
		return next(c)
	}
}

// logPath is the request's path for the log, with every path parameter
// that is a credential (a heartbeat token, an indicator list's token)
// replaced: the route says which parameters those are. A path that
// matched no route keeps only its first segment, since nothing says what
// the rest holds.
func logPath(c echo.Context) string {
	path, route := c.Request().URL.Path, c.Path()
	if route == "" || route == "/*" {
		if i := strings.IndexByte(strings.TrimPrefix(path, "/"), '/'); i >= 0 {
			return path[:i+1] + "/…"
		}
		return path
	}
	if !strings.ContainsAny(route, ":*") {
		return path
	}
	out := route
	for i, name := range c.ParamNames() {
		v := c.ParamValues()[i]
		if platform.SecretName(name) {
			v = platform.Redacted
		}
		if name == "*" {
			out = strings.Replace(out, "*", v, 1)
		} else {
			out = strings.Replace(out, ":"+name, v, 1)
		}
	}
	return out
}

// clipHeader keeps a header value that goes into the log short: a header
// may be a megabyte long.
func clipHeader(v string) string {
	if len(v) > 100 {
		return v[:100] + "…"
	}
	return v
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// readyz answers 200 when the database and Redis answer and the schema is
// current, 503 naming what is not.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	check := func(name string, err error) {
		if err != nil {
			ok = false
			checks[name] = err.Error()
			s.Logger.WarnContext(ctx, "not ready", "check", name, "err", err)
			return
		}
		checks[name] = "ok"
	}
	for _, r := range s.Ready {
		check(r.Name, r.Check(ctx))
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, map[string]any{"ready": ok, "checks": checks})
}

// httpError is the one place HTTP statuses come from: domain codes map to
// statuses; internal errors are logged with their cause and shown as
// "internal error".
func (s *Server) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, opsward.EINTERNAL, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		msg = fmt.Sprint(he.Message)
		switch he.Code {
		// The same codes as the domain's, so that every endpoint answers
		// alike.
		case http.StatusRequestEntityTooLarge:
			code, msg = opsward.ETOOLARGE, fmt.Sprintf("the body is over the limit of %s", inflight.Size(s.Config.BodyLimitBytes))
		case http.StatusUnsupportedMediaType:
			code = opsward.EUNSUPPORTED
		case http.StatusNotFound:
			code = opsward.ENOTFOUND
		}
	} else {
		code, msg = opsward.Public(err)
		status = StatusFor(code)
	}
	switch {
	case code == opsward.EUNAVAILABLE:
		if c.Response().Header().Get("Retry-After") == "" {
			c.Response().Header().Set("Retry-After", strconv.Itoa(inflight.RetryAfterSeconds))
		}
		s.Logger.WarnContext(c.Request().Context(), "request failed for a passing cause", "err", err)
	case status >= 500:
		s.Logger.ErrorContext(c.Request().Context(), "request failed", "err", err)
	}
	body := map[string]any{"code": code, "message": msg}
	if f := opsward.ErrorField(err); f != "" {
		body["field"] = f
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, map[string]any{"error": body})
}

// StatusFor maps a domain error code to an HTTP status.
func StatusFor(code string) int {
	switch code {
	case opsward.EINVALID:
		return http.StatusBadRequest
	case opsward.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case opsward.EFORBIDDEN:
		return http.StatusForbidden
	case opsward.ENOTFOUND:
		return http.StatusNotFound
	case opsward.ECONFLICT:
		return http.StatusConflict
	case opsward.ELIMIT:
		return http.StatusTooManyRequests
	case opsward.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case opsward.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case opsward.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
