package compliance

import (
	"context"
	"errors"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/tenants"
)

// EvidenceStore keeps the manual evidence files of controls: the case
// evidence store (cases.Service), with the same SHA-256 check and chain
// of custody. Compliance checks the control and the actor's permission
// before it calls it.
type EvidenceStore interface {
	AddControlEvidence(ctx context.Context, tenantID, controlID string, f cases.EvidenceFile) (*ent.Evidence, error)
	ControlEvidence(ctx context.Context, tenantID string, controlIDs ...string) ([]*ent.Evidence, error)
	ReadControlEvidence(ctx context.Context, id string) (*ent.Evidence, []byte, error)
}

// EvidenceInput attaches a file (a policy, a screenshot, a signed
// review) to a control of a tenant.
type EvidenceInput struct {
	TenantID    string
	ControlID   string
	Name        string
	ContentType string
	Content     []byte
}

var errNoEvidenceStore = errors.New("compliance: no evidence store")

// AddEvidence keeps a manual evidence file on a control. The file is at
// most cases.MaxEvidenceSize; larger ones are refused naming
// contentBase64, and nothing is kept.
func (s *Service) AddEvidence(ctx context.Context, in EvidenceInput) (*ent.Evidence, error) {
	tid, _, err := s.target(ctx, in.TenantID, tenants.PermComplianceWrite)
	if err != nil {
		return nil, err
	}
	if _, err := ControlByID(strings.TrimSpace(in.ControlID)); err != nil {
		return nil, err
	}
	if s.evidence == nil {
		return nil, opsward.Internal(errNoEvidenceStore)
	}
	return s.evidence.AddControlEvidence(ctx, tid, strings.TrimSpace(in.ControlID),
		cases.EvidenceFile{Name: in.Name, ContentType: in.ContentType, Content: in.Content})
}

// Evidence lists the manual evidence files of the tenant's controls (of
// one control when controlID is set), oldest first, without content.
func (s *Service) Evidence(ctx context.Context, tenantID, controlID string) ([]*ent.Evidence, error) {
	tid, _, err := s.target(ctx, tenantID, tenants.PermComplianceRead)
	if err != nil {
		return nil, err
	}
	var ids []string
	if controlID != "" {
		if _, err := ControlByID(controlID); err != nil {
			return nil, err
		}
		ids = append(ids, controlID)
	}
	return s.files(ctx, tid, ids...)
}

func (s *Service) files(ctx context.Context, tid string, controlIDs ...string) ([]*ent.Evidence, error) {
	if s.evidence == nil {
		return nil, nil
	}
	return s.evidence.ControlEvidence(ctx, tid, controlIDs...)
}

// ReadEvidence returns a control's evidence file and its content, checked
// against its SHA-256; the read goes into its chain of custody. The
// context's tenant scope decides whether the file is in reach.
func (s *Service) ReadEvidence(ctx context.Context, id string) (*ent.Evidence, []byte, error) {
	if err := tenants.Authorize(ctx, tenants.PermComplianceRead); err != nil {
		return nil, nil, err
	}
	if s.evidence == nil {
		return nil, nil, opsward.Internal(errNoEvidenceStore)
	}
	return s.evidence.ReadControlEvidence(ctx, id)
}

// fileRefs are the files a report cites.
func fileRefs(es []*ent.Evidence) []FileRef {
	out := make([]FileRef, 0, len(es))
	for _, e := range es {
		out = append(out, FileRef{ID: e.ID, ControlID: deref(e.ControlID), Name: e.Name, SHA256: e.Sha256, AddedAt: e.CreatedAt.UTC()})
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
