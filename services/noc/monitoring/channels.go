package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/notify"
)

// ChannelInput is a new notification channel or, with nil fields left
// alone, a change. Config is the channel kind's JSON settings; on a change,
// a secret left empty keeps the stored one.
type ChannelInput struct {
	TenantID    string
	Name        *string
	Kind        string
	Config      json.RawMessage
	MinSeverity *string
	States      []string
	SetStates   bool
	Enabled     *bool
}

func channelAD(tenantID, channelID string) []byte { return notify.SecretsAD(tenantID, channelID) }

func checkRoute(in ChannelInput) error {
	r := notify.Route{MinSeverity: notify.SeverityLow}
	if in.MinSeverity != nil {
		r.MinSeverity = notify.Severity(*in.MinSeverity)
	}
	for _, st := range in.States {
		r.States = append(r.States, notify.State(st))
	}
	err := r.Validate()
	// The route's fields are the input's own minSeverity and states.
	var e *opsward.Error
	if errors.As(err, &e) && strings.HasPrefix(e.Field, "route.") {
		f := strings.TrimPrefix(e.Field, "route.")
		if f == "min_severity" {
			f = "minSeverity"
		}
		return &opsward.Error{Code: e.Code, Field: f, Message: e.Message, Err: e.Err}
	}
	return err
}

// CreateChannel adds a notification channel; its secrets are sealed.
func (s *Service) CreateChannel(ctx context.Context, in ChannelInput) (*ent.NotificationChannel, error) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" || len(*in.Name) > 200 {
		return nil, opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if err := notificationchannel.KindValidator(notificationchannel.Kind(in.Kind)); err != nil {
		return nil, opsward.FieldErrorf("kind", "kind %q is not one of %s", in.Kind, strings.Join(s.Channels.Kinds(), ", "))
	}
	if err := checkRoute(in); err != nil {
		return nil, err
	}
	ch, err := s.Channels.Decode(in.Kind, in.Config)
	if err != nil {
		return nil, err
	}
	tenantID, err := s.Tenants.TargetTenant(ctx, in.TenantID)
	if err != nil {
		return nil, err
	}
	var out *ent.NotificationChannel
	err = s.withTx(ctx, func(tx *ent.Tx) error {
		n, err := tx.NotificationChannel.Query().Where(notificationchannel.TenantID(tenantID)).Count(ctx)
		if err != nil {
			return storageErr(err)
		}
		if n >= MaxChannelsPerTenant {
			return opsward.Errorf(opsward.ELIMIT, "a tenant has at most %d notification channels", MaxChannelsPerTenant)
		}
		id := opsward.NewID(opsward.PrefixChannel)
		sc, err := notify.SealSecrets(s.Sealer, ch, channelAD(tenantID, id))
		if err != nil {
			return err
		}
		c := tx.NotificationChannel.Create().SetID(id).SetTenantID(tenantID).SetName(strings.TrimSpace(*in.Name)).
			SetKind(notificationchannel.Kind(in.Kind)).SetConfig(sc.Config).SetSecrets(sc.Secrets).SetStates(nonNil(in.States))
		if in.MinSeverity != nil {
			c.SetMinSeverity(notificationchannel.MinSeverity(*in.MinSeverity))
		}
		if in.Enabled != nil {
			c.SetEnabled(*in.Enabled)
		}
		out, err = c.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, tenantID, "channel.create", out.ID, out.Name)
	})
	return out, err
}

