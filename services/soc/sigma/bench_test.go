package sigma

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used, user and system: a rate
// per CPU second is less disturbed than one per wall second by other work
// on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLibrary evaluates the regression events against the whole
// SigmaHQ library: with routing and the literal index, with routing only,
// and naively (every rule's logsource and detection tried on every event).
func BenchmarkLibrary(b *testing.B) {
	l := loadLibrary(b)
	var events []Event
	var sources [][]LogSource
	for _, rc := range loadRegression(b) {
		for _, ev := range rc.events {
			events = append(events, ev)
			sources = append(sources, WindowsLogSources(ev))
		}
	}
	variants := []struct {
		name string
		rs   *RuleSet
	}{
		{"indexed", l.set},
		{"routed_only", Compile(l.rules, Config{DisablePrefilter: true})},
		{"naive", Compile(l.rules, Config{DisableRouting: true, DisablePrefilter: true})},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			// Warm the routes so that their one-time build is not measured.
			for i := range events {
				v.rs.Matches(events[i], sources[i], func(*Match) {})
			}
			matches := 0
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % len(events)
				v.rs.Matches(events[j], v.rs.cfg.LogSources(events[j]), func(*Match) { matches++ })
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
			}
			b.ReportMetric(float64(matches)/float64(b.N), "matches/event")
		})
	}
}
