package main

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
func (m *Main) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		a, err := m.Tenants.Authenticate(ctx, h, c.Request().Header.Get(TenantHeader), requestOf(c))
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

// websocketInit authenticates a GraphQL WebSocket from the
// connection_init payload: {"Authorization": "Bearer …", "X-Opsward-Tenant": "ten_…"}.
func (m *Main) websocketInit(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
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
	a, err := m.Tenants.Authenticate(ctx, h, tid, tenants.Request{})
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
func (m *Main) mountAuth() {
	m.Echo.GET("/.well-known/jwks.json", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.JSON(http.StatusOK, m.Tenants.KeyRing().JWKS(time.Now()))
	})
	g := m.Echo.Group("/auth")
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
		t, err := m.Tenants.Login(c.Request().Context(), tenants.LoginInput{
			Email: in.Email, Password: in.Password, TOTPCode: in.TOTPCode, TenantID: in.TenantID, Request: requestOf(c)})
		if err != nil {
			return withRetryAfter(c, err)
		}
		return c.JSON(http.StatusOK, t)
	})
	g.POST("/refresh", func(c echo.Context) error {
		var in struct {
			RefreshToken string `json:"refreshToken"`
			TenantID     string `json:"tenantId"`
		}
		if err := bindJSON(c, &in); err != nil {
			return err
		}
		t, err := m.Tenants.Refresh(c.Request().Context(), in.RefreshToken, in.TenantID, requestOf(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, t)
	})
	g.POST("/logout", m.authenticate(func(c echo.Context) error {
		var in struct {
			RefreshToken string `json:"refreshToken"`
		}
		if c.Request().ContentLength != 0 {
			if err := bindJSON(c, &in); err != nil {
				return err
			}
		}
		if err := m.Tenants.Logout(c.Request().Context(), in.RefreshToken, requestOf(c)); err != nil {
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

// bootstrap creates the provider tenant and its owner on an empty
// database, printing a generated password once.
func (m *Main) bootstrap(ctx context.Context) error {
	res, err := m.Tenants.Bootstrap(ctx, tenants.BootstrapInput{Email: m.Config.BootstrapEmail, Password: m.Config.BootstrapPassword})
	if err != nil {
		return fmt.Errorf("bootstrap: %s", opsward.ErrorMessage(err))
	}
	if res == nil {
		return nil
	}
	m.Logger.Info("provider tenant created", "tenant_id", res.Provider.ID, "owner", res.Owner.Email)
	fmt.Fprintf(m.Stdout, "Created the provider tenant %s with owner %s.\n", res.Provider.Slug, res.Owner.Email)
	if res.GeneratedPassword != "" {
		fmt.Fprintf(m.Stdout, "Its password, shown this once: %s\n", res.GeneratedPassword)
	}
	return nil
}

func slogTenant(a *tenants.Actor) []slog.Attr {
	return []slog.Attr{slog.String("tenant_id", a.TenantID), slog.String("actor", a.Kind+":"+a.ID)}
}
