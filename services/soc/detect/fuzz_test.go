package detect

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
)

// FuzzSplitBatch: an HTTP body is split into JSON objects or refused with
// an invalid error; never a panic, never a piece that is not one object.
func FuzzSplitBatch(f *testing.F) {
	for _, s := range []string{
		`[{"a":1},{"b":"x"}]`, "{\"a\":1}\n\n{\"b\":2}\n", `[1,2]`, "{bad\n", "", "[]", `[{"a":[{"b":{}}]}]`, "{}\r\n{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := SplitBatch(body)
		if err != nil {
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorMessage(err) == "" {
				t.Fatalf("error %v is not a clear invalid error", err)
			}
			return
		}
		if len(evs) > MaxBatchEvents {
			t.Fatalf("%d events in one batch", len(evs))
		}
		for i, e := range evs {
			var m map[string]any
			if err := json.Unmarshal(e, &m); err != nil || !bytes.HasPrefix(bytes.TrimSpace(e), []byte("{")) {
				t.Fatalf("piece %d %q is not a JSON object: %v", i, e, err)
			}
		}
	})
}

func TestSplitBatch(t *testing.T) {
	for _, tc := range []struct {
		body string
		n    int
		err  string
	}{
		{`[{"a":1},{"b":2}]`, 2, ""},
		{"{\"a\":1}\n\n{\"b\":2}\n", 2, ""},
		{"{\"a\":1}\n{nope}\n", 0, "line 2"},
		{`[{"a":1},3]`, 0, "event 1"},
		{"", 0, "empty"},
	} {
		evs, err := SplitBatch([]byte(tc.body))
		if tc.err != "" {
			if err == nil || !bytes.Contains([]byte(opsward.ErrorMessage(err)), []byte(tc.err)) {
				t.Errorf("%q: error %v, want one naming %q", tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || len(evs) != tc.n {
			t.Errorf("%q: %d events, %v", tc.body, len(evs), err)
		}
	}
}

// FuzzRoute: any message the normalisers accept is routed without a panic,
// to the same logsources every time, none of them empty, and the Sigma
// view keeps every normalised field.
func FuzzRoute(f *testing.F) {
	for _, c := range sourceCases {
		f.Add([]byte(c.raw))
	}
	f.Add([]byte(`{"event":{"category":["file","registry","library","driver","network"],"type":["deletion"]},"process":{"executable":"/x"},"destination":{"ip":"10.0.0.1"}}`))
	f.Add([]byte(`{"Channel":"Security","EventID":"4688"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := normalize.Normalize(raw, normalize.FormatAuto, time.Unix(1764583200, 0))
		if err != nil {
			return
		}
		sev, sources := Route(ev)
		_, again := Route(ev)
		if !slices.Equal(sources, again) {
			t.Fatalf("routed to %v, then %v", sources, again)
		}
		for _, s := range sources {
			if s == (sigma.LogSource{}) {
				t.Fatalf("an empty logsource among %v", sources)
			}
		}
		for k := range ev.Fields {
			if _, ok := sev[k]; !ok {
				t.Fatalf("field %q lost", k)
			}
		}
	})
}
