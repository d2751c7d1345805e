package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/billing"
	"github.com/opsward/opsward/ent"
	"github.com/opsward/opsward/frontend"
	"github.com/opsward/opsward/graph"
	"github.com/opsward/opsward/graph/model"
	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/httpapi"
	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/services/compliance"
	"github.com/opsward/opsward/services/dispatch"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/monitoring"
	"github.com/opsward/opsward/services/noc/results"
	"github.com/opsward/opsward/services/soc/cases"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/events"
	"github.com/opsward/opsward/services/soc/response"
	"github.com/opsward/opsward/services/soc/syslog"
	"github.com/opsward/opsward/tenants"
	"github.com/opsward/opsward/tenants/authn"
)

// Roles say which parts of the platform a process runs.
type Roles struct {
	API       bool // GraphQL, auth, the portal, webhooks, block lists
	Ingest    bool // security events in: HTTP ingest and the syslog listeners
	Worker    bool // runs jobs
	Scheduler bool // moves due schedules into queues, relays the outbox
}

// AllRoles is what `opsward serve` runs.
var AllRoles = Roles{API: true, Ingest: true, Worker: true, Scheduler: true}

// Main wires every part of the platform. main() and the end-to-end tests
// both start it; nothing imports this package.
type Main struct {
	Config platform.Config
	Roles  Roles
	Stdout io.Writer // where the start-up banner goes
	Logger *slog.Logger

	DB      *platform.Database
	Tenants *tenants.Service
	Billing *billing.Service
	Ledger  *billing.Ledger
	// Collection collects invoices: manually, or by Stripe (stripe.go).
	Collection *billing.Collection
	Dispatch   *dispatch.Client
	// Workers holds a handler per job kind; Scheduler is set in the
	// scheduler role.
	Workers   *dispatch.Workers
	Scheduler *dispatch.Scheduler
	Redis     *platform.Redis
	Client    *ent.Client
	Registry  *prometheus.Registry
	// HTTP is the edge (internal/httpapi); Echo its router.
	HTTP *httpapi.Server
	Echo *echo.Echo
	// Budget bounds the request bodies held in memory at once (nil: off).
	Budget *inflight.Budget
	// Sealer seals secrets kept in the database; Guard checks every
	// connection to an address a tenant chose.
	Sealer *authn.Sealer
	Guard  *egress.Guard
	// The NOC: its service, results store and subscription events.
	NOC       *monitoring.Service
	Results   *results.Store
	NOCEvents *monitoring.Events
	// Agents keeps probe locations and the remote agents (API role).
	Agents *agents.Service
	// The SOC: detection, events, syslog, cases and response.
	SOC            *detect.Service
	SecurityEvents *events.Store
	Syslog         *syslog.Server
	Cases          *cases.Service
	Response       *response.Service
	// Compliance: controls, automated tests and signed reports.
	Compliance *compliance.Service

	migrator *migrations.Migrator
	server   *http.Server
	listener net.Listener
	// demoOn is demo mode (see demo.go); demoListener serves its target.
	demoOn       bool
	demoListener net.Listener
	demoDown     func(time.Time) bool // the site's outages; nil: demoSiteDown
	demoHooks    atomic.Int64         // signed webhooks the demo receiver took
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	closers      []func() error
}

// NewMain returns a Main for cfg.
func NewMain(cfg platform.Config, roles Roles, stdout, stderr io.Writer) *Main {
	return &Main{
		Config: cfg,
		Roles:  roles,
		Stdout: stdout,
		Logger: platform.NewLogger(stderr, cfg),
	}
}

