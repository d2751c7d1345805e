// Command ingestbench measures security event ingest end to end on the
// real binary in production mode: POST /ingest/events (NDJSON, gzip, an
// API key per customer), the events normalised, stored on Postgres and
// run through every rule of the SigmaHQ library in ../shared/sigma
// (imported with `opsward rules import` into the global library), alerts
// raised. The events are the library's regression events (Windows, EVTX
// layout), replayed. Both demonstration customers are moved to the
// enterprise plan so that the plan's rate is not what is measured.
//
// With -metering compare the server runs in rounds with OPSWARD_METERING
// on and off, alternating which goes first, on the same database, to
// give metering's cost as a ratio measured side by side.
//
//	go run ./bench/ingest -duration 20s
//	go run ./bench/ingest -metering compare -rounds 3 -duration 15s
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"database/sql"
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
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/opsward/opsward"
)

var (
	pgAdmin   = flag.String("pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres admin URL; a fresh database is made and dropped")
	redisURL  = flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	sigmaDir  = flag.String("sigma", "../shared/sigma", "the SigmaHQ folder (rules and regression_data)")
	duration  = flag.Duration("duration", 20*time.Second, "measurement")
	warmup    = flag.Duration("warmup", 5*time.Second, "unmeasured load first")
	clients   = flag.Int("clients", 4, "concurrent senders (split over the two customers)")
	batchSize = flag.Int("batch", 500, "events per request")
	metering  = flag.String("metering", "on", "on or off (OPSWARD_METERING of the server); compare: rounds of both, side by side")
	rounds    = flag.Int("rounds", 3, "rounds of -metering compare; each measures the server metered and unmetered, alternating which goes first")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "ingestbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "opsward")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/opsward").CombinedOutput(); err != nil {
		log.Fatalf("build: %v\n%s", err, out)
	}
	admin, err := sql.Open("pgx", *pgAdmin)
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close()
	name := "ingestbench_" + strings.ToLower(opsward.NewID("x")[2:14])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		log.Fatal(err)
	}
	defer admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
	port := freePort()
	base := "http://127.0.0.1:" + port
	env := append(os.Environ(), "OPSWARD_DATA_DIR="+dir, "OPSWARD_HTTP_ADDR=127.0.0.1:"+port, "OPSWARD_LOG_LEVEL=error", "OPSWARD_DEMO=off",
		"OPSWARD_DATABASE_URL="+strings.Replace(*pgAdmin, "/postgres?", "/"+name+"?", 1), "OPSWARD_REDIS_URL="+*redisURL,
		"OPSWARD_REDIS_PREFIX=ingestbench:"+name+":", "OPSWARD_MIGRATE_ON_START=on")
	run := func(args ...string) []byte {
		c := exec.Command(bin, args...)
		c.Env = env
		out, err := c.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				log.Fatalf("%v: %v\n%s", args, err, ee.Stderr)
			}
			log.Fatalf("%v: %v", args, err)
		}
		return out
	}
	var demo struct {
		Provider struct {
			Users []struct{ Email, Password string }
		}
		Customers []struct {
			ID     string
			APIKey struct{ Secret string }
		}
	}
	if err := json.Unmarshal(run("seed", "demo", "--json"), &demo); err != nil {
		log.Fatal(err)
	}
	t0 := time.Now()
	for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		fmt.Print(d + ": " + string(run("rules", "import", filepath.Join(*sigmaDir, d))))
	}
	fmt.Printf("rules imported in %s\n", time.Since(t0).Round(time.Millisecond))

	// serve starts the server with extra settings and returns its stop.
	serve := func(extra ...string) func() {
		srv := exec.Command(bin, "serve")
		srv.Env = append(slices.Clone(env), extra...)
		srv.Stderr = os.Stderr
		if err := srv.Start(); err != nil {
			log.Fatal(err)
		}
		for deadline := time.Now().Add(60 * time.Second); ; {
			if resp, err := http.Get(base + "/readyz"); err == nil && resp.StatusCode == 200 {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				log.Fatal("the server did not become ready")
			}
			time.Sleep(100 * time.Millisecond)
		}
		return func() { srv.Process.Signal(os.Interrupt); srv.Wait() }
	}
	stop := serve()
	owner := login(base, demo.Provider.Users[0].Email, demo.Provider.Users[0].Password)
	for _, c := range demo.Customers {
		graphql(base, owner, fmt.Sprintf(`mutation { changePlan(tenantId: %q, plan: "enterprise") { userErrors { message } } }`, c.ID))
	}

	evs := regressionEvents(filepath.Join(*sigmaDir, "regression_data"))
	fmt.Printf("%d regression events, batches of %d, %d senders\n", len(evs), *batchSize, *clients)
	var batch bytes.Buffer
	gz := gzip.NewWriter(&batch)
	for i := 0; i < *batchSize; i++ {
		gz.Write(evs[i%len(evs)])
		gz.Write([]byte("\n"))
	}
	gz.Close()
	body := batch.Bytes()
	keys := make([]string, len(demo.Customers))
	for i, c := range demo.Customers {
		keys[i] = c.APIKey.Secret
	}
	if *metering != "compare" {
		stop()
		stop = serve("OPSWARD_METERING=" + *metering)
		defer stop()
		load(base, body, keys)
		return
	}
	// Side by side: rounds of the server metered and unmetered, in
	// alternating order, on the same database.
	stop()
	var on, off []float64
	for r := 0; r < *rounds; r++ {
		order := []string{"on", "off"}
		if r%2 == 1 {
			order = []string{"off", "on"}
		}
		for _, m := range order {
			fmt.Printf("round %d, metering %s: ", r+1, m)
			stop := serve("OPSWARD_METERING=" + m)
			v := load(base, body, keys)
			stop()
			if m == "on" {
				on = append(on, v)
			} else {
				off = append(off, v)
			}
		}
	}
	mon, moff := median(on), median(off)
	// The figure to quote: the median of each round's own ratio, as the
	// two measurements of a round ran next to each other on the same
	// machine; slow drifts of a shared machine's load cancel in it.
	ratios := make([]float64, len(on))
	for i := range on {
		ratios[i] = on[i] / off[i]
	}
	mr := median(ratios)
	fmt.Printf("median of the rounds' ratios: %.3f (metering costs %.1f%%)\n", mr, 100*(1-mr))
	fmt.Printf("median: metered %.0f events/s, unmetered %.0f events/s, ratio %.3f (metering costs %.1f%%)\n",
		mon, moff, mon/moff, 100*(1-mon/moff))
	db, err := sql.Open("pgx", strings.Replace(*pgAdmin, "/postgres?", "/"+name+"?", 1))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var metered, usage int64
	if err := db.QueryRow(`SELECT coalesce(sum(quantity), 0), count(*) FROM usage_events WHERE meter = 'security_events'`).Scan(&metered, &usage); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("metered %d events in %d usage events\n", metered, usage)
}

