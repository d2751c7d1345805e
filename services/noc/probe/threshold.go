package probe

import (
	"fmt"
	"math"

	"github.com/opsward/opsward"
)

// Threshold judges a number: past Warn the run is degraded, past Crit it
// is down. "Past" is given by Op: ">" means above is bad, "<" means below
// is bad, "!=" means anything other than the value is bad.
type Threshold struct {
	Op   string   `json:"op"`
	Warn *float64 `json:"warn,omitempty"`
	Crit *float64 `json:"crit,omitempty"`
}

func (t Threshold) validate(field string) error {
	switch t.Op {
	case ">", ">=", "<", "<=", "==", "!=":
	default:
		return opsward.FieldErrorf(field+".op", "must be one of >, >=, <, <=, ==, != (got %q)", t.Op)
	}
	if t.Warn == nil && t.Crit == nil {
		return opsward.FieldErrorf(field, "needs warn, crit or both")
	}
	for _, v := range []*float64{t.Warn, t.Crit} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return opsward.FieldErrorf(field, "thresholds must be finite numbers")
		}
	}
	return nil
}

func compare(op string, v, ref float64) bool {
	switch op {
	case ">":
		return v > ref
	case ">=":
		return v >= ref
	case "<":
		return v < ref
	case "<=":
		return v <= ref
	case "==":
		return v == ref
	case "!=":
		return v != ref
	}
	return false
}

// eval returns the status of v and, when not up, what was crossed.
func (t Threshold) eval(v float64) (Status, string) {
	if t.Crit != nil && compare(t.Op, v, *t.Crit) {
		return StatusDown, fmt.Sprintf("%s %s %s", fmtNum(v), t.Op, fmtNum(*t.Crit))
	}
	if t.Warn != nil && compare(t.Op, v, *t.Warn) {
		return StatusDegraded, fmt.Sprintf("%s %s %s", fmtNum(v), t.Op, fmtNum(*t.Warn))
	}
	return StatusUp, ""
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// aggregate folds the values of several matching series into one.
func aggregate(how string, vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	out := vs[0]
	switch how {
	case "sum", "avg":
		out = 0
		for _, v := range vs {
			out += v
		}
		if how == "avg" {
			out /= float64(len(vs))
		}
	case "min":
		for _, v := range vs[1:] {
			out = math.Min(out, v)
		}
	default: // max: the worst disk, the busiest link
		for _, v := range vs[1:] {
			out = math.Max(out, v)
		}
	}
	return out
}

func validAggregate(field, how string) error {
	switch how {
	case "", "max", "min", "sum", "avg":
		return nil
	}
	return opsward.FieldErrorf(field, "must be max, min, sum or avg (got %q)", how)
}