// UpdateChannel changes a channel. Secrets not given again are kept.
func (s *Service) UpdateChannel(ctx context.Context, id string, in ChannelInput) (*ent.NotificationChannel, error) {
	if in.Name != nil && (strings.TrimSpace(*in.Name) == "" || len(*in.Name) > 200) {
		return nil, opsward.FieldErrorf("name", "a name has 1 to 200 characters")
	}
	if err := checkRoute(in); err != nil {
		return nil, err
	}
	var out *ent.NotificationChannel
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		row, err := tx.NotificationChannel.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		u := tx.NotificationChannel.UpdateOne(row)
		if len(in.Config) > 0 {
			next, err := s.Channels.Decode(string(row.Kind), in.Config)
			if err != nil {
				return err
			}
			prev, err := s.open(row)
			if err == nil {
				notify.KeepSecrets(next, prev)
				if err := next.Validate(); err != nil {
					return err
				}
			}
			sc, err := notify.SealSecrets(s.Sealer, next, channelAD(row.TenantID, row.ID))
			if err != nil {
				return err
			}
			u.SetConfig(sc.Config).SetSecrets(sc.Secrets)
		}
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
		}
		if in.MinSeverity != nil {
			u.SetMinSeverity(notificationchannel.MinSeverity(*in.MinSeverity))
		}
		if in.SetStates {
			u.SetStates(nonNil(in.States))
		}
		if in.Enabled != nil {
			u.SetEnabled(*in.Enabled)
		}
		out, err = u.Save(ctx)
		if err != nil {
			return storageErr(err)
		}
		return s.audit(ctx, tx, row.TenantID, "channel.update", row.ID, "")
	})
	return out, err
}

// DeleteChannel removes a channel; deliveries queued for it end.
func (s *Service) DeleteChannel(ctx context.Context, id string) (*ent.NotificationChannel, error) {
	var out *ent.NotificationChannel
	err := s.withTx(ctx, func(tx *ent.Tx) error {
		row, err := tx.NotificationChannel.Get(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if err := tx.NotificationChannel.DeleteOne(row).Exec(ctx); err != nil {
			return storageErr(err)
		}
		out = row
		return s.audit(ctx, tx, row.TenantID, "channel.delete", row.ID, row.Name)
	})
	return out, err
}

// ChannelConfig is a channel's public settings (secrets removed), for
// display.
func ChannelConfig(row *ent.NotificationChannel) json.RawMessage { return row.Config }

func (s *Service) open(row *ent.NotificationChannel) (notify.Channel, error) {
	return notify.OpenSecrets(s.Sealer, s.Channels, notify.SealedConfig{Kind: string(row.Kind), Config: row.Config, Secrets: row.Secrets},
		channelAD(row.TenantID, row.ID))
}

// LoadChannel opens a tenant's enabled channel for a delivery job.
func (s *Service) LoadChannel(ctx context.Context, tenantID, channelID string) (notify.Channel, error) {
	ctx, err := s.systemCtx(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	row, err := s.Client.NotificationChannel.Query().Where(notificationchannel.ID(channelID), notificationchannel.TenantID(tenantID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "channel %s no longer exists", channelID)
	}
	if err != nil {
		return nil, err
	}
	if !row.Enabled {
		return nil, opsward.Errorf(opsward.ENOTFOUND, "channel %s is disabled", channelID)
	}
	ch, err := s.open(row)
	if err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "channel %s: %v", channelID, opsward.ErrorMessage(err))
	}
	return ch, nil
}

// TestChannel sends a test message through a channel now, outside the
// job system, so that whoever set it up sees the result at once.
func (s *Service) TestChannel(ctx context.Context, id string) error {
	row, err := s.Client.NotificationChannel.Get(ctx, id)
	if err != nil {
		return storageErr(err)
	}
	ch, err := s.open(row)
	if err != nil {
		return err
	}
	name := ""
	if t, err := s.Client.Tenant.Query().Where(tenant.ID(row.TenantID)).Select(tenant.FieldName).Only(ctx); err == nil {
		name = t.Name
	}
	err = ch.Send(ctx, notify.Message{TenantID: row.TenantID, TenantName: name, Ref: notify.Ref{Kind: "incident", ID: "test"},
		Title: "Test notification from Opsward", Severity: notify.SeverityInfo, State: notify.StateTriggered, Time: s.now()})
	if err != nil {
		return opsward.Errorf(opsward.EINVALID, "the test notification failed: %s", notify.Scrub(err.Error(), ch))
	}
	return nil
}
