package agents

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opsward/opsward/services/noc/probe"
)

func spoolResult(i int) Result {
	return Result{JobID: fmt.Sprintf("job_%026d", i), MonitorID: "mon_01jd0000000000000000000000", Status: probe.StatusUp,
		StartedAt: time.Date(2026, 12, 7, 10, 0, i, 0, time.UTC), LatencyUs: int64(i)}
}

func jobIDs(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.JobID)
	}
	return out
}

func TestSpoolKeepsOrderAcrossReopen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Append([]Result{spoolResult(1), spoolResult(2), spoolResult(3)}); err != nil {
		t.Fatal(err)
	}
	if err := sp.Append([]Result{spoolResult(4)}); err != nil {
		t.Fatal(err)
	}
	if got := jobIDs(sp.Next(2)); len(got) != 2 || got[0] != spoolResult(1).JobID || got[1] != spoolResult(2).JobID {
		t.Fatalf("head: %v", got)
	}
	if err := sp.Ack(2); err != nil {
		t.Fatal(err)
	}
	sp.Close()

	// Another process: the acknowledged two are gone, the rest in order.
	sp, err = OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := sp.Next(100)
	if len(got) != 2 || !reflect.DeepEqual(got[0], spoolResult(3)) || !reflect.DeepEqual(got[1], spoolResult(4)) {
		t.Fatalf("after reopening: %+v", got)
	}
	if err := sp.Append([]Result{spoolResult(5)}); err != nil {
		t.Fatal(err)
	}
	if err := sp.Ack(3); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if fi, err := os.Stat(filepath.Join(dir, spoolFile)); err != nil || fi.Size() != 0 {
		t.Fatalf("an empty spool keeps bytes: %v %v", fi, err)
	}
	sp, err = OpenSpool(dir, 0, nil)
	if err != nil || sp.Len() != 0 {
		t.Fatalf("an emptied spool reopened holds %d: %v", sp.Len(), err)
	}
	sp.Close()
}

func TestSpoolCrashBeforeAckResends(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Append([]Result{spoolResult(1), spoolResult(2)}); err != nil {
		t.Fatal(err)
	}
	_ = sp.Next(2) // pushed, then the agent dies before Ack
	sp.Close()
	sp, err = OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if got := jobIDs(sp.Next(10)); len(got) != 2 {
		t.Fatalf("results not acknowledged were lost: %v", got)
	}
}

func TestSpoolTornTailIsSkipped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp, err := OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Append([]Result{spoolResult(1), spoolResult(2)}); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	// The agent died in the middle of the third record.
	line, _ := encodeRecord(spoolResult(3))
	f, err := os.OpenFile(filepath.Join(dir, spoolFile), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(line[:len(line)/2])
	f.Close()

	var logs bytes.Buffer
	sp, err = OpenSpool(dir, 0, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobIDs(sp.Next(10)); len(got) != 2 {
		t.Fatalf("kept %v", got)
	}
	if !strings.Contains(logs.String(), "damaged") || !strings.Contains(logs.String(), "skipped=1") {
		t.Fatalf("no warning: %s", logs.String())
	}
	// The torn bytes were cut: the next append reads back whole.
	if err := sp.Append([]Result{spoolResult(4)}); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	sp, err = OpenSpool(dir, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if got := jobIDs(sp.Next(10)); len(got) != 3 || got[2] != spoolResult(4).JobID {
		t.Fatalf("after the torn tail: %v", got)
	}
}

func TestSpoolBoundDropsOldest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	line, _ := encodeRecord(spoolResult(1))
	limit := int64(len(line)) * 3 // three records
	var logs bytes.Buffer
	sp, err := OpenSpool(dir, limit, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := sp.Append([]Result{spoolResult(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if sp.Bytes() > limit {
		t.Fatalf("%d bytes over the bound of %d", sp.Bytes(), limit)
	}
	got := jobIDs(sp.Next(10))
	if len(got) != 3 || got[0] != spoolResult(3).JobID || got[2] != spoolResult(5).JobID {
		t.Fatalf("kept %v", got)
	}
	if strings.Count(logs.String(), "dropped=1") != 2 {
		t.Fatalf("drops not counted in the log: %s", logs.String())
	}
	sp.Close()
	sp, err = OpenSpool(dir, limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if sp.Len() != 3 {
		t.Fatalf("reopened: %d", sp.Len())
	}
}

func TestSpoolBatchesStayUnderTheBodyLimit(t *testing.T) {
	t.Parallel()
	sp, err := OpenSpool(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var rs []Result
	for i := range 2000 {
		r := spoolResult(i)
		r.Message = strings.Repeat("x", 4000)
		rs = append(rs, r)
	}
	if err := sp.Append(rs); err != nil {
		t.Fatal(err)
	}
	b := sp.Next(MaxBatchResults)
	n := 0
	for _, r := range b {
		l, _ := encodeRecord(r)
		n += len(l)
	}
	if len(b) == 0 || n > MaxBatchBytes-1024 {
		t.Fatalf("a batch of %d results, %d bytes", len(b), n)
	}
}

// FuzzReadSpool: whatever is on disk, reading never panics, and what it
// keeps is whole results that read back the same.
func FuzzReadSpool(f *testing.F) {
	a, _ := encodeRecord(spoolResult(1))
	b, _ := encodeRecord(spoolResult(2))
	f.Add(append(append([]byte{}, a...), b...))
	f.Add(append(append([]byte{}, a...), b[:10]...))
	f.Add([]byte("{}\n\n{\"job_id\":1}\nnot json\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, damaged := ReadSpool(bytes.NewReader(data))
		if damaged < 0 || len(rs) > bytes.Count(data, []byte("\n")) {
			t.Fatalf("%d results and %d damaged from %d lines", len(rs), damaged, bytes.Count(data, []byte("\n")))
		}
		var again []byte
		for _, r := range rs {
			l, err := encodeRecord(r)
			if err != nil {
				t.Fatal(err)
			}
			again = append(again, l...)
		}
		rs2, d2 := ReadSpool(bytes.NewReader(again))
		if d2 != 0 || len(rs2) != len(rs) {
			t.Fatalf("re-read %d (%d damaged) of %d", len(rs2), d2, len(rs))
		}
	})
}
