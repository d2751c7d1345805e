package inflight

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/opsward/opsward"
)

// countingReader counts what was read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// zeros is an endless body.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestReadAllLimitsAndHolds(t *testing.T) {
	b := New(4 << 20) // 1 MiB per owner
	body, release, err := b.ReadAll(strings.NewReader(strings.Repeat("x", 1<<20)), "ten_a", 1<<20, 0)
	if err != nil || len(body) != 1<<20 {
		t.Fatalf("a body of exactly the limit: %d bytes, %v", len(body), err)
	}
	if all, mine := b.InUse("ten_a"); all != 1<<20 || mine != 1<<20 {
		t.Fatalf("held %d/%d while the body is kept, want 1 MiB", all, mine)
	}
	// The owner's share is spent: its next body is refused as busy, at once.
	if _, _, err := b.ReadAll(strings.NewReader("{}"), "ten_a", 1<<20, 0); opsward.ErrorCode(err) != opsward.EUNAVAILABLE || !errors.Is(err, ErrBusy) {
		t.Fatalf("over the owner's share: %v", err)
	}
	// Another owner still has room.
	other, rel2, err := b.ReadAll(strings.NewReader("{}"), "ten_b", 1<<20, 0)
	if err != nil || string(other) != "{}" {
		t.Fatalf("another owner: %q %v", other, err)
	}
	release()
	release() // twice is harmless
	rel2()
	if all, _ := b.InUse(""); all != 0 {
		t.Fatalf("after release %d bytes are held", all)
	}

	// An endless body stops one byte past the limit, as too large.
	cr := &countingReader{r: zeros{}}
	if _, _, err := b.ReadAll(cr, "ten_a", 512<<10, 0); opsward.ErrorCode(err) != opsward.ETOOLARGE {
		t.Fatalf("endless body: %v", err)
	}
	if cr.n > 512<<10+1 {
		t.Fatalf("read %d bytes of an endless body with a limit of 512 KiB", cr.n)
	}
	if all, _ := b.InUse(""); all != 0 {
		t.Fatalf("a refused body still holds %d bytes", all)
	}
	// A limit above the owner's share is capped to it: too large, not busy.
	if _, _, err := b.ReadAll(zeros{}, "ten_a", 32<<20, 0); opsward.ErrorCode(err) != opsward.ETOOLARGE {
		t.Fatalf("over the share: %v", err)
	}
}

func TestBudgetIsSharedByAllOwners(t *testing.T) {
	b := New(4 << 20)
	var releases []func()
	for _, owner := range []string{"a", "b", "c", "d"} {
		_, rel, err := b.ReadAll(bytes.NewReader(make([]byte, 1<<20)), owner, 1<<20, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", owner, err)
		}
		releases = append(releases, rel)
	}
	if _, _, err := b.ReadAll(strings.NewReader("x"), "e", 1<<20, 0); opsward.ErrorCode(err) != opsward.EUNAVAILABLE {
		t.Fatalf("a fifth owner with the budget full: %v", err)
	}
	releases[0]()
	if _, rel, err := b.ReadAll(strings.NewReader("x"), "e", 1<<20, 0); err != nil {
		t.Fatalf("after one release: %v", err)
	} else {
		rel()
	}
}

func TestNoBudget(t *testing.T) {
	var b *Budget = New(0)
	body, release, err := b.ReadAll(strings.NewReader("hello"), "", 10, 0)
	release()
	if err != nil || string(body) != "hello" {
		t.Fatalf("%q %v", body, err)
	}
	if _, _, err := b.ReadAll(zeros{}, "", 10, 0); opsward.ErrorCode(err) != opsward.ETOOLARGE {
		t.Fatalf("the limit still applies without a budget: %v", err)
	}
}

// BenchmarkTakeGive is the budget's own cost per request body (one
// reservation and its release, four owners, all cores at once).
func BenchmarkTakeGive(b *testing.B) {
	bud := New(128 << 20)
	owners := []string{"ten_a", "ten_b", "ten_c", "ten_d"}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			o := owners[i%len(owners)]
			if bud.take(o, 1<<20) {
				bud.give(o, 1<<20)
			}
		}
	})
}

// FuzzReadAll: any body under the limit comes back whole, any body over
// it is too large, and nothing stays held afterwards.
func FuzzReadAll(f *testing.F) {
	f.Add([]byte("hello"), uint16(3), uint16(0))
	f.Add(bytes.Repeat([]byte("x"), 70_000), uint16(65535), uint16(100))
	f.Fuzz(func(t *testing.T, data []byte, limit, hint uint16) {
		b := New(4 << 20)
		body, release, err := b.ReadAll(iotestHalf{bytes.NewReader(data)}, "o", int64(limit), int64(hint))
		switch {
		case len(data) <= int(limit):
			if err != nil || !bytes.Equal(body, data) {
				t.Fatalf("%d bytes, limit %d: %d bytes back, %v", len(data), limit, len(body), err)
			}
		default:
			if opsward.ErrorCode(err) != opsward.ETOOLARGE {
				t.Fatalf("%d bytes, limit %d: %v", len(data), limit, err)
			}
		}
		release()
		if all, _ := b.InUse("o"); all != 0 {
			t.Fatalf("%d bytes held after release", all)
		}
	})
}

// iotestHalf reads at most half of what is asked, to cross buffer edges.
type iotestHalf struct{ r io.Reader }

func (h iotestHalf) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:len(p)/2]
	}
	return h.r.Read(p)
}
