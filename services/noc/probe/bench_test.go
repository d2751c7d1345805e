package probe_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opsward/opsward/services/noc/probe"
)

// The HTTP probe and a bare client loop against the same loopback server,
// both opening a new connection per request, so that the probe's own cost
// (guard, trace, assertions) shows as the difference:
//
//	go test ./services/noc/probe -run XXX -bench 'HTTP' -benchmem
func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkHTTPProbe(b *testing.B) {
	srv := benchServer(b)
	p := probe.NewHTTP(loopbackGuard())
	s, err := p.Parse([]byte(`{"url":"` + srv.URL + `/","body_contains":"ok"}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := probe.Run(b.Context(), p, s, probe.Input{}); r.Status != probe.StatusUp {
			b.Fatalf("%s: %s", r.Status, r.Message)
		}
	}
}

func BenchmarkHTTPProbeJSONPath(b *testing.B) {
	srv := benchServer(b)
	p := probe.NewHTTP(loopbackGuard())
	s, err := p.Parse([]byte(`{"url":"` + srv.URL + `/","json":[{"path":"$.status","value":"ok"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := probe.Run(b.Context(), p, s, probe.Input{}); r.Status != probe.StatusUp {
			b.Fatalf("%s: %s", r.Status, r.Message)
		}
	}
}

func BenchmarkRawHTTPGet(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(srv.URL + "/")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}
