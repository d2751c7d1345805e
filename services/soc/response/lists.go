package response

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/indicator"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/services/soc/intel"
)

// Limits on lists and imports. A list is bounded so that one tenant's
// feed cannot make the shared matcher too big to rebuild every 30 s; an
// import so that one request stays within the API's time and memory.
const (
	MaxListsPerTenant    = 100
	MaxIndicatorsPerList = 500_000
	MaxImportBytes       = 32 << 20
	MaxImportItems       = 200_000
)

// Kinds of list.
const (
	ListIntel     = "intel"
	ListBlocklist = "blocklist"
)

// unmarkedTLP is what an indicator given without a TLP is stored as: the
// intel package asks sharers to treat unmarked as amber, and a block list
// is shared with firewalls.
const unmarkedTLP = intel.TLPAmber

// ListInput is a new indicator list.
type ListInput struct {
	TenantID    string
	Name        string
	Kind        string
	Description string
}

// NewList is a list just made or with a new token: Token is its EDL token
// in clear, shown once (empty for intel lists).
type NewList struct {
	List  *ent.IndicatorList
	Token string
}

// IndicatorInput is an indicator added by hand. Kind empty guesses it
// from the value.
type IndicatorInput struct {
	ListID      string
	Kind        string
	Value       string
	Source      string
	Confidence  *int
	TLP         string
	ValidUntil  *time.Time
	Tags        []string
	Description string
}

// ImportResult is what an import stored and what it refused.
type ImportResult struct {
	Imported int
	Rejected []intel.Rejection
}

// newToken returns an EDL token, its hash as stored and its visible
// prefix. The token carries 256 random bits, so that a hash without salt
// is enough to keep it.
func newToken() (token, hash, prefix string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", "", opsward.Internal(err)
	}
	token = "edl_" + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), token[:12], nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateList makes an indicator list; a block list gets its EDL token,
// returned once.
func (s *Service) CreateList(ctx context.Context, in ListInput) (*NewList, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if in.Kind != ListIntel && in.Kind != ListBlocklist {
		return nil, opsward.FieldErrorf("kind", "kind %q is not intel or blocklist", in.Kind)
	}
	if len(in.Description) > 2000 {
		return nil, opsward.FieldErrorf("description", "a description has at most 2000 characters")
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	out := &NewList{}
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.IndicatorList.Query().Where(indicatorlist.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxListsPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d indicator lists", MaxListsPerTenant)
		}
		c := tx.IndicatorList.Create().SetTenantID(tenantID).SetName(name).
			SetKind(indicatorlist.Kind(in.Kind)).SetDescription(strings.TrimSpace(in.Description))
		if in.Kind == ListBlocklist {
			tok, hash, prefix, err := newToken()
			if err != nil {
				return err
			}
			c.SetEdlTokenHash(hash).SetEdlTokenPrefix(prefix)
			out.Token = tok
		}
		out.List, err = c.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "indicator_list.create", out.List.ID, out.List.Name)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteList removes a list and its indicators.
func (s *Service) DeleteList(ctx context.Context, id string) (*ent.IndicatorList, error) {
	var out *ent.IndicatorList
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		l, err := tx.IndicatorList.Get(ctx, id)
		if err != nil {
			return notFound(err, "indicator list", id)
		}
		if _, err := tx.Indicator.Delete().Where(indicator.ListID(l.ID)).Exec(ctx); err != nil {
			return storageErr(err)
		}
		if err := tx.IndicatorList.DeleteOne(l).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = l
		return s.audit(ctx, tx, l.TenantID, "indicator_list.delete", l.ID, l.Name)
	})
	if err == nil {
		s.changed(string(out.Kind))
	}
	return out, err
}

