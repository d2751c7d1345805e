// Command httpbench measures the foundation's HTTP figures on the real
// opsward binary in the embedded default (SQLite and the in-process Redis):
//
//	throughput  `{ serverInfo { version database redis } }` over POST
//	            /graphql against a bare echo v4 handler that returns the same
//	            JSON, in requests per second, the two servers measured
//	            alternately in rounds so that drift hits both alike
//	startup     time from process start to /readyz answering 200, with a
//	            fresh data folder and with an existing one
//
// Each server runs in a process of its own; the load generator is wrk when
// it is installed (Debian's package) and a keep-alive Go client otherwise.
// Everything stays on loopback and every loop is bounded in time or count.
//
//	go build -o bin/opsward ./cmd/opsward
//	go run ./bench/http -bin bin/opsward
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

	"github.com/labstack/echo/v4"
)

const query = `{"query":"{ serverInfo { version database redis } }"}`

var (
	bin         = flag.String("bin", "", "opsward binary to measure (default: build ./cmd/opsward into a temporary folder)")
	mode        = flag.String("mode", "all", "throughput, startup or all")
	rounds      = flag.Int("rounds", 3, "throughput rounds; each measures both servers once, alternating which goes first")
	duration    = flag.Duration("duration", 10*time.Second, "length of one throughput measurement")
	warmup      = flag.Duration("warmup", 2*time.Second, "unmeasured load before each measurement")
	concurrency = flag.Int("concurrency", 32, "concurrent keep-alive connections")
	tool        = flag.String("tool", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	starts      = flag.Int("starts", 20, "start-up runs for each of a fresh and an existing data folder")
	logLevel    = flag.String("log-level", "", "OPSWARD_LOG_LEVEL of the measured server (default: the server's own, info)")

	serveBare = flag.String("serve-bare", "", "internal: serve the bare echo handler on this address")
	bareBody  = flag.String("bare-body", "", "internal: the response the bare handler encodes, as JSON")
)

func main() {
	log.SetFlags(0)
	flag.Parse()
	if *serveBare != "" {
		runBare(*serveBare, *bareBody)
		return
	}
	if *bin == "" {
		*bin = buildOpsward()
	}
	fmt.Printf("machine: %d cores (GOMAXPROCS %d), %s/%s, %s; load generator and servers share them\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("binary: %s (%s)\n\n", *bin, strings.TrimSpace(output(*bin, "version")))
	switch *mode {
	case "throughput":
		throughput()
	case "startup":
		startup()
	case "all":
		throughput()
		startup()
	default:
		fatalf("-mode: %q is not throughput, startup or all", *mode)
	}
}

// --- throughput ------------------------------------------------------------

type serverInfoResponse struct {
	Data struct {
		ServerInfo struct {
			Version  string `json:"version"`
			Database string `json:"database"`
			Redis    string `json:"redis"`
		} `json:"serverInfo"`
	} `json:"data"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func throughput() {
	gen := *tool
	if gen == "auto" {
		gen = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			gen = "wrk"
		}
	}
	dir := mustTemp("opsward-bench-data-")
	defer os.RemoveAll(dir)
	ops := startOpsward(dir, freeAddr())
	defer ops.stop()
	if err := ops.waitReady(30 * time.Second); err != nil {
		fatalf("opsward: %v\n%s", err, ops.log.String())
	}
	gqlURL := "http://" + ops.addr + "/graphql"
	body := post(gqlURL)
	var want serverInfoResponse
	if err := json.Unmarshal(body, &want); err != nil || want.Data.ServerInfo.Database != "sqlite" {
		fatalf("opsward answered %s (err %v), want serverInfo on sqlite", body, err)
	}

	bareAddr := freeAddr()
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	bare := startProcess(exec.Command(self, "-serve-bare", bareAddr, "-bare-body", string(body)), bareAddr)
	defer bare.stop()
	if err := bare.waitReady(10 * time.Second); err != nil {
		fatalf("bare server: %v", err)
	}
	bareURL := "http://" + bareAddr + "/graphql"
	if got := post(bareURL); !sameJSON(got, body) {
		fatalf("the bare handler answers %s, opsward %s: they must be the same JSON", got, body)
	}

	fmt.Printf("## throughput: POST /graphql %s\n", query)
	fmt.Printf("response (both servers, %d bytes): %s\n", len(bytes.TrimSpace(body)), bytes.TrimSpace(body))
	fmt.Printf("load: %s, %d keep-alive connections, %s per measurement after %s warm-up, %d rounds\n\n",
		gen, *concurrency, *duration, *warmup, *rounds)
	fmt.Println("| round | opsward /graphql req/s | bare echo req/s | ratio |")
	fmt.Println("|---|---:|---:|---:|")
	var ratios, gqls, bares []float64
	for r := 1; r <= *rounds; r++ {
		var g, b float64
		// Alternate which server goes first so neither always gets the
		// cooler machine.
		if r%2 == 1 {
			g, b = load(gen, gqlURL), load(gen, bareURL)
		} else {
			b, g = load(gen, bareURL), load(gen, gqlURL)
		}
		ratios, gqls, bares = append(ratios, g/b), append(gqls, g), append(bares, b)
		fmt.Printf("| %d | %.0f | %.0f | %.2f |\n", r, g, b, g/b)
	}
	fmt.Printf("| median | %.0f | %.0f | %.2f |\n\n", median(gqls), median(bares), median(ratios))
	goal := "met"
	if median(ratios) < 0.5 {
		goal = "NOT met"
	}
	fmt.Printf("goal (GraphQL keeps at least half the bare throughput): %s\n\n", goal)
}

func load(gen, url string) float64 {
	switch gen {
	case "wrk":
		if *warmup > 0 {
			wrk(url, *warmup)
		}
		return wrk(url, *duration)
	case "go":
		if *warmup > 0 {
			goLoad(url, *warmup)
		}
		return goLoad(url, *duration)
	}
	fatalf("-tool: %q is not wrk, go or auto", gen)
	return 0
}

var wrkRPS = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
var wrkBad = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)|Socket errors:.*`)

func wrk(url string, d time.Duration) float64 {
	script := filepath.Join(os.TempDir(), "opsward-bench-post.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", query)
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		fatalf("%v", err)
	}
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
func goLoad(url string, d time.Duration) float64 {
	tr := &http.Transport{
		MaxIdleConns:        *concurrency,
		MaxIdleConnsPerHost: *concurrency,
		DisableCompression:  true,
	}
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

// runBare serves the same JSON as opsward's serverInfo (given in body, as
// opsward answered it) from an echo v4 handler with no middleware that
// encodes it on every request: the floor the GraphQL path is measured on.
func runBare(addr, body string) {
	var resp serverInfoResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		fatalf("-bare-body: %v", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/readyz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.POST("/graphql", func(c echo.Context) error {
		_, _ = io.Copy(io.Discard, c.Request().Body)
		return c.JSON(http.StatusOK, resp)
	})
	fatalf("%v", e.Start(addr))
}

// --- start-up --------------------------------------------------------------

func startup() {
	existing := mustTemp("opsward-bench-existing-")
	defer os.RemoveAll(existing)
	// Prepare the existing folder: one full start leaves a migrated
	// database and whatever serve creates on first run.
	if _, err := timeToReady(existing); err != nil {
		fatalf("%v", err)
	}
	var fresh, warm []time.Duration
	for range *starts {
		dir := mustTemp("opsward-bench-fresh-")
		d, err := timeToReady(dir)
		os.RemoveAll(dir)
		if err != nil {
			fatalf("%v", err)
		}
		fresh = append(fresh, d)
		if d, err = timeToReady(existing); err != nil {
			fatalf("%v", err)
		}
		warm = append(warm, d)
	}
	fmt.Printf("## start-up: process start to /readyz 200, embedded default, %d runs each (alternating)\n\n", *starts)
	fmt.Println("| data folder | median | p90 | min | max |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"fresh (empty)", fresh}, {"existing", warm}} {
		slices.Sort(row.ds)
		fmt.Printf("| %s | %s | %s | %s | %s |\n", row.name, ms(pct(row.ds, 50)), ms(pct(row.ds, 90)), ms(row.ds[0]), ms(row.ds[len(row.ds)-1]))
	}
	goal := "met"
	if pct(fresh, 90) >= time.Second || pct(warm, 90) >= time.Second {
		goal = "NOT met"
	}
	fmt.Printf("\ngoal (under one second, p90 of both): %s\n", goal)
}

// timeToReady starts opsward serve on dataDir and returns the time from
// starting the process to the first 200 from /readyz, then stops it.
func timeToReady(dataDir string) (time.Duration, error) {
	p := startOpsward(dataDir, freeAddr())
	defer p.stop()
	if err := p.waitReady(30 * time.Second); err != nil {
		return 0, fmt.Errorf("opsward on %s: %v\n%s", dataDir, err, p.log.String())
	}
	return p.ready.Sub(p.started), nil
}

// --- processes -------------------------------------------------------------

type process struct {
	cmd     *exec.Cmd
	addr    string
	log     *bytes.Buffer
	started time.Time
	ready   time.Time
	exited  chan struct{}
}

func startOpsward(dataDir, addr string) *process {
	cmd := exec.Command(*bin, "serve")
	cmd.Env = embeddedEnv(dataDir, addr)
	return startProcess(cmd, addr)
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

// limitedBuffer keeps the first 64 KiB a process prints, for error reports;
// the rest (access logs under load) is dropped.
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

func startProcess(cmd *exec.Cmd, addr string) *process {
	lb := &limitedBuffer{}
	cmd.Stdout, cmd.Stderr = lb, lb
	p := &process{cmd: cmd, addr: addr, log: &lb.Buffer, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	running.Store(p, struct{}{})
	return p
}

// waitReady polls /readyz every millisecond until it answers 200.
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
				p.ready = time.Now()
				return nil
			}
		}
		time.Sleep(time.Millisecond)
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
// stops them too instead of leaving them behind.
var running sync.Map // *process -> struct{}

func fatalf(format string, args ...any) {
	running.Range(func(k, _ any) bool {
		k.(*process).stop()
		return true
	})
	log.Fatalf(format, args...)
}

func buildOpsward() string {
	dir := mustTemp("opsward-bench-bin-")
	out := filepath.Join(dir, "opsward")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/opsward")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fatalf("build opsward (run from the repository root, or pass -bin): %v", err)
	}
	return out
}

func post(url string) []byte {
	resp, err := http.Post(url, "application/json", strings.NewReader(query))
	if err != nil {
		fatalf("%v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fatalf("POST %s: %s: %s", url, resp.Status, b)
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

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
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

// pct is the p-th percentile of sorted ds (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(i, 0)]
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
