package platform

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration shared by every role. Each field has an
// OPSWARD_* environment variable and a flag of the same name; a flag wins
// over the environment, and WithDefaults fills what neither set.
type Config struct {
	HTTPAddr string // the api role's listener (serve's too)
	// WorkerAddr and SchedulerAddr are where a process that runs only the
	// worker or only the scheduler role serves health and metrics, so that
	// all three roles start side by side on one host with no settings.
	WorkerAddr         string
	SchedulerAddr      string
	IngestAddr         string // `opsward ingest`'s listener (HTTP ingest, health, metrics)
	DataDir            string
	DatabaseURL        string // empty: SQLite in DataDir
	MigrateDatabaseURL string // the owner of the schema; empty: DatabaseURL
	RedisURL           string // empty: in-process Redis on loopback
	RedisPrefix        string // put before every key, so deployments can share a Redis
	LogFormat          string // text or json
	LogLevel           string // debug, info, warn, error

	CORSOrigins    []string
	BodyLimitBytes int64
	// IngestMemory is the budget of bytes that request bodies (ingest
	// batches, GraphQL documents) may hold in memory at once across all
	// requests; one tenant may hold a quarter. -1: no budget (off).
	IngestMemory    int64
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	// WorkerConcurrency is how many jobs a worker runs at once;
	// WorkerVisibilityTimeout how long a job of a worker that stopped
	// answering stays taken before another worker gets it.
	WorkerConcurrency       int
	WorkerVisibilityTimeout time.Duration

	// GraphQLIntrospection turns introspection and the in-browser explorer
	// on or off: "on", "off", or "auto" (on in the embedded default).
	GraphQLIntrospection string
	GraphQLMaxDepth      int
	GraphQLMaxCost       int

	// MigrateOnStart: "on", "off", or "auto" (on in the embedded default).
	MigrateOnStart string

	BootstrapEmail    string
	BootstrapPassword string

	// JWTKeysFile holds the token signing key ring (JSON); SealKeys the
	// keys that encrypt secrets at rest ("id:base64,…"). Both default to
	// files in DataDir, generated on first start.
	JWTKeysFile string
	SealKeys    string
	// PublicURL is the deployment's base URL, the issuer of its tokens.
	PublicURL string
	// PprofAddr, when set, serves Go's profiler on a listener of its own
	// (keep it on loopback).
	PprofAddr string
	// BillingGrace is how long after a billing period ends its late usage
	// still goes into its invoice, before the period closes.
	BillingGrace time.Duration
	// Metering is on or off: whether the work (check results, ingested
	// events) records usage as it is written. Off is for measuring what
	// metering costs; billing then sees no usage.
	Metering string
	// Behaviour is on or off: whether ingest learns each user's logins and
	// privileged actions and alerts on what departs from them
	// (services/soc/ueba). GeoIPDB is a MaxMind-format city database
	// (GeoLite2-City or the like) that turns on impossible travel; none:
	// that check is off.
	Behaviour string
	GeoIPDB   string
	// MeterSampleEvery is how often the gauge meters (active monitors,
	// assets, seats, stored event bytes) are sampled.
	MeterSampleEvery time.Duration
	// PlatformJobsEvery is how often the platform's own upkeep is
	// enqueued (results and events upkeep, the billing period close, the
	// monthly compliance reports, usage samples); it also runs at start.
	PlatformJobsEvery time.Duration
	// ProbePollInterval is how often remote probe agents ask for their
	// checks; an agent silent for three of them shows offline.
	ProbePollInterval time.Duration
	// StripeKey and StripeWebhookSecret switch collection to Stripe (both
	// or neither); without them Opsward issues invoices itself. They are
	// read from the environment only, held in memory, and never logged.
	// StripeAPIURL points at another Stripe API (stripe-mock in tests).
	StripeKey           string
	StripeWebhookSecret string
	StripeAPIURL        string
	// DunningGrace is how long a customer whose payment failed stays past
	// due before its tenant is suspended.
	DunningGrace time.Duration
	// EgressAllow lists special-purpose ranges (private, loopback, …) that
	// tenants' monitors and webhooks may reach anyway: the MSP's decision,
	// for customers whose systems sit on a routed private network.
	// EgressDeny lists public ranges they may never reach.
	EgressAllow []string
	EgressDeny  []string
	// DNSCache is on or off: whether checks and webhooks resolve names
	// through the platform's cache, which keeps each answer for its TTL
	// (internal/dnscache), or ask the system resolver every time.
	// DNSServers are the name servers it asks (host or host:port); empty
	// reads /etc/resolv.conf.
	DNSCache   string
	DNSServers []string
	// Syslog listeners (empty: off). Several addresses give tenants ports
	// of their own; TLS needs a certificate and key (PEM files).
	SyslogUDP     []string
	SyslogTCP     []string
	SyslogTLS     []string
	SyslogTLSCert string
	SyslogTLSKey  string
	// Demo turns demo mode on or off: "on", "off", or "auto" (on when the
	// database holds the demonstration data of `opsward seed demo`). In
	// demo mode the api serves a target on DemoAddr whose state changes on
	// its own, egress lets monitors reach exactly that address, and each
	// demonstration customer receives security events that raise alerts.
	Demo     string
	DemoAddr string
	// SigmaMaxRuleBytes is the largest Sigma rule (one YAML document)
	// accepted by the rule library and its import.
	SigmaMaxRuleBytes int
	// SMTPURL is the relay that sends the platform's own mail
	// (invitations): smtp://user:pass@host:587?from=… (STARTTLS),
	// smtps://… (TLS from the first byte), security=none only to a
	// relay on loopback. Empty: no mail is sent.
	SMTPURL string
	// PortalURL is the portal's base URL, for links in mail; it defaults
	// to PublicURL when that is an http(s) URL.
	PortalURL string
}

