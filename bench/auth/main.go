// Command authbench measures what authentication costs on the GraphQL
// path of the real opsward binary in the embedded default (SQLite and the
// in-process Redis):
//
//	none     `{ serverInfo { version } }` over POST /graphql, no credentials
//	jwt      the same with `Authorization: Bearer <access token>` from
//	         POST /auth/login (a demonstration customer admin)
//	apikey   the same with `Authorization: Bearer opw_…`, the customer's
//	         demonstration API key
//
// The three variants run side by side against one server, in rounds whose
// order rotates; within a round they take turns in one-second slices
// (-slice), so that load from other processes hits them alike. The data comes from
// `opsward seed demo --json` run on the server's data folder before it
// starts. The load generator is wrk when installed, a keep-alive Go client
// otherwise. Everything stays on loopback; every loop is bounded.
//
//	go build -o bin/opsward ./cmd/opsward
//	go run ./bench/auth -bin bin/opsward
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const query = `{"query":"{ serverInfo { version } }"}`

var (
	bin         = flag.String("bin", "", "opsward binary to measure (default: build ./cmd/opsward into a temporary folder)")
	rounds      = flag.Int("rounds", 3, "rounds; each measures every variant once, the order rotating")
	duration    = flag.Duration("duration", 10*time.Second, "length of one measurement")
	slice       = flag.Duration("slice", time.Second, "interleave the variants of a round in slices this long, so that load from other processes hits them alike (0: each variant's measurement in one piece)")
	warmup      = flag.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	concurrency = flag.Int("concurrency", 32, "concurrent keep-alive connections")
	tool        = flag.String("tool", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	logLevel    = flag.String("log-level", "", "OPSWARD_LOG_LEVEL of the measured server (default: the server's own, info)")
)

type variant struct {
	name, auth string
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	if *bin == "" {
		*bin = buildOpsward()
	}
	gen := *tool
	if gen == "auto" {
		gen = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			gen = "wrk"
		}
	}
	fmt.Printf("machine: %d cores (GOMAXPROCS %d), %s/%s, %s; load generator and server share them\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("binary: %s (%s)\n\n", *bin, strings.TrimSpace(output(*bin, "version")))

	dir := mustTemp("opsward-authbench-")
	defer os.RemoveAll(dir)
	addr := freeAddr()
	demo := seed(dir, addr)
	srv := startOpsward(dir, addr)
	defer srv.stop()
	if err := srv.waitReady(30 * time.Second); err != nil {
		fatalf("opsward: %v\n%s", err, srv.log.String())
	}
	base := "http://" + addr
	customer := demo.Customers[0]
	var admin credential
	for _, u := range customer.Users {
		if u.Role == "admin" {
			admin = u
		}
	}
	token := login(base, admin.Email, admin.Password)
	variants := []variant{
		{"none", ""},
		{"jwt", "Bearer " + token},
		{"apikey", "Bearer " + customer.APIKey.Secret},
	}
	// Each variant must answer 200 with serverInfo, and the credentials
	// must really be checked: a wrong one is refused.
	for _, v := range variants {
		if b := post(base+"/graphql", v.auth, http.StatusOK); !bytes.Contains(b, []byte(`"serverInfo"`)) {
			fatalf("%s: answered %s", v.name, b)
		}
	}
	post(base+"/graphql", "Bearer "+token[:len(token)-4]+"AAAA", http.StatusUnauthorized)
	post(base+"/graphql", "Bearer "+customer.APIKey.Secret[:len(customer.APIKey.Secret)-4]+"AAAA", http.StatusUnauthorized)

	fmt.Printf("## POST /graphql %s, three credentials side by side\n", query)
	fmt.Printf("jwt: access token of %s (customer %s) from POST /auth/login; apikey: the customer's demo key (%s)\n",
		admin.Email, customer.Slug, strings.Join(customer.APIKey.Scopes, " "))
	how := "each measurement in one piece"
	if *slice > 0 && *slice < *duration {
		how = fmt.Sprintf("taken in %d slices of %s interleaved with the other variants", int(*duration / *slice), *slice)
	}
	fmt.Printf("load: %s, %d keep-alive connections, %s per variant and round (%s) after %s warm-up, %d rounds, order rotating\n\n",
		gen, *concurrency, *duration, how, *warmup, *rounds)
	fmt.Println("| round | order | none req/s | jwt req/s | apikey req/s | jwt/none | apikey/jwt |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|")
	var nones, jwts, keys, jn, kj []float64
	for r := 0; r < *rounds; r++ {
		order := make([]variant, len(variants))
		for i := range variants {
			order[i] = variants[(i+r)%len(variants)]
		}
		var names []string
		for _, v := range order {
			names = append(names, v.name)
		}
		got := measureRound(gen, base+"/graphql", order)
		n, j, k := got["none"], got["jwt"], got["apikey"]
		nones, jwts, keys = append(nones, n), append(jwts, j), append(keys, k)
		jn, kj = append(jn, j/n), append(kj, k/j)
		fmt.Printf("| %d | %s | %.0f | %.0f | %.0f | %.3f | %.3f |\n", r+1, strings.Join(names, ","), n, j, k, j/n, k/j)
	}
	fmt.Printf("| median | | %.0f | %.0f | %.0f | %.3f | %.3f |\n\n", median(nones), median(jwts), median(keys), median(jn), median(kj))
	goal := "met"
	if median(jn) < 0.8 {
		goal = "NOT met"
	}
	fmt.Printf("goal (verifying a JWT costs under 20%% of throughput, jwt/none >= 0.80): %s (cost %.1f%%)\n",
		goal, (1-median(jn))*100)
	// The token must still be accepted at the end: the figures are of
	// accepted requests only.
	post(base+"/graphql", "Bearer "+token, http.StatusOK)
}

// --- data --------------------------------------------------------------------

type credential struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

type demoTenant struct {
	ID     string       `json:"id"`
	Slug   string       `json:"slug"`
	Users  []credential `json:"users"`
	APIKey *struct {
		Secret string   `json:"secret"`
		Scopes []string `json:"scopes"`
	} `json:"apiKey"`
}

type demoData struct {
	Provider  demoTenant   `json:"provider"`
	Customers []demoTenant `json:"customers"`
}

// seed runs `opsward seed demo --json` on the empty data folder.
func seed(dir, addr string) demoData {
	cmd := exec.Command(*bin, "seed", "demo", "--json")
	cmd.Env = embeddedEnv(dir, addr)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		fatalf("seed demo: %v\n%s", err, stderr.String())
	}
	var d demoData
	if err := json.Unmarshal(out, &d); err != nil || len(d.Customers) == 0 || d.Customers[0].APIKey == nil {
		fatalf("seed demo printed %s (%v)", out, err)
	}
	return d
}

