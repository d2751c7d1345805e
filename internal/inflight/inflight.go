// Package inflight bounds the memory that request bodies hold at once: one
// budget of bytes shared by every request in the process, of which one
// owner (a tenant, or the anonymous caller) may hold at most a quarter, so
// that a burst of large or hostile uploads from one customer is refused
// with "retry later" instead of growing the process until it dies, and the
// other customers keep being served.
//
// It never waits for room: a request that does not fit is refused at once
// (the HTTP edge answers 503 with Retry-After), which keeps a flood from
// piling up goroutines and connections behind a lock.
package inflight

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/opsward/opsward"
)

// RetryAfterSeconds is what a refused request is told to wait.
const RetryAfterSeconds = 2

// Budget is a number of bytes shared by all requests. A nil *Budget is no
// budget: every reservation succeeds.
type Budget struct {
	total, perOwner int64

	mu     sync.Mutex
	used   int64
	owners map[string]int64
}

// New returns a budget of total bytes, of which one owner may hold at most
// a quarter. total <= 0 returns nil: no budget.
func New(total int64) *Budget {
	if total <= 0 {
		return nil
	}
	return &Budget{total: total, perOwner: max(total/4, 1), owners: map[string]int64{}}
}

// Total is the budget's size; PerOwner the most one owner may hold.
func (b *Budget) Total() int64 {
	if b == nil {
		return 0
	}
	return b.total
}

// PerOwner is the most one owner may hold at once (0: no budget).
func (b *Budget) PerOwner() int64 {
	if b == nil {
		return 0
	}
	return b.perOwner
}

// InUse reports the bytes held now, in all and by owner.
func (b *Budget) InUse(owner string) (all, mine int64) {
	if b == nil {
		return 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.owners[owner]
}

// take reserves n more bytes for owner, or reports that they do not fit.
func (b *Budget) take(owner string, n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	mine := b.owners[owner]
	if b.used+n > b.total || mine+n > b.perOwner {
		return false
	}
	b.used += n
	b.owners[owner] = mine + n
	return true
}

func (b *Budget) give(owner string, n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if m := b.owners[owner] - n; m > 0 {
		b.owners[owner] = m
	} else {
		delete(b.owners, owner)
	}
}

// ErrBusy is the cause of a refusal for lack of room (code unavailable).
var ErrBusy = errors.New("the memory budget for request bodies is full")

// ReadAll reads r to its end and returns what it read, at most limit
// bytes, holding the memory it keeps against the budget for owner until
// release is called (release is never nil and may be called more than
// once). sizeHint, when positive, is the expected size (a Content-Length).
//
// Errors: a body over limit is opsward ETOOLARGE (nothing past limit+1
// bytes is read, so a compression bomb costs at most limit); a body that
// does not fit in the budget now is EUNAVAILABLE wrapping ErrBusy; a read
// error is returned as it is.
func (b *Budget) ReadAll(r io.Reader, owner string, limit, sizeHint int64) (body []byte, release func(), err error) {
	var held int64
	var once sync.Once
	release = func() { once.Do(func() { b.give(owner, held) }) }
	defer func() {
		if err != nil {
			release()
			body = nil
		}
	}()
	if b != nil && limit > b.perOwner {
		// One owner can never hold more than its share: a body larger than
		// that is too large, not "busy".
		limit = b.perOwner
	}
	grow := func(want int64) error {
		want = min(want, limit)
		if want <= int64(cap(body)) {
			return nil
		}
		if !b.take(owner, want-held) {
			return opsward.Unavailable(ErrBusy)
		}
		held = want
		nb := make([]byte, len(body), want)
		copy(nb, body)
		body = nb
		return nil
	}
	first := int64(32 << 10)
	if sizeHint > 0 {
		first = sizeHint
	}
	if err := grow(first); err != nil {
		return nil, release, err
	}
	for {
		if len(body) == cap(body) {
			if int64(len(body)) >= limit {
				// Full: one more byte means too large.
				var one [1]byte
				n, err := io.ReadFull(r, one[:])
				if n > 0 {
					return nil, release, opsward.Errorf(opsward.ETOOLARGE, "the body is over the limit of %s", Size(limit))
				}
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					return body, release, nil
				}
				return nil, release, err
			}
			if err := grow(max(int64(cap(body))*2, 32<<10)); err != nil {
				return nil, release, err
			}
		}
		n, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			return body, release, nil
		}
		if err != nil {
			return nil, release, err
		}
	}
}

// Size writes a byte count for people: 32 MiB, 512 KiB, 100 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