// setting ties a Config field to its variable and flag.
type setting struct {
	env, flag, usage string
	get              func(c *Config) string
	set              func(c *Config, v string) error
}

func str(p func(c *Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(c *Config) *time.Duration) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string {
			if *p(c) == 0 {
				return ""
			}
			return p(c).String()
		}, func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30s", v)
			}
			*p(c) = d
			return nil
		}
}

func integer(p func(c *Config) *int) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string {
			if *p(c) == 0 {
				return ""
			}
			return strconv.Itoa(*p(c))
		}, func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a positive whole number", v)
			}
			*p(c) = n
			return nil
		}
}

func settings() []setting {
	mk := func(env, fl, usage string, g func(*Config) string, s func(*Config, string) error) setting {
		return setting{env: env, flag: fl, usage: usage, get: g, set: s}
	}
	var out []setting
	add := func(s setting) { out = append(out, s) }

	g, s := str(func(c *Config) *string { return &c.HTTPAddr })
	add(mk("OPSWARD_HTTP_ADDR", "http-addr", "address the HTTP server listens on (default 127.0.0.1:8080)", g, s))
	g, s = str(func(c *Config) *string { return &c.WorkerAddr })
	add(mk("OPSWARD_WORKER_ADDR", "worker-addr", "health and metrics address of `opsward worker` (default 127.0.0.1:8081)", g, s))
	g, s = str(func(c *Config) *string { return &c.IngestAddr })
	add(mk("OPSWARD_INGEST_ADDR", "ingest-addr", "address `opsward ingest` serves HTTP ingest, health and metrics on (default 127.0.0.1:8083)", g, s))
	g, s = str(func(c *Config) *string { return &c.SchedulerAddr })
	add(mk("OPSWARD_SCHEDULER_ADDR", "scheduler-addr", "health and metrics address of `opsward scheduler` (default 127.0.0.1:8082)", g, s))
	g, s = str(func(c *Config) *string { return &c.DataDir })
	add(mk("OPSWARD_DATA_DIR", "data-dir", "folder for the embedded database and keys (default ./data)", g, s))
	g, s = str(func(c *Config) *string { return &c.DatabaseURL })
	add(mk("OPSWARD_DATABASE_URL", "database-url", "postgres://… to use Postgres; empty for SQLite in the data folder", g, s))
	g, s = str(func(c *Config) *string { return &c.MigrateDatabaseURL })
	add(mk("OPSWARD_MIGRATE_DATABASE_URL", "migrate-database-url", "postgres://… of the role that owns the schema, for migrations (default: the database URL)", g, s))
	g, s = str(func(c *Config) *string { return &c.RedisURL })
	add(mk("OPSWARD_REDIS_URL", "redis-url", "redis:// or rediss:// to use Redis; empty for an in-process Redis", g, s))
	g, s = str(func(c *Config) *string { return &c.RedisPrefix })
	add(mk("OPSWARD_REDIS_PREFIX", "redis-prefix", "prefix of every Redis key (default opsward:)", g, s))
	g, s = str(func(c *Config) *string { return &c.LogFormat })
	add(mk("OPSWARD_LOG_FORMAT", "log-format", "text or json (default text)", g, s))
	g, s = str(func(c *Config) *string { return &c.LogLevel })
	add(mk("OPSWARD_LOG_LEVEL", "log-level", "debug, info, warn or error (default info)", g, s))
	add(mk("OPSWARD_CORS_ORIGINS", "cors-origins", "comma-separated origins allowed by CORS (default none)",
		func(c *Config) string { return strings.Join(c.CORSOrigins, ",") },
		func(c *Config, v string) error {
			c.CORSOrigins = nil
			for _, o := range strings.Split(v, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.CORSOrigins = append(c.CORSOrigins, o)
				}
			}
			return nil
		}))
	add(mk("OPSWARD_EGRESS_ALLOW", "egress-allow", "comma-separated CIDRs that monitors and webhooks may reach although private or loopback (default none)",
		func(c *Config) string { return strings.Join(c.EgressAllow, ",") },
		func(c *Config, v string) error { c.EgressAllow = splitList(v); return nil }))
	add(mk("OPSWARD_EGRESS_DENY", "egress-deny", "comma-separated CIDRs that monitors and webhooks may never reach (default none)",
		func(c *Config) string { return strings.Join(c.EgressDeny, ",") },
		func(c *Config, v string) error { c.EgressDeny = splitList(v); return nil }))
	g, s = str(func(c *Config) *string { return &c.DNSCache })
	add(mk("OPSWARD_DNS_CACHE", "dns-cache", "on or off: checks and webhooks resolve names through a cache that keeps each answer for its DNS TTL (default on)", g, s))
	add(mk("OPSWARD_DNS_SERVERS", "dns-servers", "comma-separated name servers the DNS cache asks, host or host:port (default those of /etc/resolv.conf)",
		func(c *Config) string { return strings.Join(c.DNSServers, ",") },
		func(c *Config, v string) error { c.DNSServers = splitList(v); return nil }))
	for _, l := range []struct {
		name, flag, what string
		f                func(c *Config) *[]string
	}{
		{"OPSWARD_SYSLOG_UDP", "syslog-udp", "UDP", func(c *Config) *[]string { return &c.SyslogUDP }},
		{"OPSWARD_SYSLOG_TCP", "syslog-tcp", "TCP", func(c *Config) *[]string { return &c.SyslogTCP }},
		{"OPSWARD_SYSLOG_TLS", "syslog-tls", "TLS", func(c *Config) *[]string { return &c.SyslogTLS }},
	} {
		f := l.f
		add(mk(l.name, l.flag, "comma-separated host:port the syslog "+l.what+" listener binds (default off)",
			func(c *Config) string { return strings.Join(*f(c), ",") },
			func(c *Config, v string) error { *f(c) = splitList(v); return nil }))
	}
	g, s = str(func(c *Config) *string { return &c.SyslogTLSCert })
	add(mk("OPSWARD_SYSLOG_TLS_CERT", "syslog-tls-cert", "PEM certificate file of the syslog TLS listener", g, s))
	g, s = str(func(c *Config) *string { return &c.SyslogTLSKey })
	add(mk("OPSWARD_SYSLOG_TLS_KEY", "syslog-tls-key", "PEM key file of the syslog TLS listener", g, s))
	add(mk("OPSWARD_BODY_LIMIT", "body-limit", "largest request body in bytes (default 10485760)",
		func(c *Config) string {
			if c.BodyLimitBytes == 0 {
				return ""
			}
			return strconv.FormatInt(c.BodyLimitBytes, 10)
		},
		func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a positive number of bytes", v)
			}
			c.BodyLimitBytes = n
			return nil
		}))
	add(mk("OPSWARD_INGEST_MEMORY", "ingest-memory", "bytes request bodies may hold in memory at once, all requests together, a quarter per tenant: a number of bytes, 128MiB, 1GiB, or off (default 128MiB)",
		func(c *Config) string {
			switch c.IngestMemory {
			case 0:
				return ""
			case -1:
				return "off"
			}
			return strconv.FormatInt(c.IngestMemory, 10)
		},
		func(c *Config, v string) error {
			n, err := parseBytes(v)
			if err != nil {
				return err
			}
			c.IngestMemory = n
			return nil
		}))
	g, s = dur(func(c *Config) *time.Duration { return &c.ReadTimeout })
	add(mk("OPSWARD_READ_TIMEOUT", "read-timeout", "HTTP read timeout (default 30s)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.WriteTimeout })
	add(mk("OPSWARD_WRITE_TIMEOUT", "write-timeout", "HTTP write timeout (default 60s)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.IdleTimeout })
	add(mk("OPSWARD_IDLE_TIMEOUT", "idle-timeout", "HTTP keep-alive idle timeout (default 120s)", g, s))
	gi, si := integer(func(c *Config) *int { return &c.WorkerConcurrency })
	add(mk("OPSWARD_WORKER_CONCURRENCY", "worker-concurrency", "jobs a worker runs at once, each on a goroutine of its own (default 2048)", gi, si))
	g, s = dur(func(c *Config) *time.Duration { return &c.WorkerVisibilityTimeout })
	add(mk("OPSWARD_WORKER_VISIBILITY_TIMEOUT", "worker-visibility-timeout", "how long a job of a worker that stopped answering waits before another worker takes it (default 30s)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })
	add(mk("OPSWARD_SHUTDOWN_TIMEOUT", "shutdown-timeout", "time to finish in-flight work on SIGTERM (default 20s)", g, s))
	g, s = str(func(c *Config) *string { return &c.GraphQLIntrospection })
	add(mk("OPSWARD_GRAPHQL_INTROSPECTION", "graphql-introspection", "on, off or auto: introspection and the explorer (auto: on in the embedded default)", g, s))
	gi, si = integer(func(c *Config) *int { return &c.GraphQLMaxDepth })
	add(mk("OPSWARD_GRAPHQL_MAX_DEPTH", "graphql-max-depth", "deepest GraphQL selection accepted (default 12)", gi, si))
	gi, si = integer(func(c *Config) *int { return &c.GraphQLMaxCost })
	add(mk("OPSWARD_GRAPHQL_MAX_COST", "graphql-max-cost", "highest GraphQL query cost accepted (default 10000)", gi, si))
	g, s = str(func(c *Config) *string { return &c.MigrateOnStart })
	add(mk("OPSWARD_MIGRATE_ON_START", "migrate-on-start", "on, off or auto: apply migrations when serving starts (auto: on in the embedded default)", g, s))
	g, s = str(func(c *Config) *string { return &c.BootstrapEmail })
	add(mk("OPSWARD_BOOTSTRAP_EMAIL", "bootstrap-email", "email of the provider owner created on an empty database", g, s))
	g, s = str(func(c *Config) *string { return &c.BootstrapPassword })
	add(mk("OPSWARD_BOOTSTRAP_PASSWORD", "bootstrap-password", "password of that owner (default: generated and printed once)", g, s))
	g, s = str(func(c *Config) *string { return &c.JWTKeysFile })
	add(mk("OPSWARD_JWT_KEYS_FILE", "jwt-keys-file", "JSON key ring that signs access tokens (default <data-dir>/jwt-keys.json, generated)", g, s))
	g, s = str(func(c *Config) *string { return &c.SealKeys })
	add(mk("OPSWARD_SEAL_KEYS", "seal-keys", "keys that encrypt secrets at rest, id:base64[,id:base64] with the first active (default <data-dir>/seal.keys, generated)", g, s))
	g, s = str(func(c *Config) *string { return &c.PublicURL })
	add(mk("OPSWARD_PUBLIC_URL", "public-url", "the deployment's public base URL, used as token issuer (default opsward)", g, s))
	g, s = str(func(c *Config) *string { return &c.Demo })
	add(mk("OPSWARD_DEMO", "demo", "demo mode: on, off or auto (on when the database holds `seed demo` data)", g, s))
	g, s = str(func(c *Config) *string { return &c.DemoAddr })
	add(mk("OPSWARD_DEMO_ADDR", "demo-addr", "where demo mode serves the demonstration target (default 127.0.0.1:8079)", g, s))
	g, s = str(func(c *Config) *string { return &c.PprofAddr })
	add(mk("OPSWARD_PPROF_ADDR", "pprof-addr", "serve Go's profiler on this address, such as 127.0.0.1:6060 (default off)", g, s))
	g, s = str(func(c *Config) *string { return &c.SMTPURL })
	add(mk("OPSWARD_SMTP_URL", "smtp-url", "mail relay for invitations: smtp://user:pass@host:587?from=noc@example.com (STARTTLS), smtps:// (TLS), ?security=none only on loopback (default: no mail)", g, s))
	g, s = str(func(c *Config) *string { return &c.PortalURL })
	add(mk("OPSWARD_PORTAL_URL", "portal-url", "the portal's base URL for links in mail, such as https://noc.example.com (default: OPSWARD_PUBLIC_URL when it is an http(s) URL)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.BillingGrace })
	gi, si = integer(func(c *Config) *int { return &c.SigmaMaxRuleBytes })
	add(mk("OPSWARD_SIGMA_MAX_RULE_BYTES", "sigma-max-rule-bytes", "largest Sigma rule accepted, in bytes (default 2097152, which holds every SigmaHQ rule; at most 67108864)", gi, si))
	add(mk("OPSWARD_BILLING_GRACE", "billing-grace", "how long after a billing period ends late usage still counts in it, before its invoice closes (default 1h, at most 168h)", g, s))
	g, s = str(func(c *Config) *string { return &c.Metering })
	add(mk("OPSWARD_METERING", "metering", "on or off: check results and ingested events record their usage as they are written (default on; off only to measure its cost)", g, s))
	g, s = str(func(c *Config) *string { return &c.Behaviour })
	add(mk("OPSWARD_BEHAVIOUR", "behaviour", "on or off: ingest learns each user's logins and privileged actions and raises behaviour alerts on what departs from them (default on)", g, s))
	g, s = str(func(c *Config) *string { return &c.GeoIPDB })
	add(mk("OPSWARD_GEOIP_DB", "geoip-db", "path of a MaxMind-format city database (GeoLite2-City.mmdb or the like) for the impossible-travel check (default: none, that check is off)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.MeterSampleEvery })
	add(mk("OPSWARD_METER_SAMPLE_EVERY", "meter-sample-every", "how often the gauge meters (active monitors, assets, seats, stored event bytes) are sampled (default 1h, 1m to 24h)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.PlatformJobsEvery })
	add(mk("OPSWARD_PLATFORM_JOBS_EVERY", "platform-jobs-every", "how often the platform's upkeep jobs (results and events upkeep, billing period close, monthly compliance reports, usage samples) are enqueued, besides at start (default 5m, 1m to 24h)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.ProbePollInterval })
	add(mk("OPSWARD_PROBE_POLL_INTERVAL", "probe-poll-interval", "how often remote probe agents ask for their checks; one silent for three of these shows offline (default 5s, 1s to 5m)", g, s))
	g, s = dur(func(c *Config) *time.Duration { return &c.DunningGrace })
	add(mk("OPSWARD_BILLING_DUNNING_GRACE", "billing-dunning-grace", "how long a customer whose Stripe payment failed stays past due before its tenant is suspended (default 72h, at most 2160h)", g, s))
	g, s = str(func(c *Config) *string { return &c.StripeKey })
	add(mk("OPSWARD_STRIPE_KEY", "stripe-key", "Stripe secret API key (sk_… or rk_…); with OPSWARD_STRIPE_WEBHOOK_SECRET, Stripe collects invoices (default: none, Opsward issues them itself)", g, s))
	g, s = str(func(c *Config) *string { return &c.StripeWebhookSecret })
	add(mk("OPSWARD_STRIPE_WEBHOOK_SECRET", "stripe-webhook-secret", "signing secret (whsec_…) of the Stripe webhook endpoint POST /webhooks/stripe", g, s))
	g, s = str(func(c *Config) *string { return &c.StripeAPIURL })
	add(mk("OPSWARD_STRIPE_API_URL", "stripe-api-url", "base URL of the Stripe API, such as http://127.0.0.1:12111 for stripe-mock (default: Stripe's)", g, s))
	return out
}

// RegisterFlags adds a flag for every setting to fs. Values given on the
// command line are applied by Load.
func RegisterFlags(fs *flag.FlagSet) {
	for _, s := range settings() {
		fs.String(s.flag, "", s.usage+" ["+s.env+"]")
	}
}

// Load reads the environment (getenv, usually os.Getenv) and then the flags
// set on fs, and returns the configuration with defaults filled in and
// validated. Errors name the setting.
func Load(getenv func(string) string, fs *flag.FlagSet) (Config, error) {
	var c Config
	given := map[string]string{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	}
	for _, s := range settings() {
		v, from := getenv(s.env), s.env
		if fv, ok := given[s.flag]; ok {
			v, from = fv, "--"+s.flag
		}
		if v == "" {
			continue
		}
		if err := s.set(&c, v); err != nil {
			return c, fmt.Errorf("%s: %v", from, err)
		}
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// LoadEnv is Load from the process environment with no flags.
func LoadEnv() (Config, error) { return Load(os.Getenv, nil) }

// WithDefaults returns c with every unset field given its default.
func (c Config) WithDefaults() Config {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.HTTPAddr, "127.0.0.1:8080")
	def(&c.WorkerAddr, "127.0.0.1:8081")
	def(&c.SchedulerAddr, "127.0.0.1:8082")
	def(&c.IngestAddr, "127.0.0.1:8083")
	def(&c.Demo, "auto")
	def(&c.DemoAddr, "127.0.0.1:8079")
	def(&c.DataDir, "./data")
	def(&c.RedisPrefix, "opsward:")
	def(&c.LogFormat, "text")
	def(&c.LogLevel, "info")
	def(&c.GraphQLIntrospection, "auto")
	def(&c.MigrateOnStart, "auto")
	def(&c.MigrateDatabaseURL, c.DatabaseURL)
	if c.BodyLimitBytes == 0 {
		c.BodyLimitBytes = 10 << 20
	}
	if c.IngestMemory == 0 {
		c.IngestMemory = 128 << 20
	}
	dd := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	dd(&c.ReadTimeout, 30*time.Second)
	dd(&c.WriteTimeout, 60*time.Second)
	dd(&c.IdleTimeout, 120*time.Second)
	dd(&c.ShutdownTimeout, 20*time.Second)
	dd(&c.WorkerVisibilityTimeout, 30*time.Second)
	if c.WorkerConcurrency == 0 {
		c.WorkerConcurrency = 2048
	}
	dd(&c.BillingGrace, time.Hour)
	dd(&c.MeterSampleEvery, time.Hour)
	dd(&c.PlatformJobsEvery, 5*time.Minute)
	dd(&c.ProbePollInterval, 5*time.Second)
	if c.DNSCache == "" {
		c.DNSCache = "on"
	}
	if c.Behaviour == "" {
		c.Behaviour = "on"
	}
	if c.Metering == "" {
		c.Metering = "on"
	}
	dd(&c.DunningGrace, 72*time.Hour)
	if c.GraphQLMaxDepth == 0 {
		c.GraphQLMaxDepth = 12
	}
	if c.GraphQLMaxCost == 0 {
		c.GraphQLMaxCost = 10000
	}
	if c.SigmaMaxRuleBytes == 0 {
		c.SigmaMaxRuleBytes = 2 << 20
	}
	if c.PortalURL == "" && (strings.HasPrefix(c.PublicURL, "https://") || strings.HasPrefix(c.PublicURL, "http://")) {
		c.PortalURL = c.PublicURL
	}
	return c
}

// Validate checks every setting; the first problem is returned as one line
// that names the setting.
func (c Config) Validate() error {
	for _, a := range []struct{ env, v string }{
		{"OPSWARD_HTTP_ADDR", c.HTTPAddr}, {"OPSWARD_WORKER_ADDR", c.WorkerAddr}, {"OPSWARD_SCHEDULER_ADDR", c.SchedulerAddr}, {"OPSWARD_INGEST_ADDR", c.IngestAddr},
		{"OPSWARD_DEMO_ADDR", c.DemoAddr},
	} {
		if _, port, err := net.SplitHostPort(a.v); err != nil {
			return fmt.Errorf("%s: %q is not host:port", a.env, a.v)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%s: %q has no valid port", a.env, a.v)
		}
	}
	if c.BillingGrace < 0 || c.BillingGrace > 7*24*time.Hour {
		return fmt.Errorf("OPSWARD_BILLING_GRACE: %s is not between 0 and 168h", c.BillingGrace)
	}
	if c.DNSCache != "on" && c.DNSCache != "off" {
		return fmt.Errorf("OPSWARD_DNS_CACHE: %q is neither on nor off", c.DNSCache)
	}
	for _, srv := range c.DNSServers {
		host := srv
		if h, _, err := net.SplitHostPort(srv); err == nil {
			host = h
		}
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("OPSWARD_DNS_SERVERS: %q is not an IP address or address:port", srv)
		}
	}
	if c.Metering != "on" && c.Metering != "off" {
		return fmt.Errorf("OPSWARD_METERING: %q is neither on nor off", c.Metering)
	}
	if c.Behaviour != "on" && c.Behaviour != "off" {
		return fmt.Errorf("OPSWARD_BEHAVIOUR: %q is neither on nor off", c.Behaviour)
	}
	if c.MeterSampleEvery < time.Minute || c.MeterSampleEvery > 24*time.Hour {
		return fmt.Errorf("OPSWARD_METER_SAMPLE_EVERY: %s is not between 1m and 24h", c.MeterSampleEvery)
	}
	if c.ProbePollInterval < time.Second || c.ProbePollInterval > 5*time.Minute {
		return fmt.Errorf("OPSWARD_PROBE_POLL_INTERVAL: %s is not between 1s and 5m", c.ProbePollInterval)
	}
	if c.PlatformJobsEvery < time.Minute || c.PlatformJobsEvery > 24*time.Hour {
		return fmt.Errorf("OPSWARD_PLATFORM_JOBS_EVERY: %s is not between 1m and 24h", c.PlatformJobsEvery)
	}
	if c.DunningGrace < 0 || c.DunningGrace > 90*24*time.Hour {
		return fmt.Errorf("OPSWARD_BILLING_DUNNING_GRACE: %s is not between 0 and 2160h", c.DunningGrace)
	}
	if (c.StripeKey == "") != (c.StripeWebhookSecret == "") {
		return errors.New("OPSWARD_STRIPE_KEY and OPSWARD_STRIPE_WEBHOOK_SECRET: set both for Stripe collection, or neither")
	}
	if c.StripeKey != "" && !strings.HasPrefix(c.StripeKey, "sk_") && !strings.HasPrefix(c.StripeKey, "rk_") {
		return errors.New("OPSWARD_STRIPE_KEY: not a Stripe secret key (sk_… or rk_…)")
	}
	if c.StripeWebhookSecret != "" && !strings.HasPrefix(c.StripeWebhookSecret, "whsec_") {
		return errors.New("OPSWARD_STRIPE_WEBHOOK_SECRET: not a webhook signing secret (whsec_…)")
	}
	if err := checkURL(c.StripeAPIURL, "http", "https"); err != nil {
		return fmt.Errorf("OPSWARD_STRIPE_API_URL: %v", err)
	}
	if c.SigmaMaxRuleBytes < 0 || c.SigmaMaxRuleBytes > 64<<20 {
		return fmt.Errorf("OPSWARD_SIGMA_MAX_RULE_BYTES: %d is not between 1 and 67108864", c.SigmaMaxRuleBytes)
	}
	if c.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.PprofAddr); err != nil {
			return fmt.Errorf("OPSWARD_PPROF_ADDR: %q is not host:port", c.PprofAddr)
		}
	}
	if err := checkURL(c.DatabaseURL, "postgres", "postgresql"); err != nil {
		return fmt.Errorf("OPSWARD_DATABASE_URL: %v", err)
	}
	if err := checkURL(c.MigrateDatabaseURL, "postgres", "postgresql"); err != nil {
		return fmt.Errorf("OPSWARD_MIGRATE_DATABASE_URL: %v", err)
	}
	if (c.DatabaseURL == "") != (c.MigrateDatabaseURL == "") {
		return errors.New("OPSWARD_MIGRATE_DATABASE_URL: set only together with OPSWARD_DATABASE_URL")
	}
	if err := checkURL(c.RedisURL, "redis", "rediss"); err != nil {
		return fmt.Errorf("OPSWARD_REDIS_URL: %v", err)
	}
	if strings.ContainsAny(c.RedisPrefix, "{} \t\n") {
		return fmt.Errorf("OPSWARD_REDIS_PREFIX: %q must not hold braces or spaces (they would break cluster hash tags)", c.RedisPrefix)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("OPSWARD_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("OPSWARD_LOG_LEVEL: %v", err)
	}
	for name, list := range map[string][]string{"OPSWARD_SYSLOG_UDP": c.SyslogUDP, "OPSWARD_SYSLOG_TCP": c.SyslogTCP, "OPSWARD_SYSLOG_TLS": c.SyslogTLS} {
		for _, a := range list {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return fmt.Errorf("%s: %q is not host:port", name, a)
			}
		}
	}
	if len(c.SyslogTLS) > 0 && (c.SyslogTLSCert == "" || c.SyslogTLSKey == "") {
		return errors.New("OPSWARD_SYSLOG_TLS: set OPSWARD_SYSLOG_TLS_CERT and OPSWARD_SYSLOG_TLS_KEY too")
	}
	for name, list := range map[string][]string{"OPSWARD_EGRESS_ALLOW": c.EgressAllow, "OPSWARD_EGRESS_DENY": c.EgressDeny} {
		for _, p := range list {
			if _, err := netip.ParsePrefix(p); err != nil {
				if _, err := netip.ParseAddr(p); err != nil {
					return fmt.Errorf("%s: %q is not a CIDR such as 10.20.0.0/16 or an address", name, p)
				}
			}
		}
	}
	for _, o := range c.CORSOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return fmt.Errorf("OPSWARD_CORS_ORIGINS: %q is not an origin such as https://portal.example.com", o)
		}
	}
	for name, v := range map[string]string{
		"OPSWARD_GRAPHQL_INTROSPECTION": c.GraphQLIntrospection,
		"OPSWARD_MIGRATE_ON_START":      c.MigrateOnStart,
		"OPSWARD_DEMO":                  c.Demo,
	} {
		if v != "on" && v != "off" && v != "auto" {
			return fmt.Errorf("%s: %q is not on, off or auto", name, v)
		}
	}
	if c.BootstrapPassword != "" && c.BootstrapEmail == "" {
		return errors.New("OPSWARD_BOOTSTRAP_PASSWORD: set only together with OPSWARD_BOOTSTRAP_EMAIL")
	}
	if err := checkURL(c.PortalURL, "http", "https"); err != nil {
		return fmt.Errorf("OPSWARD_PORTAL_URL: %v", err)
	}
	if c.SMTPURL != "" {
		if _, err := ParseSMTPURL(c.SMTPURL); err != nil {
			return fmt.Errorf("OPSWARD_SMTP_URL: %v", err)
		}
		if c.PortalURL == "" {
			return errors.New("OPSWARD_PORTAL_URL: set it, or OPSWARD_PUBLIC_URL to an https:// URL, for the link in invitation mail (OPSWARD_SMTP_URL is set)")
		}
	}
	return nil
}

// SMTP is a parsed OPSWARD_SMTP_URL.
type SMTP struct {
	Host     string
	Port     int    // 0: the default of Security
	Security string // starttls, tls or none
	Username string
	Password string
	From     string
}

// ParseSMTPURL reads smtp://[user:pass@]host[:port]?from=ADDRESS[&security=none]
// or smtps://…. Errors never repeat the password.
func ParseSMTPURL(v string) (SMTP, error) {
	u, err := url.Parse(v)
	if err != nil {
		// The parser's error quotes the URL, password and all; keep only
		// what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return SMTP{}, fmt.Errorf("not a URL: %v", err)
	}
	var out SMTP
	switch u.Scheme {
	case "smtp":
		out.Security = "starttls"
	case "smtps":
		out.Security = "tls"
	default:
		return SMTP{}, fmt.Errorf("scheme %q is not smtp or smtps", u.Scheme)
	}
	if out.Host = u.Hostname(); out.Host == "" {
		return SMTP{}, errors.New("the URL names no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("port %q is not 1 to 65535", p)
		}
		out.Port = n
	}
	if u.User != nil {
		out.Username = u.User.Username()
		out.Password, _ = u.User.Password()
	}
	q := u.Query()
	switch sec := q.Get("security"); sec {
	case "":
	case "none":
		if u.Scheme != "smtp" {
			return SMTP{}, errors.New("security=none goes with smtp://, not smtps://")
		}
		out.Security = sec
	default:
		return SMTP{}, fmt.Errorf("security %q is not none (leave it out for STARTTLS, or use smtps://)", sec)
	}
	if out.From = q.Get("from"); out.From == "" {
		return SMTP{}, errors.New("name the sender: ?from=noc@example.com")
	}
	if _, err := mail.ParseAddress(out.From); err != nil {
		return SMTP{}, fmt.Errorf("from %q is not an email address", out.From)
	}
	return out, nil
}

// checkURL accepts an empty value or a URL with one of the schemes and a host.
func checkURL(v string, schemes ...string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("not a URL: %v", redactErr(err, v))
	}
	ok := false
	for _, s := range schemes {
		ok = ok || u.Scheme == s
	}
	if !ok {
		return fmt.Errorf("scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
	}
	if u.Host == "" {
		return errors.New("the URL names no host")
	}
	return nil
}

// redactErr keeps a URL parse error from repeating a password.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if i := strings.Index(raw, "@"); i > 0 {
		msg = strings.ReplaceAll(msg, raw[:i], "…")
	}
	return msg
}

// Embedded reports whether the database is the embedded SQLite.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// EmbeddedRedis reports whether Redis is the in-process one.
func (c Config) EmbeddedRedis() bool { return c.RedisURL == "" }

// Introspection reports whether GraphQL introspection and the explorer are on.
func (c Config) Introspection() bool {
	return c.GraphQLIntrospection == "on" || (c.GraphQLIntrospection == "auto" && c.Embedded())
}

// MigrateAtStart reports whether serving applies migrations first.
func (c Config) MigrateAtStart() bool {
	return c.MigrateOnStart == "on" || (c.MigrateOnStart == "auto" && c.Embedded())
}

// ParseBytes reads a size setting as parseBytes does.
func ParseBytes(v string) (int64, error) { return parseBytes(v) }

// parseBytes reads a size: "off" (-1), a number of bytes, or a number
// with a unit (KiB, MiB, GiB, or KB, MB, GB as powers of ten). At least
// 1 MiB: less would refuse every batch.
func parseBytes(v string) (int64, error) {
	v = strings.TrimSpace(v)
	orig := v
	if strings.EqualFold(v, "off") {
		return -1, nil
	}
	units := []struct {
		suffix string
		mul    int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mul := int64(1)
	for _, u := range units {
		if len(v) > len(u.suffix) && strings.EqualFold(v[len(v)-len(u.suffix):], u.suffix) {
			v, mul = strings.TrimSpace(v[:len(v)-len(u.suffix)]), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mul {
		return 0, fmt.Errorf("%q is not a size such as 128MiB, a number of bytes, or off", orig)
	}
	if n*mul < 1<<20 {
		return 0, fmt.Errorf("%d bytes is under the least of 1MiB", n*mul)
	}
	return n * mul, nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, o := range strings.Split(v, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}
