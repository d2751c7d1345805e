package httpapi

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing/stripeapi"
)

// StripeWebhookMaxBytes bounds a webhook body; Stripe's events are far
// smaller.
const StripeWebhookMaxBytes = 256 << 10

// mountStripe adds POST /webhooks/stripe when Stripe collects. Without a
// key the route does not exist (404), so nothing can be fed to dunning.
func (s *Server) mountStripe() {
	if !s.Payments.Stripe() {
		return
	}
	s.e.POST("/webhooks/stripe", s.stripeWebhook)
}

// stripeWebhook verifies an event with webhook.ConstructEvent (300 s
// tolerance) and processes it once. A forged, stale or malformed event is
// a 400 and nothing is stored; an event processed before is a 200 (Stripe
// stops redelivering); a failure to store is a 500 (Stripe redelivers).
func (s *Server) stripeWebhook(c echo.Context) error {
	req := c.Request()
	body, err := io.ReadAll(io.LimitReader(req.Body, StripeWebhookMaxBytes+1))
	if err != nil {
		return opsward.Errorf(opsward.EINVALID, "the webhook body could not be read")
	}
	if len(body) > StripeWebhookMaxBytes {
		return opsward.Errorf(opsward.ETOOLARGE, "a Stripe webhook is at most %d bytes", StripeWebhookMaxBytes)
	}
	ev, err := stripeapi.Verify(body, req.Header.Get("Stripe-Signature"), s.Config.StripeWebhookSecret)
	if err != nil {
		s.Logger.WarnContext(req.Context(), "stripe webhook refused", "remote_ip", c.RealIP(), "err", err)
		return err
	}
	processed, err := s.Payments.HandleEvent(req.Context(), ev)
	if err != nil {
		return err
	}
	s.Logger.InfoContext(req.Context(), "stripe webhook", "event_id", ev.ID, "type", ev.Type, "processed", processed)
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": !processed})
}
