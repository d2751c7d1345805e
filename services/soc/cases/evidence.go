package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// EvidenceFile is a file to keep as evidence, of a case or of a
// compliance control.
type EvidenceFile struct {
	Name        string
	ContentType string // empty: application/octet-stream
	Content     []byte
}

// check trims and validates the file; errors name the GraphQL fields.
func (f *EvidenceFile) check() error {
	f.Name = strings.TrimSpace(f.Name)
	if f.ContentType == "" {
		f.ContentType = "application/octet-stream"
	}
	switch {
	case f.Name == "" || len(f.Name) > 300:
		return opsward.FieldErrorf("name", "a file name has 1 to 300 characters")
	case len(f.ContentType) > 100:
		return opsward.FieldErrorf("contentType", "a content type has at most 100 characters")
	case len(f.Content) == 0:
		return opsward.FieldErrorf("contentBase64", "the file is empty")
	case len(f.Content) > MaxEvidenceSize:
		return &opsward.Error{Code: opsward.ELIMIT, Field: "contentBase64",
			Message: fmt.Sprintf("the file has %d bytes; evidence is at most %d bytes (10 MiB)", len(f.Content), MaxEvidenceSize)}
	}
	if _, _, err := mime.ParseMediaType(f.ContentType); err != nil {
		return opsward.FieldErrorf("contentType", "%q is not a media type (such as text/plain)", f.ContentType)
	}
	return nil
}

// keep inserts a checked file of tenantID with its SHA-256 and the first
// custody entry, "added"; subject sets what it belongs to.
func (s *Service) keep(ctx context.Context, tx *ent.Tx, tenantID string, f EvidenceFile, subject func(*ent.EvidenceCreate)) (*ent.Evidence, error) {
	sum := sha256.Sum256(f.Content)
	hash := hex.EncodeToString(sum[:])
	now, actor := s.now(), actorID(ctx)
	custody, _ := json.Marshal([]CustodyEntry{{At: now, Actor: actor, Action: CustodyAdded, SHA256: hash}})
	c := tx.Evidence.Create().SetTenantID(tenantID).SetName(f.Name).SetContentType(f.ContentType).
		SetSize(int64(len(f.Content))).SetSha256(hash).SetContent(f.Content).SetAddedBy(actor).SetCreatedAt(now).SetCustody(custody)
	subject(c)
	out, err := c.Save(ctx)
	return out, storageErr(err)
}

// custodyRead is one read of evidence e in tx: the content checked
// against the recorded SHA-256 and the read (or the refusal) appended to
// the chain of custody.
type custodyRead struct {
	out      *ent.Evidence
	content  []byte
	got      string // the SHA-256 of the content now
	tampered bool   // it is not the recorded one
	action   string
	message  string
}

func (s *Service) readInTx(ctx context.Context, tx *ent.Tx, e *ent.Evidence) (custodyRead, error) {
	sum := sha256.Sum256(e.Content)
	r := custodyRead{got: hex.EncodeToString(sum[:]), action: CustodyRead}
	custody, err := Custody(e)
	if err != nil {
		return r, err
	}
	r.message = fmt.Sprintf("evidence read: %s (SHA-256 %s verified)", e.Name, r.got)
	if r.got != e.Sha256 || int64(len(e.Content)) != e.Size {
		r.tampered, r.action = true, CustodyIntegrityFailed
		r.message = fmt.Sprintf("evidence %s failed its integrity check: recorded SHA-256 %s, content now %s; not returned", e.Name, e.Sha256, r.got)
		s.log.WarnContext(ctx, "evidence failed its integrity check", "tenant_id", e.TenantID, "evidence_id", e.ID,
			"recorded", e.Sha256, "actual", r.got)
	}
	custody = append(custody, CustodyEntry{At: s.now(), Actor: actorID(ctx), Action: r.action, SHA256: r.got})
	b, _ := json.Marshal(custody)
	// Compare and swap: a read that appended in between makes this one
	// start again, so that no custody entry is lost.
	same := evidence.CustodyEQ(e.Custody)
	if e.Custody == nil {
		same = evidence.CustodyIsNil()
	}
	n, err := tx.Evidence.Update().Where(evidence.ID(e.ID), same).SetCustody(b).Save(ctx)
	if err != nil {
		return r, storageErr(err)
	}
	if n == 0 {
		return r, errCustodyMoved
	}
	if r.out, err = tx.Evidence.Get(ctx, e.ID); err != nil {
		return r, storageErr(err)
	}
	r.content = e.Content
	return r, nil
}

