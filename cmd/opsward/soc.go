package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/ent/tenant"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/services/soc/ueba"
	"github.com/opsward/opsward/tenants"
)

// openSOC wires the SOC: the events store, detection (rules, alerts, log
// sources), and the NOC's signals into alerts.
func (m *Main) openSOC(ctx context.Context) error {
	m.SecurityEvents = events.New(m.DB, m.Logger)
	var err error
	behaviour, err := m.behaviourDetector()
	if err != nil {
		return err
	}
	m.SOC, err = detect.New(detect.Deps{
		Client: m.Client, DB: m.DB, Tenants: m.Tenants, Billing: m.Billing,
		Redis: m.Redis, Prefix: m.Redis.Prefix, Events: m.SecurityEvents, Behaviour: behaviour,
		Publish: m.NOCEvents.Publish, Logger: m.Logger, MaxRuleBytes: m.Config.SigmaMaxRuleBytes,
	})
	if err != nil {
		return err
	}
	if err := m.openResponse(ctx); err != nil {
		return err
	}
	m.NOC.Signals = socSignals{m.SOC}
	if m.Roles.Ingest {
		w, err := m.SecurityEvents.NewWriter(events.WriterConfig{})
		if err != nil {
			return err
		}
		m.SOC.SetWriter(w)
		m.closers = append(m.closers, func() error { return w.Close(context.Background()) })
	}
	if m.Roles.Worker {
		dispatch.AddWorkerFunc(m.Workers, m.maintainEvents)
	}
	return nil
}

// socSignals hands the NOC's signals to the SOC as alerts: the two never
// import each other; this adapter is where they meet.
type socSignals struct{ soc *detect.Service }

func (s socSignals) Signal(ctx context.Context, sg noc.Signal) error {
	fields := map[string]any{}
	if sg.Interface != "" {
		fields["interface"], fields["observed_bps"], fields["expected_bps"] = sg.Interface, sg.Observed, sg.Expected
	}
	if sg.Port != 0 {
		fields["port"] = sg.Port
	}
	if sg.OldFingerprint != "" || sg.NewFingerprint != "" {
		fields["old_fingerprint"], fields["new_fingerprint"] = sg.OldFingerprint, sg.NewFingerprint
	}
	return s.soc.RaiseSignal(ctx, detect.Signal{Kind: string(sg.Kind), TenantID: sg.TenantID, AssetID: sg.AssetID,
		MonitorID: sg.MonitorID, Detail: sg.Detail, At: sg.At, Fields: fields})
}

