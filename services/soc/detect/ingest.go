package detect

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/alert"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/services/soc/ueba"
	"github.com/opsward/opsward/tenants"
)

// Limits of one HTTP batch.
const (
	MaxBatchEvents = 10_000
	MaxBatchBytes  = 32 << 20
	// burstSeconds: a tenant may send its per-second rate times this in
	// one burst (a batch), counted over windows of this length.
	burstSeconds = 10
)

type ingestStats struct {
	stored, alerts, refused atomic.Int64
}

// IngestResult says what a batch became.
type IngestResult struct {
	Accepted int
	Alerts   int
	// Replayed says the batch was sent before with the same Idempotency
	// key: nothing was stored again, and this is the first answer.
	Replayed bool
}

// SplitBatch splits an HTTP body into events: a JSON array of objects, or
// NDJSON (one object per line; blank lines skipped). The error names the
// event that is wrong; then nothing of the batch is taken.
func SplitBatch(body []byte) ([][]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, opsward.Errorf(opsward.EINVALID, "the body is empty: send a JSON array of events or NDJSON")
	}
	var out [][]byte
	if body[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil {
			return nil, opsward.Errorf(opsward.EINVALID, "the body is not a JSON array of events: %v", err)
		}
		if len(arr) > MaxBatchEvents {
			return nil, opsward.Errorf(opsward.EINVALID, "a batch holds at most %d events, this one %d", MaxBatchEvents, len(arr))
		}
		for i, r := range arr {
			r = bytes.TrimSpace(r)
			if len(r) == 0 || r[0] != '{' {
				return nil, opsward.Errorf(opsward.EINVALID, "event %d is not a JSON object", i)
			}
			out = append(out, r)
		}
		return out, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), normalize.MaxMessageSize+1)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if !json.Valid(b) || b[0] != '{' {
			return nil, opsward.Errorf(opsward.EINVALID, "line %d is not a JSON object (NDJSON takes one object per line)", line)
		}
		if len(out) == MaxBatchEvents {
			return nil, opsward.Errorf(opsward.EINVALID, "a batch holds at most %d events", MaxBatchEvents)
		}
		out = append(out, append([]byte(nil), b...))
	}
	if err := sc.Err(); err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "line %d: %v (an event is at most %d bytes)", line+1, err, normalize.MaxMessageSize)
	}
	return out, nil
}

// admit counts a batch against the tenant's plan: events per second (in
// bursts of burstSeconds) and bytes per day. A refused batch counts for
// nothing.
func (s *Service) admit(ctx context.Context, tenantID string, n int, size int64, now time.Time) error {
	plan, err := s.Billing.Plan(tenants.Privileged(ctx, "ingest limits"), tenantID)
	if err != nil {
		return err
	}
	win := now.Unix() / burstSeconds
	day := quotaDay(now)
	evKey := fmt.Sprintf("%singest:{t:%s}:events:%d", s.Prefix, tenantID, win)
	byKey := fmt.Sprintf("%singest:{t:%s}:bytes:%s", s.Prefix, tenantID, day)
	var evN, byN *redis.IntCmd
	_, err = s.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
		evN = p.IncrBy(ctx, evKey, int64(n))
		p.Expire(ctx, evKey, 2*burstSeconds*time.Second)
		byN = p.IncrBy(ctx, byKey, size)
		p.Expire(ctx, byKey, 48*time.Hour)
		return nil
	})
	if err != nil {
		return redisErr(err)
	}
	dayBytes := byN.Val()
	if dayBytes == size {
		// The day's counter was just made (a new day, or Redis came back
		// empty): it starts from what the table holds.
		if err := s.seedDayBytes(ctx, tenantID, day, byKey); err != nil {
			return redisErr(err)
		}
		if dayBytes, err = s.Redis.Get(ctx, byKey).Int64(); err != nil {
			return redisErr(err)
		}
	}
	allowEv := int64(plan.EventsPerSecond) * burstSeconds
	var msg string
	switch {
	case evN.Val() > allowEv:
		wait := burstSeconds - now.Unix()%burstSeconds
		msg = fmt.Sprintf("plan %s takes %d events per second (%d per %d s) and this batch of %d would pass it: retry in %d s, send smaller batches, or upgrade the plan",
			plan.Name, plan.EventsPerSecond, allowEv, burstSeconds, n, wait)
	case dayBytes > plan.BytesPerDay:
		msg = fmt.Sprintf("plan %s takes %d bytes of events a day and today's are used up: retry tomorrow (UTC) or upgrade the plan", plan.Name, plan.BytesPerDay)
	default:
		s.usage.add(tenantID, day, int64(n), size)
		return nil
	}
	s.Redis.DecrBy(ctx, evKey, int64(n))
	s.Redis.DecrBy(ctx, byKey, size)
	s.stats.refused.Add(int64(n))
	return opsward.Errorf(opsward.ELIMIT, "%s", msg)
}

