package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/dispatch"
)

// DeliveryKind is the dispatch job kind of a Delivery.
const DeliveryKind = "notify.deliver"

// Delivery is the job that sends one message to one channel.
type Delivery struct {
	TenantID  string  `json:"tenant_id"`
	ChannelID string  `json:"channel_id"`
	Message   Message `json:"message"`
}

// Kind names the job kind.
func (Delivery) Kind() string { return DeliveryKind }

// JobDedupKey is the dispatch dedup key of d: the same state change of
// the same incident is not queued twice for one channel.
func (d Delivery) JobDedupKey() string {
	sum := sha256.Sum256([]byte(d.Message.Key()))
	return "notify:" + d.ChannelID + ":" + hex.EncodeToString(sum[:12]) + ":" + string(d.Message.State)
}

// ChannelStore loads a tenant's channel for delivery. The implementation
// scopes the lookup to tenantID itself (a job carries no request
// context) and opens the secrets (see OpenSecrets).
//
// An error with code ENOTFOUND (the channel was deleted or disabled) or
// EINVALID (its stored settings no longer validate) ends the delivery for
// good; any other error is retried.
type ChannelStore interface {
	LoadChannel(ctx context.Context, tenantID, channelID string) (Channel, error)
}

// DeliveryStatus is the outcome a DeliveryReport records.
type DeliveryStatus string

// Outcomes of a delivery.
const (
	// StatusDelivered: the remote accepted the message.
	StatusDelivered DeliveryStatus = "delivered"
	// StatusFailed: the delivery gave up (permanent error, retries or
	// waiting time exhausted).
	StatusFailed DeliveryStatus = "failed"
)

// DeliveryReport is one delivery or final failure, for the timeline of
// the incident or alert it is about. Error is fit for users and holds no
// secret.
type DeliveryReport struct {
	TenantID    string
	ChannelID   string
	ChannelKind string // empty when the channel could not be loaded
	Ref         Ref
	State       State
	DedupKey    string
	// JobID identifies the delivery; a recorder that sees it twice (jobs
	// run at least once) should keep one entry.
	JobID   string
	Attempt int
	Status  DeliveryStatus
	Error   string
	At      time.Time
}

// DeliveryRecorder puts deliveries on the timeline.
type DeliveryRecorder interface {
	RecordDelivery(ctx context.Context, r DeliveryReport) error
}

// HandlerConfig configures the delivery handler.
type HandlerConfig struct {
	Store    ChannelStore
	Recorder DeliveryRecorder
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SendTimeout bounds one attempt. Default 30s.
	SendTimeout time.Duration
	// MaxAge is how long after it was queued a rate-limited delivery keeps
	// waiting; a remote that asks to wait forever would otherwise hold the
	// job forever, since waiting counts no attempt. Default 24h.
	MaxAge time.Duration
	// MinSnooze is the least wait after a Retry-After. Default 5s.
	MinSnooze time.Duration
}

// WithDefaults fills unset durations, the logger and the clock.
func (c HandlerConfig) WithDefaults() HandlerConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.MaxAge == 0 {
		c.MaxAge = 24 * time.Hour
	}
	if c.MinSnooze == 0 {
		c.MinSnooze = 5 * time.Second
	}
	return c
}

// Validate reports a missing dependency or a bad duration.
func (c HandlerConfig) Validate() error {
	switch {
	case c.Store == nil:
		return opsward.FieldErrorf("notify.store", "a channel store is required")
	case c.Recorder == nil:
		return opsward.FieldErrorf("notify.recorder", "a delivery recorder is required")
	case c.SendTimeout < 0 || c.MaxAge < 0 || c.MinSnooze < 0:
		return opsward.FieldErrorf("notify.timeouts", "durations must not be negative")
	}
	return nil
}

// Handler runs Delivery jobs.
type Handler struct {
	cfg HandlerConfig
}

// NewHandler returns a handler for cfg (defaults applied, validated).
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg}, nil
}

// Register adds h as the handler of Delivery jobs.
func Register(ws *dispatch.Workers, h *Handler) {
	dispatch.AddWorker[Delivery](ws, h)
}

type deliveryIDKey struct{}

// WithDeliveryID returns ctx carrying the id of the delivery being sent,
// which channels pass on (X-Opsward-Delivery) so that receivers can drop
// the duplicates at-least-once delivery may cause.
func WithDeliveryID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deliveryIDKey{}, id)
}

// DeliveryID returns the id set by WithDeliveryID, or "".
func DeliveryID(ctx context.Context) string {
	id, _ := ctx.Value(deliveryIDKey{}).(string)
	return id
}

