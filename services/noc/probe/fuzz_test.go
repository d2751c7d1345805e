package probe_test

import (
	"strings"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// Settings come from tenants through the API: parsing any input must
// either succeed or fail with an invalid error naming a field, never
// panic or fail otherwise.
func FuzzParseSettings(f *testing.F) {
	seeds := map[probe.Kind][]string{
		probe.KindHTTP:         {`{"url":"https://example.com","expected_status":["2xx",301,"400-404"],"json":[{"path":"$.a[0]","op":">","value":1}],"latency_limit":"2s"}`},
		probe.KindTCP:          {`{"host":"example.com","port":22,"expect":"SSH"}`},
		probe.KindPing:         {`{"host":"192.0.2.1","count":5,"interval":100,"loss_warn_percent":10}`},
		probe.KindDNS:          {`{"name":"example.com","record_type":"MX","resolver":"[2001:db8::1]:53","expected_answers":["10 mx."]}`},
		probe.KindTLS:          {`{"host":"example.com","warn_days":30,"previous_fingerprint":"ab:cd"}`},
		probe.KindHeartbeat:    {`{"interval":"5m","grace":60000}`},
		probe.KindServerHealth: {`{"url":"http://h:9100/metrics","rules":[{"kind":"rate","metric":"m","labels":[{"label":"d","op":"=~","value":"e.*"}],"op":">","warn":1}]}`},
		probe.KindSNMP:         {`{"host":"h","version":"3","v3":{"username":"u","level":"authPriv","auth_protocol":"SHA","auth_passphrase":"12345678","priv_protocol":"AES","priv_passphrase":"12345678"},"rules":[{"oid":"1.3.6.1","walk":true,"op":"<","crit":1}]}`},
	}
	kinds := []probe.Kind{}
	for k, ss := range seeds {
		kinds = append(kinds, k)
		for _, s := range ss {
			f.Add(string(k), s)
		}
	}
	f.Add("http", `{"url":"http://x","json":[{"path":"$","value":`)
	f.Add("dns", `{"name":"`+strings.Repeat("a.", 200)+`"}`)
	f.Fuzz(func(t *testing.T, kind, raw string) {
		err := registry.Validate(probe.Kind(kind), []byte(raw))
		if err == nil {
			return
		}
		if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) == "" {
			t.Fatalf("%s %q: %v (code %s, field %q)", kind, raw, err, opsward.ErrorCode(err), opsward.ErrorField(err))
		}
	})
	_ = kinds
}

func FuzzStatusRange(f *testing.F) {
	for _, s := range []string{"200", "200-299", "2xx", "5XX", "99", "600", "300-200", " 404 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := probe.ParseStatusRange(s)
		if err != nil {
			return
		}
		if r.Lo < 100 || r.Hi > 599 || r.Lo > r.Hi {
			t.Fatalf("ParseStatusRange(%q) = %+v", s, r)
		}
	})
}

func FuzzHeartbeatToken(f *testing.F) {
	tok, _, _ := probe.NewHeartbeatToken()
	f.Add(tok)
	f.Add("hb_")
	f.Add("hb_" + strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := probe.ParseHeartbeatToken(s); err == nil && (len(s) != 46 || !strings.HasPrefix(s, "hb_")) {
			t.Fatalf("accepted %q", s)
		}
	})
}