// IngestBatch takes an HTTP batch of a tenant: it counts it against the
// plan, normalises every event (a batch with a bad event is refused whole,
// naming it), stores the batch (durably: the call returns after the
// events are written) and runs detection over it.
func (s *Service) IngestBatch(ctx context.Context, tenantID, sourceID string, body []byte) (*IngestResult, error) {
	return s.IngestBatchOnce(ctx, tenantID, sourceID, "", body)
}

// IngestBatchOnce is IngestBatch with an idempotency key (empty: none).
// With a key the batch's events and the key commit in one transaction, so
// an error means nothing was stored, and the same batch sent again with
// its key is stored once and answered as the first time (Replayed); the
// key sent with another body is refused. Keys are kept for a day.
func (s *Service) IngestBatchOnce(ctx context.Context, tenantID, sourceID, key string, body []byte) (*IngestResult, error) {
	if s.Writer == nil {
		return nil, opsward.Errorf(opsward.EFORBIDDEN, "this process stores no events")
	}
	var sum string
	if key != "" {
		if err := validIdempotencyKey(key); err != nil {
			return nil, err
		}
		h := sha256.Sum256(body)
		sum = hex.EncodeToString(h[:])
		if res, err := s.replay(ctx, tenantID, key, sum); res != nil || err != nil {
			return res, err
		}
	}
	raws, err := SplitBatch(body)
	if err != nil {
		return nil, err
	}
	now := s.now()
	evs := make([]normalize.Event, len(raws))
	for i, r := range raws {
		ev, err := normalize.Normalize(r, normalize.FormatJSON, now)
		if err != nil {
			return nil, opsward.Errorf(opsward.EINVALID, "event %d: %s", i, opsward.ErrorMessage(err))
		}
		evs[i] = ev
	}
	stored := make([]events.Event, len(evs))
	for i, ev := range evs {
		se, err := events.FromMap(tenantID, sourceID, now, ev.Fields)
		if err != nil {
			return nil, opsward.Errorf(opsward.EINVALID, "event %d: %s", i, opsward.ErrorMessage(err))
		}
		se.Size = int64(len(raws[i]))
		stored[i] = se
	}
	if err := s.admit(ctx, tenantID, len(evs), int64(len(body)), now); err != nil {
		return nil, err
	}
	if key != "" {
		res, err := s.storeOnce(ctx, tenantID, key, sum, stored, now)
		if res != nil || err != nil {
			return res, err // a concurrent send of the same key won, or a failure
		}
	} else {
		for _, se := range stored {
			if err := s.Writer.Write(ctx, se); err != nil {
				return nil, err
			}
		}
		if err := s.Writer.Flush(ctx); err != nil {
			return nil, err
		}
	}
	s.stats.stored.Add(int64(len(stored)))
	res := &IngestResult{Accepted: len(stored)}
	var specs []AlertSpec
	for i, ev := range evs {
		sp, err := s.detect(ctx, tenantID, stored[i].ID, ev, now)
		if err != nil {
			return res, err
		}
		specs = append(specs, sp...)
	}
	res.Alerts, err = s.raiseAll(ctx, specs)
	if key != "" && err == nil {
		s.recordAlerts(ctx, tenantID, key, res.Alerts)
	}
	return res, err
}