// Open connects to everything, applies migrations where configured, and
// starts the HTTP server and background roles. It returns once the server
// listens; Addr tells where.
func (m *Main) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			if m.cancel != nil {
				m.cancel()
				m.wg.Wait()
			}
			m.closeAll()
		}
	}()
	started := time.Now()
	if !m.Config.Embedded() && m.Config.EmbeddedRedis() && (m.Roles != AllRoles) {
		return errors.New("OPSWARD_REDIS_URL: the api, worker and scheduler roles share work through Redis: set it when running them apart")
	}
	if m.Config.MigrateAtStart() {
		if err := m.migrateUp(ctx); err != nil {
			return err
		}
	}
	if m.DB, err = platform.OpenDatabase(ctx, m.Config, tenants.SessionSettings); err != nil {
		return err
	}
	m.closers = append(m.closers, m.DB.Close)
	if m.migrator, err = migrations.New(m.DB.DB, m.DB.Dialect); err != nil {
		return err
	}
	if err := m.migrator.CheckCurrent(ctx); err != nil { // refuses newer and older schemas
		return fmt.Errorf("database: %w", err)
	}
	if m.Redis, err = platform.OpenRedis(ctx, m.Config); err != nil {
		return err
	}
	m.closers = append(m.closers, m.Redis.Close)
	m.Client = ent.NewClient(ent.Driver(tenants.Driver(entDialect(m.DB.Dialect), m.DB.DB)))
	keys, sealer, err := m.loadKeys()
	if err != nil {
		return err
	}
	m.Sealer = sealer
	issuer := "opsward"
	if m.Config.PublicURL != "" {
		issuer = m.Config.PublicURL
	}
	mailer, err := newInvitationMailer(m.Config)
	if err != nil {
		return err
	}
	deps := tenants.Deps{
		Client: m.Client, Dialect: entDialect(m.DB.Dialect), Redis: m.Redis, RedisPrefix: m.Redis.Prefix,
		Logger: m.Logger, Keys: keys, Sealer: sealer,
	}
	if mailer != nil {
		deps.Mailer = mailer
	}
	if m.Tenants, err = tenants.New(tenants.Config{Tokens: authn.TokenConfig{Issuer: issuer}}, deps); err != nil {
		return fmt.Errorf("tenants: %v", err)
	}

	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(m.DB.DB, "opsward"),
		newRedisPoolCollector(m.Redis),
	)

	if err := m.openDispatch(ctx); err != nil {
		return err
	}
	if err := m.openDemo(ctx); err != nil {
		return err
	}
	if err := m.openNOC(ctx); err != nil {
		return err
	}
	if err := m.openSOC(ctx); err != nil {
		return err
	}
	if err := m.openLedger(ctx); err != nil {
		return err
	}
	if err := m.openCompliance(ctx); err != nil {
		return err
	}
	bgctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.goBackground(func() { m.Tenants.Run(bgctx) })
	m.startResponse(bgctx)
	if err := m.startJobs(bgctx); err != nil {
		return err
	}
	m.startDemo(bgctx)

	if m.Roles == (Roles{}) {
		return nil // a tool (seed): no server
	}
	if m.Roles.API {
		if err := m.bootstrap(ctx); err != nil {
			return err
		}
	}
	if err := m.openHTTP(); err != nil {
		return err
	}
	if m.Roles.Ingest {
		if err := m.startSyslog(bgctx); err != nil {
			return err
		}
		m.goBackground(func() { m.SOC.RunUsage(bgctx) })
	}
	addr, setting := m.listenAddr()
	if m.listener, err = net.Listen("tcp", addr); err != nil {
		return fmt.Errorf("%s: cannot listen on %s: %v", setting, addr, err)
	}
	m.server = &http.Server{
		Handler:           m.HTTP,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       m.Config.ReadTimeout,
		WriteTimeout:      m.Config.WriteTimeout,
		IdleTimeout:       m.Config.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server stopped", "err", err)
		}
	}()
	if m.Config.PprofAddr != "" {
		if err := m.servePprof(); err != nil {
			return err
		}
	}
	m.Logger.Info("opsward started",
		"version", platform.Version(), "addr", m.Addr(),
		"database", m.DB.Dialect, "redis", m.redisKind(),
		"roles", fmt.Sprintf("%+v", m.Roles), "startup", time.Since(started).Round(time.Millisecond))
	return nil
}

// listenAddr is where this process serves HTTP, and the setting that says
// so: the api's address when it runs the api role; ingest alone serves on
// an address of its own; a worker or a scheduler alone serves only health
// and metrics, on an address of its own, so the four roles start side by
// side with no settings.
func (m *Main) listenAddr() (addr, setting string) {
	switch {
	case m.Roles.API:
		return m.Config.HTTPAddr, "OPSWARD_HTTP_ADDR"
	case m.Roles.Ingest:
		return m.Config.IngestAddr, "OPSWARD_INGEST_ADDR"
	case m.Roles.Worker:
		return m.Config.WorkerAddr, "OPSWARD_WORKER_ADDR"
	default:
		return m.Config.SchedulerAddr, "OPSWARD_SCHEDULER_ADDR"
	}
}

// openHTTP builds the HTTP edge with the routes of this process's roles.
func (m *Main) openHTTP() error {
	m.Budget = inflight.New(m.Config.IngestMemory)
	deps := httpapi.Deps{
		Config: m.Config, Logger: m.Logger, Registry: m.Registry, Budget: m.Budget,
		Ready: []httpapi.Check{
			{Name: "database", Check: m.DB.PingContext},
			{Name: "redis", Check: func(ctx context.Context) error { return m.Redis.Ping(ctx).Err() }},
			{Name: "migrations", Check: m.migrator.CheckCurrent},
		},
		API: m.Roles.API, Ingest: m.Roles.Ingest,
		Tenants: m.Tenants, NOC: m.NOC, Events: m.SOC, Lists: m.Response, Payments: m.Collection, Agents: m.Agents,
		Portal: frontend.Dist(),
	}
	if m.Roles.API {
		deps.GraphQL = m.graphQL()
	}
	srv, err := httpapi.New(deps)
	if err != nil {
		return err
	}
	m.HTTP, m.Echo = srv, srv.Echo()
	return nil
}

