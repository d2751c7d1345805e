package monitoring

import (
	"context"
	"fmt"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/asset"
	"github.com/opsward/opsward/ent/assetdependency"
	"github.com/opsward/opsward/services/noc"
)

// Limits on what one tenant keeps, so that a mistake or a script cannot
// fill the database.
const (
	MaxAssetsPerTenant       = 100_000
	MaxTags                  = 32
	MaxTagLen                = 64
	MaxParents               = 16
	MaxWindowsPerTenant      = 1_000
	MaxPoliciesPerTenant     = 200
	MaxChannelsPerTenant     = 200
	MaxChannelsPerMonitor    = 20
	MaxTargetsPerWindowScope = 500
)

// AssetInput is a new asset or, with nil fields left alone, a change.
type AssetInput struct {
	TenantID    string
	Name        *string
	Kind        *string
	Address     *string
	Tags        []string
	SetTags     bool
	Criticality *string
	Site        *string
	Description *string
}

func validateAsset(in AssetInput, create bool) error {
	if create {
		if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
			return opsward.FieldErrorf("name", "an asset needs a name")
		}
		if in.Kind == nil {
			return opsward.FieldErrorf("kind", "an asset needs a kind: host, network_device, website, cloud_resource, application or database")
		}
	}
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || len(*in.Name) > 200) {
		return opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if in.Kind != nil {
		if err := asset.KindValidator(asset.Kind(*in.Kind)); err != nil {
			return opsward.FieldErrorf("kind", "kind %q is not one of host, network_device, website, cloud_resource, application, database", *in.Kind)
		}
	}
	if in.Criticality != nil {
		if err := asset.CriticalityValidator(asset.Criticality(*in.Criticality)); err != nil {
			return opsward.FieldErrorf("criticality", "criticality %q is not one of critical, high, medium, low", *in.Criticality)
		}
	}
	if in.Address != nil && len(*in.Address) > 500 {
		return opsward.FieldErrorf("address", "an address has at most 500 characters")
	}
	if in.Site != nil && len(*in.Site) > 200 {
		return opsward.FieldErrorf("site", "a site has at most 200 characters")
	}
	if in.Description != nil && len(*in.Description) > 2000 {
		return opsward.FieldErrorf("description", "a description has at most 2000 characters")
	}
	return validateTags(in.Tags)
}

func validateTags(tags []string) error {
	if len(tags) > MaxTags {
		return opsward.FieldErrorf("tags", "at most %d tags", MaxTags)
	}
	for i, t := range tags {
		if t == "" || len(t) > MaxTagLen {
			return opsward.FieldErrorf(fmt.Sprintf("tags.%d", i), "a tag has 1 to %d characters", MaxTagLen)
		}
	}
	return nil
}

// CreateAsset adds an asset to a tenant in reach.
func (s *Service) CreateAsset(ctx context.Context, in AssetInput) (*ent.Asset, error) {
	if err := validateAsset(in, true); err != nil {
		return nil, err
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.Asset
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.Asset.Query().Where(asset.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxAssetsPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d assets", MaxAssetsPerTenant)
		}
		c := tx.Asset.Create().SetTenantID(tenantID).SetName(strings.TrimSpace(*in.Name)).SetKind(asset.Kind(*in.Kind)).
			SetTags(nonNil(in.Tags))
		if in.Address != nil {
			c.SetAddress(*in.Address)
		}
		if in.Criticality != nil {
			c.SetCriticality(asset.Criticality(*in.Criticality))
		}
		if in.Site != nil {
			c.SetSite(*in.Site)
		}
		if in.Description != nil {
			c.SetDescription(*in.Description)
		}
		out, err = c.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "asset.create", out.ID, out.Name)
	})
	return out, err
}

// UpdateAsset changes an asset.
func (s *Service) UpdateAsset(ctx context.Context, id string, in AssetInput) (*ent.Asset, error) {
	if err := validateAsset(in, false); err != nil {
		return nil, err
	}
	var out *ent.Asset
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Asset.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		u := tx.Asset.UpdateOne(a)
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if in.Kind != nil {
			u.SetKind(asset.Kind(*in.Kind))
		}
		if in.Address != nil {
			u.SetAddress(*in.Address)
		}
		if in.SetTags {
			u.SetTags(nonNil(in.Tags))
		}
		if in.Criticality != nil {
			u.SetCriticality(asset.Criticality(*in.Criticality))
		}
		if in.Site != nil {
			u.SetSite(*in.Site)
		}
		if in.Description != nil {
			u.SetDescription(*in.Description)
		}
		out, err = u.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, a.TenantID, "asset.update", a.ID, "")
	})
	return out, err
}

