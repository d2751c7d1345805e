package tenants

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/savedview"
)

// MaxSavedViews is how many views one user keeps of one list in a tenant.
const MaxSavedViews = 50

// viewScopes are the lists that have saved views, each with the filters it
// keeps, the values each filter takes ("" for any text up to 200
// characters), and the permission that reads the list.
var viewScopes = map[string]struct {
	perm    Permission
	filters map[string][]string
}{
	"alerts": {perm: PermSOCRead, filters: map[string][]string{
		"status":   {"", "open", "new", "acknowledged", "closed_true_positive", "closed_false_positive", "closed_benign"},
		"severity": {"", "critical", "high", "medium", "low", "info"},
	}},
}

// SavedViewInput is a view to save: a name and the list's filters.
// Scope names the list (the API calls it list); errors about it name "list".
type SavedViewInput struct {
	Scope   string
	Name    string
	Filters map[string]string
}

// viewActor is the user a view belongs to: saved views are a person's, so
// an API key has none.
func viewActor(ctx context.Context, scope string) (*Actor, error) {
	sc, ok := viewScopes[scope]
	if !ok {
		return nil, opsward.FieldErrorf("list", "%q is not a list with saved views (alerts)", scope)
	}
	if err := Authorize(ctx, sc.perm); err != nil {
		return nil, err
	}
	a, _ := FromContext(ctx)
	if a == nil || a.UserID() == "" {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "saved views belong to a signed-in user")
	}
	return a, nil
}

// SavedViews lists the acting user's views of a list in the acting
// tenant, by name.
func (s *Service) SavedViews(ctx context.Context, scope string) ([]*ent.SavedView, error) {
	a, err := viewActor(ctx, scope)
	if err != nil {
		return nil, err
	}
	vs, err := s.client.SavedView.Query().Where(savedview.TenantID(a.TenantID), savedview.UserID(a.UserID()), savedview.Scope(scope)).
		Order(savedview.ByName()).All(ctx)
	return vs, storageErr(err)
}

// CreateSavedView saves the acting user's filters of a list under a name,
// in the acting tenant. A name is unique per user, tenant and list.
func (s *Service) CreateSavedView(ctx context.Context, in SavedViewInput) (*ent.SavedView, error) {
	a, err := viewActor(ctx, in.Scope)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return nil, opsward.FieldErrorf("name", "a view needs a name of 1 to 100 characters")
	}
	allowed := viewScopes[in.Scope].filters
	filters := map[string]string{}
	for k, v := range in.Filters {
		vals, ok := allowed[k]
		if !ok {
			return nil, opsward.FieldErrorf("filters", "%q is not a filter of the %s list", k, in.Scope)
		}
		if len(vals) > 0 && !slices.Contains(vals, v) {
			return nil, opsward.FieldErrorf("filters", "%q is not a value of the %s filter", v, k)
		}
		if v != "" {
			filters[k] = v
		}
	}
	var out *ent.SavedView
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		q := tx.SavedView.Query().Where(savedview.TenantID(a.TenantID), savedview.UserID(a.UserID()), savedview.Scope(in.Scope))
		if n, err := q.Clone().Where(savedview.Name(name)).Count(ctx); err != nil {
			return storageErr(err)
		} else if n > 0 {
			return &opsward.Error{Code: opsward.ECONFLICT, Field: "name", Message: "you have a view named " + name + " already"}
		}
		if n, err := q.Count(ctx); err != nil {
			return storageErr(err)
		} else if n >= MaxSavedViews {
			return opsward.Errorf(opsward.ELIMIT, "at most %d saved views of a list; delete one first", MaxSavedViews)
		}
		out, err = tx.SavedView.Create().SetTenantID(a.TenantID).SetUserID(a.UserID()).SetScope(in.Scope).SetName(name).SetFilters(filters).Save(ctx)
		return storageErr(err)
	})
	return out, err
}

// DeleteSavedView deletes one of the acting user's views; another user's
// view is not found.
func (s *Service) DeleteSavedView(ctx context.Context, id string) (*ent.SavedView, error) {
	a, _ := FromContext(ctx)
	if a == nil || a.UserID() == "" {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "saved views belong to a signed-in user")
	}
	var out *ent.SavedView
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		v, err := tx.SavedView.Query().Where(savedview.ID(id), savedview.TenantID(a.TenantID), savedview.UserID(a.UserID())).Only(ctx)
		if err != nil {
			return storageErr(err)
		}
		if err := tx.SavedView.DeleteOne(v).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = v
		return nil
	})
	return out, err
}
