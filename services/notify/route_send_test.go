package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
)

func TestRouteMatches(t *testing.T) {
	t.Parallel()
	high := message()
	low := message()
	low.Severity = notify.SeverityLow
	resolved := message()
	resolved.State = notify.StateResolved
	for _, tc := range []struct {
		name  string
		route notify.Route
		msg   notify.Message
		want  bool
	}{
		{"at minimum", notify.Route{MinSeverity: notify.SeverityHigh}, high, true},
		{"below minimum", notify.Route{MinSeverity: notify.SeverityMedium}, low, false},
		{"above minimum", notify.Route{MinSeverity: notify.SeverityInfo}, low, true},
		{"state subscribed", notify.Route{MinSeverity: notify.SeverityLow, States: []notify.State{notify.StateTriggered}}, high, true},
		{"state not subscribed", notify.Route{MinSeverity: notify.SeverityLow, States: []notify.State{notify.StateTriggered}}, resolved, false},
		{"all states", notify.DefaultRoute(), resolved, true},
	} {
		if got := tc.route.Matches(tc.msg); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	subs := []notify.Subscription{
		{ChannelID: "chn_pager", Route: notify.Route{MinSeverity: notify.SeverityCritical}},
		{ChannelID: "chn_mail", Route: notify.DefaultRoute()},
		{ChannelID: "chn_slack", Route: notify.Route{MinSeverity: notify.SeverityHigh, States: []notify.State{notify.StateTriggered, notify.StateResolved}}},
	}
	ds := notify.Plan(high, subs)
	if len(ds) != 2 || ds[0].ChannelID != "chn_mail" || ds[1].ChannelID != "chn_slack" || ds[0].TenantID != "ten_acme" {
		t.Fatalf("plan %+v", ds)
	}
	if ds[0].JobDedupKey() == ds[1].JobDedupKey() || ds[0].JobDedupKey() != notify.Plan(high, subs[1:2])[0].JobDedupKey() || len(ds[0].JobDedupKey()) > 200 {
		t.Fatalf("job dedup keys %q %q", ds[0].JobDedupKey(), ds[1].JobDedupKey())
	}
}

func TestDecodeRoute(t *testing.T) {
	t.Parallel()
	r, err := notify.DecodeRoute([]byte(`{"min_severity":"medium","states":["triggered","resolved"]}`))
	if err != nil || r.MinSeverity != notify.SeverityMedium || len(r.States) != 2 {
		t.Fatalf("got %+v, %v", r, err)
	}
	for _, tc := range []struct{ raw, field string }{
		{`{"min_severity":"urgent"}`, "route.min_severity"},
		{`{"min_severity":"low","states":["open"]}`, "route.states[0]"},
		{`{"min_severity":"low","colour":"red"}`, "config.colour"},
		{`{"min_severity":3}`, "config.min_severity"},
		{`not json`, "config"},
	} {
		_, err := notify.DecodeRoute([]byte(tc.raw))
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != tc.field {
			t.Errorf("%s: got %v (field %q), want %s", tc.raw, err, opsward.ErrorField(err), tc.field)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	if err := message().Validate(); err != nil {
		t.Fatal(err)
	}
	for field, mutate := range map[string]func(*notify.Message){
		"message.tenant_id": func(m *notify.Message) { m.TenantID = "" },
		"message.ref.kind":  func(m *notify.Message) { m.Ref.Kind = "ticket" },
		"message.title":     func(m *notify.Message) { m.Title = " " },
		"message.severity":  func(m *notify.Message) { m.Severity = "urgent" },
		"message.state":     func(m *notify.Message) { m.State = "open" },
		"message.time":      func(m *notify.Message) { m.Time = time.Time{} },
		"message.link":      func(m *notify.Message) { m.Link = "javascript:alert(1)" },
		"message.fields[0]": func(m *notify.Message) { m.Fields = []notify.Field{{Value: "x"}} },
	} {
		m := message()
		mutate(&m)
		if err := m.Validate(); opsward.ErrorField(err) != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestPostJSONClassifiesAnswers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status     int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{500, "", false, 0},
		{502, "", false, 0},
		{400, "", true, 0},
		{401, "", true, 0},
		{403, "", true, 0},
		{408, "", false, 0},
		{429, "", false, 0},
		{429, "17", false, 17 * time.Second},
		{429, now.Add(90 * time.Second).Format(http.TimeFormat), false, 90 * time.Second},
		{429, "999999", false, notify.MaxRetryAfter},
		{429, "soon", false, 0},
		{301, "", true, 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.WriteHeader(tc.status)
			w.Write([]byte("nope\x00\nwhy"))
		}))
		_, err := notify.PostJSON(context.Background(), srv.Client(), srv.URL+"/x", []byte(`{}`), nil, now)
		srv.Close()
		var se *notify.SendError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%d: got %v", tc.status, err)
			continue
		}
		permanent, wait := notify.Classify(err)
		if permanent != tc.permanent || wait != tc.wait {
			t.Errorf("%d %q: permanent=%v wait=%s, want %v %s", tc.status, tc.retryAfter, permanent, wait, tc.permanent, tc.wait)
		}
		if !strings.Contains(se.Message, "nope why") {
			t.Errorf("%d: message %q lacks the answer's excerpt", tc.status, se.Message)
		}
	}
}