func login(base, email, password string) string {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(base+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		fatalf("login: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var t struct {
		AccessToken string `json:"accessToken"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &t) != nil || t.AccessToken == "" {
		fatalf("login: %s: %s", resp.Status, b)
	}
	return t.AccessToken
}

// --- load ----------------------------------------------------------------------

// measureRound measures each variant for *duration and returns requests
// per second by variant name. With -slice, the measurement is cut into
// slices taken in turn (a, b, c, a, b, c, …): on a shared machine a burst
// of outside load then lands on every variant, not on whichever was
// running at the time.
func measureRound(gen, url string, order []variant) map[string]float64 {
	got := map[string]float64{}
	if *slice <= 0 || *slice >= *duration {
		for _, v := range order {
			got[v.name] = load(gen, url, v.auth, *duration)
		}
		return got
	}
	n := int(*duration / *slice)
	for _, v := range order {
		warm(gen, url, v.auth)
	}
	for range n {
		for _, v := range order {
			got[v.name] += measure(gen, url, v.auth, *slice) / float64(n)
		}
	}
	return got
}

func warm(gen, url, auth string) {
	if *warmup > 0 {
		measure(gen, url, auth, *warmup)
	}
}

func load(gen, url, auth string, d time.Duration) float64 {
	warm(gen, url, auth)
	return measure(gen, url, auth, d)
}

func measure(gen, url, auth string, d time.Duration) float64 {
	switch gen {
	case "wrk":
		return wrk(url, auth, d)
	case "go":
		return goLoad(url, auth, d)
	}
	fatalf("-tool: %q is not wrk, go or auto", gen)
	return 0
}

var wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var wrkBad = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)|Socket errors:.*`)

func wrk(url, auth string, d time.Duration) float64 {
	script := filepath.Join(os.TempDir(), fmt.Sprintf("opsward-authbench-%d.lua", os.Getpid()))
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", query)
	if auth != "" {
		lua += fmt.Sprintf("wrk.headers[\"Authorization\"] = %q\n", auth)
	}
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		fatalf("%v", err)
	}
	defer os.Remove(script)
	secs := strconv.Itoa(int(d.Round(time.Second) / time.Second))
	out := output("wrk", "-t", "2", "-c", strconv.Itoa(*concurrency), "-d", secs+"s", "-s", script, url)
	if m := wrkBad.FindString(out); m != "" {
		fatalf("wrk against %s reported errors: %s\n%s", url, m, out)
	}
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		fatalf("wrk printed no Requests/sec:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(m[1], 64)
	return rps
}

// goLoad sends the query from *concurrency goroutines over keep-alive
// connections for d and returns completed requests per second.
func goLoad(url, auth string, d time.Duration) float64 {
	tr := &http.Transport{MaxIdleConns: *concurrency, MaxIdleConnsPerHost: *concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var done, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(query))
				req.Header.Set("Content-Type", "application/json")
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		fatalf("%d requests to %s failed", n, url)
	}
	return float64(done.Load()) / time.Since(start).Seconds()
}

// --- processes -------------------------------------------------------------

type process struct {
	cmd     *exec.Cmd
	addr    string
	log     *limitedBuffer
	started time.Time
	exited  chan struct{}
}

func startOpsward(dataDir, addr string) *process {
	cmd := exec.Command(*bin, "serve")
	cmd.Env = embeddedEnv(dataDir, addr)
	lb := &limitedBuffer{}
	cmd.Stdout, cmd.Stderr = lb, lb
	p := &process{cmd: cmd, addr: addr, log: lb, exited: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	running.Store(p, struct{}{})
	return p
}

// embeddedEnv is this process's environment without any OPSWARD_ setting,
// so that the server runs in the embedded default.
func embeddedEnv(dataDir, addr string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPSWARD_") {
			env = append(env, kv)
		}
	}
	env = append(env, "OPSWARD_HTTP_ADDR="+addr, "OPSWARD_DATA_DIR="+dataDir, "OPSWARD_DEMO=off")
	if *logLevel != "" {
		env = append(env, "OPSWARD_LOG_LEVEL="+*logLevel)
	}
	return env
}

