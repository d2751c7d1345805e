// Package simtarget is a monitoring target for tests and benchmarks: an
// HTTP server on loopback whose paths answer after a delay drawn from a
// distribution, accept and never answer, or fail, so that checks meet
// the slow and dead hosts of real networks without leaving the machine.
//
// Paths:
//
//	/ok                        200 at once
//	/fixed/{ms}                200 after ms milliseconds
//	/uniform/{min}/{max}       200 after a delay drawn uniformly from [min, max] ms
//	/lognormal/{median}/{p99}  200 after a log-normal delay with that median and 99th percentile, in ms
//	/hang                      reads the request and never answers, until the client gives up or the server closes
//	/status/{code}             that status at once
//	/stats                     the Stats as JSON (not counted in them)
//
// A query parameter hang=P (a fraction, 0.05 for 5 %) on a delay path
// makes that share of its requests hang instead, drawn per request.
// RefusedAddr is a loopback address where nothing listens: a connection
// to it is refused.
package simtarget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running target.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string

	srv     *http.Server
	ln      net.Listener
	refused string
	quit    chan struct{}
	once    sync.Once

	mu  sync.Mutex
	rng *rand.Rand

	served, hanging, active atomic.Int64
}

// Stats are what the target has seen.
type Stats struct {
	Served  int64 `json:"served"`  // requests answered
	Hanging int64 `json:"hanging"` // requests held open now
	Active  int64 `json:"active"`  // requests being served now: waiting out a delay or hanging
}

// RemoteStats reads the Stats of a target served by another process
// from its /stats path.
func RemoteStats(ctx context.Context, baseURL string) (Stats, error) {
	var st Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/stats", nil)
	if err != nil {
		return st, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("simtarget: %s/stats answered %s", baseURL, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// Start serves on addr (127.0.0.1:0 for a free port). seed makes the
// drawn delays repeatable.
func Start(addr string, seed uint64) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simtarget: listen on %s: %w", addr, err)
	}
	refused, err := refusedAddr()
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ln: ln, refused: refused, quit: make(chan struct{}),
		rng: newRand(seed)}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed at Close
	return s, nil
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// refusedAddr finds a loopback port with nothing listening: it listens
// on a free one and closes it again.
func refusedAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("simtarget: find a closed port: %w", err)
	}
	a := ln.Addr().String()
	ln.Close()
	return a, nil
}

// RefusedAddr is host:port on loopback where connections are refused.
func (s *Server) RefusedAddr() string { return s.refused }

// Stats reports the requests seen.
func (s *Server) Stats() Stats {
	return Stats{Served: s.served.Load(), Hanging: s.hanging.Load(), Active: s.active.Load()}
}

// Close stops the server and releases every hanging request.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.quit) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	return err
}

func (s *Server) float() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64()
}

func (s *Server) normal() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.NormFloat64()
}

// ServeHTTP answers a request by its path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/stats" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
		return
	}
	s.active.Add(1)
	defer s.active.Add(-1)
	delay, status, err := s.plan(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if delay < 0 {
		s.hang(r)
		return
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.quit:
			panic(http.ErrAbortHandler) // drop the connection unanswered
		}
	}
	s.served.Add(1)
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d after %s\n", status, delay)
}

func (s *Server) hang(r *http.Request) {
	s.hanging.Add(1)
	defer s.hanging.Add(-1)
	select {
	case <-r.Context().Done():
	case <-s.quit:
		panic(http.ErrAbortHandler) // drop the connection unanswered
	}
}

// plan works out a request's delay (negative: hang) and status.
func (s *Server) plan(r *http.Request) (time.Duration, int, error) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	ms := func(i int) (float64, error) {
		if i >= len(parts) {
			return 0, fmt.Errorf("path %s lacks a number in place %d", r.URL.Path, i)
		}
		v, err := strconv.ParseFloat(parts[i], 64)
		if err != nil || v < 0 || v > 3_600_000 {
			return 0, fmt.Errorf("%q in %s is not a number of milliseconds between 0 and 3600000", parts[i], r.URL.Path)
		}
		return v, nil
	}
	var d float64
	switch parts[0] {
	case "ok":
		return 0, http.StatusOK, nil
	case "hang":
		return -1, 0, nil
	case "status":
		code, err := strconv.Atoi(strings.Join(parts[1:], ""))
		if err != nil || code < 200 || code > 599 {
			return 0, 0, fmt.Errorf("path %s: a status is 200 to 599", r.URL.Path)
		}
		return 0, code, nil
	case "fixed":
		v, err := ms(1)
		if err != nil {
			return 0, 0, err
		}
		d = v
	case "uniform":
		lo, err := ms(1)
		if err != nil {
			return 0, 0, err
		}
		hi, err := ms(2)
		if err != nil {
			return 0, 0, err
		}
		if hi < lo {
			return 0, 0, fmt.Errorf("path %s: the maximum is below the minimum", r.URL.Path)
		}
		d = lo + s.float()*(hi-lo)
	case "lognormal":
		med, err := ms(1)
		if err != nil {
			return 0, 0, err
		}
		p99, err := ms(2)
		if err != nil {
			return 0, 0, err
		}
		if med <= 0 || p99 < med {
			return 0, 0, fmt.Errorf("path %s: the median is above 0 and the 99th percentile at least the median", r.URL.Path)
		}
		sigma := math.Log(p99/med) / 2.3263478740408408 // z of the 99th percentile
		d = med * math.Exp(sigma*s.normal())
	default:
		return 0, 0, fmt.Errorf("no path %s: use /ok, /fixed/MS, /uniform/MIN/MAX, /lognormal/MEDIAN/P99, /hang or /status/CODE", r.URL.Path)
	}
	if h := r.URL.Query().Get("hang"); h != "" {
		p, err := strconv.ParseFloat(h, 64)
		if err != nil || p < 0 || p > 1 {
			return 0, 0, fmt.Errorf("hang=%q is not a fraction between 0 and 1", h)
		}
		if s.float() < p {
			return -1, 0, nil
		}
	}
	return time.Duration(d * float64(time.Millisecond)), http.StatusOK, nil
}
