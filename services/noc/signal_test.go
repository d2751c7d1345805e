package noc_test

import (
	"context"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/probe"
)

type recordingSink struct{ got []noc.Signal }

func (r *recordingSink) Signal(_ context.Context, s noc.Signal) error {
	if err := s.Validate(); err != nil {
		return err
	}
	r.got = append(r.got, s)
	return nil
}

var _ noc.SignalSink = (*recordingSink)(nil)

func TestSignalFromProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want noc.SignalKind
		ok   bool
	}{
		{probe.SignalCertificateChanged, noc.SignalCertificateChanged, true},
		{probe.SignalPortOpen, noc.SignalUnexpectedOpenPort, true},
		{probe.SignalTrafficAnomaly, noc.SignalTrafficAnomaly, true},
		{"cpu_high", "", false},
	}
	for _, tt := range tests {
		s, ok := noc.SignalFromProbe(probe.Signal{Kind: tt.in, Detail: "d"}, "t1", "a1", "m1", t0)
		if ok != tt.ok || s.Kind != tt.want || (ok && (s.TenantID != "t1" || s.Detail != "d")) {
			t.Errorf("%s: %+v %v", tt.in, s, ok)
		}
	}
}

func TestSignalValidateAndRecord(t *testing.T) {
	t.Parallel()
	base := noc.Signal{TenantID: "t1", AssetID: "a1", At: t0}
	with := func(f func(*noc.Signal)) noc.Signal { s := base; f(&s); return s }
	tests := []struct {
		name  string
		s     noc.Signal
		field string
	}{
		{"traffic ok", with(func(s *noc.Signal) { s.Kind = noc.SignalTrafficAnomaly; s.Interface = "eth0" }), ""},
		{"traffic without interface", with(func(s *noc.Signal) { s.Kind = noc.SignalTrafficAnomaly }), "interface"},
		{"port ok", with(func(s *noc.Signal) { s.Kind = noc.SignalUnexpectedOpenPort; s.Port = 23 }), ""},
		{"port out of range", with(func(s *noc.Signal) { s.Kind = noc.SignalUnexpectedOpenPort; s.Port = 70000 }), "port"},
		{"cert ok", with(func(s *noc.Signal) { s.Kind = noc.SignalCertificateChanged; s.NewFingerprint = "ab" }), ""},
		{"cert without fingerprint", with(func(s *noc.Signal) { s.Kind = noc.SignalCertificateChanged }), "newFingerprint"},
		{"no tenant", noc.Signal{Kind: noc.SignalTrafficAnomaly}, "tenantId"},
		{"unknown kind", base, "kind"},
	}
	sink := &recordingSink{}
	for _, tt := range tests {
		err := sink.Signal(context.Background(), tt.s)
		if got := opsward.ErrorField(err); got != tt.field || (tt.field == "") != (err == nil) {
			t.Errorf("%s: err %v, want field %q", tt.name, err, tt.field)
		}
	}
	if len(sink.got) != 3 {
		t.Fatalf("sink got %d signals, want 3", len(sink.got))
	}
	inc := noc.NewIncident("i", "m", "a1", "down", noc.CriticalityLow, t0)
	inc.RecordSignal(sink.got[1])
	last := inc.Timeline[len(inc.Timeline)-1]
	if last.Kind != noc.EntrySignal || last.Signal == nil || last.Signal.Port != 23 {
		t.Fatalf("timeline %+v", last)
	}
}
