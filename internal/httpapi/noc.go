package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants"
)

// mountNOC adds the heartbeat endpoint and the uptime CSV download.
func (s *Server) mountNOC() {
	beat := func(c echo.Context) error {
		err := s.NOC.Heartbeat(c.Request().Context(), c.Param("token"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]bool{"ok": true})
	}
	s.e.GET("/heartbeat/:token", beat)
	s.e.POST("/heartbeat/:token", beat)
	s.e.HEAD("/heartbeat/:token", beat)
	s.e.GET("/export/uptime.csv", s.authenticate(func(c echo.Context) error {
		ctx := c.Request().Context()
		if err := tenants.Authorize(ctx, tenants.PermNOCRead); err != nil {
			return err
		}
		from, err1 := time.Parse(time.RFC3339, c.QueryParam("from"))
		to, err2 := time.Parse(time.RFC3339, c.QueryParam("to"))
		if err := errors.Join(err1, err2); err != nil {
			return opsward.FieldErrorf("from", "from and to are RFC 3339 times such as 2026-11-01T00:00:00Z")
		}
		b, err := s.NOC.UptimeCSV(ctx, c.QueryParam("asset"), from, to)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="uptime.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b)
	}))
}
