package probe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// TLSSettings configure a certificate check.
type TLSSettings struct {
	Host       string `json:"host"`
	Port       int    `json:"port,omitempty"`        // default 443
	ServerName string `json:"server_name,omitempty"` // SNI and the name to match; default Host
	// WarnDays: fewer days left is degraded (default 14). CritDays:
	// fewer is down (default 0, that is expired).
	WarnDays *int `json:"warn_days,omitempty"`
	CritDays int  `json:"crit_days,omitempty"`
	// SkipChainVerify and SkipHostnameCheck turn those checks off (a
	// device with a self-signed certificate that should only not expire).
	SkipChainVerify   bool `json:"skip_chain_verify,omitempty"`
	SkipHostnameCheck bool `json:"skip_hostname_check,omitempty"`
	// RootsPEM replaces the system roots (a customer's private CA).
	RootsPEM string `json:"roots_pem,omitempty"`
	// ExpectedFingerprint pins the leaf (SHA-256, hex, colons allowed):
	// any other certificate is down.
	ExpectedFingerprint string `json:"expected_fingerprint,omitempty"`
	// PreviousFingerprint and PreviousIssuer stand for the last seen
	// certificate when the monitor has no state yet (imported monitors).
	PreviousFingerprint string `json:"previous_fingerprint,omitempty"`
	PreviousIssuer      string `json:"previous_issuer,omitempty"`

	roots *x509.CertPool
}

func normFingerprint(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(s))
}

func (s *TLSSettings) Validate() error {
	if err := validHost("settings.host", s.Host); err != nil {
		return err
	}
	if s.Port == 0 {
		s.Port = 443
	}
	if err := validPort("settings.port", s.Port); err != nil {
		return err
	}
	if s.ServerName != "" {
		if err := validHost("settings.server_name", s.ServerName); err != nil {
			return err
		}
	}
	if s.WarnDays == nil {
		d := 14
		s.WarnDays = &d
	}
	if *s.WarnDays < 0 || *s.WarnDays > 3650 {
		return opsward.FieldErrorf("settings.warn_days", "must be between 0 and 3650")
	}
	if s.CritDays < 0 || s.CritDays > *s.WarnDays {
		return opsward.FieldErrorf("settings.crit_days", "must be between 0 and warn_days")
	}
	if s.RootsPEM != "" {
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM([]byte(s.RootsPEM)) {
			return opsward.FieldErrorf("settings.roots_pem", "holds no PEM certificate")
		}
	}
	for field, fp := range map[string]*string{"settings.expected_fingerprint": &s.ExpectedFingerprint, "settings.previous_fingerprint": &s.PreviousFingerprint} {
		if *fp == "" {
			continue
		}
		n := normFingerprint(*fp)
		if b, err := hex.DecodeString(n); err != nil || len(b) != sha256.Size {
			return opsward.FieldErrorf(field, "must be a SHA-256 fingerprint in hex")
		}
		*fp = n
	}
	return nil
}

// tlsState is what a certificate check remembers between runs.
type tlsState struct {
	Fingerprint string    `json:"fingerprint"`
	Issuer      string    `json:"issuer"`
	NotAfter    time.Time `json:"not_after"`
}

// CertNotAfter reads, from the state a TLS check kept, when the
// certificate it last saw expires; false when it has seen none.
func CertNotAfter(state []byte) (time.Time, bool) {
	var st tlsState
	if len(state) == 0 || json.Unmarshal(state, &st) != nil || st.NotAfter.IsZero() {
		return time.Time{}, false
	}
	return st.NotAfter, true
}

// TLSProber checks a server's certificate: days left, chain, name, and
// whether it changed since the last run.
type TLSProber struct{ g *egress.Guard }

func NewTLS(g *egress.Guard) *TLSProber { return &TLSProber{g: g} }

func (p *TLSProber) Kind() Kind { return KindTLS }