// RotateToken gives a block list a new EDL token; the old one stops
// working at once.
func (s *Service) RotateToken(ctx context.Context, id string) (*NewList, error) {
	out := &NewList{}
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		l, err := tx.IndicatorList.Get(ctx, id)
		if err != nil {
			return notFound(err, "indicator list", id)
		}
		if l.Kind != indicatorlist.KindBlocklist {
			return opsward.FieldErrorf("id", "only a block list has an EDL token")
		}
		tok, hash, prefix, err := newToken()
		if err != nil {
			return err
		}
		out.List, err = tx.IndicatorList.UpdateOne(l).SetEdlTokenHash(hash).SetEdlTokenPrefix(prefix).Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		out.Token = tok
		return s.audit(ctx, tx, l.TenantID, "indicator_list.rotate_token", l.ID, prefix)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListSize is how many indicators a list holds.
func (s *Service) ListSize(ctx context.Context, listID string) (int, error) {
	n, err := s.Client.Indicator.Query().Where(indicator.ListID(listID)).Count(ctx)
	return n, storageErr(err)
}

// EDLPath is where firewalls pull a block list ("" for intel lists); the
// token goes in ?token=.
func (s *Service) EDLPath(l *ent.IndicatorList) string {
	if l.Kind != indicatorlist.KindBlocklist {
		return ""
	}
	return "/edl/" + l.ID + ".txt"
}

// AddIndicator adds an indicator to a list, or replaces the one with the
// same kind and value.
func (s *Service) AddIndicator(ctx context.Context, in IndicatorInput) (*ent.Indicator, error) {
	ind, err := manualIndicator(in)
	if err != nil {
		return nil, err
	}
	var out *ent.Indicator
	var kind string
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		l, err := tx.IndicatorList.Get(ctx, in.ListID)
		if err != nil {
			if ent.IsNotFound(err) {
				return opsward.FieldErrorf("listId", "no indicator list %s", in.ListID)
			}
			return storageErr(err)
		}
		kind = string(l.Kind)
		rows, err := s.upsert(ctx, tx, l, []intel.Indicator{ind})
		if err != nil {
			return err
		}
		out = rows[0]
		return s.audit(ctx, tx, l.TenantID, "indicator.add", out.ID, string(ind.Kind)+" "+ind.Value)
	})
	if err == nil {
		s.changed(kind)
	}
	return out, err
}

func manualIndicator(in IndicatorInput) (intel.Indicator, error) {
	ind := intel.Indicator{Value: in.Value, Source: in.Source, Confidence: intel.DefaultConfidence,
		TLP: intel.TLP(in.TLP), Tags: in.Tags, Description: in.Description}
	if strings.TrimSpace(in.Value) == "" {
		return ind, opsward.FieldErrorf("value", "give a value")
	}
	if in.Kind == "" {
		k, v, err := intel.Guess(in.Value)
		if err != nil {
			return ind, opsward.FieldErrorf("value", "%s", opsward.ErrorMessage(err))
		}
		ind.Kind, ind.Value = k, v
	} else {
		k, ok := intel.ParseKind(in.Kind)
		if !ok {
			return ind, opsward.FieldErrorf("kind", "kind %q is not one of ipv4, ipv6, cidr, domain, url, sha256, sha1, md5, email", in.Kind)
		}
		ind.Kind = k
	}
	if in.Confidence != nil {
		ind.Confidence = *in.Confidence
	}
	if in.ValidUntil != nil {
		ind.ValidUntil = in.ValidUntil.UTC()
	}
	if ind.TLP == "" {
		ind.TLP = unmarkedTLP
	}
	if err := ind.Normalize(); err != nil {
		return ind, err
	}
	return ind, nil
}

