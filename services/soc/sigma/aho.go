package sigma

import (
	"sort"
	"unicode/utf8"
)

// acMatcher is an Aho–Corasick automaton over bytes: one pass over a field
// value reports every pattern it contains. The root has a dense table; the
// other states keep sorted edges, which keeps the library's automata small.
type acMatcher struct {
	root  [256]int32
	keys  [][]byte
	nexts [][]int32
	fail  []int32
	out   [][]int32 // patterns ending at this state
	link  []int32   // next state on the fail chain with output, or -1
	// dense holds complete transition tables (failures resolved) for the
	// shallow states, where a scan spends most of its time.
	dense [][]int32
	// States are numbered breadth first, so the shallow states are
	// 0..nflat-1 and flat holds their tables one after the other.
	flat  []int32
	nflat int32
	// The bytes of the patterns are numbered 1..nclass-1 (class), all the
	// other bytes are class 0; the rows of flat are indexed by class.
	class  [256]uint8
	nclass int32
	// The goto edges of all states in three flat arrays: the edges of
	// state s are ekey/enext[eoff[s]:eoff[s+1]], sorted by key.
	eoff  []int32
	ekey  []byte
	enext []int32
	// emit is the first state with output on the fail chain of each state,
	// itself included; -1 when there is none.
	emit []int32
	// lowerOnly is set when no pattern has an ASCII upper-case letter, as
	// for the prefilter's lower-cased literals: appendHitsFold may then
	// lower-case the text as it scans.
	lowerOnly bool
	// start tells, for appendHitsFold, the bytes on which the scan can
	// leave the root: those that start a pattern, in either case, and
	// every non-ASCII byte (where the fold stops). At the root the scan
	// skips other bytes in a loop whose steps do not wait on each other.
	start [256]bool
}

const denseDepth = 3

func newAC(patterns []string) *acMatcher {
	type node struct {
		edges map[byte]int32
		out   []int32
	}
	nodes := []node{{edges: map[byte]int32{}}}
	for pid, p := range patterns {
		cur := int32(0)
		for i := 0; i < len(p); i++ {
			nx, ok := nodes[cur].edges[p[i]]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{edges: map[byte]int32{}})
				nodes[cur].edges[p[i]] = nx
			}
			cur = nx
		}
		nodes[cur].out = append(nodes[cur].out, int32(pid))
	}
	n := len(nodes)
	a := &acMatcher{keys: make([][]byte, n), nexts: make([][]int32, n), fail: make([]int32, n), out: make([][]int32, n), link: make([]int32, n)}
	for i, nd := range nodes {
		ks := make([]byte, 0, len(nd.edges))
		for k := range nd.edges {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(x, y int) bool { return ks[x] < ks[y] })
		a.keys[i] = ks
		a.nexts[i] = make([]int32, len(ks))
		for j, k := range ks {
			a.nexts[i][j] = nd.edges[k]
		}
		a.out[i] = nd.out
	}
	// Breadth-first failure links.
	queue := make([]int32, 0, n)
	for j, k := range a.keys[0] {
		s := a.nexts[0][j]
		a.root[k] = s
		a.fail[s] = 0
		queue = append(queue, s)
	}
	a.link[0] = -1
	a.dense = make([][]int32, n)
	depth := make([]int, n)
	a.dense[0] = a.root[:]
	order := make([]int32, 0, n)
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		order = append(order, s)
		if f := a.fail[s]; len(a.out[f]) > 0 {
			a.link[s] = f
		} else {
			a.link[s] = a.link[f]
		}
		if s == 0 {
			a.link[s] = -1
		}
		for j, k := range a.keys[s] {
			t := a.nexts[s][j]
			f := a.fail[s]
			for {
				if nx := a.step(f, k); nx >= 0 {
					a.fail[t] = nx
					break
				}
				if f == 0 {
					a.fail[t] = 0
					break
				}
				f = a.fail[f]
			}
			depth[t] = depth[s] + 1
			queue = append(queue, t)
		}
	}
	// Breadth-first order: a state's failure state is shallower, so its
	// table is complete before it is copied.
	for _, s := range order {
		if depth[s] >= denseDepth {
			continue
		}
		tab := make([]int32, 256)
		copy(tab, a.dense[a.fail[s]])
		for j, k := range a.keys[s] {
			tab[k] = a.nexts[s][j]
		}
		a.dense[s] = tab
	}
	b := a.renumber(append([]int32{0}, order...), depth)
	b.lowerOnly = true
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if 'A' <= p[i] && p[i] <= 'Z' {
				b.lowerOnly = false
			}
		}
	}
	for c := range b.start {
		b.start[c] = c >= utf8.RuneSelf || b.root[asciiLower[c]] != 0
	}
	return b
}

