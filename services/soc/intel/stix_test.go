package intel

import (
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward"
)

func TestParseSTIXPattern(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("ab", 32)
	tests := []struct {
		pattern string
		want    string // "kind=value,..." or, with a leading "!", a piece of the error
	}{
		{"[ipv4-addr:value = '198.51.100.7']", "ipv4=198.51.100.7"},
		{"[ipv4-addr:value = '198.51.100.0/24']", "cidr=198.51.100.0/24"},
		{"[ipv4-addr:value = '198.51.100.7/32']", "ipv4=198.51.100.7"},
		{"[ipv6-addr:value = '2001:DB8::7']", "ipv6=2001:db8::7"},
		{"[ipv6-addr:value = '2001:db8::/32']", "cidr=2001:db8::/32"},
		{"[domain-name:value = 'Evil.Example']", "domain=evil.example"},
		{"[url:value = 'HTTP://evil.example/a\\'b']", "url=http://evil.example/a'b"},
		{"[file:hashes.'SHA-256' = '" + sha + "']", "sha256=" + sha},
		{"[file:hashes.SHA256 = '" + sha + "']", "sha256=" + sha},
		{"[file:hashes.MD5 = '" + sha[:32] + "']", "md5=" + sha[:32]},
		{"[file:hashes.'SHA-1' = '" + sha[:40] + "']", "sha1=" + sha[:40]},
		{"[email-addr:value = 'Bad@Evil.Example']", "email=bad@evil.example"},
		{"[email-message:from_ref.value = 'bad@evil.example']", "email=bad@evil.example"},
		{"[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2']", "ipv4=198.51.100.1,ipv4=198.51.100.2"},
		{"[domain-name:value = 'a.example'] OR [url:value = 'http://b.example/']", "domain=a.example,url=http://b.example/"},
		{"([domain-name:value = 'a.example'] OR ([domain-name:value = 'b.example']))", "domain=a.example,domain=b.example"},
		{"[(domain-name:value = 'a.example' OR domain-name:value = 'b.example')]", "domain=a.example,domain=b.example"},
		{"[file:hashes.MD5 = '" + sha[:32] + "' AND file:size = 10]", "!AND"},
		{"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']", "!AND"},
		{"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']", "!FOLLOWEDBY"},
		{"[url:value MATCHES '^http://evil']", "!MATCHES"},
		{"[domain-name:value LIKE '%.evil.example']", "!LIKE"},
		{"[ipv4-addr:value != '1.2.3.4']", `!"!="`},
		{"[ipv4-addr:value NOT = '1.2.3.4']", "!NOT"},
		{"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]", "!IN"},
		{"[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "!WITHIN"},
		{"[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES", "!REPEATS"},
		{"[network-traffic:dst_port = 443]", "!only string"},
		{"[process:name = 'evil.exe']", "!does not look for"},
		{"[file:hashes.MD5 = h'00ff']", "!typed"},
		{"[ipv4-addr:value = 'not an ip']", "!not an IP address"},
		{"[ipv4-addr:value = '1.2.3.4'", "!expects ']'"},
		{"[ipv4-addr:value = '1.2.3.4]", "!unterminated"},
		{"ipv4-addr:value = '1.2.3.4'", "!expects '['"},
		{"[ipv4-addr:value = '1.2.3.4'] junk", "!unknown word"},
		{"", "!expects '['"},
		{strings.Repeat("(", 100) + "[ipv4-addr:value = '1.2.3.4']" + strings.Repeat(")", 100), "!nests deeper"},
	}
	for _, tt := range tests {
		vals, err := ParseSTIXPattern(tt.pattern)
		if strings.HasPrefix(tt.want, "!") {
			if err == nil {
				t.Errorf("ParseSTIXPattern(%q) = %v, want an error", tt.pattern, vals)
				continue
			}
			if !strings.Contains(opsward.ErrorMessage(err), tt.want[1:]) || opsward.ErrorField(err) != "pattern" {
				t.Errorf("ParseSTIXPattern(%q) error %q (field %q), want it to say %q", tt.pattern, opsward.ErrorMessage(err), opsward.ErrorField(err), tt.want[1:])
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSTIXPattern(%q): %v", tt.pattern, err)
			continue
		}
		var got []string
		for _, v := range vals {
			got = append(got, string(v.Kind)+"="+v.Value)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("ParseSTIXPattern(%q) = %s, want %s", tt.pattern, strings.Join(got, ","), tt.want)
		}
	}
}

// testBundle is shaped like a commercial feed's export: an identity, a
// custom marking, indicators of several kinds under TLP 1.0 and 2.0
// markings, and indicators this importer cannot take.
const testBundle = `{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {"type": "identity", "spec_version": "2.1", "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
     "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z", "name": "ACME Threat Feed", "identity_class": "organization"},
    {"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--aaaaaaaa-0000-4000-8000-000000000001",
     "created": "2026-01-01T00:00:00Z", "definition_type": "tlp", "definition": {"tlp": "red"}},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--01",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
     "name": "Cobalt Strike team server", "description": "Seen beaconing from two customers.",
     "indicator_types": ["malicious-activity"], "labels": ["C2", "cobalt-strike"],
     "pattern": "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.0/24']",
     "pattern_type": "stix", "pattern_version": "2.1",
     "valid_from": "2026-10-01T00:00:00Z", "valid_until": "2026-12-31T00:00:00.5Z", "confidence": 85,
     "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--02",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "name": "Phishing domain", "pattern": "[domain-name:value = 'Login-Micros0ft.Example.']",
     "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z",
     "object_marking_refs": ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--03",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']",
     "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z",
     "object_marking_refs": ["marking-definition--aaaaaaaa-0000-4000-8000-000000000001"]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--04",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "[url:value = 'http://Evil.Example:80/dl/payload.bin'] OR [email-addr:value = 'billing@evil.example']",
     "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z",
     "object_marking_refs": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--05",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'invoice.exe']",
     "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--06",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "alert tcp any any -> any 443 (msg:\"x\";)", "pattern_type": "snort", "valid_from": "2026-10-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--07",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z", "revoked": true,
     "pattern": "[domain-name:value = 'revoked.example']", "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--08",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "[domain-name:value = 'conf.example']", "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z", "confidence": 150},
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--10",
     "created": "2026-10-01T00:00:00Z", "modified": "2026-10-01T00:00:00Z",
     "pattern": "[domain-name:value = 'float.example']", "pattern_type": "stix", "valid_from": "2026-10-01T00:00:00Z", "confidence": 60.0},
    {"type": "indicator", "id": "indicator--09", "pattern": 42},
    {"type": "malware", "spec_version": "2.1", "id": "malware--01", "name": "CobaltStrike", "is_family": true},
    {"type": "relationship", "spec_version": "2.1", "id": "relationship--01", "relationship_type": "indicates",
     "source_ref": "indicator--01", "target_ref": "malware--01"}
  ]
}`

func TestImportSTIX(t *testing.T) {
	t.Parallel()
	res, err := ImportSTIX(strings.NewReader(testBundle), ImportOptions{Source: "manual upload", TenantID: "ten_1", ListID: "lst_1"})
	if err != nil {
		t.Fatal(err)
	}
	byValue := map[string]Indicator{}
	for _, in := range res.Indicators {
		if err := in.Validate(); err != nil {
			t.Errorf("imported indicator %+v does not validate: %v", in, err)
		}
		byValue[in.Value] = in
	}
	if len(res.Indicators) != 7 {
		t.Errorf("imported %d indicators, want 7: %+v", len(res.Indicators), res.Indicators)
	}
	if f := byValue["float.example"]; f.Confidence != 60 {
		t.Errorf("confidence written as 60.0 = %+v", f)
	}

	ip := byValue["198.51.100.7"]
	if ip.Kind != KindIPv4 || ip.ID != "indicator--01" || ip.Source != "ACME Threat Feed" || ip.Confidence != 85 ||
		ip.TLP != TLPGreen || ip.TenantID != "ten_1" || ip.ListID != "lst_1" ||
		ip.Description != "Cobalt Strike team server: Seen beaconing from two customers." ||
		strings.Join(ip.Tags, ",") != "c2,cobalt-strike,malicious-activity" ||
		!ip.ValidFrom.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) ||
		!ip.ValidUntil.Equal(time.Date(2026, 12, 31, 0, 0, 0, 5e8, time.UTC)) {
		t.Errorf("ipv4 indicator = %+v", ip)
	}
	if c := byValue["198.51.100.0/24"]; c.Kind != KindCIDR || c.ID != "indicator--01" {
		t.Errorf("cidr from the OR = %+v", c)
	}
	if d := byValue["login-micros0ft.example"]; d.Kind != KindDomain || d.TLP != TLPAmberStrict || d.Source != "manual upload" || d.Confidence != DefaultConfidence || d.Description != "Phishing domain" {
		t.Errorf("domain = %+v (want the most restrictive of two markings)", d)
	}
	if h := byValue["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]; h.Kind != KindSHA256 || h.TLP != TLPRed {
		t.Errorf("sha256 = %+v (want the bundle's own TLP:RED marking)", h)
	}
	if u := byValue["http://evil.example/dl/payload.bin"]; u.Kind != KindURL || u.TLP != TLPClear {
		t.Errorf("url = %+v", u)
	}
	if e := byValue["billing@evil.example"]; e.Kind != KindEmail {
		t.Errorf("email = %+v", e)
	}

	wantRejected := map[string]string{
		"indicator--05": "AND",
		"indicator--06": `pattern_type "snort"`,
		"indicator--07": "revoked",
		"indicator--08": "confidence",
		"indicator--09": "not a valid STIX object",
	}
	if len(res.Rejected) != len(wantRejected) {
		t.Errorf("rejected %v, want %d rejections", res.Rejected, len(wantRejected))
	}
	for _, r := range res.Rejected {
		want, ok := wantRejected[r.ObjectID]
		if !ok || !strings.Contains(r.Reason, want) {
			t.Errorf("rejection %s: want a reason saying %q", r, want)
		}
		if r.ObjectID == "indicator--09" && r.Index != 11 {
			t.Errorf("rejection %s: want index 11", r)
		}
	}
}

func TestImportSTIXDocumentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		opts ImportOptions
		code string
		says string
	}{
		{`not json`, ImportOptions{}, opsward.EINVALID, "not valid JSON"},
		{`{"type":"indicator"}`, ImportOptions{}, opsward.EINVALID, "not a STIX bundle"},
		{`{"type":"bundle","objects":[{},{}]}`, ImportOptions{MaxItems: 1}, opsward.ELIMIT, "more than the limit"},
		{`{"type":"bundle","objects":[]}`, ImportOptions{MaxBytes: 10}, opsward.ELIMIT, "larger than"},
		{`{"type":"bundle","objects":[]}`, ImportOptions{DefaultTLP: "purple"}, opsward.EINVALID, "TLP"},
	}
	for _, tt := range tests {
		_, err := ImportSTIX(strings.NewReader(tt.doc), tt.opts)
		if opsward.ErrorCode(err) != tt.code || !strings.Contains(opsward.ErrorMessage(err), tt.says) {
			t.Errorf("ImportSTIX(%q) = %v, want %s saying %q", tt.doc, err, tt.code, tt.says)
		}
	}
}
