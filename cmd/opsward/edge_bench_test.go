package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/internal/inflight"
	"github.com/opsward/opsward/services/soc/detect"
)

// BenchmarkIngestBodyBudget measures the part of POST /ingest/events that
// the in-flight budget touches: a gzip batch of about 1 MiB of EVTX-shaped
// events decompressed, read whole and split into events, from four
// tenants at once. "before" is the read as it was (io.ReadAll of a
// LimitReader), "off" the budgeted reader with the budget off, "on" with
// the default budget of 128 MiB. The rest of the ingest path (storing,
// detection) does not change and only adds to the time of each request,
// so the relative cost measured here is an upper bound.
//
// On a shared, noisy machine the separate sub-benchmarks drift by more
// than the budget costs; BenchmarkIngestBodyBudget/interleaved runs the
// three side by side, request after request, and reports each one's mean
// and the budget's cost against both.
//
//	go test -run '^$' -bench IngestBodyBudget -count 5 ./cmd/opsward/
func BenchmarkIngestBodyBudget(b *testing.B) {
	var lines []string
	for i := 0; len(strings.Join(lines, "\n")) < 1<<20; i++ {
		lines = append(lines, evtx(fmt.Sprintf("ws-%d", i%50), fmt.Sprintf(`ACME\user%d`, i%200),
			fmt.Sprintf(`C:\Windows\System32\cmd.exe /c echo job %d > C:\temp\out%d.txt`, i, i%7)))
	}
	raw := []byte(strings.Join(lines, "\n"))
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	zipped := zb.Bytes()
	owners := []string{"ten_a", "ten_b", "ten_c", "ten_d"}

	type reader func(r io.Reader, owner string) ([]byte, func(), error)
	before := func(r io.Reader, _ string) ([]byte, func(), error) {
		body, err := io.ReadAll(io.LimitReader(r, detect.MaxBatchBytes+1))
		return body, func() {}, err
	}
	budgeted := func(bud *inflight.Budget) reader {
		return func(r io.Reader, owner string) ([]byte, func(), error) {
			return bud.ReadAll(r, owner, detect.MaxBatchBytes, min(4*int64(len(zipped)), detect.MaxBatchBytes))
		}
	}
	modes := []struct {
		name string
		read reader
	}{
		{"before", before},
		{"off", budgeted(nil)},
		{"on", budgeted(inflight.New(128 << 20))},
	}
	one := func(b *testing.B, read reader, owner string) {
		gz, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			b.Fatal(err)
		}
		body, release, err := read(gz, owner)
		if err != nil {
			b.Fatal(err)
		}
		evs, err := detect.SplitBatch(body)
		release()
		if err != nil || len(evs) != len(lines) {
			b.Fatalf("%d events, %v", len(evs), err)
		}
	}
	b.Run("interleaved", func(b *testing.B) {
		var spent [3]time.Duration
		for i := 0; i < b.N; i++ {
			for k := range modes {
				j := (k + i) % len(modes) // each mode goes first in turn
				start := time.Now()
				one(b, modes[j].read, owners[i%len(owners)])
				spent[j] += time.Since(start)
			}
		}
		for j, m := range modes {
			b.ReportMetric(float64(spent[j].Nanoseconds())/float64(b.N), "ns/"+m.name)
		}
		b.ReportMetric(100*(float64(spent[2])/float64(spent[1])-1), "%on-vs-off")
		b.ReportMetric(100*(float64(spent[2])/float64(spent[0])-1), "%on-vs-before")
	})
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					gz, err := gzip.NewReader(bytes.NewReader(zipped))
					if err != nil {
						b.Fatal(err)
					}
					body, release, err := mode.read(gz, owners[i%len(owners)])
					if err != nil {
						b.Fatal(err)
					}
					evs, err := detect.SplitBatch(body)
					release()
					if err != nil || len(evs) != len(lines) {
						b.Fatalf("%d events, %v", len(evs), err)
					}
				}
			})
		})
	}
}
