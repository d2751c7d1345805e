package response

import (
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
)

// Triggers and steps are JSON a tenant writes: they are refused with a
// field-naming error or accepted, never a panic.
func FuzzPlaybookJSON(f *testing.F) {
	f.Add([]byte(`{"min_severity":"high","sources":["sigma"],"tags_any":["attack.t1059"]}`),
		[]byte(`[{"type":"wait","seconds":5},{"type":"webhook","url":"https://x.example","secret":"s"}]`))
	f.Add([]byte(`{}`), []byte(`[{"type":"block_indicator","list_id":"iol_x","field":"source.ip"}]`))
	f.Add([]byte(`null`), []byte(`[null]`))
	s := &Service{}
	f.Fuzz(func(t *testing.T, trigger, steps []byte) {
		tr, err := ParseTrigger(trigger)
		if err != nil && opsward.ErrorCode(err) != opsward.EINVALID {
			t.Fatalf("trigger error %v is not invalid", err)
		}
		if err == nil {
			tr.Matches(&ent.Alert{Severity: "high", Source: "sigma", Title: "x"})
		}
		if _, err := s.parseSteps(steps); err != nil && (opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) == "") {
			t.Fatalf("steps error %v does not name a field", err)
		}
	})
}

// An alert's detail comes from events: reading a field from it never
// panics, whatever its shape.
func FuzzAlertValue(f *testing.F) {
	f.Add([]byte(`{"indicator":"203.0.113.7","source.ip":"192.0.2.1"}`), "source.ip")
	f.Add([]byte(`{"fields":{"a":{"b":["x"]}}}`), "a.b")
	f.Add([]byte(`[1,2]`), "indicator")
	f.Fuzz(func(t *testing.T, detail []byte, field string) {
		v, ok := alertValue(&ent.Alert{Detail: detail}, field)
		if ok && v == "" {
			t.Fatal("an empty value reported as found")
		}
	})
}

func TestAlertValue(t *testing.T) {
	for _, c := range []struct {
		detail, field, want string
	}{
		{`{"indicator":"203.0.113.7"}`, "indicator", "203.0.113.7"},
		{`{"indicator":{"value":"evil.example"}}`, "indicator", "evil.example"},
		{`{"source.ip":"192.0.2.1"}`, "source.ip", "192.0.2.1"},
		{`{"source":{"ip":"192.0.2.2"}}`, "source.ip", "192.0.2.2"},
		{`{"fields":{"destination.ip":["192.0.2.3"]}}`, "destination.ip", "192.0.2.3"},
		{`{"event":{"url":{"domain":"a.example"}}}`, "url.domain", "a.example"},
		{`{"source.ip":""}`, "source.ip", ""},
		{`{"indicator":"x"}`, "source.ip", ""},
	} {
		got, _ := alertValue(&ent.Alert{Detail: []byte(c.detail)}, c.field)
		if got != c.want {
			t.Errorf("%s in %s: %q, want %q", c.field, c.detail, got, c.want)
		}
	}
}
