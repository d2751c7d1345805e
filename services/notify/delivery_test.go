package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
)

const hookSecret = "whsec_delivery_0123456789"

// store is a fake ChannelStore keyed by tenant and channel.
type store struct {
	channels map[[2]string]notify.Channel
	err      error
	calls    int
}

func (s *store) LoadChannel(ctx context.Context, tenantID, channelID string) (notify.Channel, error) {
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	ch, ok := s.channels[[2]string{tenantID, channelID}]
	if !ok {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "channel not found")
	}
	return ch, nil
}

// recorder is a fake DeliveryRecorder.
type recorder struct {
	mu      sync.Mutex
	reports []notify.DeliveryReport
	err     error
}

func (r *recorder) RecordDelivery(ctx context.Context, rep notify.DeliveryReport) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, rep)
	return r.err
}

type fixture struct {
	h      *notify.Handler
	store  *store
	rec    *recorder
	logs   *bytes.Buffer
	status int
	header http.Header
	hits   int
	now    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{status: http.StatusOK, header: http.Header{}, logs: &bytes.Buffer{}, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f.hits++
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.status)
		fmt.Fprintf(w, "answer %d", f.status)
	}))
	t.Cleanup(srv.Close)
	ch := webhook.New(srv.URL+"/hook", hookSecret, notify.Deps{HTTP: srv.Client()})
	f.store = &store{channels: map[[2]string]notify.Channel{{"ten_acme", "chn_1"}: ch}}
	f.rec = &recorder{}
	h, err := notify.NewHandler(notify.HandlerConfig{
		Store: f.store, Recorder: f.rec, Now: func() time.Time { return f.now },
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.h = h
	return f
}

func job(attempt, maxAttempts int, enqueued time.Time) *dispatch.Job[notify.Delivery] {
	return &dispatch.Job[notify.Delivery]{
		JobRow: &dispatch.JobRow{ID: "job_1", TenantID: "ten_acme", Kind: notify.DeliveryKind, Attempt: attempt, MaxAttempts: maxAttempts, EnqueuedAt: enqueued},
		Args:   notify.Delivery{TenantID: "ten_acme", ChannelID: "chn_1", Message: message()},
	}
}

func (f *fixture) only(t *testing.T, status notify.DeliveryStatus) notify.DeliveryReport {
	t.Helper()
	if len(f.rec.reports) != 1 || f.rec.reports[0].Status != status {
		t.Fatalf("reports %+v, want one %s", f.rec.reports, status)
	}
	r := f.rec.reports[0]
	if r.TenantID != "ten_acme" || r.ChannelID != "chn_1" || r.Ref.ID != "inc_01" || r.JobID != "job_1" || r.State != notify.StateTriggered || !r.At.Equal(f.now) {
		t.Fatalf("report %+v", r)
	}
	return r
}

func TestHandlerDelivers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.h.Work(context.Background(), job(1, 5, f.now)); err != nil {
		t.Fatal(err)
	}
	r := f.only(t, notify.StatusDelivered)
	if r.ChannelKind != "webhook" || r.Error != "" || f.hits != 1 {
		t.Fatalf("report %+v, hits %d", r, f.hits)
	}
	if strings.Contains(f.logs.String(), hookSecret) {
		t.Fatal("secret in logs")
	}
}

func TestHandlerPermanentFailureCancels(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.status = http.StatusBadRequest
	err := f.h.Work(context.Background(), job(1, 5, f.now))
	var se *notify.SendError
	if !errors.As(err, &se) || !se.Permanent || !reflect.DeepEqual(err, dispatch.JobCancel(se)) {
		t.Fatalf("got %#v, want JobCancel", err)
	}
	if r := f.only(t, notify.StatusFailed); !strings.Contains(r.Error, "HTTP 400") {
		t.Fatalf("error %q", r.Error)
	}
}

func TestHandlerRateLimitSnoozes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.status = http.StatusTooManyRequests
	f.header.Set("Retry-After", "30")
	if err := f.h.Work(context.Background(), job(1, 5, f.now)); !reflect.DeepEqual(err, dispatch.JobSnooze(30*time.Second)) {
		t.Fatalf("got %#v, want JobSnooze(30s)", err)
	}
	f.header.Set("Retry-After", "0")
	if err := f.h.Work(context.Background(), job(1, 5, f.now)); !reflect.DeepEqual(err, dispatch.JobSnooze(5*time.Second)) {
		t.Fatalf("got %#v, want the 5s floor", err)
	}
	if len(f.rec.reports) != 0 {
		t.Fatalf("a snooze was recorded: %+v", f.rec.reports)
	}
	// Waiting stops after MaxAge.
	f.header.Set("Retry-After", "30")
	err := f.h.Work(context.Background(), job(1, 5, f.now.Add(-25*time.Hour)))
	var se *notify.SendError
	if !errors.As(err, &se) || !reflect.DeepEqual(err, dispatch.JobCancel(se)) {
		t.Fatalf("got %#v, want JobCancel", err)
	}
	f.only(t, notify.StatusFailed)
}

