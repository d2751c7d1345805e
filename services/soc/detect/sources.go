package detect

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/logsource"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/tenants"
)

// Limits of log sources.
const (
	MaxSourcesPerTenant = 500
	MaxCIDRsPerSource   = 64
)

var formats = map[string]normalize.Format{
	"auto": normalize.FormatAuto, "syslog": normalize.FormatRFC5424, "cef": normalize.FormatCEF,
	"kv": normalize.FormatKV, "auth": normalize.FormatAuth, "json": normalize.FormatJSON,
}

// SourceInput is a new log source or, with nil fields left alone, a change.
type SourceInput struct {
	TenantID string
	Name     *string
	CIDRs    []string
	SetCIDRs bool
	Port     *int
	NewToken bool
	Format   *string
	Enabled  *bool
}

// NewSource is a saved source and, when one was made, its token (shown once).
type NewSource struct {
	Source *ent.LogSource
	Token  string
}

func checkSource(in *SourceInput, create bool) error {
	if create && (in.Name == nil || strings.TrimSpace(*in.Name) == "") {
		return opsward.FieldErrorf("name", "a log source needs a name")
	}
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || len(*in.Name) > 200) {
		return opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if len(in.CIDRs) > MaxCIDRsPerSource {
		return opsward.FieldErrorf("cidrs", "at most %d ranges", MaxCIDRsPerSource)
	}
	for i, c := range in.CIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return opsward.FieldErrorf(fmt.Sprintf("cidrs.%d", i), "%q is not an address or a range such as 10.1.0.0/16", c)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		in.CIDRs[i] = p.Masked().String()
	}
	if in.Port != nil && (*in.Port < 0 || *in.Port > 65535) {
		return opsward.FieldErrorf("port", "a port is between 1 and 65535 (0: none)")
	}
	if in.Format != nil {
		if _, ok := formats[*in.Format]; !ok {
			return opsward.FieldErrorf("format", "format %q is not one of auto, syslog, cef, kv, auth, json", *in.Format)
		}
	}
	return nil
}

func newToken() (token, hash, prefix string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", "", err
	}
	token = "ls_" + base64.RawURLEncoding.EncodeToString(b)
	return token, hex.EncodeToString(syslog.HashToken(token)), token[:10], nil
}

// CreateSource registers a log source.
func (s *Service) CreateSource(ctx context.Context, in SourceInput) (*NewSource, error) {
	if err := checkSource(&in, true); err != nil {
		return nil, err
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	out := &NewSource{}
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.LogSource.Query().Where(logsource.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxSourcesPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d log sources", MaxSourcesPerTenant)
		}
		c := tx.LogSource.Create().SetTenantID(tenantID).SetName(strings.TrimSpace(*in.Name)).SetCidrs(nonNil(in.CIDRs))
		if in.Port != nil {
			c.SetPort(*in.Port)
		}
		if in.Format != nil {
			c.SetFormat(*in.Format)
		}
		if in.Enabled != nil {
			c.SetEnabled(*in.Enabled)
		}
		if in.NewToken {
			tok, hash, prefix, err := newToken()
			if err != nil {
				return opsward.Internal(err)
			}
			c.SetTokenHash(hash).SetTokenPrefix(prefix)
			out.Token = tok
		}
		if out.Source, err = c.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "log_source.create", out.Source.ID, out.Source.Name)
	})
	if err != nil {
		return nil, err
	}
	s.refreshSources(ctx)
	return out, nil
}

// UpdateSource changes a log source.
func (s *Service) UpdateSource(ctx context.Context, id string, in SourceInput) (*NewSource, error) {
	if err := checkSource(&in, false); err != nil {
		return nil, err
	}
	out := &NewSource{}
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		ls, err := tx.LogSource.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		u := tx.LogSource.UpdateOne(ls)
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if in.SetCIDRs {
			u.SetCidrs(nonNil(in.CIDRs))
		}
		if in.Port != nil {
			u.SetPort(*in.Port)
		}
		if in.Format != nil {
			u.SetFormat(*in.Format)
		}
		if in.Enabled != nil {
			u.SetEnabled(*in.Enabled)
		}
		if in.NewToken {
			tok, hash, prefix, err := newToken()
			if err != nil {
				return opsward.Internal(err)
			}
			u.SetTokenHash(hash).SetTokenPrefix(prefix)
			out.Token = tok
		}
		if out.Source, err = u.Save(ctx); err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, ls.TenantID, "log_source.update", ls.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.refreshSources(ctx)
	return out, nil
}

// DeleteSource removes a log source.
func (s *Service) DeleteSource(ctx context.Context, id string) (*ent.LogSource, error) {
	var out *ent.LogSource
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		ls, err := tx.LogSource.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := tx.LogSource.DeleteOne(ls).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = ls
		return s.audit(ctx, tx, ls.TenantID, "log_source.delete", ls.ID, ls.Name)
	})
	if err != nil {
		return nil, err
	}
	s.refreshSources(ctx)
	return out, nil
}

// Binder is what the syslog listener asks which tenant a message is of.
func (s *Service) Binder() *syslog.Sources { return s.sources }

// refreshSources reloads every enabled source of an active tenant into the
// listener's binder. A source that conflicts with another (the same port
// or range) is left out and logged, so that no message goes to a guess.
func (s *Service) refreshSources(ctx context.Context) {
	if err := s.RefreshSources(ctx); err != nil {
		s.log.WarnContext(ctx, "reload log sources", "err", err)
	}
}

// RefreshSources reloads the binder from the database (the privileged
// path: it reads every tenant's sources).
func (s *Service) RefreshSources(ctx context.Context) error {
	pctx := tenants.Privileged(ctx, "load log sources")
	active, err := s.Client.Tenant.Query().Where(tenant.StatusEQ(tenant.StatusActive)).IDs(pctx)
	if err != nil {
		return err
	}
	rows, err := s.Client.LogSource.Query().Where(logsource.Enabled(true), logsource.TenantIDIn(active...)).All(pctx)
	if err != nil {
		return err
	}
	list := make([]syslog.Source, 0, len(rows))
	for _, r := range rows {
		src := syslog.Source{TenantID: r.TenantID, SourceID: r.ID}
		if r.TokenHash != nil {
			if h, err := hex.DecodeString(*r.TokenHash); err == nil {
				src.TokenHash = h
			}
		}
		if r.Port > 0 {
			src.Ports = []uint16{uint16(r.Port)}
		}
		for _, c := range r.Cidrs {
			if p, err := netip.ParsePrefix(c); err == nil {
				src.CIDRs = append(src.CIDRs, p)
			}
		}
		if src.TokenHash == nil && src.Ports == nil && src.CIDRs == nil {
			continue
		}
		list = append(list, src)
	}
	if err := s.sources.Replace(list); err != nil {
		// One bad source must not unbind every other: add them one by
		// one and leave out those that conflict.
		var ok []syslog.Source
		for _, src := range list {
			if _, err := syslog.NewSources(append(ok, src)); err != nil {
				s.log.WarnContext(ctx, "a log source conflicts with another and is ignored", "tenant_id", src.TenantID, "source_id", src.SourceID, "err", err)
				continue
			}
			ok = append(ok, src)
		}
		return s.sources.Replace(ok)
	}
	return nil
}

// RunSources reloads the binder periodically, for changes made through
// other processes.
func (s *Service) RunSources(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.refreshSources(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
