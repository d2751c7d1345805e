package httpapi

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/tenants"
)

// mountIngest adds HTTP ingest: the ingest role's (and serve's) endpoint.
func (s *Server) mountIngest() {
	s.e.POST("/ingest/events", s.authenticate(s.ingestEvents))
}

// ingestEvents takes a batch of security events: a JSON array or NDJSON,
// gzip allowed, from an API key with the events:ingest scope (or a user
// allowed to send events). 202 means the batch is stored.
func (s *Server) ingestEvents(c echo.Context) error {
	ctx := c.Request().Context()
	if err := tenants.Authorize(ctx, tenants.PermEventsIngest); err != nil {
		return err
	}
	a, _ := tenants.FromContext(ctx)
	req := c.Request()
	var r io.Reader = req.Body
	hint := req.ContentLength
	switch enc := req.Header.Get(echo.HeaderContentEncoding); enc {
	case "", "identity":
	case "gzip":
		// Decompressed as a stream: never more than the batch limit, so a
		// compression bomb costs one batch at most.
		gz, err := gzip.NewReader(r)
		if err != nil {
			if he := tooLargeRead(err); he != nil {
				return he
			}
			return opsward.Errorf(opsward.EINVALID, "the body is not gzip although Content-Encoding says gzip")
		}
		defer gz.Close()
		// A guess at the first buffer; it grows as needed.
		r, hint = gz, min(4*hint, detect.MaxBatchBytes)
	default:
		if len(enc) > 40 {
			enc = enc[:40]
		}
		return opsward.Errorf(opsward.EUNSUPPORTED, "Content-Encoding %q is not supported: send gzip or nothing", enc)
	}
	// The body's bytes are held against the in-flight budget until the
	// batch is stored.
	body, release, err := s.Budget.ReadAll(r, a.TenantID, detect.MaxBatchBytes, hint)
	defer release()
	if err != nil {
		if he := tooLargeRead(err); he != nil {
			return he
		}
		switch opsward.ErrorCode(err) {
		case opsward.ETOOLARGE:
			return opsward.Errorf(opsward.ETOOLARGE, "a batch is at most %s (after decompression): send smaller batches", inflight.Size(min(detect.MaxBatchBytes, s.budgetShare())))
		case opsward.EUNAVAILABLE:
			return opsward.Errorf(opsward.EUNAVAILABLE, "the server is busy taking other uploads: retry in %d s", inflight.RetryAfterSeconds)
		}
		return opsward.Errorf(opsward.EINVALID, "the body could not be read whole (the connection failed or the gzip stream is corrupt)")
	}
	// With an Idempotency-Key the batch is stored once however often it is
	// sent (a 5xx then means nothing was stored), and a repeat gets the
	// first answer, marked Idempotent-Replayed.
	res, err := s.Events.IngestBatchOnce(ctx, a.TenantID, a.ID, req.Header.Get("Idempotency-Key"), body)
	if err != nil {
		return err
	}
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusAccepted, map[string]int{"accepted": res.Accepted, "alerts": res.Alerts})
}

// tooLargeRead turns the body limit's read error (echo's 413, met while
// reading a body without Content-Length) into the domain's too_large.
func tooLargeRead(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return opsward.Errorf(opsward.ETOOLARGE, "the body is over the request limit (OPSWARD_BODY_LIMIT): send smaller batches")
	}
	return nil
}

// budgetShare is the most one tenant's bodies may hold (no limit when the
// budget is off).
func (s *Server) budgetShare() int64 {
	if s.Budget == nil {
		return 1 << 62
	}
	return s.Budget.PerOwner()
}
