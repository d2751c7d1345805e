package intel

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestImportCSV(t *testing.T) {
	t.Parallel()
	doc := "\ufeffType,Value,Confidence,TLP,Expires,Source,Tags,Description\n" + // line 1
		"# exported from the SOC wiki\n" + // line 2
		"ipv4,198.51.100.7,90,TLP:AMBER,2026-12-31,,c2;Cobalt|c2,Team server\n" + // line 3
		"domain,Evil.Example.,,green,,partner feed,,\n" + // line 4
		",https://evil.example/login,,,,,phishing,guessed kind\n" + // line 5
		"ipv4,2001:db8::1,,,,,,\n" + // line 6: wrong family
		"sha256,abc,,,,,,\n" + // line 7: short hash
		"ip,10.0.0.1,,,,,,\n" + // line 8: unknown type
		"domain,bad.example,101,,,,,\n" + // line 9: confidence
		"domain,bad.example,,purple,,,,\n" + // line 10: tlp
		"domain,bad.example,,,next week,,,\n" + // line 11: expires
		"domain,EVIL.example,,,,,,\n" + // line 12: duplicate of line 4
		"cidr,\"10.1.0.0/16\",10,red,2026-12-31T12:00:00Z,,,\n" + // line 13
		"md5,,,,,,,\n" + // line 14: empty value
		"domain,short\n" // line 15: short row, value invalid
	res, err := ImportCSV(strings.NewReader(doc), ImportOptions{Source: "wiki", TenantID: "ten_2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Indicators) != 4 {
		t.Fatalf("imported %d, want 4: %+v", len(res.Indicators), res.Indicators)
	}
	ip := res.Indicators[0]
	if ip.Kind != KindIPv4 || ip.Confidence != 90 || ip.TLP != TLPAmber || ip.Source != "wiki" || ip.TenantID != "ten_2" ||
		strings.Join(ip.Tags, ",") != "c2,cobalt" || ip.Description != "Team server" ||
		!ip.ValidUntil.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("row 3 = %+v", ip)
	}
	if d := res.Indicators[1]; d.Value != "evil.example" || d.Source != "partner feed" || d.TLP != TLPGreen || d.Confidence != DefaultConfidence {
		t.Errorf("row 4 = %+v", d)
	}
	if u := res.Indicators[2]; u.Kind != KindURL || u.Value != "https://evil.example/login" {
		t.Errorf("row 5 = %+v", u)
	}
	if c := res.Indicators[3]; c.Kind != KindCIDR || c.TLP != TLPRed || !c.ValidUntil.Equal(time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("row 13 = %+v", c)
	}
	want := map[int]string{
		6:  "value: \"2001:db8::1\" is an IPv6 address",
		7:  "value: a sha256 hash is 64 hex digits",
		8:  "type: unknown type \"ip\"",
		9:  "confidence:",
		10: "tlp:",
		11: "expires:",
		12: "repeats the domain on line 4",
		14: "value: is empty",
		15: "value: domain \"short\" needs at least two labels",
	}
	if len(res.Rejected) != len(want) {
		t.Errorf("rejections %v, want %d", res.Rejected, len(want))
	}
	for _, r := range res.Rejected {
		if w, ok := want[r.Line]; !ok || !strings.HasPrefix(r.Reason, w) {
			t.Errorf("line %d rejected with %q, want %q", r.Line, r.Reason, want[r.Line])
		}
	}
}

func TestImportCSVFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		opts ImportOptions
		code string
		says string
	}{
		{"", ImportOptions{}, opsward.EINVALID, "empty"},
		{"type,value,confidance\n", ImportOptions{}, opsward.EINVALID, `unknown column "confidance"`},
		{"type,value,value\n", ImportOptions{}, opsward.EINVALID, "twice"},
		{"value\n1.2.3.4\n", ImportOptions{}, opsward.EINVALID, "no type column"},
		{"type,confidence\n", ImportOptions{}, opsward.EINVALID, "no value column"},
		{"type,value\nipv4,\"1.2.3.4\nipv4,5.6.7.8\n", ImportOptions{}, opsward.EINVALID, "malformed on line"},
		{"type,value\nipv4,1.2.3.4\nipv4,1.2.3.5\n", ImportOptions{MaxItems: 1}, opsward.ELIMIT, "more than 1 rows"},
		{"type,value\n" + strings.Repeat("ipv4,1.2.3.4\n", 100), ImportOptions{MaxBytes: 100}, opsward.ELIMIT, "larger"},
	}
	for _, tt := range tests {
		_, err := ImportCSV(strings.NewReader(tt.doc), tt.opts)
		if opsward.ErrorCode(err) != tt.code || !strings.Contains(opsward.ErrorMessage(err), tt.says) {
			t.Errorf("ImportCSV(%q) = %v, want %s saying %q", clip(tt.doc), err, tt.code, tt.says)
		}
	}
	// Exactly at the size limit is fine.
	doc := "type,value\nipv4,1.2.3.4\n"
	if res, err := ImportCSV(strings.NewReader(doc), ImportOptions{MaxBytes: int64(len(doc))}); err != nil || len(res.Indicators) != 1 {
		t.Errorf("file at the limit: %v, %v", res, err)
	}
}
