package detect

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opsward/opsward"
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