// renumber gives the states the numbers of their position in order (a
// breadth-first order) and builds the flat tables of the dense states.
func (a *acMatcher) renumber(order []int32, depth []int) *acMatcher {
	n := len(order)
	id := make([]int32, n)
	for i, s := range order {
		id[s] = int32(i)
	}
	b := &acMatcher{keys: make([][]byte, n), nexts: make([][]int32, n), fail: make([]int32, n), out: make([][]int32, n), link: make([]int32, n), dense: make([][]int32, n)}
	for i, s := range order {
		b.keys[i] = a.keys[s]
		nx := make([]int32, len(a.nexts[s]))
		for j, t := range a.nexts[s] {
			nx[j] = id[t]
		}
		b.nexts[i] = nx
		b.fail[i] = id[a.fail[s]]
		b.out[i] = a.out[s]
		b.link[i] = -1
		if l := a.link[s]; l >= 0 {
			b.link[i] = id[l]
		}
		if d := a.dense[s]; d != nil {
			tab := make([]int32, 256)
			for c, t := range d {
				tab[c] = id[t]
			}
			b.dense[i] = tab
		}
		if depth[s] < denseDepth {
			b.nflat = int32(i) + 1
		}
	}
	for c := range b.root {
		b.root[c] = id[a.root[c]]
	}
	b.dense[0] = b.root[:]
	b.emit = make([]int32, n)
	for i := range b.emit {
		b.emit[i] = b.link[i]
		if len(b.out[i]) > 0 {
			b.emit[i] = int32(i)
		}
	}
	// Goto edges and flat tables carry outBit on targets with output, so
	// that a scan loads emit only there.
	for _, nx := range b.nexts {
		for j, t := range nx {
			if b.emit[t] > 0 {
				nx[j] = t | outBit
			}
		}
	}
	b.eoff = make([]int32, n+1)
	for i := range b.keys {
		b.ekey = append(b.ekey, b.keys[i]...)
		b.enext = append(b.enext, b.nexts[i]...)
		b.eoff[i+1] = int32(len(b.ekey))
	}
	var used [256]bool
	for _, ks := range b.keys {
		for _, k := range ks {
			used[k] = true
		}
	}
	rep := []int{-1} // class 0: bytes in no pattern lead to the root
	for c := range used {
		if used[c] {
			b.class[c] = uint8(len(rep))
			rep = append(rep, c)
		}
	}
	if len(rep) > 256 {
		// Every byte is in some pattern: one class per byte, class 0 unused
		// would not fit in a uint8, so number the bytes themselves.
		rep = rep[1:]
		for c := range b.class {
			b.class[c] = uint8(c)
		}
	}
	b.nclass = int32(len(rep))
	b.flat = make([]int32, 0, int(b.nflat)*len(rep))
	for i := int32(0); i < b.nflat; i++ {
		for _, c := range rep {
			t := int32(0)
			if c >= 0 {
				t = b.dense[i][c]
			}
			if b.emit[t] > 0 {
				t |= outBit
			}
			b.flat = append(b.flat, t)
		}
	}
	return b
}

// outBit marks, in nexts and flat, a target state that has output on its
// fail chain.
const outBit = 1 << 30