// limitedBuffer keeps the first 64 KiB a process prints, for error reports.
type limitedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 64<<10 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.String()
}

func (p *process) waitReady(limit time.Duration) error {
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := p.started.Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return errors.New("exited before it was ready")
		default:
		}
		resp, err := client.Get("http://" + p.addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("not ready within %s", limit)
}

// stop asks the process to shut down (SIGTERM) and kills it after 10s.
func (p *process) stop() {
	running.Delete(p)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// --- helpers ---------------------------------------------------------------

// running holds the servers this program started, so that a fatal error
// stops them too.
var running sync.Map // *process -> struct{}

func fatalf(format string, args ...any) {
	running.Range(func(k, _ any) bool {
		k.(*process).stop()
		return true
	})
	log.Fatalf(format, args...)
}

func buildOpsward() string {
	dir := mustTemp("opsward-authbench-bin-")
	out := filepath.Join(dir, "opsward")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/opsward")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fatalf("build opsward (run from the repository root, or pass -bin): %v", err)
	}
	return out
}

// post sends the query with auth and requires status; it returns the body.
func post(url, auth string, status int) []byte {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(query))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		fatalf("%v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		fatalf("POST %s: %s, want %d: %s", url, resp.Status, status, b)
	}
	return b
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func mustTemp(prefix string) string {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		fatalf("%v", err)
	}
	return d
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
