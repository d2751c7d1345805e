package probe

import (
	"math"
	"strings"
	"testing"
)

// The exporter's answer is outside input: any text parses or fails
// cleanly, and rules over whatever parsed never panic.
func FuzzParseExposition(f *testing.F) {
	f.Add("# TYPE node_load1 gauge\nnode_load1 0.5\n")
	f.Add("node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 12.5 1700000000000\n")
	f.Add("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n")
	f.Add("m{a=\"\\\"\"} NaN\n")
	rules := []HealthRule{
		{Name: "cpu", Kind: RuleCPUBusy}, {Name: "mem", Kind: RuleMemoryUsed},
		{Name: "disk", Kind: RuleDiskUsed}, {Name: "r", Kind: RuleRate, Metric: "node_cpu_seconds_total"},
		{Name: "v", Kind: RuleValue, Metric: "node_load1"},
	}
	f.Fuzz(func(t *testing.T, text string) {
		ss, err := parseExposition(strings.NewReader(text))
		if err != nil {
			return
		}
		prev := map[string]float64{}
		for _, s := range ss {
			prev[s.key()] = s.value / 2
		}
		for i := range rules {
			keep := map[string]float64{}
			v, ok, _ := evalHealthRule(&rules[i], ss, prev, true, 10, keep)
			if ok && math.IsInf(v, 0) && rules[i].Kind == RuleCPUBusy {
				t.Fatalf("cpu busy is infinite for %q", text)
			}
		}
	})
}
