package graph

import (
	"context"
	"errors"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/apikey"
	"github.com/opsward/opsward/ent/auditentry"
	"github.com/opsward/opsward/ent/invitation"
	"github.com/opsward/opsward/ent/membership"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/ent/user"
	"github.com/opsward/opsward/tenants"
)

// nodeTables maps an ID prefix to the table node(id:) reads, so that a
// lookup is one query and an ID of an unknown kind is refused at once.
var nodeTables = map[string]string{
	opsward.PrefixTenant:     tenant.Table,
	opsward.PrefixUser:       user.Table,
	opsward.PrefixMembership: membership.Table,
	opsward.PrefixInvitation: invitation.Table,
	opsward.PrefixAPIKey:     apikey.Table,
	opsward.PrefixAudit:      auditentry.Table,
}

func nodeType(_ context.Context, id string) (string, error) {
	if t, ok := nodeTables[opsward.IDPrefix(id)]; ok && opsward.ValidID(id, "") {
		return t, nil
	}
	return "", opsward.Errorf(opsward.ENOTFOUND, "no object has id %q", id)
}

func (r *Resolver) node(ctx context.Context, id string) (ent.Noder, error) {
	if _, err := tenants.Require(ctx); err != nil {
		return nil, err
	}
	n, err := r.Client.Noder(ctx, id, ent.WithNodeType(nodeType))
	if ent.IsNotFound(err) || ent.IsNotSingular(err) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no object has id %q", id)
	}
	return n, mapEntError(err)
}

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]ent.Noder, error) {
	if _, err := tenants.Require(ctx); err != nil {
		return nil, err
	}
	if len(ids) > MaxPage {
		return nil, opsward.FieldErrorf("ids", "at most %d ids at once, got %d", MaxPage, len(ids))
	}
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, id)
		if err != nil && opsward.ErrorCode(err) != opsward.ENOTFOUND {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// mapEntError turns storage errors into domain errors: a privacy denial
// reads as not found, so that a forbidden object and a missing one look
// the same to a caller who may not see it.
func mapEntError(err error) error {
	switch {
	case err == nil:
		return nil
	case ent.IsNotFound(err):
		return opsward.Errorf(opsward.ENOTFOUND, "not found")
	case ent.IsConstraintError(err):
		return &opsward.Error{Code: opsward.ECONFLICT, Message: "conflicts with an existing object", Err: err}
	}
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		return &opsward.Error{Code: opsward.EINVALID, Field: ve.Name, Message: ve.Error(), Err: err}
	}
	var oe *opsward.Error
	if errors.As(err, &oe) {
		return err
	}
	return opsward.Internal(err)
}