// graphQL builds the GraphQL gateway.
func (m *Main) graphQL() http.Handler {
	res := &graph.Resolver{
		Client:     m.Client,
		Tenancy:    m.Tenants,
		Billing:    m.Billing,
		Ledger:     m.Ledger,
		Collection: m.Collection,
		Dispatch:   m.Dispatch,
		Schedules:  m.source(),
		NOC:        m.NOC,
		NOCEvents:  m.NOCEvents,
		Agents:     m.Agents,
		SOC:        m.SOC,
		Cases:      m.Cases,
		Response:   m.Response,
		Compliance: m.Compliance,
		EventStore: m.SecurityEvents,
		SyslogStats: func() syslog.Stats {
			if m.Syslog == nil {
				return syslog.Stats{}
			}
			return m.Syslog.Stats()
		},
		Logger: m.Logger,
		Info: model.ServerInfo{
			Version:  platform.Version(),
			Database: m.DB.Dialect,
			Redis:    m.redisKind(),
		},
	}
	return graph.NewHandler(res, graph.Options{
		MaxDepth:       m.Config.GraphQLMaxDepth,
		MaxCost:        m.Config.GraphQLMaxCost,
		Introspection:  m.Config.Introspection(),
		OriginPatterns: originPatterns(m.Config.CORSOrigins),
		WebsocketInit:  httpapi.WebsocketInit(m.Tenants),
		Metrics:        graph.NewMetrics(m.Registry),
		Logger:         m.Logger,
		MaxBodyBytes:   m.Config.BodyLimitBytes,
		Budget:         m.Budget,
	})
}

func (m *Main) redisKind() string {
	if m.Redis.Embedded {
		return "embedded"
	}
	return "external"
}

// goBackground runs fn until Close, which waits for it.
func (m *Main) goBackground(fn func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn()
	}()
}

// Addr is the address the HTTP server listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// URL is the server's base URL.
func (m *Main) URL() string { return "http://" + m.Addr() }

// Close stops taking requests, lets in-flight ones finish within the
// shutdown timeout, stops background work and closes connections.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		defer cancel()
		if err := m.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	errs = append(errs, m.closeAll())
	return errors.Join(errs...)
}

func (m *Main) closeAll() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// migrateUp applies pending migrations as the owner of the schema.
func (m *Main) migrateUp(ctx context.Context) error {
	db, err := platform.OpenMigrationDatabase(ctx, m.Config)
	if err != nil {
		return err
	}
	defer db.Close()
	mg, err := migrations.New(db.DB, db.Dialect)
	if err != nil {
		return err
	}
	applied, err := mg.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if len(applied) > 0 {
		m.Logger.Info("migrations applied", "versions", applied, "database", db.Where)
	}
	return nil
}

func entDialect(d string) string {
	if d == platform.Postgres {
		return dialect.Postgres
	}
	return dialect.SQLite
}

func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u := stripScheme(o); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func stripScheme(origin string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(origin) > len(p) && origin[:len(p)] == p {
			return origin[len(p):]
		}
	}
	return origin
}

// redisPoolCollector exposes the Redis connection pool's counters.
type redisPoolCollector struct {
	r                                   *platform.Redis
	hits, misses, timeouts, total, idle *prometheus.Desc
}

func newRedisPoolCollector(r *platform.Redis) *redisPoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("opsward_redis_pool_"+name, help, nil, nil)
	}
	return &redisPoolCollector{
		r:        r,
		hits:     d("hits_total", "Times a free connection was found in the pool."),
		misses:   d("misses_total", "Times no free connection was found in the pool."),
		timeouts: d("timeouts_total", "Times a wait for a connection timed out."),
		total:    d("connections", "Connections in the pool."),
		idle:     d("idle_connections", "Idle connections in the pool."),
	}
}

func (c *redisPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.hits
	ch <- c.misses
	ch <- c.timeouts
	ch <- c.total
	ch <- c.idle
}

func (c *redisPoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.PoolStats()
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(c.timeouts, prometheus.CounterValue, float64(s.Timeouts))
	ch <- prometheus.MustNewConstMetric(c.total, prometheus.GaugeValue, float64(s.TotalConns))
	ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.IdleConns))
}

// servePprof serves Go's profiler on its own listener, apart from the API.
func (m *Main) servePprof() error {
	ln, err := net.Listen("tcp", m.Config.PprofAddr)
	if err != nil {
		return fmt.Errorf("OPSWARD_PPROF_ADDR: cannot listen on %s: %v", m.Config.PprofAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.closers = append(m.closers, srv.Close)
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// bootstrap creates the provider tenant and its owner on an empty
// database, printing a generated password once.
func (m *Main) bootstrap(ctx context.Context) error {
	res, err := m.Tenants.Bootstrap(ctx, tenants.BootstrapInput{Email: m.Config.BootstrapEmail, Password: m.Config.BootstrapPassword})
	if err != nil {
		return fmt.Errorf("bootstrap: %s", opsward.ErrorMessage(err))
	}
	if res == nil {
		return nil
	}
	m.Logger.Info("provider tenant created", "tenant_id", res.Provider.ID, "owner", res.Owner.Email)
	fmt.Fprintf(m.Stdout, "Created the provider tenant %s with owner %s.\n", res.Provider.Slug, res.Owner.Email)
	if res.GeneratedPassword != "" {
		fmt.Fprintf(m.Stdout, "Its password, shown this once: %s\n", res.GeneratedPassword)
	}
	return nil
}
