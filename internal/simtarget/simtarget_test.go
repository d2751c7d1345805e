package simtarget

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDelaysHangsAndRefusals(t *testing.T) {
	s := start(t)
	c := &http.Client{Timeout: 2 * time.Second}
	get := func(path string) (*http.Response, time.Duration, error) {
		t0 := time.Now()
		r, err := c.Get(s.URL + path)
		if err == nil {
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
		return r, time.Since(t0), err
	}
	if r, _, err := get("/ok"); err != nil || r.StatusCode != 200 {
		t.Fatalf("/ok: %v %v", r, err)
	}
	if r, took, err := get("/fixed/150"); err != nil || r.StatusCode != 200 || took < 150*time.Millisecond {
		t.Errorf("/fixed/150 answered after %s: %v", took, err)
	}
	if r, _, err := get("/status/503"); err != nil || r.StatusCode != 503 {
		t.Errorf("/status/503: %v %v", r, err)
	}
	r, _, err := get("/nowhere")
	if err != nil || r.StatusCode != 400 {
		t.Errorf("/nowhere: %v %v", r, err)
	}

	// A hanging request holds until the client gives up.
	short := &http.Client{Timeout: 300 * time.Millisecond}
	done := make(chan error, 1)
	go func() {
		_, err := short.Get(s.URL + "/uniform/1/2?hang=1")
		done <- err
	}()
	deadline := time.Now().Add(2 * time.Second)
	for s.Stats().Hanging != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st, err := RemoteStats(context.Background(), s.URL); err != nil || st.Hanging != 1 || st.Active != 1 {
		t.Errorf("%+v %v, want one request hanging and active", st, err)
	}
	var nerr net.Error
	if err := <-done; !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("a hanging request ended with %v, want the client's timeout", err)
	}

	// Nothing listens at the refused address.
	if conn, err := net.DialTimeout("tcp", s.RefusedAddr(), time.Second); err == nil {
		conn.Close()
		t.Errorf("%s accepted a connection", s.RefusedAddr())
	} else if !strings.Contains(err.Error(), "refused") {
		t.Errorf("dial %s: %v, want connection refused", s.RefusedAddr(), err)
	}
}

// Close releases hanging requests at once.
func TestCloseReleasesHangs(t *testing.T) {
	s, err := Start("127.0.0.1:0", 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/hang", nil)
		_, err := http.DefaultClient.Do(req)
		errs <- err
	}()
	for s.Stats().Hanging == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	t0 := time.Now()
	s.Close()
	if err := <-errs; err == nil || time.Since(t0) > 3*time.Second {
		t.Errorf("after Close the hanging request ended with %v after %s", err, time.Since(t0))
	}
}

// The drawn delays follow their distributions: a log-normal with median
// 20 ms and 99th percentile 200 ms, a uniform on [50, 500] ms, and a hang
// share of 5 %.
func TestDistributions(t *testing.T) {
	s := &Server{rng: newRand(7)}
	draw := func(path string, n int) (ds []time.Duration, hangs int) {
		for range n {
			d, _, err := s.plan(httptest.NewRequest("GET", path, nil))
			if err != nil {
				t.Fatal(err)
			}
			if d < 0 {
				hangs++
				continue
			}
			ds = append(ds, d)
		}
		slices.Sort(ds)
		return ds, hangs
	}
	q := func(ds []time.Duration, p float64) float64 {
		return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Millisecond)
	}
	ln, _ := draw("/lognormal/20/200", 20000)
	if m, p99 := q(ln, 0.5), q(ln, 0.99); m < 18 || m > 22 || p99 < 170 || p99 > 235 {
		t.Errorf("log-normal median %.1f ms, p99 %.1f ms; want about 20 and 200", m, p99)
	}
	un, hangs := draw("/uniform/50/500?hang=0.05", 20000)
	if lo, hi, m := q(un, 0), q(un, 1), q(un, 0.5); lo < 50 || hi > 500 || m < 255 || m > 295 {
		t.Errorf("uniform min %.1f, max %.1f, median %.1f ms", lo, hi, m)
	}
	if share := float64(hangs) / 20000; share < 0.04 || share > 0.06 {
		t.Errorf("hang share %.3f, want about 0.05", share)
	}
	for _, bad := range []string{"/fixed/-1", "/fixed/x", "/uniform/9/1", "/lognormal/0/5", "/status/99", "/ok?x=1&hang=2", "/fixed/1?hang=1.5"} {
		if _, _, err := s.plan(httptest.NewRequest("GET", bad, nil)); err == nil && !strings.HasPrefix(bad, "/ok") {
			t.Errorf("%s accepted", bad)
		}
	}
}
