package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

func TestFromMapColumns(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 28, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	m := map[string]any{
		FieldTimestamp:    at,
		FieldDataset:      "windows.security",
		FieldCategory:     []string{"authentication", "iam"},
		FieldAction:       "logon-failed",
		FieldOutcome:      "failure",
		FieldSeverity:     "7",
		FieldCode:         int64(4625),
		FieldHostName:     "dc01",
		FieldUserName:     "alice",
		FieldSourceIP:     "::ffff:10.0.0.5",
		FieldDestIP:       "2001:DB8::1",
		FieldDestPort:     int64(445),
		FieldExecutable:   `C:\Windows\System32\lsass.exe`,
		FieldMessage:      "An account failed to log on.",
		FieldOriginal:     "<Event>…</Event>",
		"winlog.channel":  "Security",
		"process.pid":     int64(600),
		"tls.established": false,
	}
	e, err := FromMap("ten_a", "key_1", at.Add(time.Second), m)
	if err != nil {
		t.Fatal(err)
	}
	if !opsward.ValidID(e.ID, IDPrefix) {
		t.Errorf("id %q", e.ID)
	}
	if e.Time != at.UTC().Truncate(time.Microsecond) || e.Time.Location() != time.UTC {
		t.Errorf("time %v", e.Time)
	}
	for _, c := range []struct{ got, want string }{
		{e.Dataset, "windows.security"}, {e.Category, "authentication"}, {e.Action, "logon-failed"},
		{e.Outcome, "failure"}, {e.EventCode, "4625"}, {e.HostName, "dc01"}, {e.UserName, "alice"},
		{e.SourceIP, "10.0.0.5"}, {e.DestinationIP, "2001:db8::1"}, {e.SourceID, "key_1"},
		{e.ProcessExecutable, `C:\Windows\System32\lsass.exe`}, {e.Message, "An account failed to log on."},
		{e.Original, "<Event>…</Event>"},
	} {
		if c.got != c.want {
			t.Errorf("column %q, want %q", c.got, c.want)
		}
	}
	if e.Severity == nil || *e.Severity != 7 || e.DestinationPort == nil || *e.DestinationPort != 445 {
		t.Errorf("severity %v, port %v", e.Severity, e.DestinationPort)
	}
	// The JSON keeps everything but the column-only names, values as given.
	var stored map[string]any
	if err := json.Unmarshal(e.fieldsJSON, &stored); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{FieldTimestamp, FieldMessage, FieldOriginal} {
		if _, ok := stored[k]; ok {
			t.Errorf("%s stored twice", k)
		}
	}
	if fmt.Sprint(stored[FieldCategory]) != "[authentication iam]" || stored[FieldSourceIP] != "::ffff:10.0.0.5" ||
		stored["tls.established"] != false || stored["process.pid"] != float64(600) {
		t.Errorf("stored fields %v", stored)
	}
	if _, ok := m[FieldTruncated]; ok || len(m) != 18 {
		t.Error("FromMap changed its input")
	}
}

