package probe

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/internal/egress"
)

// ServerHealthSettings configure a scrape of a Prometheus exporter (the
// node_exporter text format) judged by threshold rules.
type ServerHealthSettings struct {
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers,omitempty"`
	SkipTLSVerify bool              `json:"skip_tls_verify,omitempty"`
	Rules         []HealthRule      `json:"rules"`

	url *url.URL
}

// Rule kinds.
const (
	RuleValue         = "value"               // a sample's value (gauges)
	RuleRate          = "rate"                // a counter's increase per second between two scrapes
	RuleCPUBusy       = "cpu_busy_percent"    // from node_cpu_seconds_total
	RuleMemoryUsed    = "memory_used_percent" // from node_memory_MemAvailable_bytes / MemTotal
	RuleDiskUsed      = "disk_used_percent"   // from node_filesystem_avail_bytes / size_bytes
	maxRules          = 50
	maxScrapeBytes    = 10 << 20
	maxStateSeries    = 5000
	defaultDiskFSSkip = "tmpfs|devtmpfs|overlay|squashfs|ramfs|nsfs|fuse.lxcfs"
)

// HealthRule picks series and judges one number made of them.
type HealthRule struct {
	Name      string         `json:"name,omitempty"` // the metric key in results; default from kind and metric
	Kind      string         `json:"kind"`
	Metric    string         `json:"metric,omitempty"` // for value and rate
	Labels    []LabelMatcher `json:"labels,omitempty"`
	Aggregate string         `json:"aggregate,omitempty"` // across series: max (default), min, sum, avg
	Scale     float64        `json:"scale,omitempty"`     // multiply before judging (8 for bytes to bits)
	Threshold
}

// LabelMatcher selects series by a label, as in PromQL: =, !=, =~, !~
// (regular expressions are anchored).
type LabelMatcher struct {
	Label string `json:"label"`
	Op    string `json:"op,omitempty"` // default =
	Value string `json:"value"`

	re *regexp.Regexp
}

func (m *LabelMatcher) compile(field string) error {
	if m.Label == "" {
		return opsward.FieldErrorf(field+".label", "is required")
	}
	if m.Op == "" {
		m.Op = "="
	}
	switch m.Op {
	case "=", "!=":
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return opsward.FieldErrorf(field+".value", "is not a valid regular expression: %v", err)
		}
		m.re = re
	default:
		return opsward.FieldErrorf(field+".op", "must be =, !=, =~ or !~")
	}
	return nil
}

func (m *LabelMatcher) match(labels map[string]string) bool {
	v := labels[m.Label]
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~":
		return m.re.MatchString(v)
	case "!~":
		return !m.re.MatchString(v)
	}
	return false
}

func (s *ServerHealthSettings) Validate() error {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return opsward.FieldErrorf("settings.url", "must be an http:// or https:// URL with a host")
	}
	s.url = u
	for k, v := range s.Headers {
		if !validHeaderName(k) || strings.ContainsAny(v, "\r\n\x00") {
			return opsward.FieldErrorf("settings.headers", "%q is not a valid header", k)
		}
	}
	if len(s.Rules) == 0 {
		return opsward.FieldErrorf("settings.rules", "needs at least one rule")
	}
	if len(s.Rules) > maxRules {
		return opsward.FieldErrorf("settings.rules", "must hold at most %d rules", maxRules)
	}
	names := map[string]bool{}
	for i := range s.Rules {
		r := &s.Rules[i]
		f := fmt.Sprintf("settings.rules[%d]", i)
		switch r.Kind {
		case RuleValue, RuleRate:
			if len(r.Metric) > 256 || !model.LegacyValidation.IsValidMetricName(r.Metric) {
				return opsward.FieldErrorf(f+".metric", "must be a metric name such as node_load1")
			}
		case RuleCPUBusy, RuleMemoryUsed, RuleDiskUsed:
			if r.Metric != "" {
				return opsward.FieldErrorf(f+".metric", "is implied by kind %s", r.Kind)
			}
		default:
			return opsward.FieldErrorf(f+".kind", "must be one of value, rate, cpu_busy_percent, memory_used_percent, disk_used_percent")
		}
		for j := range r.Labels {
			if err := r.Labels[j].compile(fmt.Sprintf("%s.labels[%d]", f, j)); err != nil {
				return err
			}
		}
		if err := validAggregate(f+".aggregate", r.Aggregate); err != nil {
			return err
		}
		if math.IsNaN(r.Scale) || math.IsInf(r.Scale, 0) {
			return opsward.FieldErrorf(f+".scale", "must be a finite number")
		}
		if r.Scale == 0 {
			r.Scale = 1
		}
		if err := r.Threshold.validate(f); err != nil {
			return err
		}
		if r.Name == "" {
			r.Name = r.Kind
			if r.Metric != "" {
				r.Name = r.Kind + ":" + r.Metric
			}
		}
		if names[r.Name] {
			return opsward.FieldErrorf(f+".name", "%q is used by another rule", r.Name)
		}
		names[r.Name] = true
	}
	return nil
}

