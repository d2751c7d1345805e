package tenants

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/tenant"
)

// TenantInput creates a tenant.
type TenantInput struct {
	ParentID      string // required for customers and organizations
	Kind          tenant.Kind
	Slug          string
	Name          string
	Timezone      string
	RetentionDays int
	ContactName   string
	ContactEmail  string
}

// TenantUpdate changes a tenant; nil fields stay as they are.
type TenantUpdate struct {
	Name          *string
	Timezone      *string
	RetentionDays *int
	ContactName   *string
	ContactEmail  *string
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// Limits of tenant fields.
const (
	MaxRetentionDays = 3650
	maxNameLen       = 200
)

func validateTimezone(field, tz string) error {
	if tz == "" {
		return nil
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return opsward.FieldErrorf(field, "%q is not an IANA time zone such as Europe/Paris", tz)
	}
	return nil
}

func validateEmail(field, email string) error {
	if email == "" {
		return nil
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return opsward.FieldErrorf(field, "%q is not an email address", email)
	}
	return nil
}

func validateName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return opsward.FieldErrorf(field, "%s must not be empty", field)
	}
	if len(name) > maxNameLen {
		return opsward.FieldErrorf(field, "%s is longer than %d bytes", field, maxNameLen)
	}
	return nil
}

func validateRetention(field string, days int) error {
	if days < 1 || days > MaxRetentionDays {
		return opsward.FieldErrorf(field, "retention must be between 1 and %d days, got %d", MaxRetentionDays, days)
	}
	return nil
}

// Validate checks the input; errors name the field.
func (in TenantInput) Validate() error {
	if !slugRE.MatchString(in.Slug) {
		return opsward.FieldErrorf("slug", "slug must be 1 to 63 lower-case letters, digits and inner hyphens, got %q", in.Slug)
	}
	if err := validateName("name", in.Name); err != nil {
		return err
	}
	if err := validateTimezone("timezone", in.Timezone); err != nil {
		return err
	}
	if in.RetentionDays != 0 {
		if err := validateRetention("retentionDays", in.RetentionDays); err != nil {
			return err
		}
	}
	if len(in.ContactName) > maxNameLen {
		return opsward.FieldErrorf("contactName", "contactName is longer than %d bytes", maxNameLen)
	}
	return validateEmail("contactEmail", in.ContactEmail)
}

// childKind says which kind of tenant may sit below which.
var childKind = map[tenant.Kind]tenant.Kind{
	tenant.KindProvider: tenant.KindCustomer,
	tenant.KindCustomer: tenant.KindOrganization,
}

// CreateTenant creates a customer below the provider, or an organization
// below a customer. The actor needs tenant:write and must reach the parent.
func (s *Service) CreateTenant(ctx context.Context, in TenantInput) (*ent.Tenant, error) {
	if err := Authorize(ctx, PermTenantWrite); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if !opsward.ValidID(in.ParentID, opsward.PrefixTenant) {
		return nil, opsward.FieldErrorf("parentId", "%q is not a tenant id", in.ParentID)
	}
	var out *ent.Tenant
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		parent, err := tx.Tenant.Get(ctx, in.ParentID)
		if err != nil {
			if ent.IsNotFound(err) {
				return opsward.FieldErrorf("parentId", "no tenant %s in your reach", in.ParentID)
			}
			return storageErr(err)
		}
		if parent.Status != tenant.StatusActive {
			return opsward.FieldErrorf("parentId", "tenant %s is %s: new tenants go below active ones", parent.ID, parent.Status)
		}
		kind, ok := childKind[parent.Kind]
		if !ok {
			return opsward.FieldErrorf("parentId", "a %s cannot have tenants below it", parent.Kind)
		}
		if in.Kind != "" && in.Kind != kind {
			return opsward.FieldErrorf("kind", "below a %s goes a %s, not a %s", parent.Kind, kind, in.Kind)
		}
		if out, err = s.insertTenant(ctx, tx, parent, kind, in); err != nil {
			return err
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: out.ID, Action: "tenant.create", TargetID: out.ID, Detail: "slug=" + out.Slug})
	})
	return out, err
}

// insertTenant writes the row, its path and what hooks add (a plan).
func (s *Service) insertTenant(ctx context.Context, tx *ent.Tx, parent *ent.Tenant, kind tenant.Kind, in TenantInput) (*ent.Tenant, error) {
	id := opsward.NewID(opsward.PrefixTenant)
	path := "/" + id + "/"
	c := tx.Tenant.Create().SetID(id).SetKind(kind).SetSlug(in.Slug).SetName(strings.TrimSpace(in.Name)).
		SetContactName(in.ContactName).SetContactEmail(in.ContactEmail)
	if parent != nil {
		path = parent.Path + id + "/"
		c.SetParentID(parent.ID)
	}
	if in.Timezone != "" {
		c.SetTimezone(in.Timezone)
	}
	if in.RetentionDays != 0 {
		c.SetRetentionDays(in.RetentionDays)
	}
	t, err := c.SetPath(path).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, &opsward.Error{Code: opsward.ECONFLICT, Field: "slug", Message: "slug " + in.Slug + " is taken", Err: err}
	}
	if err != nil {
		return nil, storageErr(err)
	}
	if s.hooks.TenantCreated != nil {
		if err := s.hooks.TenantCreated(ctx, tx, t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Tenant returns a tenant in the actor's reach.
func (s *Service) Tenant(ctx context.Context, id string) (*ent.Tenant, error) {
	if err := Authorize(ctx, PermTenantRead); err != nil {
		return nil, err
	}
	if !opsward.ValidID(id, opsward.PrefixTenant) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "no tenant has id %q", id)
	}
	t, err := s.client.Tenant.Get(ctx, id)
	return t, storageErr(err)
}

