package slack_test

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
	"github.com/opsward/opsward/services/notify/slack"
)

func message() notify.Message {
	return notify.Message{
		TenantID: "ten_acme", TenantName: "Acme <Corp>", Ref: notify.Ref{Kind: "incident", ID: "inc_01"},
		Title: "web-1 is down", Summary: "HTTP check failed <!channel> & more", Severity: notify.SeverityCritical,
		State: notify.StateTriggered, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Link: "https://portal.example.com/incidents/inc_01", Fields: []notify.Field{{Name: "Monitor", Value: "web-1 http"}},
	}
}

func TestSendBlockKit(t *testing.T) {
	t.Parallel()
	got := make(chan []byte, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/T000/B000/XXXXSECRET" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "invalid_token", http.StatusForbidden)
			return
		}
		b, _ := io.ReadAll(r.Body)
		got <- b
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	reg := notify.NewRegistry(notify.Deps{HTTP: srv.Client()})
	slack.Register(reg)
	ch, err := reg.Decode(slack.Kind, []byte(`{"webhook_url":"`+srv.URL+`/services/T000/B000/XXXXSECRET"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type, Text string
			} `json:"text"`
			Fields []struct {
				Type, Text string
			} `json:"fields"`
			Elements []struct {
				Type string          `json:"type"`
				URL  string          `json:"url"`
				Text json.RawMessage `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(<-got, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Text, "[TRIGGERED] web-1 is down") {
		t.Errorf("fallback text %q", p.Text)
	}
	var types []string
	for _, b := range p.Blocks {
		types = append(types, b.Type)
	}
	if strings.Join(types, ",") != "header,section,section,context,actions" {
		t.Fatalf("block types %v", types)
	}
	if h := p.Blocks[0].Text; h.Type != "plain_text" || !strings.Contains(h.Text, "web-1 is down") {
		t.Errorf("header %+v", h)
	}
	if s := p.Blocks[1].Text; s.Type != "mrkdwn" || s.Text != "HTTP check failed &lt;!channel&gt; &amp; more" {
		t.Errorf("summary not escaped: %+v", s)
	}
	if f := p.Blocks[2].Fields; len(f) != 3 || f[0].Text != "*Severity*\ncritical" || f[2].Text != "*Monitor*\nweb-1 http" {
		t.Errorf("fields %+v", f)
	}
	var ctxText string
	if err := json.Unmarshal(p.Blocks[3].Elements[0].Text, &ctxText); err != nil || !strings.HasPrefix(ctxText, "Acme &lt;Corp&gt; · incident inc_01") {
		t.Errorf("context %q (%v)", ctxText, err)
	}
	if b := p.Blocks[4].Elements[0]; b.Type != "button" || b.URL != "https://portal.example.com/incidents/inc_01" {
		t.Errorf("button %+v", b)
	}
}

func TestErrorsKeepTheURLSecret(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no_service", http.StatusNotFound)
	}))
	url := srv.URL + "/services/T000/B000/XXXXSECRET"
	ch := slack.New(notify.Secret(url), notify.Deps{HTTP: srv.Client()})
	err := ch.Send(context.Background(), message())
	var se *notify.SendError
	if !errors.As(err, &se) || !se.Permanent || se.Status != 404 || !strings.Contains(se.Message, "no_service") {
		t.Fatalf("got %v", err)
	}
	srv.Close()
	err = ch.Send(context.Background(), message())
	if permanent, _ := notify.Classify(err); err == nil || permanent {
		t.Fatalf("unreachable: got %v, want a transient error", err)
	}
	for _, e := range []error{se, err} {
		if strings.Contains(e.Error(), "XXXXSECRET") {
			t.Errorf("error leaks the webhook URL: %v", e)
		}
	}
	if s := strings.Join([]string{ch.WebhookURL.String(), ch.WebhookURL.GoString()}, " "); strings.Contains(s, "XXXX") {
		t.Errorf("formatting leaks: %s", s)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, cfg := range []string{`{}`, `{"webhook_url":"http://hooks.slack.com/services/x"}`, `{"webhook_url":"not a url"}`} {
		_, err := slack.Factory([]byte(cfg), notify.Deps{})
		if err == nil {
			ch := slack.New("", notify.Deps{})
			_ = json.Unmarshal([]byte(cfg), ch)
			err = ch.Validate()
		}
		if opsward.ErrorField(err) != "config.webhook_url" {
			t.Errorf("%s: got %v", cfg, err)
		}
	}
}