// DeleteAsset removes an asset that has no monitors left; its
// dependencies go with it.
func (s *Service) DeleteAsset(ctx context.Context, id string) (*ent.Asset, error) {
	var out *ent.Asset
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		a, err := tx.Asset.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		n, err := a.QueryMonitors().Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n > 0 {
			return opsward.Errorf(opsward.ECONFLICT, "the asset still has %d monitor(s): delete them first", n)
		}
		if _, err := tx.AssetDependency.Delete().Where(assetdependency.Or(
			assetdependency.ChildID(id), assetdependency.ParentID(id))).Exec(ctx); err != nil {
			return storageErr(err)
		}
		if err := tx.Asset.DeleteOne(a).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = a
		return s.audit(ctx, tx, a.TenantID, "asset.delete", a.ID, a.Name)
	})
	return out, err
}

// dependencies reads a tenant's dependency graph through c: inside a
// transaction, its client (a second connection taken while the
// transaction holds one deadlocks once every connection is so held).
func dependencies(ctx context.Context, c *ent.Client, tenantID string) (*noc.Dependencies, error) {
	rows, err := c.AssetDependency.Query().Where(assetdependency.TenantID(tenantID)).All(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	g := &noc.Dependencies{}
	for _, r := range rows {
		// Stored edges were checked when added; a failure here would mean
		// a cycle slipped in, which Add refuses again harmlessly.
		_ = g.Add(r.ChildID, r.ParentID)
	}
	return g, nil
}

// AddDependency records that child depends on parent. Both must be assets
// of the same tenant; a dependency that would close a cycle is refused.
func (s *Service) AddDependency(ctx context.Context, childID, parentID string) (*ent.Asset, error) {
	if childID == parentID {
		return nil, opsward.FieldErrorf("parentId", "an asset cannot depend on itself")
	}
	var out *ent.Asset
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		child, err := tx.Asset.Get(ctx, childID)
		if err != nil {
			return opsward.FieldErrorf("childId", "no asset %s in your reach", childID)
		}
		parent, err := tx.Asset.Get(ctx, parentID)
		if err != nil || parent.TenantID != child.TenantID {
			return opsward.FieldErrorf("parentId", "no asset %s in the child's tenant", parentID)
		}
		rows, err := tx.AssetDependency.Query().Where(assetdependency.TenantID(child.TenantID)).All(ctx)
		if err != nil {
			return storageErr(err)
		}
		g := &noc.Dependencies{}
		parents := 0
		for _, r := range rows {
			_ = g.Add(r.ChildID, r.ParentID)
			if r.ChildID == childID {
				parents++
				if r.ParentID == parentID {
					out = child
					return nil // already recorded
				}
			}
		}
		if parents >= MaxParents {
			return opsward.Errorf(opsward.ELIMIT, "an asset has at most %d parents", MaxParents)
		}
		if err := g.Add(childID, parentID); err != nil {
			return err
		}
		if err := tx.AssetDependency.Create().SetTenantID(child.TenantID).SetChildID(childID).SetParentID(parentID).
			SetCreatedAt(s.now()).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = child
		return s.audit(ctx, tx, child.TenantID, "asset.dependency_add", childID, parentID)
	})
	return out, err
}

// RemoveDependency drops a dependency; removing one that is absent is
// harmless.
func (s *Service) RemoveDependency(ctx context.Context, childID, parentID string) (*ent.Asset, error) {
	var out *ent.Asset
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		child, err := tx.Asset.Get(ctx, childID)
		if err != nil {
			return opsward.FieldErrorf("childId", "no asset %s in your reach", childID)
		}
		n, err := tx.AssetDependency.Delete().Where(assetdependency.ChildID(childID), assetdependency.ParentID(parentID)).Exec(ctx)
		if err != nil {
			return storageErr(err)
		}
		out = child
		if n == 0 {
			return nil
		}
		return s.audit(ctx, tx, child.TenantID, "asset.dependency_remove", childID, parentID)
	})
	return out, err
}

// Parents returns the assets an asset depends on.
func (s *Service) Parents(ctx context.Context, assetID string) ([]*ent.Asset, error) {
	ids, err := s.Client.AssetDependency.Query().Where(assetdependency.ChildID(assetID)).
		Select(assetdependency.FieldParentID).Strings(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	out, err := s.Client.Asset.Query().Where(asset.IDIn(ids...)).Order(ent.Asc(asset.FieldName)).All(ctx)
	return out, storageErr(err)
}

// Children returns the assets that depend on an asset.
func (s *Service) Children(ctx context.Context, assetID string) ([]*ent.Asset, error) {
	ids, err := s.Client.AssetDependency.Query().Where(assetdependency.ParentID(assetID)).
		Select(assetdependency.FieldChildID).Strings(ctx)
	if err != nil {
		return nil, storageErr(err)
	}
	out, err := s.Client.Asset.Query().Where(asset.IDIn(ids...)).Order(ent.Asc(asset.FieldName)).All(ctx)
	return out, storageErr(err)
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
