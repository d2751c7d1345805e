package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/webhook"
)

const secret = "whsec_0123456789abcdef"

func message() notify.Message {
	return notify.Message{
		TenantID: "ten_acme", TenantName: "Acme", Ref: notify.Ref{Kind: "incident", ID: "inc_01"},
		Title: "web-1 is down", Summary: "HTTP check failed 3 times", Severity: notify.SeverityHigh,
		State: notify.StateTriggered, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Link: "https://portal.example.com/incidents/inc_01", Fields: []notify.Field{{Name: "Monitor", Value: "web-1 http"}},
	}
}

type received struct {
	header http.Header
	body   []byte
}

func receiver(t *testing.T, status int) (*httptest.Server, <-chan received) {
	t.Helper()
	ch := make(chan received, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- received{header: r.Header.Clone(), body: b}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestSendSignedAndVerifiable(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, http.StatusNoContent)
	reg := notify.NewRegistry(notify.Deps{HTTP: srv.Client()})
	webhook.Register(reg)
	cfg, _ := json.Marshal(map[string]string{"url": srv.URL + "/hook", "secret": secret})
	ch, err := reg.Decode(webhook.Kind, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := notify.WithDeliveryID(context.Background(), "job_42")
	if err := ch.Send(ctx, message()); err != nil {
		t.Fatalf("send: %v", err)
	}
	r := <-got
	ts := r.header.Get(webhook.HeaderTimestamp)
	sig := r.header.Get(webhook.HeaderSignature)
	if !strings.HasPrefix(sig, "v1=") {
		t.Fatalf("signature header %q lacks v1=", sig)
	}
	if err := webhook.Verify([]byte(secret), ts, r.body, sig, time.Minute); err != nil {
		t.Fatalf("receiver cannot verify: %v", err)
	}
	if err := webhook.Verify([]byte("another-secret-0000"), ts, r.body, sig, time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("other secret: got %v, want ErrBadSignature", err)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get(webhook.HeaderEvent) != "incident.triggered" || r.header.Get(webhook.HeaderDelivery) != "job_42" {
		t.Fatalf("headers: %v", r.header)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"version": 1.0, "event": "incident.triggered", "delivery_id": "job_42", "tenant_id": "ten_acme",
		"title": "web-1 is down", "severity": "high", "state": "triggered", "time": "2026-03-01T12:00:00Z",
	} {
		if p[k] != want {
			t.Errorf("payload %s = %v, want %v", k, p[k], want)
		}
	}
	if ref, _ := p["ref"].(map[string]any); ref["id"] != "inc_01" || ref["kind"] != "incident" {
		t.Errorf("payload ref = %v", p["ref"])
	}
	if strings.Contains(string(r.body), secret) || strings.Contains(r.header.Get(webhook.HeaderSignature), secret) {
		t.Fatal("the secret travelled in the request")
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		permanent bool
	}{{400, true}, {404, true}, {410, true}, {408, false}, {500, false}, {503, false}} {
		srv, _ := receiver(t, tc.status)
		ch := webhook.New(srv.URL, secret, notify.Deps{HTTP: srv.Client()})
		err := ch.Send(context.Background(), message())
		var se *notify.SendError
		if !errors.As(err, &se) || se.Status != tc.status || se.Permanent != tc.permanent {
			t.Errorf("status %d: got %#v, want permanent=%v", tc.status, err, tc.permanent)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cfg, field string }{
		{`{"url":"ftp://x/","secret":"` + secret + `"}`, "config.url"},
		{`{"url":"https://u:p@x/","secret":"` + secret + `"}`, "config.url"},
		{`{"url":"https://x/","secret":"short"}`, "config.secret"},
		{`{"url":"https://x/","secret":"` + secret + `","extra":1}`, "config.extra"},
		{`{"url":1,"secret":"` + secret + `"}`, "config.url"},
		{`[]`, "config"},
	} {
		_, err := webhook.Factory([]byte(tc.cfg), notify.Deps{})
		if err == nil {
			ch := webhook.New("", "", notify.Deps{})
			_ = json.Unmarshal([]byte(tc.cfg), ch)
			err = ch.Validate()
		}
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != tc.field {
			t.Errorf("%s: got %v (field %q), want field %q", tc.cfg, err, opsward.ErrorField(err), tc.field)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error repeats the secret", tc.cfg)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"a":1}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := "v1=" + webhook.Sign([]byte(secret), ts, body)
	for _, tc := range []struct {
		name, ts, sig string
		body          []byte
		at            time.Time
		want          error
	}{
		{"good", ts, good, body, now, nil},
		{"rotation: second signature matches", ts, "v1=" + strings.Repeat("ab", 32) + ", " + good, body, now, nil},
		{"within tolerance", ts, good, body, now.Add(4 * time.Minute), nil},
		{"stale", ts, good, body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"future", ts, good, body, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"altered body", ts, good, []byte(`{"a":2}`), now, webhook.ErrBadSignature},
		{"replayed with a new timestamp", strconv.FormatInt(now.Unix()+1, 10), good, body, now, webhook.ErrBadSignature},
		{"no v1", ts, "v0=" + good[3:], body, now, webhook.ErrMalformed},
		{"not hex", ts, "v1=zz", body, now, webhook.ErrMalformed},
		{"bad timestamp", "12a", good, body, now, webhook.ErrMalformed},
		{"signed timestamp", "+" + ts, good, body, now, webhook.ErrMalformed},
	} {
		err := webhook.VerifyAt(tc.at, []byte(secret), tc.ts, tc.body, tc.sig, 5*time.Minute)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add("1800000000", []byte(`{}`), "v1="+webhook.Sign([]byte(secret), "1800000000", []byte(`{}`)))
	f.Add("-1", []byte{}, "v1=,v1")
	f.Add("99999999999999999999", []byte("x"), "=,,v1=00")
	f.Fuzz(func(t *testing.T, ts string, body []byte, sig string) {
		err := webhook.VerifyAt(now, []byte(secret), ts, body, sig, time.Minute)
		if err == nil && sig != "" {
			// Only a genuine signature verifies.
			want := "v1=" + webhook.Sign([]byte(secret), ts, body)
			genuine := false
			for part := range strings.SplitSeq(sig, ",") {
				genuine = genuine || strings.ToLower(strings.TrimSpace(part)) == want
			}
			if !genuine {
				t.Fatalf("accepted a forged signature %q", sig)
			}
		}
	})
}

func FuzzFactory(f *testing.F) {
	f.Add([]byte(`{"url":"https://x.example/h","secret":"` + secret + `"}`))
	f.Add([]byte(`{"url":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ch, err := webhook.Factory(raw, notify.Deps{})
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID {
				t.Fatalf("decode error is not EINVALID: %v", err)
			}
			return
		}
		_ = ch.Validate()
	})
}