func TestPostJSONUnreachableKeepsURLOut(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T0/B0/TOPSECRETPATH"
	srv.Close()
	_, err := notify.PostJSON(context.Background(), &http.Client{Timeout: 2 * time.Second}, url, []byte(`{}`), nil, time.Now())
	if err == nil || strings.Contains(err.Error(), "TOPSECRETPATH") {
		t.Fatalf("got %v", err)
	}
	if permanent, _ := notify.Classify(err); permanent {
		t.Fatal("an unreachable remote is not permanent")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := notify.PostJSON(ctx, &http.Client{}, url, nil, nil, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := registry(&http.Client{})
	if got := strings.Join(reg.Kinds(), ","); got != "email,pagerduty,slack,teams,webhook" {
		t.Fatalf("kinds %s", got)
	}
	if _, err := reg.Decode("sms", []byte(`{}`)); opsward.ErrorField(err) != "kind" {
		t.Fatalf("unknown kind: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a duplicate kind did not panic")
		}
	}()
	reg.Register("webhook", func([]byte, notify.Deps) (notify.Channel, error) { return nil, nil })
}

func FuzzDecodeRoute(f *testing.F) {
	f.Add([]byte(`{"min_severity":"medium","states":["triggered"]}`))
	f.Add([]byte(`{"min_severity":null,"states":[null]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := notify.DecodeRoute(raw)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID {
				t.Fatalf("not EINVALID: %v", err)
			}
			return
		}
		if r.Validate() != nil {
			t.Fatal("decoded an invalid route")
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"0", "120", "Sun, 01 Mar 2026 12:01:00 GMT", "-1", "1e3", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := notify.ParseRetryAfter(v, now)
		if !ok && d != 0 || d < 0 || d > notify.MaxRetryAfter {
			t.Fatalf("%q: %s %v", v, d, ok)
		}
	})
}

// FuzzRegistryDecode feeds every kind's decoder outside input.
func FuzzRegistryDecode(f *testing.F) {
	for _, tc := range secretConfigs {
		f.Add(tc.kind, tc.config)
	}
	reg := registry(&http.Client{})
	f.Fuzz(func(t *testing.T, kind string, raw []byte) {
		ch, err := reg.Decode(kind, raw)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) == "" {
				t.Fatalf("decode error without a field: %v", err)
			}
			return
		}
		if ch.Kind() != kind || ch.Validate() != nil {
			t.Fatalf("decoded %q as %q or an invalid channel", kind, ch.Kind())
		}
	})
}
