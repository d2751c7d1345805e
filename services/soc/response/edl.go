package response

import (
	"bytes"
	"context"
	"crypto/subtle"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/indicator"
	"github.com/opsward/opsward/ent/indicatorlist"
	"github.com/opsward/opsward/tenants"
)

// errEDLDenied is the one answer to a missing list, an intel list and a
// wrong token, so that a caller without the token learns nothing of which
// lists exist.
var errEDLDenied = opsward.Errorf(opsward.EFORBIDDEN, "no such block list, or the token is wrong")

// EDL returns a block list as an External Dynamic List: its active
// indicators' values, one per line, sorted by kind and value. The caller
// proves the list's token; it is compared in constant time with the
// stored hash. The list is read through the privileged path by id, since
// a firewall has no tenant, and only after the token matches.
func (s *Service) EDL(ctx context.Context, listID, token string) ([]byte, error) {
	if token == "" || len(token) > 128 || listID == "" || len(listID) > 40 {
		return nil, errEDLDenied
	}
	pctx := tenants.Privileged(ctx, "soc response: EDL pull by list id and token")
	l, err := s.Client.IndicatorList.Query().Where(indicatorlist.ID(listID)).Only(pctx)
	if ent.IsNotFound(err) {
		return nil, errEDLDenied
	}
	if err != nil {
		return nil, storageErr(err)
	}
	want := ""
	if l.EdlTokenHash != nil {
		want = *l.EdlTokenHash
	}
	got := hashToken(token)
	if l.Kind != indicatorlist.KindBlocklist || len(want) != len(got) || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return nil, errEDLDenied
	}
	now := s.now()
	rows, err := s.Client.Indicator.Query().Where(indicator.ListID(l.ID),
		indicator.Or(indicator.ValidFromIsNil(), indicator.ValidFromLTE(now)),
		indicator.Or(indicator.ValidUntilIsNil(), indicator.ValidUntilGT(now))).
		Order(ent.Asc(indicator.FieldKind), ent.Asc(indicator.FieldValue)).
		Select(indicator.FieldValue).All(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(r.Value)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// EDLContentType is the Content-Type the route serves an EDL with.
const EDLContentType = "text/plain; charset=utf-8"
