package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/graph"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// TenantHeader chooses the acting tenant of a request, within what the
// credentials reach.
const TenantHeader = "X-Opsward-Tenant"

func requestOf(c echo.Context) tenants.Request {
	return tenants.Request{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// authenticate puts the actor of a request with credentials in its
// context. A request without credentials goes on anonymous (only public
// fields answer it); bad credentials are refused with 401 at once.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		a, err := s.Tenants.Authenticate(ctx, h, c.Request().Header.Get(TenantHeader), requestOf(c))
		if err != nil {
			if opsward.ErrorCode(err) == opsward.EUNAUTHORIZED {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="opsward", error="invalid_token"`)
			}
			return err
		}
		ctx = tenants.NewContext(ctx, a)
		ctx = platform.WithLogAttrs(ctx, slogTenant(a)...)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// WebsocketInit authenticates a GraphQL WebSocket from the
// connection_init payload: {"Authorization": "Bearer …", "X-Opsward-Tenant": "ten_…"}.
// It is the gateway's init function (graph.Options.WebsocketInit).
func WebsocketInit(t Tenants) func(context.Context, transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		return websocketInit(ctx, t, p)
	}
}

func websocketInit(ctx context.Context, t Tenants, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	h := p.Authorization()
	if h == "" {
		if v, ok := p["authorization"].(string); ok {
			h = v
		}
	}
	if h == "" {
		return ctx, nil, nil
	}
	tid, _ := p[TenantHeader].(string)
	a, err := t.Authenticate(ctx, h, tid, tenants.Request{})
	if err != nil {
		// graphql-transport-ws closes a refused socket with 4403 Forbidden;
		// the reason carries the message, which a close frame limits to
		// 123 bytes.
		msg := opsward.ErrorMessage(err)
		if len(msg) > 120 {
			msg = msg[:120]
		}
		ctx = transport.WithWebsocketCloseCode(ctx, 4403)
		ctx = transport.AppendCloseReason(ctx, msg)
		return ctx, nil, errors.New(msg)
	}
	return tenants.NewContext(ctx, a), nil, nil
}

// mountAuth adds the REST authentication endpoints and the JWKS.
func (s *Server) mountAuth() {
	s.e.GET("/.well-known/jwks.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.JSON(http.StatusOK, s.Tenants.KeyRing().JWKS(time.Now()))
	})
	g := s.e.Group("/auth")
	g.POST("/login", func(c echo.Context) error {
		var in struct {
			Email    string `json:"email"`
			Password string `json:"password"`
			TOTPCode string `json:"totpCode"`
			TenantID string `json:"tenantId"`
		}
		if err := bindJSON(c, &in); err != nil {
			return err
		}
		t, err := s.Tenants.Login(c.Request().Context(), tenants.LoginInput{
			Email: in.Email, Password: in.Password, TOTPCode: in.TOTPCode, TenantID: in.TenantID, Request: requestOf(c)})
		if err != nil {
			return withRetryAfter(c, err)
		}
		if cookieMode(c) {
			if err := setSessionCookies(c, t); err != nil {
				return err
			}
		}
		return c.JSON(http.StatusOK, t)
	})
	g.POST("/refresh", func(c echo.Context) error {
		var in struct {
			RefreshToken string `json:"refreshToken"`
			TenantID     string `json:"tenantId"`
		}
		if c.Request().ContentLength != 0 {
			if err := bindJSON(c, &in); err != nil {
				return err
			}
		}
		fromCookie := false
		if in.RefreshToken == "" {
			tok, err := cookieRefreshToken(c)
			if err != nil {
				return err
			}
			in.RefreshToken, fromCookie = tok, tok != ""
		}
		t, err := s.Tenants.Refresh(c.Request().Context(), in.RefreshToken, in.TenantID, requestOf(c))
		if err != nil {
			if fromCookie && opsward.ErrorCode(err) == opsward.EUNAUTHORIZED {
				clearSessionCookies(c)
			}
			return err
		}
		if fromCookie {
			if err := setSessionCookies(c, t); err != nil {
				return err
			}
		}
		return c.JSON(http.StatusOK, t)
	})
	g.POST("/logout", s.authenticate(func(c echo.Context) error {
		var in struct {
			RefreshToken string `json:"refreshToken"`
		}
		if c.Request().ContentLength != 0 {
			if err := bindJSON(c, &in); err != nil {
				return err
			}
		}
		if in.RefreshToken == "" {
			tok, err := cookieRefreshToken(c)
			if err != nil {
				return err
			}
			in.RefreshToken = tok
		}
		clearSessionCookies(c)
		if err := s.Tenants.Logout(c.Request().Context(), in.RefreshToken, requestOf(c)); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}))
}

// bindJSON decodes a JSON body, refusing anything else with a clear error
// that names the position of a mistake and never quotes the body.
func bindJSON(c echo.Context, v any) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		if len(ct) > 100 {
			ct = ct[:100]
		}
		return opsward.Errorf(opsward.EUNSUPPORTED, "Content-Type %q is not supported: send a JSON body with Content-Type: application/json", ct)
	}
	raw, err := io.ReadAll(c.Request().Body) // bounded by the body limit
	if err != nil {
		if he := tooLargeRead(err); he != nil {
			return he
		}
		return opsward.Errorf(opsward.EINVALID, "the body could not be read whole")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		msg, _ := graph.JSONProblem(raw, err)
		return opsward.Errorf(opsward.EINVALID, "%s", msg)
	}
	return nil
}

// withRetryAfter sets Retry-After on a throttled login.
func withRetryAfter(c echo.Context, err error) error {
	if d, ok := authn.RetryAfterOf(err); ok {
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(d.Seconds()+0.999)))
	}
	return err
}

func slogTenant(a *tenants.Actor) []slog.Attr {
	return []slog.Attr{slog.String("tenant_id", a.TenantID), slog.String("actor", a.Kind+":"+a.ID)}
}
