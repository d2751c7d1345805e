package detect

import (
	"testing"

	"github.com/opsward/opsward/services/soc/normalize"
)

// BenchmarkRoute measures routing one normalised event (of the log
// sources in sourceCases, in turn) to its logsources and Sigma view: the
// cost ingest adds per event before the rules run.
func BenchmarkRoute(b *testing.B) {
	evs := make([]normalize.Event, len(sourceCases))
	for i, c := range sourceCases {
		evs[i] = normalizeCase(b, c)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Route(evs[i%len(evs)])
		i++
	}
}
