package tenants

import (
	"context"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
)

// DemoCredential is one login of the demonstration data.
type DemoCredential struct {
	Email    string       `json:"email"`
	Password string       `json:"password"`
	Role     opsward.Role `json:"role"`
	UserID   string       `json:"userId"`
}

// DemoTenant is one demonstration tenant with its people and key.
type DemoTenant struct {
	ID     string           `json:"id"`
	Slug   string           `json:"slug"`
	Name   string           `json:"name"`
	Kind   string           `json:"kind"`
	Users  []DemoCredential `json:"users"`
	APIKey *DemoAPIKey      `json:"apiKey,omitempty"`
}

// DemoAPIKey is a demonstration API key and its secret.
type DemoAPIKey struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"`
	Scopes []string `json:"scopes"`
}

// Demo is everything SeedDemo created.
type Demo struct {
	Provider  DemoTenant   `json:"provider"`
	Customers []DemoTenant `json:"customers"`
}

// DemoProviderSlug is the slug of the demonstration provider: a database
// whose root tenant has it holds the demonstration data.
const DemoProviderSlug = "demo-msp"

// SeedDemo fills an empty database with a provider and its owner, and two
// customers, each with an admin, a viewer and an API key. It refuses a
// database that already holds tenants, so that demonstration data never
// mixes with real data.
func (s *Service) SeedDemo(ctx context.Context) (*Demo, error) {
	pctx := Privileged(ctx, "seed demo")
	n, err := s.client.Tenant.Query().Count(pctx)
	if err != nil {
		return nil, storageErr(err)
	}
	if n > 0 {
		return nil, opsward.Errorf(opsward.ECONFLICT, "the database already holds %d tenant(s): seed an empty database", n)
	}
	demo := &Demo{}
	err = s.withTx(pctx, func(tx *ent.Tx) error {
		mkTenant := func(parent *ent.Tenant, kind tenant.Kind, slug, name string) (*ent.Tenant, DemoTenant, error) {
			t, err := s.insertTenant(pctx, tx, parent, kind, TenantInput{Slug: slug, Name: name})
			return t, DemoTenant{ID: t.ID, Slug: t.Slug, Name: t.Name, Kind: string(t.Kind)}, err
		}
		mkUser := func(dt *DemoTenant, email, name string, role opsward.Role) error {
			pw, err := GeneratePassword()
			if err != nil {
				return err
			}
			u, err := s.createMember(pctx, tx, dt.ID, email, name, pw, role)
			if err != nil {
				return err
			}
			dt.Users = append(dt.Users, DemoCredential{Email: u.Email, Password: pw, Role: role, UserID: u.ID})
			return nil
		}
		root, dp, err := mkTenant(nil, tenant.KindProvider, DemoProviderSlug, "Demo MSP")
		if err != nil {
			return err
		}
		if err := mkUser(&dp, "owner@demo-msp.example", "Olivia Owner", opsward.RoleOwner); err != nil {
			return err
		}
		demo.Provider = dp
		for _, c := range []struct{ slug, name string }{{"acme", "Acme Manufacturing"}, {"globex", "Globex Retail"}} {
			_, dc, err := mkTenant(root, tenant.KindCustomer, c.slug, c.name)
			if err != nil {
				return err
			}
			if err := mkUser(&dc, "admin@"+c.slug+".example", "Admin of "+c.name, opsward.RoleAdmin); err != nil {
				return err
			}
			if err := mkUser(&dc, "viewer@"+c.slug+".example", "Viewer of "+c.name, opsward.RoleViewer); err != nil {
				return err
			}
			actor := &Actor{Kind: ActorSystem, ID: "seed", TenantID: dc.ID}
			key, err := s.insertAPIKey(pctx, tx, actor, dc.ID, "demo integration", []string{"noc:write", "soc:write", "events:ingest"}, nil)
			if err != nil {
				return err
			}
			dc.APIKey = &DemoAPIKey{ID: key.ID, Secret: key.Secret, Scopes: key.Scopes}
			demo.Customers = append(demo.Customers, dc)
		}
		return s.Audit(pctx, tx, AuditRecord{TenantID: root.ID, Action: "tenant.seed_demo", TargetID: root.ID, ActorType: ActorSystem})
	})
	if err != nil {
		return nil, err
	}
	return demo, nil
}
