package notify

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants/authn"
)

// Secret is a secret setting of a channel. It redacts itself when
// formatted, logged or encoded as JSON (a set secret encodes as
// "[redacted]", an unset one as ""); only Reveal sees the value, at the
// moment of sending and inside SealSecrets. Decoding "[redacted]" yields
// an unset secret, so that a client that sends back what it read keeps
// the stored secret (see KeepSecrets).
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String redacts the value.
func (s Secret) String() string { return redacted }

// GoString redacts the value.
func (s Secret) GoString() string { return redacted }

// MarshalJSON redacts the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte(`""`), nil
	}
	return []byte(`"` + redacted + `"`), nil
}

// UnmarshalJSON reads a JSON string; "[redacted]" reads as unset.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v == redacted {
		v = ""
	}
	*s = Secret(v)
	return nil
}

// LogValue redacts the value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// SecretHolder is implemented by channels that hold secrets. Secrets
// returns a pointer to each secret setting, keyed by its JSON name at the
// top level of the configuration.
type SecretHolder interface {
	Secrets() map[string]*Secret
}

// Sealer encrypts values bound to associated data; *authn.Sealer
// implements it.
type Sealer interface {
	Seal(plaintext, associatedData []byte) (string, error)
	Open(sealed string, associatedData []byte) ([]byte, error)
}

var _ Sealer = (*authn.Sealer)(nil)

// SecretsAD is the associated data for the secrets of one channel: a
// sealed value copied to another channel or tenant does not open there.
func SecretsAD(tenantID, channelID string) []byte {
	return authn.SealContext("notify_channel", "secrets", tenantID, channelID)
}

// SealedConfig is a channel as stored: the public settings in clear
// (secret fields removed) and the secrets sealed in one value.
type SealedConfig struct {
	Kind    string          `json:"kind"`
	Config  json.RawMessage `json:"config"`
	Secrets string          `json:"secrets,omitempty"`
}

// sealedSecrets is the plaintext of SealedConfig.Secrets. The kind is
// inside so that secrets cannot be replayed under another kind.
type sealedSecrets struct {
	Kind   string            `json:"kind"`
	Values map[string]string `json:"values"`
}

// SealSecrets splits ch into its public settings and its sealed secrets,
// bound to ad (use SecretsAD). Empty secrets are left out.
func SealSecrets(s Sealer, ch Channel, ad []byte) (SealedConfig, error) {
	raw, err := json.Marshal(ch)
	if err != nil {
		return SealedConfig{}, opsward.Internal(fmt.Errorf("encode %s channel", ch.Kind()))
	}
	var public map[string]json.RawMessage
	if err := json.Unmarshal(raw, &public); err != nil {
		return SealedConfig{}, opsward.Internal(fmt.Errorf("%s channel is not a JSON object", ch.Kind()))
	}
	clear(raw)
	out := SealedConfig{Kind: ch.Kind()}
	if h, ok := ch.(SecretHolder); ok {
		ss := sealedSecrets{Kind: ch.Kind(), Values: map[string]string{}}
		for name, p := range h.Secrets() {
			delete(public, name)
			if p != nil && *p != "" {
				ss.Values[name] = p.Reveal()
			}
		}
		if len(ss.Values) > 0 {
			pt, err := json.Marshal(ss)
			if err != nil {
				return SealedConfig{}, opsward.Internal(fmt.Errorf("encode secrets"))
			}
			out.Secrets, err = s.Seal(pt, ad)
			clear(pt)
			if err != nil {
				return SealedConfig{}, err
			}
		}
	}
	if out.Config, err = json.Marshal(public); err != nil {
		return SealedConfig{}, opsward.Internal(fmt.Errorf("encode public settings"))
	}
	return out, nil
}

// OpenSecrets opens sc's secrets with ad, merges them into its public
// settings and decodes the channel through reg. A value sealed for
// another tenant, channel or kind does not open.
func OpenSecrets(s Sealer, reg *Registry, sc SealedConfig, ad []byte) (Channel, error) {
	var public map[string]json.RawMessage
	if err := json.Unmarshal(sc.Config, &public); err != nil || public == nil {
		return nil, opsward.Internal(fmt.Errorf("stored %s channel settings are not a JSON object", sc.Kind))
	}
	if sc.Secrets != "" {
		pt, err := s.Open(sc.Secrets, ad)
		if err != nil {
			return nil, err
		}
		var ss sealedSecrets
		err = json.Unmarshal(pt, &ss)
		clear(pt)
		if err != nil {
			return nil, opsward.Internal(fmt.Errorf("sealed %s channel secrets do not decode", sc.Kind))
		}
		if ss.Kind != sc.Kind {
			return nil, opsward.Internal(fmt.Errorf("sealed secrets belong to a %q channel, not %q", ss.Kind, sc.Kind))
		}
		for name, v := range ss.Values {
			public[name], _ = json.Marshal(v)
		}
	}
	merged, err := json.Marshal(public)
	if err != nil {
		return nil, opsward.Internal(fmt.Errorf("merge %s channel settings", sc.Kind))
	}
	return reg.Decode(sc.Kind, merged)
}

// KeepSecrets copies into next every secret that next leaves empty and
// prev has, when both are of the same kind: an edit that does not resend
// a secret keeps the stored one.
func KeepSecrets(next, prev Channel) {
	if next == nil || prev == nil || next.Kind() != prev.Kind() {
		return
	}
	nh, ok1 := next.(SecretHolder)
	ph, ok2 := prev.(SecretHolder)
	if !ok1 || !ok2 {
		return
	}
	old := ph.Secrets()
	for name, p := range nh.Secrets() {
		if p != nil && *p == "" && old[name] != nil {
			*p = *old[name]
		}
	}
}

// Scrub replaces every secret of ch found in s (and, for secrets that are
// URLs, their path and query) with "[redacted]". Errors pass through it
// before they are logged or recorded, in case a remote echoes a secret.
func Scrub(s string, ch Channel) string {
	h, ok := ch.(SecretHolder)
	if !ok || s == "" {
		return s
	}
	var needles []string
	for _, p := range h.Secrets() {
		if p == nil || len(*p) < 4 {
			continue
		}
		v := p.Reveal()
		needles = append(needles, v)
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			if len(u.EscapedPath()) > 8 {
				needles = append(needles, u.EscapedPath(), u.Path)
			}
			if len(u.RawQuery) > 8 {
				needles = append(needles, u.RawQuery)
			}
		}
	}
	// Longest first, so that a whole URL goes before its path.
	sort.Slice(needles, func(i, j int) bool { return len(needles[i]) > len(needles[j]) })
	for _, n := range needles {
		s = strings.ReplaceAll(s, n, redacted)
	}
	return s
}
