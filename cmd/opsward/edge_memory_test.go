package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/platform"
)

// bombMember is one gzip member that expands to 1 MiB of NDJSON. A gzip
// stream may be several members one after the other, so a bomb of n MiB
// is this member sent n times: the test holds a few KiB, not the bomb.
func bombMember(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	line := []byte(`{"message":"` + strings.Repeat("A", 1000) + `"}` + "\n")
	for n := 0; n < 1<<20; n += len(line) {
		w.Write(line[:min(len(line), 1<<20-n)])
	}
	w.Close()
	return b.Bytes()
}

// bombBody streams mib MiB of decompressed data; it stops when the
// request is done with it.
func bombBody(member []byte, mib int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < mib; i++ {
			if _, err := pw.Write(member); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}

// memPeak samples the process's memory until stop is closed.
type memPeak struct {
	heapInuse, heapSys, rss atomic.Uint64
}

func (p *memPeak) sample(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		raise(&p.heapInuse, ms.HeapInuse)
		raise(&p.heapSys, ms.HeapSys)
		raise(&p.rss, rss())
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

func raise(a *atomic.Uint64, v uint64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// rss reads the resident set size from /proc (0 where there is none).
func rss() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// heapBound is what 64 concurrent gzip bombs may make the whole test
// process (server and clients) hold in its heap at the peak: the default
// budget lets one tenant hold 32 MiB of bodies; the rest is the server
// itself, the decoders of the refused requests and garbage not yet
// collected. Without the budget the same load held 64 x 32 MiB.
const heapBound = 320 << 20

// 64 concurrent senders of 1 GiB gzip bombs from one tenant keep the
// process's heap under heapBound, every bomb is refused (413 once it
// passes the batch limit, 503 with Retry-After while the tenant's share is
// taken), and another tenant's batches and queries are served meanwhile.
func TestIngestMemoryBoundedUnderGzipBombs(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 GiB-sized bombs")
	}
	s := startAuthServer(t, func(c *platform.Config) {
		if v := os.Getenv("OPSWARD_TEST_BOMB_BUDGET_OFF"); v != "" {
			c.IngestMemory = -1 // to measure what the budget saves
		}
	})
	acme, globex := s.demo.Customers[0], s.demo.Customers[1]
	member := bombMember(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	peak := &memPeak{}
	stop, sampled := make(chan struct{}), make(chan struct{})
	go peak.sample(stop, sampled)

	var statuses sync.Map // status -> *atomic.Int64
	count := func(k string) {
		v, _ := statuses.LoadOrStore(k, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	var wg sync.WaitGroup
	bombsDone := make(chan struct{})
	// Each of the 64 senders sends bomb after bomb for three seconds, as a
	// hostile client that ignores Retry-After would.
	deadline := time.Now().Add(3 * time.Second)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", bombBody(member, 1024))
				req.Header.Set("Authorization", "Bearer "+acme.APIKey.Secret)
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					count("connection closed while sending")
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				k := strconv.Itoa(resp.StatusCode)
				if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
					k += " without Retry-After"
				}
				count(k)
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	go func() { wg.Wait(); close(bombsDone) }()

	// Meanwhile globex sends small batches and asks the API questions.
	served, servedWhileHeld, refused := 0, 0, []string{}
	for done := false; !done; {
		select {
		case <-bombsDone:
			done = true
		default:
		}
		_, held := s.m.Budget.InUse(acme.ID)
		req, _ := http.NewRequest(http.MethodPost, s.base+"/ingest/events", strings.NewReader(`{"message":"routine","host":{"name":"h1"}}`))
		req.Header.Set("Authorization", "Bearer "+globex.APIKey.Secret)
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			refused = append(refused, err.Error())
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				refused = append(refused, fmt.Sprintf("%d %s", resp.StatusCode, b))
			} else {
				served++
				if held > 0 {
					servedWhileHeld++
				}
			}
		}
		if st, _ := s.graphql(t, "Bearer "+globex.APIKey.Secret, "", `{ serverInfo { version } }`); st != http.StatusOK {
			refused = append(refused, fmt.Sprintf("graphql %d", st))
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	<-sampled

	got := map[string]int64{}
	statuses.Range(func(k, v any) bool { got[k.(string)] = v.(*atomic.Int64).Load(); return true })
	t.Logf("bombs: %v; globex batches served meanwhile: %d (%d while acme's bombs held memory)", got, served, servedWhileHeld)
	t.Logf("peak heap in use %d MiB (heap reserved %d MiB, RSS %d MiB); heap in use before %d MiB; bound %d MiB",
		peak.heapInuse.Load()>>20, peak.heapSys.Load()>>20, peak.rss.Load()>>20, before.HeapInuse>>20, heapBound>>20)
	if h := peak.heapInuse.Load(); h > heapBound {
		t.Errorf("peak heap in use %d MiB is over the bound of %d MiB", h>>20, heapBound>>20)
	}
	if got["202"] > 0 || got["503 without Retry-After"] > 0 {
		t.Errorf("bombs accepted or refused without Retry-After: %v", got)
	}
	if got["413"]+got["503"] == 0 {
		t.Errorf("no bomb was answered 413 or 503: %v", got)
	}
	if len(refused) > 0 || served < 3 {
		t.Errorf("globex was not served while acme's bombs ran: %d served, refused %v", served, refused)
	}
}
