package compliance_test

import (
	"testing"
	"time"

	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/tenants/authn"
)

// Verify reads files from outside (an upload, the command line): any
// input is refused or verified without a panic, and only the signed
// files themselves verify.
func FuzzVerify(f *testing.F) {
	ring, err := authn.GenerateKeyRing(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	for _, format := range []string{"json", "csv"} {
		body := []byte(`{"a":1}`)
		if format == "csv" {
			body = []byte("a,b\n1,2\n")
		}
		file, _, err := compliance.Seal(ring, body, compliance.Signature{ReportID: "rpt_x", Format: format})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file)
	}
	f.Add([]byte("%opsward-signature e30\n"))
	f.Add([]byte(`{"report":{},"signature":{"v":1}}`))
	f.Fuzz(func(t *testing.T, file []byte) {
		sig, err := compliance.Verify(ring, file, time.Now())
		if err != nil {
			return
		}
		// What verifies must have been signed by this ring: its seeds are
		// the only such files, so its report id is the seeds' own.
		if sig.ReportID != "rpt_x" {
			t.Fatalf("an unsigned file verified: %+v", sig)
		}
	})
}
