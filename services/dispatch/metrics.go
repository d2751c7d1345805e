package dispatch

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

type metrics struct {
	started, succeeded, failed, retried, dead *prometheus.CounterVec
	lag                                       *prometheus.HistogramVec
	busy, slots                               prometheus.Gauge
	busySeconds                               prometheus.Counter
	depth                                     *depthCollector
}

func newMetrics(c *Client, reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "opsward", Subsystem: "dispatch", Name: name, Help: help}, []string{"kind"})
	}
	m := &metrics{
		started:   counter("jobs_started_total", "Jobs started by a worker."),
		succeeded: counter("jobs_succeeded_total", "Jobs that completed."),
		failed:    counter("jobs_failed_total", "Job runs that returned an error or panicked."),
		retried:   counter("jobs_retried_total", "Failed jobs scheduled for another attempt."),
		dead:      counter("jobs_dead_total", "Jobs moved to the dead-letter queue."),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "opsward", Subsystem: "dispatch", Name: "schedule_lag_seconds",
			Help:    "Time from a job's due time (schedule slot, run-at or retry time) to its start.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opsward", Subsystem: "dispatch", Name: "worker_busy_slots",
			Help: "Worker slots running a job now."}),
		slots: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "opsward", Subsystem: "dispatch", Name: "worker_slots",
			Help: "Worker slots in this process; utilisation is busy_slots / slots, or rate(busy_seconds_total) / slots."}),
		busySeconds: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "opsward", Subsystem: "dispatch", Name: "worker_busy_seconds_total",
			Help: "Seconds of worker slot time spent running jobs."}),
		depth: &depthCollector{c: c, desc: prometheus.NewDesc("opsward_dispatch_queue_depth",
			"Unfinished jobs (ready, delayed, running) per tenant and kind, read from Redis at scrape time.", []string{"tenant_id", "kind"}, nil)},
	}
	if reg != nil {
		for _, col := range []prometheus.Collector{m.started, m.succeeded, m.failed, m.retried, m.dead, m.lag, m.busy, m.slots, m.busySeconds, m.depth} {
			if err := reg.Register(col); err != nil {
				var are prometheus.AlreadyRegisteredError
				if errors.As(err, &are) {
					continue
				}
				return nil, err
			}
		}
	}
	return m, nil
}

// depthCollector reads queue depths from Redis when scraped.
type depthCollector struct {
	c    *Client
	desc *prometheus.Desc
}

func (d *depthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := d.c
	tenants := map[string]struct{}{}
	due, err := c.rdb.ZRange(ctx, c.k.dueIndex(), 0, -1).Result()
	if err != nil {
		c.log.Warn("queue depth scrape failed", "err", err)
		return
	}
	ready, _ := c.rdb.SMembers(ctx, c.k.readySet()).Result()
	for _, t := range append(due, ready...) {
		tenants[t] = struct{}{}
	}
	list := make([]string, 0, len(tenants))
	for t := range tenants {
		list = append(list, t)
	}
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(start+500, len(list))]
		cmds := make([]*redis.MapStringStringCmd, len(chunk))
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, t := range chunk {
				cmds[i] = p.HGetAll(ctx, c.k.tenant(t).depth)
			}
			return nil
		})
		if err != nil {
			c.log.Warn("queue depth scrape failed", "err", err)
			return
		}
		for i, t := range chunk {
			for kind, s := range cmds[i].Val() {
				n, _ := strconv.Atoi(s)
				if n > 0 {
					ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(n), t, kind)
				}
			}
		}
	}
}
