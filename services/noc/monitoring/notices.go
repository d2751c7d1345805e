package monitoring

import (
	"context"

	"github.com/opsward/opsward/ent/notificationchannel"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/notify"
)

// NotifyTenant queues msg to every enabled channel of its tenant whose
// route takes it, through the outbox of tx, the caller's open
// transaction: the deliveries exist if and only if the caller's write
// commits. It is for notices that are not incidents (billing's allowance
// warnings), and returns the deliveries queued.
func (s *Service) NotifyTenant(ctx context.Context, tx dispatch.Execer, msg notify.Message) (int, error) {
	if err := msg.Validate(); err != nil {
		return 0, err
	}
	sctx, err := s.systemCtx(ctx, msg.TenantID)
	if err != nil {
		return 0, err
	}
	chs, err := s.Client.NotificationChannel.Query().
		Where(notificationchannel.TenantID(msg.TenantID), notificationchannel.Enabled(true)).All(sctx)
	if err != nil {
		return 0, storageErr(err)
	}
	subs := make([]notify.Subscription, len(chs))
	for k, ch := range chs {
		subs[k] = notify.Subscription{ChannelID: ch.ID, Route: routeOf(ch)}
	}
	ds := notify.Plan(msg, subs)
	return len(ds), s.enqueueDeliveries(ctx, tx, msg.TenantID, ds)
}
