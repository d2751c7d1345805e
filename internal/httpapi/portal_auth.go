package httpapi

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// The portal keeps its access token in memory only and its refresh token
// in a cookie that no script can read. A login that asks for it (header
// SessionModeHeader: cookie) gets the refresh token as that cookie instead
// of in the body, with a CSRF token beside it in a cookie the page can
// read; /auth/refresh and /auth/logout then take the refresh token from
// the cookie only when the request repeats the CSRF token in CSRFHeader
// (double submit) and comes from this origin.
const (
	SessionModeHeader = "X-Opsward-Session"
	CSRFHeader        = "X-CSRF-Token"
	RefreshCookie     = "opsward_refresh"
	CSRFCookie        = "opsward_csrf"
)

// cookieMode says whether a login asked for the cookie session.
func cookieMode(c echo.Context) bool {
	return c.Request().Header.Get(SessionModeHeader) == "cookie"
}

// setSessionCookies puts the refresh token in its cookie, with a new CSRF
// token, and removes it from the answer's body.
func setSessionCookies(c echo.Context, t *tenants.Tokens) error {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return opsward.Internal(err)
	}
	c.SetCookie(&http.Cookie{Name: RefreshCookie, Value: t.RefreshToken, Path: "/auth", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Value: base64.RawURLEncoding.EncodeToString(b[:]), Path: "/", Secure: true, SameSite: http.SameSiteStrictMode})
	t.RefreshToken = ""
	return nil
}

// clearSessionCookies ends the cookie session in the browser.
func clearSessionCookies(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: RefreshCookie, Path: "/auth", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	c.SetCookie(&http.Cookie{Name: CSRFCookie, Path: "/", MaxAge: -1, Secure: true, SameSite: http.SameSiteStrictMode})
}

// cookieRefreshToken returns the refresh token of the cookie session, or
// "" when the request has none. A request with the cookie but without the
// matching CSRF token, or from another origin, is refused.
func cookieRefreshToken(c echo.Context) (string, error) {
	rc, err := c.Cookie(RefreshCookie)
	if err != nil || rc.Value == "" {
		return "", nil
	}
	req := c.Request()
	if o := req.Header.Get(echo.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != req.Host {
			return "", opsward.Errorf(opsward.EFORBIDDEN, "the request comes from another origin")
		}
	}
	cc, err := c.Cookie(CSRFCookie)
	sent := req.Header.Get(CSRFHeader)
	if err != nil || cc.Value == "" || sent == "" || subtle.ConstantTimeCompare([]byte(cc.Value), []byte(sent)) != 1 {
		return "", opsward.Errorf(opsward.EFORBIDDEN, "the CSRF token is missing or wrong: send the %s cookie's value in the %s header", CSRFCookie, CSRFHeader)
	}
	return rc.Value, nil
}