// UpdateTenant changes a tenant's details.
func (s *Service) UpdateTenant(ctx context.Context, id string, in TenantUpdate) (*ent.Tenant, error) {
	if err := Authorize(ctx, PermTenantWrite); err != nil {
		return nil, err
	}
	if in.Name != nil {
		if err := validateName("name", *in.Name); err != nil {
			return nil, err
		}
	}
	if in.Timezone != nil {
		if err := validateTimezone("timezone", *in.Timezone); err != nil {
			return nil, err
		}
	}
	if in.RetentionDays != nil {
		if err := validateRetention("retentionDays", *in.RetentionDays); err != nil {
			return nil, err
		}
	}
	if in.ContactEmail != nil {
		if err := validateEmail("contactEmail", *in.ContactEmail); err != nil {
			return nil, err
		}
	}
	var out *ent.Tenant
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		u := tx.Tenant.UpdateOneID(id)
		var changed []string
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
			changed = append(changed, "name")
		}
		if in.Timezone != nil {
			u.SetTimezone(*in.Timezone)
			changed = append(changed, "timezone")
		}
		if in.RetentionDays != nil {
			u.SetRetentionDays(*in.RetentionDays)
			changed = append(changed, "retentionDays")
		}
		if in.ContactName != nil {
			u.SetContactName(*in.ContactName)
			changed = append(changed, "contactName")
		}
		if in.ContactEmail != nil {
			u.SetContactEmail(*in.ContactEmail)
			changed = append(changed, "contactEmail")
		}
		var err error
		if out, err = u.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: id, Action: "tenant.update", TargetID: id, Detail: "changed=" + strings.Join(changed, ",")})
	})
	return out, err
}

// SetTenantStatus suspends, reactivates or closes a tenant. The acting
// tenant cannot change its own status (an MSP cannot suspend itself from
// below); a closed tenant stays closed until its data is purged.
func (s *Service) SetTenantStatus(ctx context.Context, id string, status tenant.Status) (*ent.Tenant, error) {
	perm := PermTenantWrite
	if status == tenant.StatusClosed {
		perm = PermTenantClose
	}
	if err := Authorize(ctx, perm); err != nil {
		return nil, err
	}
	a, _ := FromContext(ctx)
	if !a.IsPrivileged() && a.TenantID == id {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "a tenant's status is changed from the tenant above it, not by the tenant itself")
	}
	var out *ent.Tenant
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		t, err := tx.Tenant.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if t.Kind == tenant.KindProvider {
			return opsward.Errorf(opsward.EFORBIDDEN, "the provider tenant cannot be suspended or closed")
		}
		if t.Status == tenant.StatusClosed {
			return opsward.Errorf(opsward.ECONFLICT, "tenant %s is closed", id)
		}
		if t.Status == status {
			out = t
			return nil
		}
		now := s.now()
		u := tx.Tenant.UpdateOne(t).SetStatus(status)
		switch status {
		case tenant.StatusSuspended:
			u.SetSuspendedAt(now)
		case tenant.StatusActive:
			u.ClearSuspendedAt()
		case tenant.StatusClosed:
			u.SetClosedAt(now)
		}
		if out, err = u.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.Audit(ctx, tx, AuditRecord{TenantID: id, Action: "tenant." + statusVerb[status], TargetID: id})
	})
	if err != nil {
		return nil, err
	}
	s.cache.purgeTenant(id)
	s.publishInvalidation(ctx)
	if s.hooks.StatusChanged != nil {
		s.hooks.StatusChanged(ctx, id, string(status))
	}
	return out, nil
}

var statusVerb = map[tenant.Status]string{
	tenant.StatusActive:    "reactivate",
	tenant.StatusSuspended: "suspend",
	tenant.StatusClosed:    "close",
}

// PurgeClosed deletes the tenants whose retention ended after they closed,
// with all their rows. It is the privileged path of the purge job.
func (s *Service) PurgeClosed(ctx context.Context, tables []string) (int, error) {
	pctx := Privileged(ctx, "purge closed tenants")
	closed, err := s.client.Tenant.Query().Where(tenant.StatusEQ(tenant.StatusClosed), tenant.ClosedAtNotNil()).All(pctx)
	if err != nil {
		return 0, storageErr(err)
	}
	n := 0
	for _, t := range closed {
		if s.now().Before(t.ClosedAt.Add(time.Duration(t.RetentionDays) * 24 * time.Hour)) {
			continue
		}
		err := s.withTx(pctx, func(tx *ent.Tx) error {
			for _, tbl := range tables {
				q := "DELETE FROM " + tbl + " WHERE tenant_id IN (SELECT id FROM tenants WHERE substr(path, 1, length($1)) = $1)"
				if _, err := tx.ExecContext(pctx, q, t.Path); err != nil {
					return storageErr(err)
				}
			}
			_, err := tx.ExecContext(pctx, "DELETE FROM tenants WHERE substr(path, 1, length($1)) = $1 AND id <> $2", t.Path, t.ID)
			if err == nil {
				_, err = tx.ExecContext(pctx, "DELETE FROM tenants WHERE id = $1", t.ID)
			}
			return storageErr(err)
		})
		if err != nil {
			return n, err
		}
		s.log.InfoContext(ctx, "closed tenant purged", "tenant_id", t.ID, "closed_at", t.ClosedAt)
		n++
	}
	return n, nil
}
