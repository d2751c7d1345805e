package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/opsward/opsward/internal/egress"
	"github.com/opsward/opsward/internal/platform"
	"github.com/opsward/opsward/services/noc/agents"
	"github.com/opsward/opsward/services/noc/probe"
)

// agentPrivateRanges are what an agent may reach by default: the private
// networks it is installed in. Loopback and link-local stay closed unless
// --allow opens them.
const agentPrivateRanges = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7"

// runProbe is `opsward probe`: the remote agent. It enrols once with its
// token (the credential is kept in --state-dir), then pulls its location's
// due checks over outbound HTTPS, runs them with the same probes as the
// workers through its own egress rules, and pushes the results.
func runProbe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", getenv("OPSWARD_PROBE_SERVER"), "the Opsward server's address, https://… (OPSWARD_PROBE_SERVER)")
	token := fs.String("token", getenv("OPSWARD_PROBE_TOKEN"), "the one-time enrolment token (OPSWARD_PROBE_TOKEN)")
	state := fs.String("state-dir", or(getenv("OPSWARD_PROBE_STATE_DIR"), "./data/probe"), "where the agent keeps its credential and its result spool (OPSWARD_PROBE_STATE_DIR)")
	allow := fs.String("allow", or(getenv("OPSWARD_PROBE_ALLOW"), agentPrivateRanges), "address ranges the agent's checks may reach beyond public ones (OPSWARD_PROBE_ALLOW)")
	deny := fs.String("deny", getenv("OPSWARD_PROBE_DENY"), "address ranges its checks never reach (OPSWARD_PROBE_DENY)")
	spoolMax := fs.String("spool-max", or(getenv("OPSWARD_PROBE_SPOOL_MAX"), "64MiB"), "how much of the results the server could not take yet the agent keeps on disk in --state-dir; past it the oldest are dropped (OPSWARD_PROBE_SPOOL_MAX)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "Usage: opsward probe --server URL --token TOKEN [flags]\n\nFlags:")
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("probe: %v (run opsward probe --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("probe takes no arguments, got %q", fs.Arg(0))
	}
	allowed, err := egress.ParsePrefixes(splitList(*allow))
	if err != nil {
		return fmt.Errorf("--allow: %v", err)
	}
	denied, err := egress.ParsePrefixes(splitList(*deny))
	if err != nil {
		return fmt.Errorf("--deny: %v", err)
	}
	spoolBytes, err := platform.ParseBytes(*spoolMax)
	if err == nil && spoolBytes < 0 {
		err = errors.New("the spool cannot be unbounded")
	}
	if err != nil {
		return fmt.Errorf("--spool-max: %v", err)
	}
	logger := platform.NewLogger(stderr, platform.Config{})
	r, err := agents.NewRunner(agents.RunnerConfig{
		Server: *server, Token: strings.TrimSpace(*token), StateDir: *state, Version: platform.Version(),
		Probes: probe.NewRegistry(probe.Deps{Guard: &egress.Guard{Allow: allowed, Deny: denied}}),
		Logger: logger, SpoolMaxBytes: spoolBytes,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "opsward probe %s: working for %s\n", platform.Version(), *server)
	return r.Run(ctx)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
