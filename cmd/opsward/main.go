// Command opsward runs the Opsward platform. One binary, with roles as
// subcommands: serve (every role in one process), api, worker, scheduler,
// migrate, seed and version.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/migrations"
	"github.com/opsward/opsward/tenants"
)

// defaultGCPercent trades a little memory for CPU: the API allocates much
// per request and keeps little, so its live heap is small and a rarer
// collection costs little memory. GOGC in the environment still wins.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	logs := platform.NewBufferedWriter(os.Stderr, 200*time.Millisecond)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, logs)
	stop()
	logs.Close()
	os.Exit(code)
}

const usage = `Opsward: the NOC and SOC platform of a managed service provider.

Usage: opsward <command> [flags]

Commands:
  serve       run every role in one process (the default for one machine)
  api         run the HTTP API alone (GraphQL, auth, the portal, webhooks)
  ingest      run security event ingest alone (HTTP ingest, syslog listeners)
  worker      run jobs alone
  scheduler   run the scheduler alone
  probe       run a remote probe agent in a customer's network (--server, --token)
  migrate     apply or roll back database migrations: migrate up|down|status
  seed        fill the database with demonstration data: seed demo [--json]
  sigma       check Sigma rules against event files: sigma match --rules PATH --events FILE
  rules       load a folder of Sigma rules into the library: rules import DIR [--tenant ID] [--allow-refused]
  report      check a compliance report's SHA-256 and Ed25519 signature: report verify FILE
  version     print the version

With no configuration, serve keeps everything on this machine: SQLite in
./data and an in-process Redis. Set OPSWARD_DATABASE_URL and
OPSWARD_REDIS_URL to use Postgres and Redis. Run "opsward <command> --help"
for a command's flags; every flag also reads an OPSWARD_* variable.
`

// run is main without the process: it returns the exit code, so that tests
// can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = runServer(ctx, "serve", AllRoles, rest, getenv, stdout, stderr)
	case "api":
		err = runServer(ctx, "api", Roles{API: true}, rest, getenv, stdout, stderr)
	case "ingest":
		err = runServer(ctx, "ingest", Roles{Ingest: true}, rest, getenv, stdout, stderr)
	case "worker":
		err = runServer(ctx, "worker", Roles{Worker: true}, rest, getenv, stdout, stderr)
	case "scheduler":
		err = runServer(ctx, "scheduler", Roles{Scheduler: true}, rest, getenv, stdout, stderr)
	case "probe":
		err = runProbe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		err = runSeed(ctx, rest, getenv, stdout, stderr)
	case "sigma":
		return runSigma(ctx, rest, stdout, stderr)
	case "rules":
		err = runRules(ctx, rest, getenv, stdout, stderr)
	case "report":
		err = runReport(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "opsward", platform.Version())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "opsward: unknown command %q (run opsward --help)\n", cmd)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(stderr, "opsward: %s\n", oneLine(err))
	return 1
}

// newFlags returns a flag set for a command with every configuration flag.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors are reported by run as one line; usage is printed only
	// when asked for with -h or --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	platform.RegisterFlags(fs)
	usages.Store(fs, func() {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "Usage: opsward %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	})
	return fs
}

// usages holds each flag set's full usage, printed only for --help (the
// flag package would print it on every error).
var usages sync.Map // *flag.FlagSet → func()

// parse parses args and loads the configuration, reporting a flag error as one line.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) (platform.Config, error) {
	// Flags may come before or after the positional words
	// ("seed demo --json" and "seed --json demo" both work).
	defer usages.Delete(fs)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				if u, ok := usages.LoadAndDelete(fs); ok {
					u.(func())()
				}
				return platform.Config{}, err
			}
			return platform.Config{}, fmt.Errorf("%s: %v (run opsward %s --help)", fs.Name(), err, fs.Name())
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return platform.Config{}, err
	}
	return platform.Load(getenv, fs)
}

func runServer(ctx context.Context, name string, roles Roles, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags(name, name+" [flags]", stderr)
	cfg, err := parse(fs, args, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", name, fs.Arg(0))
	}
	m := NewMain(cfg, roles, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		return err
	}
	if roles.API {
		m.printBanner()
	}
	<-ctx.Done()
	m.Logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	return m.Close()
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate up|down|status [flags]", stderr)
	cfg, err := parse(fs, args, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("migrate: name an action: up, down or status")
	}
	db, err := platform.OpenMigrationDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	mg, err := migrations.New(db.DB, db.Dialect)
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "up":
		applied, err := mg.Up(ctx)
		if err != nil {
			return err
		}
		v, _ := mg.Version(ctx)
		fmt.Fprintf(stdout, "applied %d migration(s); %s schema at version %d\n", len(applied), db.Dialect, v)
	case "down":
		undone, err := mg.Down(ctx)
		if err != nil {
			return err
		}
		v, _ := mg.Version(ctx)
		fmt.Fprintf(stdout, "rolled back version %v; %s schema at version %d\n", undone, db.Dialect, v)
	case "status":
		st, err := mg.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.At.UTC().Format("2006-01-02T15:04:05Z")
			}
			fmt.Fprintf(stdout, "%05d  %-40s %s\n", s.Version, s.Name, state)
		}
	default:
		return fmt.Errorf("migrate: unknown action %q: use up, down or status", fs.Arg(0))
	}
	return nil
}

func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", "seed demo [--json] [flags]", stderr)
	asJSON := fs.Bool("json", false, "print what was created as JSON")
	cfg, err := parse(fs, args, getenv)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "demo" {
		return errors.New("seed: the one data set is demo: opsward seed demo [--json]")
	}
	cfg.MigrateOnStart = "on" // seeding an empty database should just work
	m := NewMain(cfg, Roles{}, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	demo, err := m.seedDemo(ctx)
	if err != nil {
		return errors.New(opsward.ErrorMessage(err))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(demo)
	}
	writeDemo(stdout, demo)
	return nil
}

// writeDemo prints the demonstration data for a person.
func writeDemo(w io.Writer, d *tenants.Demo) {
	for _, t := range append([]tenants.DemoTenant{d.Provider}, d.Customers...) {
		fmt.Fprintf(w, "%-9s %s  %s (%s)\n", t.Kind, t.ID, t.Name, t.Slug)
		for _, u := range t.Users {
			fmt.Fprintf(w, "  %-8s %-28s password %s\n", u.Role, u.Email, u.Password)
		}
		if t.APIKey != nil {
			fmt.Fprintf(w, "  API key  %s (%s)\n", t.APIKey.Secret, strings.Join(t.APIKey.Scopes, " "))
		}
	}
	fmt.Fprintln(w, "These secrets are shown once; log in with POST /auth/login.")
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