// upsert stores indicators in list l, replacing those with the same kind
// and value, in input order; it returns the rows. The list's size limit
// counts only new values.
func (s *Service) upsert(ctx context.Context, tx *ent.Tx, l *ent.IndicatorList, inds []intel.Indicator) ([]*ent.Indicator, error) {
	// The last of equal values wins, as a later line of a feed would.
	pos := make(map[string]int, len(inds))
	var uniq []intel.Indicator
	for _, in := range inds {
		k := string(in.Kind) + "\x00" + in.Value
		if p, ok := pos[k]; ok {
			uniq[p] = in
			continue
		}
		pos[k] = len(uniq)
		uniq = append(uniq, in)
	}
	have, err := tx.Indicator.Query().Where(indicator.ListID(l.ID)).Count(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	out := make([]*ent.Indicator, len(uniq))
	const chunk = 200
	for lo := 0; lo < len(uniq); lo += chunk {
		part := uniq[lo:min(lo+chunk, len(uniq))]
		values := make([]string, len(part))
		for k, in := range part {
			values[k] = in.Value
		}
		rows, err := tx.Indicator.Query().Where(indicator.ListID(l.ID), indicator.ValueIn(values...)).All(ctx)
		if err != nil {
			return nil, storageErr(err)
		}
		existing := make(map[string]*ent.Indicator, len(rows))
		for _, r := range rows {
			existing[r.Kind+"\x00"+r.Value] = r
		}
		var creates []*ent.IndicatorCreate
		var createAt []int
		for k, in := range part {
			if r, ok := existing[string(in.Kind)+"\x00"+in.Value]; ok {
				u := tx.Indicator.UpdateOne(r).SetSource(truncate(in.Source, 200)).SetConfidence(in.Confidence).SetTlp(tlpOf(in)).
					SetTags(in.Tags).SetDescription(truncate(in.Description, 2000))
				u.SetNillableValidFrom(timePtr(in.ValidFrom)).SetNillableValidUntil(timePtr(in.ValidUntil))
				if in.ValidFrom.IsZero() {
					u.ClearValidFrom()
				}
				if in.ValidUntil.IsZero() {
					u.ClearValidUntil()
				}
				if out[lo+k], err = u.Save(ctx); err != nil {
					return nil, storageErr(err)
				}
				continue
			}
			creates = append(creates, tx.Indicator.Create().SetTenantID(l.TenantID).SetListID(l.ID).
				SetKind(string(in.Kind)).SetValue(in.Value).SetSource(truncate(in.Source, 200)).SetConfidence(in.Confidence).
				SetTlp(tlpOf(in)).SetTags(in.Tags).SetDescription(truncate(in.Description, 2000)).
				SetNillableValidFrom(timePtr(in.ValidFrom)).SetNillableValidUntil(timePtr(in.ValidUntil)))
			createAt = append(createAt, lo+k)
		}
		if have+len(creates) > MaxIndicatorsPerList {
			return nil, opsward.Errorf(opsward.ELIMIT, "a list holds at most %d indicators", MaxIndicatorsPerList)
		}
		if len(creates) > 0 {
			made, err := tx.Indicator.CreateBulk(creates...).Save(ctx)
			if err != nil {
				return nil, storageErr(err)
			}
			for k, r := range made {
				out[createAt[k]] = r
			}
			have += len(made)
		}
	}
	return out, nil
}

func tlpOf(in intel.Indicator) string {
	if in.TLP == "" {
		return string(unmarkedTLP)
	}
	return string(in.TLP)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so that the stored text stays valid UTF-8.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// DeleteIndicator removes an indicator.
func (s *Service) DeleteIndicator(ctx context.Context, id string) (*ent.Indicator, error) {
	var out *ent.Indicator
	var kind string
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		r, err := tx.Indicator.Get(ctx, id)
		if err != nil {
			return notFound(err, "indicator", id)
		}
		if l, err := tx.IndicatorList.Get(ctx, r.ListID); err == nil {
			kind = string(l.Kind)
		}
		if err := tx.Indicator.DeleteOne(r).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = r
		return s.audit(ctx, tx, r.TenantID, "indicator.delete", r.ID, r.Kind+" "+r.Value)
	})
	if err == nil {
		s.changed(kind)
	}
	return out, err
}

// Import formats.
const (
	FormatSTIX = "stix"
	FormatCSV  = "csv"
)

// Import reads a STIX 2.1 bundle or a CSV file into a list: every
// indicator it can take is stored (replacing the same kind and value),
// every object or row it cannot is returned with the reason. An error is
// for the whole file.
func (s *Service) Import(ctx context.Context, listID, format string, r io.Reader, source string) (*ImportResult, error) {
	var out *ImportResult
	var kind string
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		l, err := tx.IndicatorList.Get(ctx, listID)
		if err != nil {
			if ent.IsNotFound(err) {
				return opsward.FieldErrorf("listId", "no indicator list %s", listID)
			}
			return storageErr(err)
		}
		kind = string(l.Kind)
		opts := intel.ImportOptions{Source: strings.TrimSpace(source), TenantID: l.TenantID, ListID: l.ID,
			DefaultTLP: unmarkedTLP, MaxBytes: MaxImportBytes, MaxItems: MaxImportItems}
		if err := opts.Validate(); err != nil {
			return err
		}
		var res *intel.ImportResult
		switch format {
		case FormatSTIX:
			res, err = intel.ImportSTIX(r, opts)
		case FormatCSV:
			res, err = intel.ImportCSV(r, opts)
		default:
			return opsward.FieldErrorf("format", "format %q is not stix or csv", format)
		}
		if err != nil {
			return err
		}
		rows, err := s.upsert(ctx, tx, l, res.Indicators)
		if err != nil {
			return err
		}
		out = &ImportResult{Imported: len(rows), Rejected: res.Rejected}
		return s.audit(ctx, tx, l.TenantID, "indicator_list.import", l.ID,
			fmt.Sprintf("%s: %d imported, %d rejected", format, len(rows), len(res.Rejected)))
	})
	if err != nil {
		return nil, err
	}
	s.changed(kind)
	return out, nil
}
