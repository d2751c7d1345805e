package agents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
)

// The agent's HTTP exchange with the server.
const (
	PathEnrol   = "/probe/v1/enrol"
	PathJobs    = "/probe/v1/jobs"
	PathResults = "/probe/v1/results"

	HeaderProtocol = "X-Opsward-Probe-Protocol"
	HeaderVersion  = "X-Opsward-Probe-Version"
)

// EnrolRequest is the body of an enrolment.
type EnrolRequest struct {
	Token    string `json:"token"`
	Protocol int    `json:"protocol"`
}

// JobsResponse is what a pull returns.
type JobsResponse struct {
	Jobs        []Job `json:"jobs"`
	PollSeconds int   `json:"poll_seconds"`
}

// RunnerConfig is an agent process: where its server is, the enrolment
// token it starts with, and where it keeps its credential.
type RunnerConfig struct {
	Server   string
	Token    string
	StateDir string
	Version  string
	Probes   *probe.Registry
	HTTP     *http.Client
	Logger   *slog.Logger
	// Poll overrides the interval the server asks for (tests).
	Poll time.Duration
	// SpoolMaxBytes bounds the results kept on disk while the server
	// cannot take them (DefaultSpoolMaxBytes when 0); past it the oldest
	// are dropped.
	SpoolMaxBytes int64
}

// Runner is the agent's loop: pull due checks, run them, push results.
type Runner struct {
	cfg   RunnerConfig
	cred  string
	poll  time.Duration
	spool *Spool // results not yet acknowledged, in the state directory
}

// NewRunner checks cfg.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	switch {
	case cfg.Server == "" || !(strings.HasPrefix(cfg.Server, "https://") || strings.HasPrefix(cfg.Server, "http://")):
		return nil, errors.New("--server: the Opsward address, https://…")
	case cfg.StateDir == "":
		return nil, errors.New("--state-dir: a folder for the agent's credential")
	case cfg.Probes == nil:
		return nil, errors.New("agents: Probes is required")
	case cfg.SpoolMaxBytes < 0:
		return nil, errors.New("--spool-max: a size of at least 1MiB")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, poll: DefaultPollInterval}, nil
}

func (r *Runner) credPath() string { return filepath.Join(r.cfg.StateDir, "credential") }

// Enrol loads the kept credential, or exchanges the token for one and
// keeps it (mode 0600).
func (r *Runner) Enrol(ctx context.Context) error {
	if b, err := os.ReadFile(r.credPath()); err == nil && len(bytes.TrimSpace(b)) > 0 {
		r.cred = string(bytes.TrimSpace(b))
		return nil
	}
	if r.cfg.Token == "" {
		return errors.New("--token: the enrolment token (the agent has no credential yet)")
	}
	var e Enrolment
	if err := r.call(ctx, PathEnrol, EnrolRequest{Token: r.cfg.Token, Protocol: Protocol}, &e); err != nil {
		return fmt.Errorf("enrol: %w", err)
	}
	if err := os.MkdirAll(r.cfg.StateDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(r.credPath(), []byte(e.Credential+"\n"), 0o600); err != nil {
		return fmt.Errorf("keep the credential: %w", err)
	}
	r.cred = e.Credential
	if e.PollSeconds > 0 {
		r.poll = time.Duration(e.PollSeconds) * time.Second
	}
	r.cfg.Logger.InfoContext(ctx, "enrolled", "agent_id", e.AgentID, "location_id", e.LocationID)
	return nil
}

// OpenSpool opens the result spool in the state directory (Run does);
// results an earlier run could not push are pushed first.
func (r *Runner) OpenSpool() error {
	if r.spool != nil {
		return nil
	}
	sp, err := OpenSpool(r.cfg.StateDir, r.cfg.SpoolMaxBytes, r.cfg.Logger)
	if err != nil {
		return err
	}
	r.spool = sp
	return nil
}

// Close closes the spool.
func (r *Runner) Close() error {
	if r.spool == nil {
		return nil
	}
	return r.spool.Close()
}

// Run enrols and then works until ctx ends. A refused credential (revoked)
// ends it with an error; an unreachable server is retried, and what the
// agent ran meanwhile waits in its spool.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Enrol(ctx); err != nil {
		return err
	}
	if err := r.OpenSpool(); err != nil {
		return err
	}
	defer r.Close()
	for {
		err := r.Once(ctx)
		var se *ServerError
		if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden || se.Status == http.StatusBadRequest) {
			return err
		}
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.WarnContext(ctx, "probe round failed; retrying", "err", err,
				"spooled_results", r.spool.Len(), "spooled_bytes", r.spool.Bytes())
		}
		wait := r.poll
		if r.cfg.Poll > 0 {
			wait = r.cfg.Poll
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// Once pushes what is spooled, pulls due checks, runs them, spools their
// results and pushes them.
func (r *Runner) Once(ctx context.Context) error {
	if err := r.OpenSpool(); err != nil {
		return err
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	var jr JobsResponse
	if err := r.call(ctx, PathJobs, map[string]int{"max": DefaultMaxJobs}, &jr); err != nil {
		return err
	}
	if jr.PollSeconds > 0 {
		r.poll = time.Duration(jr.PollSeconds) * time.Second
	}
	out := make([]Result, len(jr.Jobs))
	var wg sync.WaitGroup
	for i, j := range jr.Jobs {
		wg.Go(func() {
			in := probe.Input{Timeout: time.Duration(j.TimeoutMs) * time.Millisecond, Now: time.Now()}
			res := r.cfg.Probes.Run(ctx, probe.Kind(j.Kind), j.Settings, in)
			if res.StartedAt.IsZero() {
				res.StartedAt = in.Now
			}
			out[i] = FromProbe(j, res)
		})
	}
	wg.Wait()
	// On disk before the push: neither a failed push nor a crash loses
	// them.
	if err := r.spool.Append(out); err != nil {
		return err
	}
	return r.flush(ctx)
}

// flush pushes the spool in order, a batch at a time, and drops each
// batch from it once the server answered.
func (r *Runner) flush(ctx context.Context) error {
	for r.spool.Len() > 0 {
		batch := r.spool.Next(MaxBatchResults)
		var po PushOutcome
		if err := r.call(ctx, PathResults, Batch{Results: batch}, &po); err != nil {
			return err
		}
		if len(po.Refused) > 0 {
			r.cfg.Logger.WarnContext(ctx, "the server refused results", "jobs", po.Refused)
		}
		if err := r.spool.Ack(len(batch)); err != nil {
			return err
		}
	}
	return nil
}

// ServerError is a refusal from the server.
type ServerError struct {
	Status  int
	Message string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

func (r *Runner) call(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Server+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderProtocol, strconv.Itoa(Protocol))
	req.Header.Set(HeaderVersion, r.cfg.Version)
	if r.cred != "" {
		req.Header.Set("Authorization", "Bearer "+r.cred)
	}
	resp, err := r.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		msg := e.Error.Message
		if msg == "" {
			msg = e.Message
		}
		if msg == "" {
			msg = strings.TrimSpace(string(data))
		}
		return &ServerError{Status: resp.StatusCode, Message: msg}
	}
	return json.Unmarshal(data, out)
}
