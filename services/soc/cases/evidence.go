package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/caseentry"
	"github.com/opsward/opsward/ent/evidence"
)

// MaxEvidenceSize is the largest evidence file: 10 MiB.
const MaxEvidenceSize = 10 << 20

// Custody actions.
const (
	CustodyAdded = "added"
	CustodyRead  = "read"
	// CustodyIntegrityFailed records a read refused because the content
	// no longer matched its SHA-256.
	CustodyIntegrityFailed = "integrity_failed"
)

// CustodyEntry is one line of an evidence file's chain of custody: who
// did what with it, when, and the SHA-256 of the content at that moment.
type CustodyEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	SHA256 string    `json:"sha256"`
}

// Custody reads an evidence file's chain of custody.
func Custody(e *ent.Evidence) ([]CustodyEntry, error) {
	var out []CustodyEntry
	if len(e.Custody) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(e.Custody, &out); err != nil {
		return nil, opsward.Internal(fmt.Errorf("evidence %s custody: %w", e.ID, err))
	}
	return out, nil
}

// EvidenceInput attaches a file to a case.
type EvidenceInput struct {
	CaseID      string
	Name        string
	ContentType string // empty: application/octet-stream
	Content     []byte
}

// AddEvidence attaches a file to a case; its SHA-256 is computed and kept,
// and the chain of custody starts with "added".
func (s *Service) AddEvidence(ctx context.Context, in EvidenceInput) (*ent.Evidence, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.ContentType == "" {
		in.ContentType = "application/octet-stream"
	}
	switch {
	case in.Name == "" || len(in.Name) > 300:
		return nil, opsward.FieldErrorf("name", "a file name has 1 to 300 characters")
	case len(in.ContentType) > 100:
		return nil, opsward.FieldErrorf("contentType", "a content type has at most 100 characters")
	case len(in.Content) == 0:
		return nil, opsward.FieldErrorf("contentBase64", "the file is empty")
	case len(in.Content) > MaxEvidenceSize:
		return nil, &opsward.Error{Code: opsward.ELIMIT, Field: "contentBase64",
			Message: fmt.Sprintf("the file has %d bytes; evidence is at most %d bytes (10 MiB)", len(in.Content), MaxEvidenceSize)}
	}
	if _, _, err := mime.ParseMediaType(in.ContentType); err != nil {
		return nil, opsward.FieldErrorf("contentType", "%q is not a media type (such as text/plain)", in.ContentType)
	}
	sum := sha256.Sum256(in.Content)
	hash := hex.EncodeToString(sum[:])
	var out *ent.Evidence
	_, err := s.update(ctx, in.CaseID, "case.evidence_add", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		now, actor := s.now(), actorID(ctx)
		custody, _ := json.Marshal([]CustodyEntry{{At: now, Actor: actor, Action: CustodyAdded, SHA256: hash}})
		var err error
		out, err = tx.Evidence.Create().SetTenantID(c.TenantID).SetCaseID(c.ID).SetName(in.Name).
			SetContentType(in.ContentType).SetSize(int64(len(in.Content))).SetSha256(hash).SetContent(in.Content).
			SetAddedBy(actor).SetCreatedAt(now).SetCustody(custody).Save(ctx)
		if err != nil {
			return "", false, storageErr(err)
		}
		detail := fmt.Sprintf("%s %s sha256=%s size=%d", out.ID, in.Name, hash, len(in.Content))
		return detail, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindEvidence, Ref: out.ID,
			Message: fmt.Sprintf("evidence added: %s (%d bytes, SHA-256 %s)", in.Name, len(in.Content), hash),
			Detail:  map[string]any{"evidenceId": out.ID, "action": CustodyAdded, "name": in.Name, "sha256": hash, "size": len(in.Content)}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadEvidence returns an evidence file and its content after checking the
// content against the SHA-256 recorded when it was added; the read is
// appended to the chain of custody. Content that no longer matches is not
// returned: the refusal is recorded (custody "integrity_failed", a timeline
// line, the audit log) and the error says so.
func (s *Service) ReadEvidence(ctx context.Context, id string) (*ent.Evidence, []byte, error) {
	head, err := s.Client.Evidence.Query().Where(evidence.ID(id)).Select(evidence.FieldCaseID).Only(ctx)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	var (
		out      *ent.Evidence
		content  []byte
		tampered string // the hash the content has, when it is not the recorded one
	)
	action := "case.evidence_read"
	_, err = s.update(ctx, head.CaseID, action, func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		// The case's lock orders reads of its evidence, so that no custody
		// entry is lost to a concurrent read.
		e, err := tx.Evidence.Get(ctx, id)
		if err != nil {
			return "", false, storageErr(err)
		}
		sum := sha256.Sum256(e.Content)
		got := hex.EncodeToString(sum[:])
		custody, err := Custody(e)
		if err != nil {
			return "", false, err
		}
		now := s.now()
		act, msg := CustodyRead, fmt.Sprintf("evidence read: %s (SHA-256 %s verified)", e.Name, got)
		if got != e.Sha256 || int64(len(e.Content)) != e.Size {
			tampered = got
			act = CustodyIntegrityFailed
			msg = fmt.Sprintf("evidence %s failed its integrity check: recorded SHA-256 %s, content now %s; not returned", e.Name, e.Sha256, got)
			s.log.WarnContext(ctx, "evidence failed its integrity check", "tenant_id", e.TenantID, "evidence_id", e.ID,
				"recorded", e.Sha256, "actual", got)
		}
		custody = append(custody, CustodyEntry{At: now, Actor: actorID(ctx), Action: act, SHA256: got})
		b, _ := json.Marshal(custody)
		if out, err = tx.Evidence.UpdateOne(e).SetCustody(b).Save(ctx); err != nil {
			return "", false, storageErr(err)
		}
		content = e.Content
		return fmt.Sprintf("%s %s sha256=%s", act, e.ID, got), true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindEvidence,
			Ref: e.ID, Message: msg, Detail: map[string]any{"evidenceId": e.ID, "action": act, "sha256": got, "recorded": e.Sha256}})
	})
	if err != nil {
		return nil, nil, err
	}
	if tampered != "" {
		return nil, nil, opsward.Errorf(opsward.ECONFLICT,
			"evidence %s failed its integrity check: its content no longer matches the SHA-256 recorded when it was added (%s, now %s); it was not returned and the refusal is in its chain of custody",
			out.ID, out.Sha256, tampered)
	}
	return out, content, nil
}