func TestHandlerServerErrorRetriesThenRecordsFinalFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.status = http.StatusInternalServerError
	err := f.h.Work(context.Background(), job(1, 3, f.now))
	var se *notify.SendError
	if !errors.As(err, &se) || se.Permanent || se.Status != 500 || reflect.DeepEqual(err, dispatch.JobCancel(se)) {
		t.Fatalf("got %#v, want a plain retry", err)
	}
	if len(f.rec.reports) != 0 {
		t.Fatal("a retried attempt was recorded as final")
	}
	if err := f.h.Work(context.Background(), job(3, 3, f.now)); err == nil {
		t.Fatal("last attempt returned nil")
	}
	f.only(t, notify.StatusFailed)
}

func TestHandlerChannelGone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	j := job(1, 5, f.now)
	j.Args.ChannelID = "chn_deleted"
	err := f.h.Work(context.Background(), j)
	if err == nil || !reflect.DeepEqual(err, dispatch.JobCancel(errors.New("channel not found"))) {
		t.Fatalf("got %#v", err)
	}
	if len(f.rec.reports) != 1 || f.rec.reports[0].Status != notify.StatusFailed || f.rec.reports[0].ChannelID != "chn_deleted" {
		t.Fatalf("reports %+v", f.rec.reports)
	}
	if f.hits != 0 {
		t.Fatal("sent without a channel")
	}
}

func TestHandlerStoreDownRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.store.err = errors.New("connection refused")
	err := f.h.Work(context.Background(), job(1, 5, f.now))
	if err == nil || reflect.DeepEqual(err, dispatch.JobCancel(err)) || len(f.rec.reports) != 0 {
		t.Fatalf("got %#v, reports %+v", err, f.rec.reports)
	}
}

func TestHandlerRefusesCrossTenantJobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.store.channels[[2]string{"ten_other", "chn_1"}] = f.store.channels[[2]string{"ten_acme", "chn_1"}]
	for _, mutate := range []func(*dispatch.Job[notify.Delivery]){
		func(j *dispatch.Job[notify.Delivery]) { j.TenantID = "ten_other" },
		func(j *dispatch.Job[notify.Delivery]) { j.Args.Message.TenantID = "ten_other" },
	} {
		j := job(1, 5, f.now)
		mutate(j)
		if err := f.h.Work(context.Background(), j); err == nil {
			t.Fatal("cross-tenant job ran")
		}
	}
	if f.store.calls != 0 || f.hits != 0 || len(f.rec.reports) != 0 {
		t.Fatalf("store calls %d, hits %d, reports %d", f.store.calls, f.hits, len(f.rec.reports))
	}
}

// leaky is a channel whose remote echoes its secret back in an error.
type leaky struct{ key notify.Secret }

func (l *leaky) Kind() string    { return "leaky" }
func (l *leaky) Validate() error { return nil }
func (l *leaky) Send(ctx context.Context, m notify.Message) error {
	return &notify.SendError{Status: 400, Permanent: true, Message: "remote said: bad key " + l.key.Reveal()}
}
func (l *leaky) Secrets() map[string]*notify.Secret { return map[string]*notify.Secret{"key": &l.key} }

func TestHandlerScrubsSecretsFromErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.store.channels[[2]string{"ten_acme", "chn_1"}] = &leaky{key: "LEAKY-KEY-123456"}
	err := f.h.Work(context.Background(), job(1, 5, f.now))
	r := f.only(t, notify.StatusFailed)
	for _, s := range []string{err.Error(), r.Error, f.logs.String()} {
		if strings.Contains(s, "LEAKY-KEY") {
			t.Fatalf("secret leaked: %s", s)
		}
	}
	if !strings.Contains(r.Error, "bad key [redacted]") {
		t.Fatalf("error %q", r.Error)
	}
}

func TestHandlerRecorderFailureDoesNotResend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.rec.err = errors.New("timeline down")
	if err := f.h.Work(context.Background(), job(1, 5, f.now)); err != nil {
		t.Fatalf("got %v: a retry would send the message twice", err)
	}
	if !strings.Contains(f.logs.String(), "delivered but not recorded") {
		t.Fatalf("logs %s", f.logs)
	}
}

func TestRegisterAndConfig(t *testing.T) {
	t.Parallel()
	ws := dispatch.NewWorkers()
	f := newFixture(t)
	notify.Register(ws, f.h)
	if kinds := ws.Kinds(); len(kinds) != 1 || kinds[0] != notify.DeliveryKind {
		t.Fatalf("kinds %v", kinds)
	}
	if _, err := notify.NewHandler(notify.HandlerConfig{Recorder: &recorder{}}); opsward.ErrorField(err) != "notify.store" {
		t.Fatalf("missing store: %v", err)
	}
	if _, err := notify.NewHandler(notify.HandlerConfig{Store: &store{}}); opsward.ErrorField(err) != "notify.recorder" {
		t.Fatalf("missing recorder: %v", err)
	}
}
