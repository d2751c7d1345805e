package noc

import (
	"context"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/noc/probe"
)

// SignalKind names what the NOC noticed that may matter to security.
type SignalKind string

const (
	// SignalTrafficAnomaly: an interface's traffic left its usual range.
	SignalTrafficAnomaly SignalKind = "traffic_anomaly"
	// SignalUnexpectedOpenPort: a port that should be closed answered.
	SignalUnexpectedOpenPort SignalKind = "unexpected_open_port"
	// SignalCertificateChanged: a certificate's issuer or fingerprint
	// changed without a renewal being expected.
	SignalCertificateChanged SignalKind = "certificate_changed"
)

// Signal is what the NOC hands to the SOC. The tenant travels with it
// explicitly because the SOC may process it outside the request that
// produced it.
type Signal struct {
	Kind      SignalKind
	TenantID  string
	AssetID   string
	MonitorID string
	At        time.Time
	Detail    string
	// Kind-specific; zero when not relevant.
	Interface      string  // traffic anomaly
	Observed       float64 // traffic anomaly: bits per second
	Expected       float64 // traffic anomaly: the baseline
	Port           int     // unexpected open port
	OldFingerprint string  // certificate changed
	NewFingerprint string
}

// Validate checks that a signal says enough to act on.
func (s Signal) Validate() error {
	switch {
	case s.TenantID == "":
		return opsward.FieldErrorf("tenantId", "a signal needs a tenant")
	case s.AssetID == "":
		return opsward.FieldErrorf("assetId", "a signal needs an asset")
	case s.At.IsZero():
		return opsward.FieldErrorf("at", "a signal needs a time")
	}
	switch s.Kind {
	case SignalTrafficAnomaly:
		if s.Interface == "" {
			return opsward.FieldErrorf("interface", "a traffic anomaly names its interface")
		}
	case SignalUnexpectedOpenPort:
		if s.Port < 1 || s.Port > 65535 {
			return opsward.FieldErrorf("port", "port must be between 1 and 65535")
		}
	case SignalCertificateChanged:
		if s.NewFingerprint == "" {
			return opsward.FieldErrorf("newFingerprint", "a certificate change names the new fingerprint")
		}
	default:
		return opsward.FieldErrorf("kind", "unknown signal kind %q", s.Kind)
	}
	return nil
}

// SignalSink receives the NOC's signals. The SOC implements it; until it
// does, the NOC records signals on the incident timeline (RecordSignal).
type SignalSink interface {
	Signal(ctx context.Context, s Signal) error
}

// SignalFromProbe turns a probe's finding into a typed signal; false when
// the finding is of no interest to the SOC.
func SignalFromProbe(ps probe.Signal, tenantID, assetID, monitorID string, at time.Time) (Signal, bool) {
	s := Signal{TenantID: tenantID, AssetID: assetID, MonitorID: monitorID, At: at, Detail: ps.Detail}
	switch ps.Kind {
	case probe.SignalCertificateChanged:
		s.Kind = SignalCertificateChanged
	case probe.SignalPortOpen:
		s.Kind = SignalUnexpectedOpenPort
	case probe.SignalTrafficAnomaly:
		s.Kind = SignalTrafficAnomaly
	default:
		return Signal{}, false
	}
	return s, true
}

// RecordSignal notes a signal on the incident's timeline.
func (i *Incident) RecordSignal(s Signal) {
	i.Timeline = append(i.Timeline, Entry{At: s.At, Kind: EntrySignal, Message: s.Detail, Signal: &s})
}