func TestFromMapRefuses(t *testing.T) {
	t.Parallel()
	ok := map[string]any{FieldTimestamp: base}
	for _, c := range []struct {
		name, tenant string
		m            map[string]any
		field        string
	}{
		{"no tenant", "", ok, "tenant_id"},
		{"no time", "ten_a", map[string]any{FieldMessage: "x"}, FieldTimestamp},
		{"zero time", "ten_a", map[string]any{FieldTimestamp: time.Time{}}, FieldTimestamp},
		{"time text", "ten_a", map[string]any{FieldTimestamp: "yesterday"}, FieldTimestamp},
		{"time type", "ten_a", map[string]any{FieldTimestamp: true}, FieldTimestamp},
		{"time out of range", "ten_a", map[string]any{FieldTimestamp: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, FieldTimestamp},
		{"tenant too long", strings.Repeat("t", 41), ok, "tenant_id"},
	} {
		_, err := FromMap(c.tenant, "", base, c.m)
		var oe *opsward.Error
		if err == nil || !errors.As(err, &oe) || oe.Code != opsward.EINVALID || oe.Field != c.field {
			t.Errorf("%s: %v, want an invalid error on %s", c.name, err, c.field)
		}
	}
	big, port := math.MaxInt32+1, 70000
	for _, e := range []Event{{Severity: &big}, {DestinationPort: &port}} {
		e.TenantID, e.Time = "ten_a", base
		if _, err := e.prepare(); err == nil {
			t.Errorf("severity %v, port %v accepted", e.Severity, e.DestinationPort)
		}
	}
	if _, err := (Event{TenantID: "ten_a", ID: "alr_01", Time: base}).prepare(); err == nil ||
		!strings.Contains(err.Error(), "not an event id") {
		t.Errorf("a foreign id: %v", err)
	}
	// Text and Unix milliseconds are times too.
	for _, v := range []any{"2026-03-28T00:00:00Z", int64(base.UnixMilli()), float64(base.UnixMilli())} {
		if e, err := FromMap("ten_a", "", base, map[string]any{FieldTimestamp: v}); err != nil || !e.Time.Equal(base) {
			t.Errorf("@timestamp %#v: %v %v", v, e.Time, err)
		}
	}
}

// Nothing is refused for its size: long text is cut with the marker and
// named in opsward.truncated; what Postgres refuses is cleaned.
func TestFromMapBounds(t *testing.T) {
	t.Parallel()
	m := map[string]any{
		FieldTimestamp:                      base,
		FieldOriginal:                       strings.Repeat("é", MaxOriginal+10),
		FieldMessage:                        "nul\x00byte and bad \xff utf8",
		FieldHostName:                       strings.Repeat("h", 300),
		"long.value":                        strings.Repeat("v", MaxFieldValue+1),
		"weird.number":                      math.NaN(),
		"a.list":                            make([]string, MaxListItems+5),
		"nested.deep":                       map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": 1}}}}},
		"fine":                              "ok",
		strings.Repeat("k", MaxFieldName+1): "name too long",
	}
	e, err := FromMap("ten_a", "", base, m)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(e.Original); n != MaxOriginal || !strings.HasSuffix(e.Original, Truncated) {
		t.Errorf("original: %d characters, marker %v", n, strings.HasSuffix(e.Original, Truncated))
	}
	if e.Message != "nulbyte and bad \uFFFD utf8" {
		t.Errorf("message %q", e.Message)
	}
	if utf8.RuneCountInString(e.HostName) != 255 || !strings.HasSuffix(e.HostName, Truncated) {
		t.Errorf("host name %q", e.HostName)
	}
	got := fmt.Sprint(e.Fields[FieldTruncated])
	if want := "[a.list event.original fields host.name long.value nested.deep]"; got != want {
		t.Errorf("truncated %s, want %s", got, want)
	}
	if e.Fields["weird.number"] != "NaN" || e.Fields["fine"] != "ok" {
		t.Errorf("fields %v", e.Fields)
	}
	// Preparing again (as the Writer does) changes nothing.
	again, err := e.prepare()
	if err != nil || string(again.fieldsJSON) != string(e.fieldsJSON) || again.HostName != e.HostName {
		t.Errorf("second prepare differs: %v\n%s\n%s", err, again.fieldsJSON, e.fieldsJSON)
	}
	// More names than MaxFields: the first in name order stay.
	many := map[string]any{FieldTimestamp: base}
	for i := range MaxFields + 10 {
		many[fmt.Sprintf("f.n%04d", i)] = i
	}
	e, err = FromMap("ten_a", "", base, many)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Fields["f.n0000"]; !ok || len(e.Fields) != MaxFields+1 {
		t.Errorf("%d fields kept", len(e.Fields))
	}
}

// An event built by hand gets its columns into Fields, so that Fields is
// the whole event either way.
func TestPrepareFillsFields(t *testing.T) {
	t.Parallel()
	sev := 3
	e, err := Event{TenantID: "ten_a", Time: base, HostName: "sw1", Severity: &sev, SourceIP: "not an ip",
		Message: "port 22 opened"}.prepare()
	if err != nil {
		t.Fatal(err)
	}
	if e.Fields[FieldHostName] != "sw1" || e.Fields[FieldSeverity] != 3 || e.SourceIP != "" {
		t.Errorf("event %+v", e)
	}
	if _, ok := e.Fields[FieldMessage]; ok {
		t.Error("message stored in the JSON")
	}
}

func TestClipMarked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdefghijklmnopqrstuvwxyz", 20, "abcdefgh" + Truncated},
		{"abcdef", 3, "abc"}, // no room for the marker
		{"a\x00b", 5, "ab"},
	} {
		got, _ := clipMarked(c.in, c.n)
		if got != c.want || utf8.RuneCountInString(got) > c.n {
			t.Errorf("clipMarked(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestValidFieldName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"host.name": true, "@timestamp": true, "winlog.event_data.TargetUserName": true, "a-b.c_d9": true,
		"": false, "host..name": false, ".host": false, "host.": false, "9host": false, "host name": false,
		"host.'name": false, `host."name`: false, "host.na$me": false, strings.Repeat("a", MaxFieldName+1): false,
	} {
		if ValidFieldName(name) != want {
			t.Errorf("ValidFieldName(%q) = %v", name, !want)
		}
	}
}