// Work sends one delivery. It returns nil when sent (or when the failure
// was recorded as final and retrying cannot help), dispatch.JobCancel for
// permanent failures, dispatch.JobSnooze when the remote asked to wait,
// and another error to retry with backoff.
func (h *Handler) Work(ctx context.Context, job *dispatch.Job[Delivery]) error {
	d := job.Args
	log := h.cfg.Logger.With("tenant_id", job.TenantID, "job_id", job.ID, "channel_id", d.ChannelID, "attempt", job.Attempt)
	if d.TenantID != job.TenantID || d.Message.TenantID != job.TenantID {
		// Never send one tenant's message through another's channel.
		log.Error("notify: delivery names another tenant; dropped")
		return dispatch.JobCancel(errors.New("delivery names another tenant"))
	}
	report := DeliveryReport{
		TenantID: d.TenantID, ChannelID: d.ChannelID, Ref: d.Message.Ref, State: d.Message.State,
		DedupKey: d.Message.Key(), JobID: job.ID, Attempt: job.Attempt,
	}
	if err := d.Message.Validate(); err != nil {
		msg := "the message is not valid: " + opsward.ErrorMessage(err)
		h.fail(ctx, log, report, msg)
		return dispatch.JobCancel(errors.New(msg))
	}
	final := job.MaxAttempts > 0 && job.Attempt >= job.MaxAttempts

	ch, err := h.cfg.Store.LoadChannel(ctx, d.TenantID, d.ChannelID)
	if err != nil {
		switch opsward.ErrorCode(err) {
		case opsward.ENOTFOUND:
			h.fail(ctx, log, report, "the channel was deleted or disabled")
			return dispatch.JobCancel(errors.New("channel not found"))
		case opsward.EINVALID:
			msg := "the channel settings are not valid: " + opsward.ErrorMessage(err)
			h.fail(ctx, log, report, msg)
			return dispatch.JobCancel(errors.New(msg))
		}
		// Storage errors are ours: log the cause, retry.
		log.Error("notify: load channel", "err", err)
		if final {
			h.fail(ctx, log, report, "the channel could not be loaded")
		}
		return fmt.Errorf("load channel: %s", opsward.ErrorMessage(err))
	}
	report.ChannelKind = ch.Kind()
	log = log.With("channel_kind", ch.Kind())

	sendCtx, cancel := context.WithTimeout(WithDeliveryID(ctx, job.ID), h.cfg.SendTimeout)
	err = ch.Send(sendCtx, d.Message)
	cancel()
	if err == nil {
		report.Status = StatusDelivered
		report.At = h.cfg.Now()
		if rerr := h.cfg.Recorder.RecordDelivery(ctx, report); rerr != nil {
			// The message went out; retrying would send it again. Losing
			// the timeline entry is the lesser harm.
			log.Error("notify: delivered but not recorded", "err", rerr)
		} else {
			log.Info("notify: delivered")
		}
		return nil
	}
	if ctx.Err() != nil {
		// The worker is stopping: try again later, nothing to record.
		return ctx.Err()
	}
	// What leaves the handler (logs, the record, dispatch's dead-letter
	// entry) is a fresh error scrubbed of the channel's secrets.
	se := &SendError{Message: Scrub(err.Error(), ch)}
	var orig *SendError
	if errors.As(err, &orig) {
		se.Status, se.Permanent, se.RetryAfter = orig.Status, orig.Permanent, orig.RetryAfter
	}
	if se.Message == "" {
		se.Message = "send failed"
	}
	switch {
	case se.Permanent:
		h.fail(ctx, log, report, se.Message)
		return dispatch.JobCancel(se)
	case se.RetryAfter > 0:
		if !job.EnqueuedAt.IsZero() && h.cfg.Now().Sub(job.EnqueuedAt) > h.cfg.MaxAge {
			se.Message += " (gave up waiting)"
			h.fail(ctx, log, report, se.Message)
			return dispatch.JobCancel(se)
		}
		wait := max(se.RetryAfter, h.cfg.MinSnooze)
		log.Warn("notify: remote asked to wait", "wait", wait, "err", se.Message)
		return dispatch.JobSnooze(wait)
	}
	if final {
		h.fail(ctx, log, report, se.Message)
	} else {
		log.Warn("notify: send failed; will retry", "err", se.Message)
	}
	return se
}

func (h *Handler) fail(ctx context.Context, log *slog.Logger, r DeliveryReport, msg string) {
	r.Status = StatusFailed
	r.Error = msg
	r.At = h.cfg.Now()
	log.Warn("notify: delivery failed for good", "err", msg)
	if err := h.cfg.Recorder.RecordDelivery(ctx, r); err != nil {
		log.Error("notify: failure not recorded", "err", err)
	}
}
