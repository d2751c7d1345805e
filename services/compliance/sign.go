package compliance

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/tenants/authn"
)

// Signature is what a signed report carries about itself: which report,
// the SHA-256 of its content, and an Ed25519 signature by a key of the
// provider's report key ring over all of it.
type Signature struct {
	Version   int       `json:"v"`
	Algorithm string    `json:"alg"`
	KeyID     string    `json:"kid"`
	ReportID  string    `json:"report"`
	TenantID  string    `json:"tenant"`
	Framework string    `json:"framework"`
	Format    string    `json:"format"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	SHA256    string    `json:"sha256"`
	Sig       string    `json:"sig,omitempty"`
}

const (
	sigContext = "opsward-report-v1\n"
	// trailerMark starts the signature line appended to CSV and PDF
	// reports ("%" is a comment in PDF; readers ignore what follows
	// %%EOF).
	trailerMark = "\n%opsward-signature "
)

// message is what the key signs: the header without the signature.
func (s Signature) message() []byte {
	s.Sig = ""
	b, _ := json.Marshal(s)
	return append([]byte(sigContext), b...)
}

// jsonEnvelope is the layout of a signed JSON report: the report and its
// signature side by side, so that the file stays valid JSON.
type jsonEnvelope struct {
	Report    json.RawMessage `json:"report"`
	Signature Signature       `json:"signature"`
}

// Seal signs body (the rendered report) and returns the signed file.
func Seal(ring *authn.KeyRing, body []byte, s Signature) ([]byte, Signature, error) {
	if s.Format == FormatJSON {
		// The report sits in an envelope: whitespace around it is not
		// part of what is signed.
		body = bytes.TrimSpace(body)
	}
	sum := sha256.Sum256(body)
	s.Version, s.Algorithm, s.SHA256, s.Sig = 1, "Ed25519", hex.EncodeToString(sum[:]), ""
	s.From, s.To = s.From.UTC(), s.To.UTC()
	s.KeyID = ring.Active().ID
	kid, sig, err := ring.SignDetached(s.message())
	if err != nil {
		return nil, Signature{}, err
	}
	s.KeyID, s.Sig = kid, base64.StdEncoding.EncodeToString(sig)
	out, err := layout(body, s)
	return out, s, err
}

func layout(body []byte, s Signature) ([]byte, error) {
	if s.Format == FormatJSON {
		if !json.Valid(body) {
			return nil, opsward.Internal(fmt.Errorf("a JSON report that is not JSON"))
		}
		// Written by hand: encoding/json would compact the report.
		h, err := json.Marshal(s)
		if err != nil {
			return nil, opsward.Internal(err)
		}
		out := make([]byte, 0, len(body)+len(h)+32)
		out = append(out, `{"report":`...)
		out = append(out, body...)
		out = append(out, `,"signature":`...)
		out = append(out, h...)
		return append(out, "}\n"...), nil
	}
	h, err := json.Marshal(s)
	if err != nil {
		return nil, opsward.Internal(err)
	}
	out := make([]byte, 0, len(body)+len(trailerMark)+len(h)*2)
	out = append(out, body...)
	out = append(out, trailerMark...)
	out = append(out, base64.RawURLEncoding.EncodeToString(h)...)
	return append(out, '\n'), nil
}

// Open splits a signed file into its content and signature without
// checking them.
func Open(file []byte) ([]byte, Signature, error) {
	bad := func(why string) ([]byte, Signature, error) {
		return nil, Signature{}, opsward.FieldErrorf("file", "not a signed Opsward report: %s", why)
	}
	if t := bytes.TrimSpace(file); len(t) > 0 && t[0] == '{' {
		var env jsonEnvelope
		if err := json.Unmarshal(file, &env); err != nil {
			return bad("the JSON does not parse")
		}
		if len(env.Report) == 0 || env.Signature.Version == 0 {
			return bad("no report or signature in the JSON")
		}
		return env.Report, env.Signature, nil
	}
	i := bytes.LastIndex(file, []byte(trailerMark))
	if i < 0 {
		return bad("no signature line")
	}
	line := bytes.TrimSuffix(file[i+len(trailerMark):], []byte("\n"))
	h, err := base64.RawURLEncoding.DecodeString(string(line))
	if err != nil {
		return bad("the signature line does not decode")
	}
	var s Signature
	if err := json.Unmarshal(h, &s); err != nil {
		return bad("the signature header does not parse")
	}
	return file[:i], s, nil
}

// Verify checks a signed file against the key ring: the content's
// SHA-256, the signature by a key of the ring that still verifies, and
// that the file is exactly as it was signed (a single changed byte
// anywhere fails).
func Verify(ring *authn.KeyRing, file []byte, now time.Time) (Signature, error) {
	body, s, err := Open(file)
	if err != nil {
		return Signature{}, err
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != s.SHA256 {
		return s, opsward.Errorf(opsward.EINVALID, "the report's content does not match its SHA-256: it was changed after signing")
	}
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil {
		return s, opsward.Errorf(opsward.EINVALID, "the signature does not decode")
	}
	if err := ring.VerifyDetached(s.KeyID, s.message(), sig, now); err != nil {
		return s, opsward.Errorf(opsward.EINVALID, "the signature does not verify: %s", opsward.ErrorMessage(err))
	}
	want, err := layout(body, s)
	if err != nil {
		return s, err
	}
	if !bytes.Equal(want, file) {
		return s, opsward.Errorf(opsward.EINVALID, "the file differs from what was signed")
	}
	return s, nil
}

// MaxVerifyBytes bounds a file given to verification.
const MaxVerifyBytes = 64 << 20