func (p *TLSProber) Parse(raw []byte) (Settings, error) {
	s := &TLSSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *TLSProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*TLSSettings)
	if !ok {
		return wrongKind(set)
	}
	in = in.withDefaults()
	res := Result{Status: StatusUp, StartedAt: in.Now}
	name := s.ServerName
	if name == "" {
		name = s.Host
	}
	start := time.Now()
	raw, err := p.g.DialContext(ctx, "tcp", joinHostPort(s.Host, s.Port))
	res.Timings.Connect = time.Since(start)
	if err != nil {
		res.Latency = res.Timings.Connect
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "%s", msg)
		return res
	}
	defer raw.Close()
	// Verification is done below, by hand, so that an invalid chain still
	// yields the certificate's dates and fingerprint.
	conn := tls.Client(raw, &tls.Config{ServerName: name, InsecureSkipVerify: true})
	hs := time.Now()
	err = conn.HandshakeContext(ctx)
	res.Timings.TLS = time.Since(hs)
	res.Latency = time.Since(start)
	res.Timings.Total = res.Latency
	if err != nil {
		reason, msg := classify(err, ctx)
		if reason == ReasonConnect {
			reason = ReasonTLS
		}
		res.fail(StatusDown, reason, "TLS handshake failed: %s", msg)
		return res
	}
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		res.fail(StatusDown, ReasonCert, "the server sent no certificate")
		return res
	}
	leaf := certs[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := hex.EncodeToString(sum[:])
	issuer := leaf.Issuer.String()
	daysLeft := leaf.NotAfter.Sub(in.Now).Hours() / 24
	res.metric("days_left", math.Floor(daysLeft*10)/10)

	chainOK := true
	if !s.SkipChainVerify {
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, verr := leaf.Verify(x509.VerifyOptions{Roots: s.roots, Intermediates: inter, CurrentTime: in.Now})
		if verr != nil {
			chainOK = false
			// An expired certificate fails the chain too; say expiry, which
			// is the more useful of the two.
			if in.Now.Before(leaf.NotAfter) {
				res.fail(StatusDown, ReasonCert, "the certificate chain is not valid: %v", verr)
			}
		}
	}
	res.metric("chain_valid", b2f(chainOK))
	nameOK := true
	if !s.SkipHostnameCheck {
		if err := leaf.VerifyHostname(name); err != nil {
			nameOK = false
			res.fail(StatusDown, ReasonCert, "the certificate does not match %s: %v", name, err)
		}
	}
	res.metric("hostname_match", b2f(nameOK))

	switch {
	case in.Now.After(leaf.NotAfter):
		res.fail(StatusDown, ReasonCert, "the certificate expired on %s", leaf.NotAfter.UTC().Format(time.DateOnly))
	case in.Now.Before(leaf.NotBefore):
		res.fail(StatusDown, ReasonCert, "the certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case daysLeft < float64(s.CritDays):
		res.fail(StatusDown, ReasonCert, "the certificate expires in %.1f days (on %s)", daysLeft, leaf.NotAfter.UTC().Format(time.DateOnly))
	case daysLeft < float64(*s.WarnDays):
		res.fail(StatusDegraded, ReasonCert, "the certificate expires in %.1f days (on %s)", daysLeft, leaf.NotAfter.UTC().Format(time.DateOnly))
	}

	if s.ExpectedFingerprint != "" && fp != s.ExpectedFingerprint {
		res.fail(StatusDown, ReasonCert, "the certificate fingerprint %s is not the pinned one", fp)
	}

	prev := tlsState{Fingerprint: s.PreviousFingerprint, Issuer: s.PreviousIssuer}
	if len(in.Previous) > 0 {
		_ = json.Unmarshal(in.Previous, &prev) // a stale or foreign state only loses the comparison
	}
	if prev.Fingerprint != "" && prev.Fingerprint != fp {
		detail := fmt.Sprintf("%s: fingerprint %s replaced %s", name, fp, prev.Fingerprint)
		if prev.Issuer != "" && prev.Issuer != issuer {
			// A renewal keeps the issuer; a new issuer is worth a look.
			detail += fmt.Sprintf("; issuer changed from %q to %q", prev.Issuer, issuer)
			res.fail(StatusDegraded, ReasonCert, "the certificate changed and so did its issuer (now %s)", issuer)
		}
		res.Signals = append(res.Signals, Signal{Kind: SignalCertificateChanged, Detail: detail})
		res.metric("changed", 1)
	} else {
		res.metric("changed", 0)
	}
	res.State, _ = json.Marshal(tlsState{Fingerprint: fp, Issuer: issuer, NotAfter: leaf.NotAfter})
	return res
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
