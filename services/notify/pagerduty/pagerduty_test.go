package pagerduty_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/pagerduty"
)

const routingKey = "R0123456789abcdefghijklmnopqrstu"

func message(state notify.State) notify.Message {
	return notify.Message{
		TenantID: "ten_acme", TenantName: "Acme", Ref: notify.Ref{Kind: "incident", ID: "inc_01"},
		Title: "web-1 is down", Summary: "HTTP check failed", Severity: notify.SeverityCritical,
		State: state, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Source: "web-1.acme.example",
		Link: "https://portal.example.com/incidents/inc_01", Fields: []notify.Field{{Name: "Monitor", Value: "web-1 http"}},
		DedupKey: "ten_acme:inc_01",
	}
}

func TestEventsV2(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]any, 3)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/enqueue" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			http.Error(w, `{"status":"invalid event"}`, http.StatusBadRequest)
			return
		}
		got <- ev
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"ten_acme:inc_01"}`)
	}))
	defer srv.Close()
	reg := notify.NewRegistry(notify.Deps{HTTP: srv.Client()})
	pagerduty.Register(reg)
	ch, err := reg.Decode(pagerduty.Kind, []byte(`{"routing_key":"`+routingKey+`","endpoint":"`+srv.URL+`/v2/enqueue"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []notify.State{notify.StateTriggered, notify.StateAcknowledged, notify.StateResolved} {
		if err := ch.Send(context.Background(), message(st)); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	trig, ack, res := <-got, <-got, <-got
	for i, ev := range []map[string]any{trig, ack, res} {
		want := []string{"trigger", "acknowledge", "resolve"}[i]
		if ev["event_action"] != want || ev["routing_key"] != routingKey || ev["dedup_key"] != "ten_acme:inc_01" {
			t.Errorf("event %d: %v", i, ev)
		}
	}
	p, _ := trig["payload"].(map[string]any)
	if p["summary"] != "web-1 is down" || p["source"] != "web-1.acme.example" || p["severity"] != "critical" ||
		p["timestamp"] != "2026-03-01T12:00:00Z" || p["group"] != "Acme" || p["class"] != "incident" {
		t.Errorf("payload %v", p)
	}
	if d, _ := p["custom_details"].(map[string]any); d["Monitor"] != "web-1 http" || d["incident"] != "inc_01" {
		t.Errorf("custom_details %v", p["custom_details"])
	}
	if links, _ := trig["links"].([]any); len(links) != 1 {
		t.Errorf("links %v", trig["links"])
	}
	if _, ok := ack["payload"]; ok {
		t.Errorf("acknowledge carries a payload: %v", ack)
	}
}

func TestSeverityMapping(t *testing.T) {
	t.Parallel()
	for s, want := range map[notify.Severity]string{
		notify.SeverityCritical: "critical", notify.SeverityHigh: "error", notify.SeverityMedium: "warning",
		notify.SeverityLow: "info", notify.SeverityInfo: "info",
	} {
		if got := pagerduty.Severity(s); got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
	}
}

func TestInvalidEventIsPermanentAndKeyNotLeaked(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"status":"invalid event","message":"Event object is invalid","errors":["'routing_key' is invalid"]}`)
	}))
	defer srv.Close()
	ch := pagerduty.New(routingKey, notify.Deps{HTTP: srv.Client()})
	ch.Endpoint = srv.URL + "/v2/enqueue"
	err := ch.Send(context.Background(), message(notify.StateTriggered))
	var se *notify.SendError
	if !errors.As(err, &se) || !se.Permanent || !strings.Contains(se.Message, "Event object is invalid") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), routingKey) {
		t.Fatal("error leaks the routing key")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ cfg, field string }{
		{`{"routing_key":"short"}`, "config.routing_key"},
		{`{"routing_key":"R0123456789abcdefghijklmnopqrs-u"}`, "config.routing_key"},
		{`{"routing_key":"` + routingKey + `","endpoint":"http://events.pagerduty.com/v2/enqueue"}`, "config.endpoint"},
	} {
		_, err := pagerduty.Factory([]byte(tc.cfg), notify.Deps{})
		if err == nil {
			ch := pagerduty.New("", notify.Deps{})
			_ = json.Unmarshal([]byte(tc.cfg), ch)
			err = ch.Validate()
		}
		if opsward.ErrorField(err) != tc.field || strings.Contains(err.Error(), "R0123") {
			t.Errorf("%s: got %v, want field %s", tc.cfg, err, tc.field)
		}
	}
	if err := pagerduty.New(routingKey, notify.Deps{}).Validate(); err != nil {
		t.Fatalf("valid channel: %v", err)
	}
}