// errCustodyMoved says another read appended to the chain of custody
// first.
var errCustodyMoved = errors.New("the chain of custody changed during the read")

// integrityErr is the refusal of content that no longer matches.
func (r custodyRead) integrityErr() error {
	return opsward.Errorf(opsward.ECONFLICT,
		"evidence %s failed its integrity check: its content no longer matches the SHA-256 recorded when it was added (%s, now %s); it was not returned and the refusal is in its chain of custody",
		r.out.ID, r.out.Sha256, r.got)
}

// AddEvidence attaches a file to a case; its SHA-256 is computed and kept,
// and the chain of custody starts with "added".
func (s *Service) AddEvidence(ctx context.Context, in EvidenceInput) (*ent.Evidence, error) {
	f := EvidenceFile{Name: in.Name, ContentType: in.ContentType, Content: in.Content}
	if err := f.check(); err != nil {
		return nil, err
	}
	var out *ent.Evidence
	_, err := s.update(ctx, in.CaseID, "case.evidence_add", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		var err error
		if out, err = s.keep(ctx, tx, c.TenantID, f, func(e *ent.EvidenceCreate) { e.SetCaseID(c.ID) }); err != nil {
			return "", false, err
		}
		detail := fmt.Sprintf("%s %s sha256=%s size=%d", out.ID, f.Name, out.Sha256, len(f.Content))
		return detail, true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindEvidence, Ref: out.ID,
			Message: fmt.Sprintf("evidence added: %s (%d bytes, SHA-256 %s)", f.Name, len(f.Content), out.Sha256),
			Detail:  map[string]any{"evidenceId": out.ID, "action": CustodyAdded, "name": f.Name, "sha256": out.Sha256, "size": len(f.Content)}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadEvidence returns a case's evidence file and its content after
// checking the content against the SHA-256 recorded when it was added;
// the read is appended to the chain of custody. Content that no longer
// matches is not returned: the refusal is recorded (custody
// "integrity_failed", a timeline line, the audit log) and the error says
// so.
func (s *Service) ReadEvidence(ctx context.Context, id string) (*ent.Evidence, []byte, error) {
	head, err := s.Client.Evidence.Query().Where(evidence.ID(id)).Select(evidence.FieldCaseID).Only(ctx)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	if head.CaseID == nil {
		return nil, nil, opsward.Errorf(opsward.ENOTFOUND, "no case evidence %s: it is a compliance control's (read it there)", id)
	}
	var r custodyRead
	_, err = s.update(ctx, *head.CaseID, "case.evidence_read", func(tx *ent.Tx, c *ent.SecurityCase) (string, bool, error) {
		// The case's lock orders reads of its evidence, so that no custody
		// entry is lost to a concurrent read.
		e, err := tx.Evidence.Get(ctx, id)
		if err != nil {
			return "", false, storageErr(err)
		}
		if r, err = s.readInTx(ctx, tx, e); err != nil {
			return "", false, err
		}
		return fmt.Sprintf("%s %s sha256=%s", r.action, e.ID, r.got), true, s.addEntries(ctx, tx, c, entry{Kind: caseentry.KindEvidence,
			Ref: e.ID, Message: r.message, Detail: map[string]any{"evidenceId": e.ID, "action": r.action, "sha256": r.got, "recorded": e.Sha256}})
	})
	if err != nil {
		return nil, nil, err
	}
	if r.tampered {
		return nil, nil, r.integrityErr()
	}
	return r.out, r.content, nil
}

// The evidence of compliance controls. Compliance checks the control and
// the actor's permission before it calls these; the tenant scope of the
// context (and row-level security) still applies to every row.

// MaxControlEvidence bounds the files one control of one tenant holds.
const MaxControlEvidence = 100

// AddControlEvidence keeps a file attached to control controlID of
// tenantID, with its SHA-256 and the first custody entry, audited.
func (s *Service) AddControlEvidence(ctx context.Context, tenantID, controlID string, f EvidenceFile) (*ent.Evidence, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var out *ent.Evidence
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.Evidence.Query().Where(evidence.TenantID(tenantID), evidence.ControlID(controlID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxControlEvidence {
			return opsward.Errorf(opsward.ELIMIT, "control %s already holds %d evidence files, the most it may", controlID, MaxControlEvidence)
		}
		if out, err = s.keep(ctx, tx, tenantID, f, func(e *ent.EvidenceCreate) { e.SetControlID(controlID) }); err != nil {
			return err
		}
		return s.audit(ctx, tx, tenantID, "compliance.evidence_add", out.ID,
			fmt.Sprintf("control=%s name=%s sha256=%s size=%d", controlID, f.Name, out.Sha256, len(f.Content)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ControlEvidence lists the evidence files of tenantID's controls (of the
// given controls when any are named), oldest first, without content.
func (s *Service) ControlEvidence(ctx context.Context, tenantID string, controlIDs ...string) ([]*ent.Evidence, error) {
	q := s.Client.Evidence.Query().Where(evidence.TenantID(tenantID), evidence.ControlIDNotNil())
	if len(controlIDs) > 0 {
		q = q.Where(evidence.ControlIDIn(controlIDs...))
	}
	out, err := q.Order(ent.Asc(evidence.FieldCreatedAt), ent.Asc(evidence.FieldID)).
		Select(evidence.FieldTenantID, evidence.FieldControlID, evidence.FieldName, evidence.FieldContentType, evidence.FieldSize,
			evidence.FieldSha256, evidence.FieldAddedBy, evidence.FieldCreatedAt, evidence.FieldCustody).All(ctx)
	return out, storageErr(err)
}

// ReadControlEvidence returns a control's evidence file and its content,
// checked against its SHA-256, with the read in its chain of custody and
// the audit log; content that no longer matches is refused, as a case's
// is.
func (s *Service) ReadControlEvidence(ctx context.Context, id string) (*ent.Evidence, []byte, error) {
	var r custodyRead
	for attempt := 0; ; attempt++ {
		err := s.withTx(ctx, func(tx *ent.Tx) error {
			e, err := tx.Evidence.Query().Where(evidence.ID(id)).Only(ctx)
			if err != nil {
				return storageErr(err)
			}
			if e.ControlID == nil {
				return opsward.Errorf(opsward.ENOTFOUND, "no control evidence %s: it is a case's (read it there)", id)
			}
			if r, err = s.readInTx(ctx, tx, e); err != nil {
				return err
			}
			return s.audit(ctx, tx, e.TenantID, "compliance.evidence_read", e.ID,
				fmt.Sprintf("%s control=%s sha256=%s", r.action, *e.ControlID, r.got))
		})
		switch {
		case errors.Is(err, errCustodyMoved) && attempt < 20:
			continue
		case errors.Is(err, errCustodyMoved):
			return nil, nil, opsward.Errorf(opsward.EUNAVAILABLE, "evidence %s is being read by many at once: try again", id)
		case err != nil:
			return nil, nil, err
		}
		break
	}
	if r.tampered {
		return nil, nil, r.integrityErr()
	}
	return r.out, r.content, nil
}