// ServerHealthProber scrapes an exporter and evaluates rules.
type ServerHealthProber struct {
	verify, insecure *http.Transport
}

func NewServerHealth(g *egress.Guard) *ServerHealthProber {
	v := egress.NewTransport(g, nil)
	in := egress.NewTransport(g, &tls.Config{InsecureSkipVerify: true})
	return &ServerHealthProber{verify: v, insecure: in}
}

func (p *ServerHealthProber) Kind() Kind { return KindServerHealth }

func (p *ServerHealthProber) Parse(raw []byte) (Settings, error) {
	s := &ServerHealthSettings{}
	if err := decode(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// series is one sample of a scrape.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

func (s series) key() string {
	ks := make([]string, 0, len(s.labels))
	for k, v := range s.labels {
		ks = append(ks, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(ks)
	return s.name + "{" + strings.Join(ks, ",") + "}"
}

// healthState carries counter samples from one scrape to the next.
type healthState struct {
	At      time.Time          `json:"at"`
	Samples map[string]float64 `json:"samples"`
}

// parseExposition reads the Prometheus text format into flat samples:
// counters, gauges and untyped values; summaries and histograms as their
// _sum and _count.
func parseExposition(r io.Reader) ([]series, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	var out []series
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := make(map[string]string, len(m.GetLabel()))
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, series{name, labels, m.GetCounter().GetValue()})
			case dto.MetricType_GAUGE:
				out = append(out, series{name, labels, m.GetGauge().GetValue()})
			case dto.MetricType_UNTYPED:
				out = append(out, series{name, labels, m.GetUntyped().GetValue()})
			case dto.MetricType_SUMMARY:
				out = append(out, series{name + "_sum", labels, m.GetSummary().GetSampleSum()},
					series{name + "_count", labels, float64(m.GetSummary().GetSampleCount())})
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				out = append(out, series{name + "_sum", labels, m.GetHistogram().GetSampleSum()},
					series{name + "_count", labels, float64(m.GetHistogram().GetSampleCount())})
			}
		}
	}
	return out, nil
}

func (p *ServerHealthProber) Probe(ctx context.Context, set Settings, in Input) Result {
	s, ok := set.(*ServerHealthSettings)
	if !ok {
		return wrongKind(set)
	}
	in = in.withDefaults()
	res := Result{Status: StatusUp, StartedAt: in.Now}
	tr := p.verify
	if s.SkipTLSVerify {
		tr = p.insecure
	}
	client := &http.Client{Transport: tr, CheckRedirect: egress.LimitRedirects(3)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url.String(), nil)
	if err != nil {
		res.fail(StatusDown, ReasonBadSetting, "%v", err)
		return res
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	req.Header.Set("User-Agent", "Opsward-Monitor/1")
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.Latency = time.Since(start)
		reason, msg := classify(err, ctx)
		res.fail(StatusDown, reason, "scraping %s: %s", s.url.Redacted(), msg)
		return res
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		res.Latency = time.Since(start)
		res.fail(StatusDown, ReasonStatus, "scraping %s: status %d", s.url.Redacted(), resp.StatusCode)
		return res
	}
	samples, err := parseExposition(io.LimitReader(resp.Body, maxScrapeBytes))
	res.Latency = time.Since(start)
	res.Timings.Total = res.Latency
	if err != nil {
		res.fail(StatusDown, ReasonProtocol, "the exporter's answer is not the Prometheus text format: %v", err)
		return res
	}
	res.metric("scrape_samples", float64(len(samples)))

	var prev healthState
	if len(in.Previous) > 0 {
		_ = json.Unmarshal(in.Previous, &prev) // a foreign state only delays rates by one scrape
	}
	dt := in.Now.Sub(prev.At).Seconds()
	havePrev := prev.Samples != nil && dt > 0
	next := healthState{At: in.Now, Samples: map[string]float64{}}

	var pending []string
	for i := range s.Rules {
		r := &s.Rules[i]
		v, ok, why := evalHealthRule(r, samples, prev.Samples, havePrev, dt, next.Samples)
		if !ok {
			if why == "" {
				pending = append(pending, r.Name)
				continue
			}
			res.fail(StatusDegraded, ReasonThreshold, "rule %s: %s", r.Name, why)
			continue
		}
		v *= r.Scale
		res.metric(r.Name, v)
		if st, crossed := r.Threshold.eval(v); st != StatusUp {
			res.fail(st, ReasonThreshold, "%s is %s", r.Name, crossed)
		}
	}
	if len(next.Samples) > maxStateSeries {
		next.Samples = nil // too many matching series; rates are lost rather than the store flooded
	}
	res.State, _ = json.Marshal(next)
	if res.Status == StatusUp && len(pending) > 0 {
		res.Message = fmt.Sprintf("rates for %s need a second scrape", strings.Join(pending, ", "))
	}
	return res
}