// detect runs the tenant's rules and indicators over one stored event and
// returns what matched, to be raised (correlations are raised at once:
// their windows already fold many events).
func (s *Service) detect(ctx context.Context, tenantID, eventID string, ev normalize.Event, now time.Time) ([]AlertSpec, error) {
	cp, err := s.rules.set(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	var specs []AlertSpec
	// Rules see the source's own names (Windows: Image, CommandLine, …),
	// the normalised ones and their log source's Sigma names (Route).
	sev, sources := Route(ev)
	at := ev.Time()
	if at.IsZero() {
		at = now
	}
	key := ev.String("host.name") + "|" + ev.String("user.name")
	var matches []sigma.Match
	cp.rs.Matches(sev, sources, func(m *sigma.Match) { matches = append(matches, *m) })
	if cp.corr != nil && len(matches) > 0 {
		sctx, err := s.systemCtx(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		cms, err := cp.corr.Observe(sctx, sev, at, matches)
		if err != nil {
			s.log.WarnContext(ctx, "correlation", "tenant_id", tenantID, "err", err)
		}
		for _, cm := range cms {
			group := make([]string, 0, len(cm.Group))
			for k, v := range cm.Group {
				group = append(group, k+"="+v)
			}
			slices.Sort(group)
			specs = append(specs, AlertSpec{TenantID: tenantID, Source: alert.SourceSigma, Title: cm.Title,
				Severity: severityOf(cm.Level), RuleID: cm.RuleID, RuleAuthor: cm.Author, Tags: cm.Tags,
				Key: strings.Join(group, ","), EventID: eventID, At: at,
				Detail: map[string]any{"correlation": cm.Type, "group": cm.Group, "count": cm.Count, "value": cm.Value,
					"first": cm.First, "last": cm.Last}})
		}
	}
	for _, m := range matches {
		if m.CorrelationOnly {
			continue
		}
		specs = append(specs, AlertSpec{TenantID: tenantID, Source: alert.SourceSigma, Title: m.Title,
			Description: m.Rule.Description, Severity: severityOf(m.Level), RuleID: m.RuleID, RuleAuthor: m.Author,
			Tags: m.Tags, Key: key, EventID: eventID, At: at,
			Detail: map[string]any{"rule": m.RuleName, "host.name": ev.String("host.name"), "user.name": ev.String("user.name")}})
	}
	if s.Indicators != nil {
		for _, h := range s.Indicators.Match(ctx, tenantID, ev.Fields, now) {
			specs = append(specs, AlertSpec{TenantID: tenantID, Source: alert.SourceIndicator,
				Title:    fmt.Sprintf("Indicator %s seen in %s", h.Indicator.Value, h.Field),
				Severity: iocSeverity(h.Indicator.Confidence), RuleID: "ioc:" + h.Indicator.ID,
				RuleAuthor: h.Indicator.Source, Tags: h.Indicator.Tags, Key: h.Field + "=" + h.Value, EventID: eventID, At: at,
				Detail: map[string]any{"indicator": h.Indicator.Value, "kind": string(h.Indicator.Kind), "field": h.Field,
					"value": h.Value, "list_id": h.Indicator.ListID, "indicator_id": h.Indicator.ID}})
		}
	}
	if s.Behaviour != nil {
		if bev, ok := ueba.FromECS(tenantID, ev); ok {
			for _, a := range s.Behaviour.Observe(bev) {
				specs = append(specs, behaviourAlert(a, eventID))
			}
		}
	}
	return specs, nil
}

// behaviourSeverity ranks the anomalies: travel no person can make and a
// burst of failures are the likeliest signs of a taken account.
var behaviourSeverity = map[ueba.Kind]alert.Severity{
	ueba.ImpossibleTravel:      alert.SeverityHigh,
	ueba.FailureBurst:          alert.SeverityMedium,
	ueba.FirstPrivilegedAction: alert.SeverityMedium,
	ueba.NewSourceNetwork:      alert.SeverityLow,
	ueba.FirstHost:             alert.SeverityLow,
	ueba.UnusualHour:           alert.SeverityLow,
}

// behaviourAlert is the alert of one anomaly: one per user and kind while
// it stays open (the dedup window folds repeats into its count).
func behaviourAlert(a ueba.Anomaly, eventID string) AlertSpec {
	sev, ok := behaviourSeverity[a.Kind]
	if !ok {
		sev = alert.SeverityLow
	}
	return AlertSpec{TenantID: a.Tenant, Source: alert.SourceBehaviour,
		Title:       fmt.Sprintf("Unusual behaviour of %s: %s", a.User, strings.ReplaceAll(string(a.Kind), "_", " ")),
		Description: a.Explain(), Severity: sev, RuleID: "ueba:" + string(a.Kind), RuleAuthor: "Opsward behaviour analytics",
		Key: a.User, EventID: eventID, At: a.At,
		Detail: map[string]any{"kind": string(a.Kind), "user.name": a.User, "host.name": a.Host,
			"baseline": a.Baseline, "observed": a.Observed, "reason": a.Reason}}
}

// raiseAll folds a batch's matches and raises them.
func (s *Service) raiseAll(ctx context.Context, specs []AlertSpec) (int, error) {
	n := 0
	for _, sp := range fold(specs) {
		if _, err := s.Raise(ctx, sp); err != nil {
			return n, err
		}
		n++
	}
	s.stats.alerts.Add(int64(n))
	return n, nil
}

func iocSeverity(confidence int) alert.Severity {
	switch {
	case confidence >= 80:
		return alert.SeverityHigh
	case confidence >= 50:
		return alert.SeverityMedium
	}
	return alert.SeverityLow
}

// syslogItem is one message the listener accepted.
type syslogItem struct {
	tenantID, sourceID string
	ev                 normalize.Event
}

// SyslogSink returns the sink the syslog listener hands messages to and
// starts the loop that stores and examines them in batches until ctx ends.
// Syslog has no acknowledgement; a message is stored within a second.
func (s *Service) SyslogSink(ctx context.Context) syslog.Sink {
	ch := make(chan syslogItem, 10_000)
	go s.syslogLoop(ctx, ch)
	return syslog.SinkFunc(func(ctx context.Context, tenantID, sourceID string, ev normalize.Event) error {
		select {
		case ch <- syslogItem{tenantID, sourceID, ev}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

func (s *Service) syslogLoop(ctx context.Context, ch <-chan syslogItem) {
	for {
		var batch []syslogItem
		select {
		case <-ctx.Done():
			return
		case it := <-ch:
			batch = append(batch, it)
		}
		deadline := time.After(200 * time.Millisecond)
	fill:
		for len(batch) < 500 {
			select {
			case it := <-ch:
				batch = append(batch, it)
			case <-deadline:
				break fill
			}
		}
		s.takeSyslog(context.WithoutCancel(ctx), batch)
	}
}

// takeSyslog stores a batch of syslog messages and runs detection over it.
// Limits apply per tenant as for HTTP; messages over them are counted and
// dropped (syslog cannot be told to retry).
func (s *Service) takeSyslog(ctx context.Context, batch []syslogItem) {
	now := s.now()
	byTenant := map[string][]syslogItem{}
	for _, it := range batch {
		byTenant[it.tenantID] = append(byTenant[it.tenantID], it)
	}
	for tenantID, items := range byTenant {
		size := 0
		for _, it := range items {
			size += len(it.ev.String("event.original"))
		}
		if err := s.admit(ctx, tenantID, len(items), int64(size), now); err != nil {
			s.log.WarnContext(ctx, "syslog over the plan's limits; dropped", "tenant_id", tenantID, "count", len(items), "err", opsward.ErrorMessage(err))
			continue
		}
		ids := make([]string, len(items))
		for i, it := range items {
			se, err := events.FromMap(tenantID, it.sourceID, now, it.ev.Fields)
			if err != nil {
				s.log.WarnContext(ctx, "syslog event refused by storage", "tenant_id", tenantID, "err", opsward.ErrorMessage(err))
				continue
			}
			se.Size = int64(len(it.ev.String("event.original")))
			if s.Writer == nil {
				continue
			}
			if err := s.Writer.Write(ctx, se); err != nil {
				s.log.ErrorContext(ctx, "store a syslog event", "tenant_id", tenantID, "err", err)
				continue
			}
			ids[i] = se.ID
			s.stats.stored.Add(1)
		}
		var specs []AlertSpec
		for i, it := range items {
			sp, err := s.detect(ctx, tenantID, ids[i], it.ev, now)
			if err != nil {
				s.log.ErrorContext(ctx, "detection on a syslog event", "tenant_id", tenantID, "err", err)
				continue
			}
			specs = append(specs, sp...)
		}
		if _, err := s.raiseAll(ctx, specs); err != nil {
			s.log.ErrorContext(ctx, "raise alerts from syslog", "tenant_id", tenantID, "err", err)
		}
	}
}

// Stats are the ingest counters of this process.
type Stats struct {
	Stored, Alerts, Refused int64
}

// Stats returns the ingest counters.
func (s *Service) Stats() Stats {
	return Stats{Stored: s.stats.stored.Load(), Alerts: s.stats.alerts.Load(), Refused: s.stats.refused.Load()}
}
