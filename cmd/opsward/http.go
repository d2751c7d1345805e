package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
)

// newEcho builds the HTTP front door with the middleware every route
// shares. Routes are added by the caller.
func (m *Main) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = m.httpError
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
	m.Registry.MustRegister(httpRequests, httpDuration)

	e.Use(middleware.RequestID())
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := c.Response().Header().Get(echo.HeaderXRequestID)
			ctx := platform.WithLogAttrs(c.Request().Context(), slog.String("request_id", id))
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	})
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			m.Logger.ErrorContext(c.Request().Context(), "panic in handler", "err", err, "stack", string(stack))
			return opsward.Internal(err)
		},
	}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogRoutePath: true,
		LogLatency: true, LogRemoteIP: true, LogResponseSize: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			route := v.RoutePath
			if route == "" {
				route = "unmatched"
			}
			httpRequests.WithLabelValues(route, v.Method, strconv.Itoa(v.Status)).Inc()
			httpDuration.WithLabelValues(route).Observe(v.Latency.Seconds())
			if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				return nil // probes and scrapes would drown the log
			}
			// Metrics count every request; the log keeps what needs a look
			// (failures and slow answers) at info and the rest at debug,
			// so that a busy API does not spend its time writing lines.
			lvl := slog.LevelDebug
			switch {
			case v.Status >= 500:
				lvl = slog.LevelError
			case v.Status >= 400 || v.Latency > time.Second:
				lvl = slog.LevelInfo
			}
			if !m.Logger.Enabled(c.Request().Context(), lvl) {
				return nil
			}
			m.Logger.LogAttrs(c.Request().Context(), lvl, "http request",
				slog.String("method", v.Method), slog.String("path", v.URIPath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP), slog.Int64("bytes", v.ResponseSize))
			return nil
		},
	}))
	e.Use(middleware.BodyLimit(fmt.Sprintf("%dB", m.Config.BodyLimitBytes)))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper: func(c echo.Context) bool { return isWebsocket(c.Request()) },
		// Compressing a small answer costs more than it saves.
		MinLength: 1400,
	}))
	if len(m.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  m.Config.CORSOrigins,
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
	e.GET("/readyz", m.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{DisableCompression: true})))
	return e
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// readyz answers 200 when the database and Redis answer and the schema is
// current, 503 naming what is not.
func (m *Main) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	check := func(name string, err error) {
		if err != nil {
			ok = false
			checks[name] = err.Error()
			m.Logger.WarnContext(ctx, "not ready", "check", name, "err", err)
			return
		}
		checks[name] = "ok"
	}
	check("database", m.DB.PingContext(ctx))
	check("redis", m.Redis.Ping(ctx).Err())
	check("migrations", m.migrator.CheckCurrent(ctx))
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, map[string]any{"ready": ok, "checks": checks})
}

// httpError is the one place HTTP statuses come from: domain codes map to
// statuses; internal errors are logged with their cause and shown as
// "internal error".
func (m *Main) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := http.StatusInternalServerError, opsward.EINTERNAL, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		msg = fmt.Sprint(he.Message)
	} else {
		code, msg = opsward.ErrorCode(err), opsward.ErrorMessage(err)
		status = StatusFor(code)
	}
	if status >= 500 {
		m.Logger.ErrorContext(c.Request().Context(), "request failed", "err", err)
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
	}
	return http.StatusInternalServerError
}
