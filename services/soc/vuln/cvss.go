package vuln

import (
	"fmt"
	"math"
	"strings"
)

// CVSS3Score computes the base score of a CVSS v3.0 or v3.1 vector
// ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" is 9.8) as the
// specification defines it, rounded up to one decimal. Every base metric
// must be present once; temporal and environmental metrics are allowed
// and ignored.
func CVSS3Score(vector string) (float64, error) {
	parts := strings.Split(strings.TrimSpace(vector), "/")
	if len(parts) < 9 || (parts[0] != "CVSS:3.1" && parts[0] != "CVSS:3.0") {
		return 0, fmt.Errorf("%q is not a CVSS v3 vector (CVSS:3.1/AV:…/AC:…/PR:…/UI:…/S:…/C:…/I:…/A:…)", truncate(vector, 120))
	}
	m := map[string]string{}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, ":")
		if !ok || k == "" || v == "" {
			return 0, fmt.Errorf("CVSS vector: %q is not metric:value", truncate(p, 40))
		}
		if _, dup := m[k]; dup {
			return 0, fmt.Errorf("CVSS vector: metric %s appears twice", k)
		}
		m[k] = v
	}
	weights := map[string]map[string]float64{
		"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
		"AC": {"L": 0.77, "H": 0.44},
		"UI": {"N": 0.85, "R": 0.62},
		"C":  {"H": 0.56, "L": 0.22, "N": 0},
		"I":  {"H": 0.56, "L": 0.22, "N": 0},
		"A":  {"H": 0.56, "L": 0.22, "N": 0},
	}
	get := func(k string) (float64, error) {
		w, ok := weights[k][m[k]]
		if !ok {
			return 0, fmt.Errorf("CVSS vector: %s:%s is not a value of %s", k, truncate(m[k], 10), k)
		}
		return w, nil
	}
	var vals [6]float64
	for i, k := range []string{"AV", "AC", "UI", "C", "I", "A"} {
		w, err := get(k)
		if err != nil {
			return 0, err
		}
		vals[i] = w
	}
	av, ac, ui, c, in, a := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
	scope := m["S"]
	if scope != "U" && scope != "C" {
		return 0, fmt.Errorf("CVSS vector: S:%s is not U or C", truncate(scope, 10))
	}
	var pr float64
	switch m["PR"] {
	case "N":
		pr = 0.85
	case "L":
		pr = 0.62
		if scope == "C" {
			pr = 0.68
		}
	case "H":
		pr = 0.27
		if scope == "C" {
			pr = 0.5
		}
	default:
		return 0, fmt.Errorf("CVSS vector: PR:%s is not N, L or H", truncate(m["PR"], 10))
	}
	iss := 1 - (1-c)*(1-in)*(1-a)
	var impact float64
	if scope == "U" {
		impact = 6.42 * iss
	} else {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	if impact <= 0 {
		return 0, nil
	}
	exploit := 8.22 * av * ac * pr * ui
	if scope == "U" {
		return roundUp(math.Min(impact+exploit, 10)), nil
	}
	return roundUp(math.Min(1.08*(impact+exploit), 10)), nil
}

// roundUp is CVSS v3.1's Roundup: the smallest number of one decimal
// equal to or above x, computed on integers to avoid floating error.
func roundUp(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}

// SeverityOf names a CVSS v3 score's band: none, low, medium, high,
// critical.
func SeverityOf(score float64) string {
	switch {
	case score == 0:
		return "none"
	case score < 4:
		return "low"
	case score < 7:
		return "medium"
	case score < 9:
		return "high"
	}
	return "critical"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