// load sends body from -clients senders spread over the customers' keys
// for -warmup and then -duration, and returns the events per second
// accepted while measuring.
func load(base string, body []byte, keys []string) float64 {
	var accepted, alerts, refused atomic.Int64
	var measuring atomic.Bool
	stop := time.Now().Add(*warmup + *duration)
	var wg sync.WaitGroup
	for i := 0; i < *clients; i++ {
		key := keys[i%len(keys)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest(http.MethodPost, base+"/ingest/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					log.Fatal(err)
				}
				var out struct{ Accepted, Alerts int }
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					refused.Add(1)
					if resp.StatusCode != http.StatusTooManyRequests {
						log.Fatalf("ingest: %d %s", resp.StatusCode, b)
					}
					time.Sleep(100 * time.Millisecond)
					continue
				}
				json.Unmarshal(b, &out)
				if measuring.Load() {
					accepted.Add(int64(out.Accepted))
					alerts.Add(int64(out.Alerts))
				}
			}
		}()
	}
	time.Sleep(*warmup)
	measuring.Store(true)
	m0 := time.Now()
	wg.Wait()
	el := time.Since(m0)
	rate := float64(accepted.Load()) / el.Seconds()
	fmt.Printf("ingest end to end: %.0f events/s (%d events, %d alerts raised, %d requests refused, %s)\n",
		rate, accepted.Load(), alerts.Load(), refused.Load(), el.Round(time.Millisecond))
	return rate
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// regressionEvents reads every regression event file (a JSON stream of
// EVTX-layout objects) as one NDJSON line per event.
func regressionEvents(dir string) [][]byte {
	var out [][]byte
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := json.NewDecoder(bufio.NewReader(f))
		for {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				break
			}
			var buf bytes.Buffer
			if json.Compact(&buf, v) == nil {
				out = append(out, buf.Bytes())
			}
		}
		return nil
	})
	if len(out) == 0 {
		log.Fatalf("no regression events under %s", dir)
	}
	return out
}

func login(base, email, password string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(base+"/auth/login", "application/json", bytes.NewReader(b))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	if tok.AccessToken == "" {
		log.Fatalf("login: status %d", resp.StatusCode)
	}
	return tok.AccessToken
}

func graphql(base, token, q string) {
	b, _ := json.Marshal(map[string]string{"query": q})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(out, []byte(`"errors"`)) || bytes.Contains(out, []byte(`"message"`)) {
		log.Fatalf("graphql %s: %s", q, out)
	}
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return p
}