func matchAll(ms []LabelMatcher, labels map[string]string) bool {
	for i := range ms {
		if !ms[i].match(labels) {
			return false
		}
	}
	return true
}

// evalHealthRule computes one rule's number. ok=false with an empty why
// means it needs a previous scrape; with a why it is a problem to report.
// Counter samples a rate needs are written to keep for the next scrape.
func evalHealthRule(r *HealthRule, samples []series, prev map[string]float64, havePrev bool, dt float64, keep map[string]float64) (float64, bool, string) {
	pick := func(name string) []series {
		var out []series
		for _, s := range samples {
			if s.name == name && matchAll(r.Labels, s.labels) {
				out = append(out, s)
			}
		}
		return out
	}
	rateOf := func(s series) (float64, bool) {
		k := s.key()
		keep[k] = s.value
		if !havePrev {
			return 0, false
		}
		pv, ok := prev[k]
		if !ok {
			return 0, false
		}
		inc := s.value - pv
		if inc < 0 { // counter reset: it restarted from zero
			inc = s.value
		}
		return inc / dt, true
	}
	switch r.Kind {
	case RuleValue:
		ss := pick(r.Metric)
		if len(ss) == 0 {
			return 0, false, fmt.Sprintf("no series of %s match", r.Metric)
		}
		vs := make([]float64, len(ss))
		for i, s := range ss {
			vs[i] = s.value
		}
		return aggregate(r.Aggregate, vs), true, ""
	case RuleRate:
		ss := pick(r.Metric)
		if len(ss) == 0 {
			return 0, false, fmt.Sprintf("no series of %s match", r.Metric)
		}
		var vs []float64
		for _, s := range ss {
			if v, ok := rateOf(s); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return 0, false, ""
		}
		return aggregate(r.Aggregate, vs), true, ""
	case RuleCPUBusy:
		ss := pick("node_cpu_seconds_total")
		if len(ss) == 0 {
			return 0, false, "no node_cpu_seconds_total series match"
		}
		var idle, total float64
		got := false
		for _, s := range ss {
			v, ok := rateOf(s)
			if !ok {
				continue
			}
			got = true
			total += v
			if s.labels["mode"] == "idle" {
				idle += v
			}
		}
		if !got {
			return 0, false, ""
		}
		if total <= 0 {
			return 0, true, ""
		}
		return 100 * (1 - idle/total), true, ""
	case RuleMemoryUsed:
		tot, av := pick("node_memory_MemTotal_bytes"), pick("node_memory_MemAvailable_bytes")
		if len(tot) == 0 || len(av) == 0 || tot[0].value <= 0 {
			return 0, false, "node_memory_MemTotal_bytes or node_memory_MemAvailable_bytes is missing"
		}
		return 100 * (1 - av[0].value/tot[0].value), true, ""
	case RuleDiskUsed:
		skip := regexp.MustCompile("^(?:" + defaultDiskFSSkip + ")$")
		sizes := map[string]float64{}
		for _, s := range pick("node_filesystem_size_bytes") {
			if skip.MatchString(s.labels["fstype"]) {
				continue
			}
			sizes[s.labels["device"]+"\x00"+s.labels["mountpoint"]] = s.value
		}
		var vs []float64
		for _, s := range pick("node_filesystem_avail_bytes") {
			size, ok := sizes[s.labels["device"]+"\x00"+s.labels["mountpoint"]]
			if !ok || size <= 0 {
				continue
			}
			vs = append(vs, 100*(1-s.value/size))
		}
		if len(vs) == 0 {
			return 0, false, "no filesystem matches (node_filesystem_size_bytes and _avail_bytes)"
		}
		return aggregate(r.Aggregate, vs), true, ""
	}
	return 0, false, "unknown rule kind"
}
