package ueba

import (
	"math"
	"sort"
	"time"
)

// Severity weights an alert's contribution to an entity's risk.
var severityWeight = map[string]float64{
	"low":      10,
	"medium":   25,
	"high":     50,
	"critical": 90,
}

// SeverityWeight is the risk an alert of that severity adds when new; 0 for
// an unknown severity.
func SeverityWeight(severity string) float64 { return severityWeight[severity] }

// RiskAlert is one alert that names an entity (a user or a host).
type RiskAlert struct {
	ID       string
	Severity string
	At       time.Time
}

// Contribution is what one alert adds to a score at the time asked.
type Contribution struct {
	AlertID string
	Value   float64
}

// Risk is an entity's score: the sum of its alerts' weights, each halved
// every HalfLife, over the Window before the time asked; Normalized maps
// the sum onto 0 to 100 (100·(1−e^(−sum/100)), so one critical alert alone
// is about 59 and the score never passes 100). Contributions are listed
// largest first, as the explanation of the score.
type Risk struct {
	Sum           float64
	Normalized    float64
	Contributions []Contribution
}

// RiskConfig sets the score's decay. Zero fields take the defaults: a
// window of 30 days and a half-life of 7 days.
type RiskConfig struct {
	Window   time.Duration
	HalfLife time.Duration
}

// Score computes the entity's risk at now from its alerts. Alerts after now
// or older than the window do not count.
func (c RiskConfig) Score(alerts []RiskAlert, now time.Time) Risk {
	window, half := c.Window, c.HalfLife
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	if half <= 0 {
		half = 7 * 24 * time.Hour
	}
	var r Risk
	for _, a := range alerts {
		age := now.Sub(a.At)
		if age < 0 || age > window {
			continue
		}
		v := SeverityWeight(a.Severity) * math.Exp2(-float64(age)/float64(half))
		if v == 0 {
			continue
		}
		r.Sum += v
		r.Contributions = append(r.Contributions, Contribution{AlertID: a.ID, Value: v})
	}
	sort.SliceStable(r.Contributions, func(i, j int) bool { return r.Contributions[i].Value > r.Contributions[j].Value })
	r.Normalized = 100 * (1 - math.Exp(-r.Sum/100))
	return r
}