// startSyslog starts the syslog listeners the configuration asks for and
// the loop that keeps their log sources current.
func (m *Main) startSyslog(ctx context.Context) error {
	c := m.Config
	if len(c.SyslogUDP)+len(c.SyslogTCP)+len(c.SyslogTLS) == 0 {
		return nil
	}
	cfg := syslog.Config{UDPAddrs: c.SyslogUDP, TCPAddrs: c.SyslogTCP, TLSAddrs: c.SyslogTLS}
	if len(c.SyslogTLS) > 0 {
		cert, err := tls.LoadX509KeyPair(c.SyslogTLSCert, c.SyslogTLSKey)
		if err != nil {
			return fmt.Errorf("OPSWARD_SYSLOG_TLS_CERT: %v", err)
		}
		cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if err := m.SOC.RefreshSources(ctx); err != nil {
		return fmt.Errorf("syslog: load log sources: %v", err)
	}
	srv, err := syslog.New(cfg, m.SOC.Binder(), m.SOC.SyslogSink(ctx), m.Logger)
	if err != nil {
		return fmt.Errorf("syslog: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("syslog: %v", err)
	}
	m.Syslog = srv
	m.closers = append(m.closers, func() error {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Close(cctx)
	})
	m.goBackground(func() { m.SOC.RunSources(ctx, 30*time.Second) })
	return nil
}

// MaintainEventsArgs is the upkeep of security events: partitions ahead
// and retention by plan, as for check results.
type MaintainEventsArgs struct{}

func (MaintainEventsArgs) Kind() string { return "soc.maintain_events" }

func (m *Main) maintainEvents(ctx context.Context, _ *dispatch.Job[MaintainEventsArgs]) error {
	pctx := tenants.Privileged(ctx, "security events upkeep")
	now := time.Now()
	if err := m.SecurityEvents.Maintain(pctx, now); err != nil {
		return err
	}
	if _, err := m.SOC.PurgeIngestRequests(pctx, now); err != nil {
		return err
	}
	return m.retainByPlan(pctx, now, m.SecurityEvents.DropBefore, m.SecurityEvents.DeleteTenantBefore)
}

// runRules is `opsward rules import DIR`: it loads a folder of Sigma rules
// into the global library (the provider's rules) or a tenant's.
func runRules(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("rules", "rules import DIR [--tenant ID] [--allow-refused] [flags]", stderr)
	tenantID := fs.String("tenant", "", "the tenant whose rules these are (default: the provider's global library)")
	allowRefused := fs.Bool("allow-refused", false, "exit 0 although some rules were refused (they are listed on stderr either way)")
	cfg, err := parse(fs, args, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 || fs.Arg(0) != "import" {
		return errors.New("rules: opsward rules import DIR [--tenant ID] [--allow-refused]")
	}
	dir := fs.Arg(1)
	// The folder is the operator's to get right: say what is wrong with
	// it before opening anything.
	if _, err := os.Stat(dir); err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("rules import: there is no file or folder %s", dir)
		case errors.Is(err, os.ErrPermission):
			return fmt.Errorf("rules import: %s cannot be read: permission denied", dir)
		default:
			return fmt.Errorf("rules import: %s cannot be read: %v", dir, err)
		}
	}
	m := NewMain(cfg, Roles{}, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	pctx := tenants.Privileged(ctx, "rules import")
	if *tenantID == "" {
		root, err := m.Client.Tenant.Query().Where(tenant.KindEQ(tenant.KindProvider)).First(pctx)
		if err != nil {
			return errors.New("rules: there is no provider yet: start the server once or run opsward seed demo")
		}
		*tenantID = root.ID
	}
	rep, err := m.SOC.ImportDir(pctx, *tenantID, dir)
	if err != nil {
		if opsward.ErrorCode(err) == opsward.EINTERNAL {
			// On the command line the operator is the one to see the cause
			// (a file that cannot be read, a broken database).
			return fmt.Errorf("rules import: %v", err)
		}
		return errors.New("rules import: " + opsward.ErrorMessage(err))
	}
	for _, r := range rep.Refused {
		fmt.Fprintf(stderr, "refused: %s\n", r)
	}
	fmt.Fprintf(stdout, "rules import: %d files, %d rules saved, %d unchanged, %d refused\n", rep.Files, rep.Saved, rep.Unchanged, len(rep.Refused))
	if len(rep.Refused) > 0 && !*allowRefused {
		return fmt.Errorf("rules import: %d rules refused (listed above); the others were saved. Fix them, or pass --allow-refused to accept a partial import", len(rep.Refused))
	}
	return nil
}

// behaviourDetector is the ingest's behaviour analytics (nil when
// OPSWARD_BEHAVIOUR is off), with impossible travel when OPSWARD_GEOIP_DB
// names a database; one that cannot be read stops the start.
func (m *Main) behaviourDetector() (*ueba.Detector, error) {
	if m.Config.Behaviour != "on" {
		return nil, nil
	}
	var cfg ueba.Config
	if p := m.Config.GeoIPDB; p != "" {
		db, err := ueba.OpenMMDB(p)
		if err != nil {
			return nil, fmt.Errorf("OPSWARD_GEOIP_DB: %w", err)
		}
		m.closers = append(m.closers, db.Close)
		cfg.Locator = db
	}
	return ueba.NewDetector(cfg), nil
}
