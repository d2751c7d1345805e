package response

import (
	"bytes"
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

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

// ServeEDL answers GET /edl/{list}.txt?token=… for the HTTP layer: param
// is the path's last segment ("iol_….txt" or the bare id). The token may
// also come as "Authorization: Bearer …", which keeps it out of access
// logs on firewalls that can send headers. 200 with the list, 403 for
// any unknown list or wrong token, 500 when storage fails.
func (s *Service) ServeEDL(w http.ResponseWriter, r *http.Request, param string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := r.URL.Query().Get("token")
	if h := r.Header.Get("Authorization"); token == "" && len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		token = strings.TrimSpace(h[7:])
	}
	body, err := s.EDL(r.Context(), strings.TrimSuffix(param, ".txt"), token)
	w.Header().Set("Cache-Control", "no-store")
	switch opsward.ErrorCode(err) {
	case "":
	case opsward.EFORBIDDEN:
		http.Error(w, opsward.ErrorMessage(err), http.StatusForbidden)
		return
	default:
		s.log.ErrorContext(r.Context(), "EDL", "list_id", param, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", EDLContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}