// step follows the goto edge of s on b; -1 when there is none (0 at root).
// Once an automaton is built, the result may carry outBit.
func (a *acMatcher) step(s int32, b byte) int32 {
	if s == 0 {
		return a.root[b]
	}
	ks := a.keys[s]
	if len(ks) <= 8 {
		for i, k := range ks {
			if k == b {
				return a.nexts[s][i]
			}
		}
		return -1
	}
	i := sort.Search(len(ks), func(i int) bool { return ks[i] >= b })
	if i < len(ks) && ks[i] == b {
		return a.nexts[s][i]
	}
	return -1
}

// scan calls hit for every pattern occurrence in s (a pattern may be
// reported more than once).
func (a *acMatcher) scan(s string, hit func(pid int32)) {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		b := s[i]
		for {
			if d := a.dense[st]; d != nil {
				st = d[b]
				break
			}
			nx := a.step(st, b)
			if nx >= 0 {
				st = nx &^ outBit
				break
			}
			st = a.fail[st]
		}
		for o := st; o > 0; o = a.link[o] {
			for _, pid := range a.out[o] {
				hit(pid)
			}
			if o == 0 {
				break
			}
		}
	}
}

// asciiLower lower-cases an ASCII byte.
var asciiLower = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// appendHitsFold is appendHits over strings.ToLower(s), lower-casing as it
// scans instead of in a pass of its own. It only knows ASCII: at the first
// other byte it stops and returns false, and the caller scans the
// lower-cased text with appendHits. What it appended by then stands: up to
// that byte both texts are the same, and the state marks keep the second
// scan from reporting a pattern twice.
func (a *acMatcher) appendHitsFold(dst []int32, s string, marks []uint32, stamp uint32) ([]int32, bool) {
	if !a.lowerOnly {
		return dst, false
	}
	st := int32(0)
	flat, nflat, link, out, emit := a.flat, a.nflat, a.link, a.out, a.emit
	class, nclass, start := &a.class, a.nclass, &a.start
	for i := 0; i < len(s); i++ {
		if st == 0 {
			for i < len(s) && !start[s[i]] {
				i++
			}
			if i == len(s) {
				break
			}
		}
		b := s[i]
		if b >= utf8.RuneSelf {
			return dst, false
		}
		b = asciiLower[b]
		var nx int32
		for {
			if st < nflat {
				nx = flat[int(st*nclass)+int(class[b])]
				break
			}
			lo, hi := a.eoff[st], a.eoff[st+1]
			nx = -1
			for j := lo; j < hi; j++ {
				if a.ekey[j] == b {
					nx = a.enext[j]
					break
				}
			}
			if nx >= 0 {
				break
			}
			st = a.fail[st]
		}
		st = nx &^ outBit
		if nx&outBit == 0 {
			continue
		}
		for o := emit[st]; o > 0 && marks[o] != stamp; o = link[o] {
			marks[o] = stamp
			dst = append(dst, out[o]...)
		}
	}
	return dst, true
}

// appendHits appends to dst the id of every pattern that occurs in s and
// returns the extended slice. marks (one per state) holds stamp for the
// states whose patterns were already reported in this pass, so that each
// pattern is appended at most once over the values scanned with one stamp.
func (a *acMatcher) appendHits(dst []int32, s string, marks []uint32, stamp uint32) []int32 {
	st := int32(0)
	flat, nflat, link, out, emit := a.flat, a.nflat, a.link, a.out, a.emit
	class, nclass := &a.class, a.nclass
	for i := 0; i < len(s); i++ {
		b := s[i]
		var nx int32
		for {
			if st < nflat {
				nx = flat[int(st*nclass)+int(class[b])]
				break
			}
			lo, hi := a.eoff[st], a.eoff[st+1]
			nx = -1
			for j := lo; j < hi; j++ {
				if a.ekey[j] == b {
					nx = a.enext[j]
					break
				}
			}
			if nx >= 0 {
				break
			}
			st = a.fail[st]
		}
		st = nx &^ outBit
		if nx&outBit == 0 {
			continue
		}
		// The states on a fail chain are the same wherever it is entered:
		// once a state is marked, the rest of its chain is too.
		for o := emit[st]; o > 0 && marks[o] != stamp; o = link[o] {
			marks[o] = stamp
			dst = append(dst, out[o]...)
		}
	}
	return dst
}
