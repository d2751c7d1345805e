package main

import (
	"context"
	"fmt"
	"io"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
)

// SeedOutput is what `opsward seed demo` created.
type SeedOutput struct {
	Provider  SeedTenant   `json:"provider"`
	Customers []SeedTenant `json:"customers"`
}

// SeedTenant is one demonstration tenant.
type SeedTenant struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	Plan string `json:"plan"`
}

// WriteText prints the output for a person.
func (o *SeedOutput) WriteText(w io.Writer) {
	fmt.Fprintf(w, "provider  %s  %s (%s)\n", o.Provider.ID, o.Provider.Name, o.Provider.Slug)
	for _, c := range o.Customers {
		fmt.Fprintf(w, "customer  %s  %s (%s), plan %s\n", c.ID, c.Name, c.Slug, c.Plan)
	}
}

// SeedDemo fills an empty database with a provider and two customers.
// It refuses a database that already holds tenants, so that it never mixes
// demonstration data into real data.
func (m *Main) SeedDemo(ctx context.Context) (*SeedOutput, error) {
	n, err := m.Client.Tenant.Query().Count(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, fmt.Errorf("seed: the database already holds %d tenant(s); seed an empty database", n)
	}
	tx, err := m.Client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	out := &SeedOutput{}
	mk := func(parent *ent.Tenant, kind tenant.Kind, slug, name, plan string) (SeedTenant, *ent.Tenant, error) {
		c := tx.Tenant.Create().SetKind(kind).SetSlug(slug).SetName(name)
		id := opsward.NewID(opsward.PrefixTenant)
		path := "/" + id + "/"
		if parent != nil {
			c.SetParentID(parent.ID)
			path = parent.Path + id + "/"
		}
		t, err := c.SetID(id).SetPath(path).Save(ctx)
		if err != nil {
			return SeedTenant{}, nil, err
		}
		if _, err := tx.Subscription.Create().SetTenantID(t.ID).SetPlan(plan).Save(ctx); err != nil {
			return SeedTenant{}, nil, err
		}
		return SeedTenant{ID: t.ID, Slug: t.Slug, Name: t.Name, Plan: plan}, t, nil
	}
	var root *ent.Tenant
	if out.Provider, root, err = mk(nil, tenant.KindProvider, "demo-msp", "Demo MSP", "enterprise"); err != nil {
		return nil, rollback(tx, err)
	}
	for _, c := range []struct{ slug, name, plan string }{
		{"acme", "Acme Manufacturing", "professional"},
		{"globex", "Globex Retail", "essentials"},
	} {
		st, _, err := mk(root, tenant.KindCustomer, c.slug, c.name, c.plan)
		if err != nil {
			return nil, rollback(tx, err)
		}
		out.Customers = append(out.Customers, st)
	}
	return out, tx.Commit()
}

func rollback(tx *ent.Tx, err error) error {
	_ = tx.Rollback()
	return err
}
