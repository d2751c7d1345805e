package probe_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// A job beats every minute, stops for a while, then resumes.
func TestHeartbeatStopsAndResumes(t *testing.T) {
	t.Parallel()
	settings := map[string]any{"interval": "1m", "grace": "30s"}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	at := func(now, last time.Time) probe.Result {
		return run(t, registry, probe.KindHeartbeat, settings, probe.Input{Now: now, LastBeat: last, Since: t0})
	}
	if r := run(t, registry, probe.KindHeartbeat, settings, probe.Input{Now: t0}); r.Status != probe.StatusUnknown {
		t.Fatalf("nothing known: %s", r.Status)
	}
	want(t, at(t0.Add(time.Minute), time.Time{}), probe.StatusUp, "")                     // waiting for the first beat
	want(t, at(t0.Add(2*time.Minute), time.Time{}), probe.StatusDown, probe.ReasonNoBeat) // never beat
	want(t, at(t0.Add(2*time.Minute), t0.Add(100*time.Second)), probe.StatusUp, "")       // beating
	want(t, at(t0.Add(190*time.Second), t0.Add(100*time.Second)), probe.StatusUp, "")     // within grace
	r := at(t0.Add(191*time.Second), t0.Add(100*time.Second))                             // stopped
	want(t, r, probe.StatusDown, probe.ReasonNoBeat)
	if !strings.Contains(r.Message, "no beat for 1m31s") {
		t.Errorf("message %q", r.Message)
	}
	want(t, at(t0.Add(10*time.Minute), t0.Add(100*time.Second)), probe.StatusDown, probe.ReasonNoBeat) // still stopped
	r = at(t0.Add(10*time.Minute+5*time.Second), t0.Add(10*time.Minute))                               // resumed
	want(t, r, probe.StatusUp, "")
	if r.Metrics["seconds_since_beat"] != 5 {
		t.Errorf("seconds_since_beat = %v", r.Metrics["seconds_since_beat"])
	}
	var s probe.HeartbeatSettings
	s.Interval, s.Grace = probe.Duration(time.Minute), probe.Duration(30*time.Second)
	if got := s.NextDue(t0); !got.Equal(t0.Add(91 * time.Second)) {
		t.Errorf("NextDue = %v", got)
	}
	if err := registry.Validate(probe.KindHeartbeat, []byte(`{"interval":"10ms"}`)); opsward.ErrorField(err) != "settings.interval" {
		t.Errorf("tiny interval: %v", err)
	}
}

func TestHeartbeatToken(t *testing.T) {
	t.Parallel()
	tok, hash, err := probe.NewHeartbeatToken()
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, _ := probe.NewHeartbeatToken()
	if tok == tok2 || !strings.HasPrefix(tok, "hb_") || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Fatalf("token %q hash %q", tok, hash)
	}
	if _, err := probe.ParseHeartbeatToken(tok); err != nil {
		t.Errorf("own token refused: %v", err)
	}
	if !probe.VerifyHeartbeatToken(tok, hash) || probe.VerifyHeartbeatToken(tok2, hash) {
		t.Error("verification wrong")
	}
	for _, bad := range []string{"", "hb_", tok[:len(tok)-1], "xx" + tok[2:], tok + "A", "hb_" + strings.Repeat("!", 43)} {
		if _, err := probe.ParseHeartbeatToken(bad); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Errorf("ParseHeartbeatToken(%q) = %v", bad, err)
		}
	}
}
