package compliance_test

import (
	"fmt"
	"time"

	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/tenants/authn"
)

// A report is rendered, sealed with the provider's key ring, and checked:
// one changed byte and it no longer verifies.
func Example_signedReport() {
	ring, _ := authn.GenerateKeyRing(time.Now())
	body := []byte("section,id,name,status,value\nposture,,controls,,passing=12 failing=2\n")
	file, sig, _ := compliance.Seal(ring, body, compliance.Signature{ReportID: "rpt_example", TenantID: "ten_acme",
		Framework: "iso27001", Format: compliance.FormatCSV})
	_, err := compliance.Verify(ring, file, time.Now())
	fmt.Println(sig.Algorithm, len(sig.SHA256), err == nil)
	file[10] ^= 1
	_, err = compliance.Verify(ring, file, time.Now())
	fmt.Println(err != nil)
	// Output:
	// Ed25519 64 true
	// true
}

// One automated test over a tenant's facts: every owner and admin needs a
// second factor.
func Example_automatedTest() {
	t, _ := compliance.TestByID(compliance.TestMFA)
	f := &compliance.Facts{TenantID: "ten_acme", Members: []compliance.MemberFact{
		{MembershipID: "mem_1", Email: "owner@acme.test", Role: "owner", MFA: true},
		{MembershipID: "mem_2", Email: "admin@acme.test", Role: "admin"},
	}}
	rs := t.Evaluate(f, compliance.DefaultPolicy())
	for _, r := range rs {
		fmt.Println(r.Name, r.Pass, r.Reason)
	}
	fmt.Println(compliance.StatusOf(rs))
	// Output:
	// owner@acme.test true owner with a second factor
	// admin@acme.test false admin without a second factor
	// failing
}
