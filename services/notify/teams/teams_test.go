package teams_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/notify"
	"github.com/opsward/opsward/services/notify/teams"
)

func TestSendAdaptiveCard(t *testing.T) {
	t.Parallel()
	got := make(chan []byte, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	reg := notify.NewRegistry(notify.Deps{HTTP: srv.Client()})
	teams.Register(reg)
	ch, err := reg.Decode(teams.Kind, []byte(`{"webhook_url":"`+srv.URL+`/workflows/abc?sig=SECRET"}`))
	if err != nil {
		t.Fatal(err)
	}
	msg := notify.Message{
		TenantID: "ten_acme", TenantName: "Acme", Ref: notify.Ref{Kind: "alert", ID: "alr_7"},
		Title: "Brute force on vpn-1", Summary: "40 failed logins in 1 minute", Severity: notify.SeverityHigh,
		State: notify.StateResolved, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		Link: "https://portal.example.com/alerts/alr_7", Fields: []notify.Field{{Name: "User", Value: "admin"}},
	}
	if err := ch.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var env struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string  `json:"contentType"`
			ContentURL  *string `json:"contentUrl"`
			Content     struct {
				Schema  string `json:"$schema"`
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []struct {
					Type, Text, Color string
					Facts             []struct{ Title, Value string }
				} `json:"body"`
				Actions []struct{ Type, Title, URL string } `json:"actions"`
			} `json:"content"`
		} `json:"attachments"`
	}
	raw := <-got
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "message" || len(env.Attachments) != 1 {
		t.Fatalf("envelope %s", raw)
	}
	a := env.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.ContentURL != nil {
		t.Errorf("attachment %+v", a)
	}
	c := a.Content
	if c.Type != "AdaptiveCard" || c.Version != "1.4" || c.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" {
		t.Errorf("card header %+v", c)
	}
	if len(c.Body) != 3 || c.Body[0].Type != "TextBlock" || c.Body[0].Text != "[RESOLVED] Brute force on vpn-1" || c.Body[0].Color != "Good" {
		t.Fatalf("body %+v", c.Body)
	}
	facts := map[string]string{}
	for _, f := range c.Body[2].Facts {
		facts[f.Title] = f.Value
	}
	if c.Body[2].Type != "FactSet" || facts["Severity"] != "high" || facts["Customer"] != "Acme" || facts["User"] != "admin" || facts["Reference"] != "alert alr_7" {
		t.Errorf("facts %v", facts)
	}
	if len(c.Actions) != 1 || c.Actions[0].Type != "Action.OpenUrl" || c.Actions[0].URL != msg.Link {
		t.Errorf("actions %+v", c.Actions)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	_, err := teams.Factory([]byte(`{"webhook_url":"http://x.example/"}`), notify.Deps{})
	if err == nil {
		err = teams.New("http://x.example/", notify.Deps{}).Validate()
	}
	if opsward.ErrorField(err) != "config.webhook_url" {
		t.Fatalf("got %v", err)
	}
}
