package monitoring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/ent/incident"
	"github.com/opsward/opsward/ent/monitor"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/noc/monitoring"
)

func tcpSettings(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf(`{"host":%q,"port":%s}`, host, port)
}

func channel(t *testing.T, e *env, ctx context.Context) *ent.NotificationChannel {
	t.Helper()
	name := "hook"
	ch, err := e.noc.CreateChannel(ctx, monitoring.ChannelInput{Name: &name, Kind: "webhook",
		Config: json.RawMessage(`{"url":"http://127.0.0.1:9/hook","secret":"whsec_0123456789abcdef"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// A child asset whose parent is down gets an incident linked to the
// parent's, with no notification, while its monitor keeps checking.
func TestDependencySuppression(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		channel(t, e, ctx)
		sw := e.asset(t, ctx, "switch", "critical")
		web := e.asset(t, ctx, "web", "high")
		if _, err := e.noc.AddDependency(ctx, web.ID, sw.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.noc.AddDependency(ctx, sw.ID, web.ID); opsward.ErrorCode(err) != opsward.EINVALID || !strings.Contains(opsward.ErrorMessage(err), "cycle") {
			t.Fatalf("a cycle: %v", err)
		}
		dead := closedPort(t)
		swMon := e.monitor(t, ctx, sw, "tcp", tcpSettings(dead), 1).Monitor
		webMon := e.monitor(t, ctx, web, "tcp", tcpSettings(dead), 1).Monitor

		swMon = e.check(t, swMon)
		if swMon.Status != monitor.StatusDown || swMon.OpenIncidentID == nil {
			t.Fatalf("switch: %s, incident %v", swMon.Status, swMon.OpenIncidentID)
		}
		parent, _ := e.client.Incident.Get(system, *swMon.OpenIncidentID)
		if parent.Suppressed || parent.Severity != incident.SeverityCritical || len(e.deliveries(t, parent.ID)) != 1 {
			t.Fatalf("parent incident: suppressed %v severity %s deliveries %d", parent.Suppressed, parent.Severity, len(e.deliveries(t, parent.ID)))
		}

		webMon = e.check(t, webMon)
		if webMon.Status != monitor.StatusDown || webMon.OpenIncidentID == nil {
			t.Fatalf("web: %s, incident %v", webMon.Status, webMon.OpenIncidentID)
		}
		child, _ := e.client.Incident.Get(system, *webMon.OpenIncidentID)
		if !child.Suppressed || child.ParentID == nil || *child.ParentID != parent.ID {
			t.Fatalf("child incident: suppressed %v parent %v, want linked to %s", child.Suppressed, child.ParentID, parent.ID)
		}
		if n := len(e.deliveries(t, child.ID)); n != 0 {
			t.Fatalf("a suppressed incident queued %d notifications", n)
		}
		if k := timelineKinds(t, e, child.ID); !has(k, "suppressed_by_parent") {
			t.Fatalf("child timeline %v", k)
		}
		// Monitoring goes on: the child's checks are still stored.
		e.advance(time.Minute)
		webMon = e.check(t, webMon)
		e.writer.Flush(context.Background())
		rs, _, err := e.noc.Results(ctx, webMon.ID, e.clock().Add(-time.Hour), e.clock().Add(time.Hour), 10, "")
		if err != nil || len(rs) != 2 {
			t.Fatalf("child results: %d, %v", len(rs), err)
		}
	})
}

// A maintenance window silences alerting but not checking, and marks the
// results taken during it.
func TestMaintenanceWindow(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		channel(t, e, ctx)
		a := e.asset(t, ctx, "db", "high")
		m := e.monitor(t, ctx, a, "tcp", tcpSettings(closedPort(t)), 1).Monitor
		now := e.clock()
		w, err := e.noc.CreateMaintenanceWindow(ctx, monitoring.WindowInput{Name: "upgrade", AssetIDs: []string{a.ID},
			Start: now.Add(-time.Minute), End: now.Add(30 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.noc.CreateMaintenanceWindow(ctx, monitoring.WindowInput{Name: "bad", Start: now, End: now.Add(-time.Minute)}); opsward.ErrorField(err) != "end" {
			t.Fatalf("a window that ends before it starts: %v", err)
		}
		m = e.check(t, m)
		if m.Status != monitor.StatusMaintenance || m.OpenIncidentID != nil {
			t.Fatalf("in maintenance: status %s incident %v", m.Status, m.OpenIncidentID)
		}
		n, _ := e.client.Incident.Query().Count(system)
		if n != 0 {
			t.Fatalf("%d incidents opened during maintenance", n)
		}
		e.writer.Flush(context.Background())
		rs, _, err := e.noc.Results(ctx, m.ID, now.Add(-time.Hour), now.Add(time.Hour), 10, "")
		if err != nil || len(rs) != 1 || !rs[0].InMaintenance || rs[0].Status != "down" {
			t.Fatalf("results in maintenance: %+v %v", rs, err)
		}
		// After the window the failure is news.
		if _, err := e.noc.DeleteMaintenanceWindow(ctx, w.ID); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
		m = e.check(t, m)
		if m.Status != monitor.StatusDown || m.OpenIncidentID == nil || len(e.deliveries(t, *m.OpenIncidentID)) != 1 {
			t.Fatalf("after maintenance: status %s incident %v", m.Status, m.OpenIncidentID)
		}
	})
}

// An escalation policy notifies its levels in order and repeats; an
// acknowledgement stops it.
func TestEscalationRepeats(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		first, second := channel(t, e, ctx), channel(t, e, ctx)
		p, err := e.noc.CreateEscalationPolicy(ctx, monitoring.PolicyInput{Name: "night", Repeat: 1, RepeatAfter: 10 * time.Minute,
			Levels: []monitoring.Level{{Targets: []string{first.ID}}, {Delay: 5 * time.Minute, Targets: []string{second.ID}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.noc.CreateEscalationPolicy(ctx, monitoring.PolicyInput{Name: "x", Levels: []monitoring.Level{{Targets: []string{"chn_nope"}}}}); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Fatalf("unknown target: %v", err)
		}
		inc, err := e.noc.CreateIncident(ctx, monitoring.IncidentInput{Title: "payments fail", Severity: "critical", EscalationPolicyID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		escalate := func() {
			t.Helper()
			job := escalateJob(inc)
			if err := e.noc.Escalate(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			n := 0
			for _, k := range timelineKinds(t, e, inc.ID) {
				if k == "escalation" {
					n++
				}
			}
			return n
		}
		escalate()
		escalate() // idempotent: the same level is not sent twice
		if count() != 1 {
			t.Fatalf("at 0: %d escalations", count())
		}
		e.advance(5 * time.Minute)
		escalate()
		if count() != 2 {
			t.Fatalf("at 5m: %d escalations", count())
		}
		// The round takes 5m + 10m; the repeat starts at 15m.
		e.advance(10 * time.Minute)
		escalate()
		if count() != 3 {
			t.Fatalf("at 15m: %d escalations", count())
		}
		if _, err := e.noc.Acknowledge(ctx, inc.ID); err != nil {
			t.Fatal(err)
		}
		e.advance(5 * time.Minute)
		escalate()
		if count() != 3 {
			t.Fatalf("after the acknowledgement: %d escalations", count())
		}
		got, _ := e.client.Incident.Get(system, inc.ID)
		if got.Status != incident.StatusAcknowledged || got.AckedBy == nil {
			t.Fatalf("acknowledged: %s by %v", got.Status, got.AckedBy)
		}
	})
}

// A monitor that keeps changing is marked flapping and stops notifying
// each change.
func TestFlappingIsDamped(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		channel(t, e, ctx)
		var up atomic.Bool
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !up.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			io.WriteString(w, "ok")
		}))
		defer srv.Close()
		a := e.asset(t, ctx, "api", "medium")
		m := e.monitor(t, ctx, a, "http", fmt.Sprintf(`{"url":%q}`, srv.URL), 1).Monitor
		for i := 0; i < 20; i++ {
			up.Store(i%2 == 0)
			e.advance(time.Minute)
			m = e.check(t, m)
		}
		if !m.Flapping {
			t.Fatal("a monitor alternating for 20 checks is not flapping")
		}
		incs, _ := e.client.Incident.Query().All(system)
		deliveries := 0
		for _, inc := range incs {
			deliveries += len(e.deliveries(t, inc.ID))
		}
		// Ten outages would have made ten incidents and twenty messages;
		// damping stops them once flapping is detected.
		if len(incs) >= 10 || deliveries >= 20 {
			t.Fatalf("flapping not damped: %d incidents, %d deliveries", len(incs), deliveries)
		}
	})
}

// Without the MSP's permission a tenant's monitor reaches no special
// address. A target the guard refuses is refused when the monitor is
// saved, with the setting named; the guard still judges each connection,
// so a target that turns into a refused address later (a name rebound,
// a range no longer allowed) is down with the reason.
func TestSSRFGuardRefusesTenantMonitors(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "internal", "low")
		// Saved while loopback is allowed, checked after it is not.
		later := e.monitor(t, ctx, a, "http", `{"url":"http://localhost:8080/"}`, 1).Monitor
		tcpLater := e.monitor(t, ctx, a, "tcp", `{"host":"127.0.0.1","port":9}`, 1).Monitor
		e.guard.Allow = nil

		name, kind, interval := "refused", "http", 5*time.Minute
		for _, tc := range []struct{ kind, settings, field, addr, reason string }{
			{"http", `{"url":"http://169.254.169.254/latest/meta-data/"}`, "settings.url", "169.254.169.254", "metadata"},
			{"http", `{"url":"http://10.0.0.1/"}`, "settings.url", "10.0.0.1", "private"},
			{"http", `{"url":"http://[::1]:8080/"}`, "settings.url", "::1", "loopback"},
			{"http", `{"url":"http://localhost:8080/"}`, "settings.url", "127.0.0.1", "loopback"},
			{"tcp", `{"host":"192.168.1.1","port":22}`, "settings.host", "192.168.1.1", "private"},
			{"ping", `{"host":"::ffff:10.1.2.3"}`, "settings.host", "10.1.2.3", "private"},
			{"tls", `{"host":"localhost"}`, "settings.host", "127.0.0.1", "loopback"},
			{"dns", `{"name":"example.com","resolver":"127.0.0.53:53"}`, "settings.resolver", "127.0.0.53", "loopback"},
			{"server_health", `{"url":"https://10.9.8.7/metrics","rules":[{"kind":"rate","metric":"m","op":">","warn":1}]}`, "settings.url", "10.9.8.7", "private"},
		} {
			kind = tc.kind
			_, err := e.noc.CreateMonitor(ctx, monitoring.MonitorInput{AssetID: a.ID, Name: &name, Kind: &kind,
				Settings: json.RawMessage(tc.settings), Interval: &interval})
			msg := opsward.ErrorMessage(err)
			if opsward.ErrorCode(err) != opsward.EINVALID || opsward.ErrorField(err) != tc.field ||
				!strings.Contains(msg, tc.addr) || !strings.Contains(msg, tc.reason) {
				t.Errorf("create %s %s: %v (field %q)", tc.kind, tc.settings, err, opsward.ErrorField(err))
			}
		}
		// Changing a monitor's settings to a refused target is refused too.
		pub := e.monitor(t, ctx, a, "http", `{"url":"https://93.184.215.14/"}`, 1).Monitor
		_, err := e.noc.UpdateMonitor(ctx, pub.ID, monitoring.MonitorInput{Settings: json.RawMessage(`{"url":"http://10.0.0.1/"}`)})
		if opsward.ErrorField(err) != "settings.url" || !strings.Contains(opsward.ErrorMessage(err), "10.0.0.1") {
			t.Errorf("update to a private target: %v", err)
		}

		for _, m := range []*ent.Monitor{later, tcpLater} {
			m = e.check(t, m)
			if m.Status != monitor.StatusDown || !strings.Contains(m.LastMessage, "127.0.0.1") || !strings.Contains(m.LastMessage, "loopback") ||
				!strings.Contains(m.LastMessage, "unless the MSP allows it") {
				t.Errorf("%s checked after loopback was refused: status %s, message %q", m.Name, m.Status, m.LastMessage)
			}
		}
	})
}

// A heartbeat that stops means down; when it resumes the monitor recovers.
func TestHeartbeatStopsAndResumes(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "backup", "medium")
		nm := e.monitor(t, ctx, a, "heartbeat", `{"interval":"1h","grace":"5m"}`, 1)
		if !strings.HasPrefix(nm.HeartbeatURL, "https://noc.example.com/heartbeat/") {
			t.Fatalf("heartbeat URL %q", nm.HeartbeatURL)
		}
		token := nm.HeartbeatURL[strings.LastIndex(nm.HeartbeatURL, "/")+1:]
		m := nm.Monitor
		e.advance(30 * time.Minute)
		if m = e.check(t, m); m.Status != monitor.StatusUp {
			t.Fatalf("within the interval: %s (%s)", m.Status, m.LastMessage)
		}
		e.advance(36 * time.Minute) // 66 minutes without a beat: late
		if m = e.check(t, m); m.Status != monitor.StatusDown || m.OpenIncidentID == nil {
			t.Fatalf("a missed beat: %s (%s)", m.Status, m.LastMessage)
		}
		if err := e.noc.Heartbeat(context.Background(), token); err != nil {
			t.Fatal(err)
		}
		if err := e.noc.Heartbeat(context.Background(), token+"x"); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Fatalf("a wrong token: %v", err)
		}
		e.advance(time.Minute)
		if m = e.check(t, m); m.Status != monitor.StatusUp || m.OpenIncidentID != nil {
			t.Fatalf("after the beat: %s (%s), incident %v", m.Status, m.LastMessage, m.OpenIncidentID)
		}
	})
}

// Monitors respect the plan: its minimum interval and its quota, counted
// inside the transaction that creates them.
func TestPlanLimits(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		ctx := as(e.acme, opsward.RoleAdmin)
		a := e.asset(t, ctx, "host", "low")
		fast := 10 * time.Second
		_, err := e.noc.CreateMonitor(ctx, monitoring.MonitorInput{AssetID: a.ID, Name: strp("fast"), Kind: strp("tcp"),
			Settings: json.RawMessage(tcpSettings("127.0.0.1:1")), Interval: &fast})
		if opsward.ErrorCode(err) != opsward.ELIMIT || opsward.ErrorField(err) != "interval" {
			t.Fatalf("an interval under the plan's minimum: %v", err)
		}
		_, err = e.noc.CreateMonitor(ctx, monitoring.MonitorInput{AssetID: a.ID, Name: strp("bad"), Kind: strp("http"),
			Settings: json.RawMessage(`{"url":"ftp://x"}`), Interval: &fast})
		if opsward.ErrorCode(err) != opsward.EINVALID || !strings.HasPrefix(opsward.ErrorField(err), "settings") {
			t.Fatalf("bad settings: %v", err)
		}
		plan, _ := e.bill.Plan(system, e.acme.ID)
		for i := 0; i < plan.MaxMonitors; i++ {
			e.monitor(t, ctx, a, "tcp", tcpSettings("127.0.0.1:"+strconv.Itoa(1000+i)), 1)
		}
		interval := 5 * time.Minute
		_, err = e.noc.CreateMonitor(ctx, monitoring.MonitorInput{AssetID: a.ID, Name: strp("one too many"), Kind: strp("tcp"),
			Settings: json.RawMessage(tcpSettings("127.0.0.1:1")), Interval: &interval})
		wantCode(t, err, opsward.ELIMIT)
	})
}

// One customer never sees or changes another's NOC objects; the settings
// shown hide credentials.
func TestDifferentTenant(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		acme, globex := as(e.acme, opsward.RoleAdmin), as(e.globex, opsward.RoleAdmin)
		a := e.asset(t, acme, "secret host", "low")
		m := e.monitor(t, acme, a, "http", `{"url":"http://127.0.0.1:1/","headers":{"Authorization":"Bearer s3cret"}}`, 1).Monitor
		if _, err := e.noc.UpdateAsset(globex, a.ID, monitoring.AssetInput{Name: strp("mine")}); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Fatalf("globex updates acme's asset: %v", err)
		}
		if _, err := e.noc.SetPaused(globex, m.ID, true); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Fatalf("globex pauses acme's monitor: %v", err)
		}
		if _, err := e.noc.MonitorUptime(globex, m.ID, e.clock().Add(-time.Hour), e.clock()); opsward.ErrorCode(err) != opsward.ENOTFOUND {
			t.Fatalf("globex reads acme's uptime: %v", err)
		}
		b := e.asset(t, globex, "theirs", "low")
		if _, err := e.noc.AddDependency(acme, a.ID, b.ID); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Fatalf("a dependency across tenants: %v", err)
		}
		if _, err := e.noc.CreateMonitor(globex, monitoring.MonitorInput{AssetID: a.ID, Name: strp("x"), Kind: strp("tcp"),
			Settings: json.RawMessage(tcpSettings("127.0.0.1:1"))}); opsward.ErrorCode(err) != opsward.EINVALID {
			t.Fatalf("a monitor on another tenant's asset: %v", err)
		}
		red, err := e.noc.Redacted(m)
		if err != nil || strings.Contains(string(red), "s3cret") || !strings.Contains(string(red), "********") {
			t.Fatalf("redacted settings %s, %v", red, err)
		}
		// Stored sealed: the database holds no credential in clear.
		var stored string
		if err := e.db.QueryRowContext(system, `SELECT settings FROM monitors WHERE id = $1`, m.ID).Scan(&stored); err != nil || strings.Contains(stored, "s3cret") {
			t.Fatalf("stored settings %q, %v", stored, err)
		}
	})
}

func strp(s string) *string { return &s }

type signalRecorder struct {
	mu  sync.Mutex
	got []noc.Signal
}

func (r *signalRecorder) Signal(_ context.Context, s noc.Signal) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, s)
	return nil
}

// A port that should be closed answering is a signal for the SOC: handed
// to the sink joined in, and recorded on the monitor's incident timeline.
func TestSignalsReachTheSOCAndTheTimeline(t *testing.T) {
	eachBackend(t, loopback, func(t *testing.T, e *env) {
		rec := &signalRecorder{}
		e.noc.Signals = rec
		ctx := as(e.acme, opsward.RoleAdmin)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		host, port, _ := net.SplitHostPort(l.Addr().String())
		a := e.asset(t, ctx, "firewall", "high")
		m := e.monitor(t, ctx, a, "tcp", fmt.Sprintf(`{"host":%q,"port":%s,"expect_closed":true}`, host, port), 1).Monitor
		m = e.check(t, m)
		if m.Status != monitor.StatusDown || m.OpenIncidentID == nil {
			t.Fatalf("an open port that should be closed: %s (%s)", m.Status, m.LastMessage)
		}
		if k := timelineKinds(t, e, *m.OpenIncidentID); !has(k, "signal") {
			t.Fatalf("timeline %v has no signal", k)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.got) != 1 || rec.got[0].Kind != noc.SignalUnexpectedOpenPort || rec.got[0].TenantID != e.acme.ID || rec.got[0].MonitorID != m.ID {
			t.Fatalf("signals handed on: %+v", rec.got)
		}
	})
}
