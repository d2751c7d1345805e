package intel

import (
	"math/bits"
	"slices"
)

// trie is a path-compressed binary radix trie over addresses of up to 128
// bits (IPv4 addresses sit in the top 32 bits of hi). Nodes live in one
// slice and point at each other by index, so the trie is a few large
// allocations instead of one per prefix, and a snapshot can be shared by
// any number of readers.
type trie struct {
	nodes []tnode
	// jump, for a large IPv4 trie, skips the top of the walk: indexed by
	// an address's first 16 bits, it gives the node to go on from and the
	// deepest node of /16 or shorter holding entries, whose own ancestors
	// with entries follow through up. With tens of thousands of prefixes
	// the top 16 levels are as many cache misses per lookup; the table is
	// one. It costs 512 KiB, so small tries go without.
	jump []jumpEntry
	up   []uint32
}

type jumpEntry struct {
	cont uint32 // node to continue the walk at, none to stop
	anc  uint32 // deepest node of /16 or shorter with entries, or none
}

const (
	jumpBits     = 16
	jumpMinNodes = 8192
)

type tnode struct {
	hi, lo uint64    // the prefix, masked to bits
	child  [2]uint32 // 0 = none: the root (node 0) is nobody's child
	head   uint32    // first entry on exactly this prefix, or none
	bits   uint8
}

func bitAt(hi, lo uint64, i uint8) int {
	if i < 64 {
		return int(hi >> (63 - i) & 1)
	}
	return int(lo >> (127 - i) & 1)
}

func mask128(hi, lo uint64, n uint8) (uint64, uint64) {
	switch {
	case n == 0:
		return 0, 0
	case n < 64:
		return hi &^ (^uint64(0) >> n), 0
	case n == 64:
		return hi, 0
	case n < 128:
		return hi, lo &^ (^uint64(0) >> (n - 64))
	}
	return hi, lo
}

func commonLen(ahi, alo, bhi, blo uint64) uint8 {
	if x := ahi ^ bhi; x != 0 {
		return uint8(bits.LeadingZeros64(x))
	}
	return 64 + uint8(bits.LeadingZeros64(alo^blo))
}

// insert adds entry e on prefix (hi, lo)/n, chaining it through next in
// front of any entry already on that exact prefix.
func (t *trie) insert(hi, lo uint64, n uint8, e uint32, next []uint32) {
	hi, lo = mask128(hi, lo, n)
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, tnode{head: none})
	}
	cur := uint32(0)
	for {
		nd := &t.nodes[cur]
		if nd.bits == n {
			next[e] = nd.head
			nd.head = e
			return
		}
		b := bitAt(hi, lo, nd.bits)
		c := nd.child[b]
		if c == 0 {
			t.nodes = append(t.nodes, tnode{hi: hi, lo: lo, bits: n, head: e})
			next[e] = none
			t.nodes[cur].child[b] = uint32(len(t.nodes) - 1)
			return
		}
		cn := t.nodes[c]
		common := min(commonLen(hi, lo, cn.hi, cn.lo), n, cn.bits)
		if common == cn.bits {
			cur = c
			continue
		}
		// The child's prefix and ours part ways (or ours ends) at common:
		// put a node there with the child below it.
		mh, ml := mask128(hi, lo, common)
		mid := tnode{hi: mh, lo: ml, bits: common, head: none}
		mid.child[bitAt(cn.hi, cn.lo, common)] = c
		if common == n {
			mid.head = e
			next[e] = none
			t.nodes = append(t.nodes, mid)
		} else {
			t.nodes = append(t.nodes, mid, tnode{hi: hi, lo: lo, bits: n, head: e})
			next[e] = none
			t.nodes[len(t.nodes)-2].child[bitAt(hi, lo, common)] = uint32(len(t.nodes) - 1)
		}
		t.nodes[cur].child[b] = uint32(len(t.nodes) - 1 - boolInt(common != n))
		return
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildJump fills jump and up once every prefix is in (IPv4 tries only).
func (t *trie) buildJump() {
	t.up = make([]uint32, len(t.nodes))
	t.up[0] = none
	stack := []uint32{0}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range t.nodes[n].child {
			if c == 0 {
				continue
			}
			if t.nodes[n].head != none {
				t.up[c] = n
			} else {
				t.up[c] = t.up[n]
			}
			stack = append(stack, c)
		}
	}
	t.jump = make([]jumpEntry, 1<<jumpBits)
	for b := range t.jump {
		hi := uint64(b) << (64 - jumpBits)
		e := jumpEntry{cont: none, anc: none}
		cur := uint32(0)
		for {
			nd := &t.nodes[cur]
			if nd.bits > jumpBits {
				e.cont = cur // its own prefix is checked at lookup
				break
			}
			if mh, _ := mask128(hi, 0, nd.bits); mh != nd.hi {
				break
			}
			if nd.head != none {
				e.anc = cur
			}
			if nd.bits == jumpBits {
				e.cont = cur // the next step depends on bit 16 of the address
				break
			}
			c := nd.child[bitAt(hi, 0, nd.bits)]
			if c == 0 {
				break
			}
			cur = c
		}
		t.jump[b] = e
	}
}

// path writes to out the nodes, shallowest first, whose prefix contains
// address (hi, lo) and that hold entries; it returns how many. out must
// have room for 129 nodes (one per prefix length).
func (t *trie) path(hi, lo uint64, out *[129]uint32) int {
	if len(t.nodes) == 0 {
		return 0
	}
	k := 0
	cur := uint32(0)
	if t.jump != nil {
		j := t.jump[hi>>(64-jumpBits)]
		for a := j.anc; a != none; a = t.up[a] {
			out[k] = a
			k++
		}
		slices.Reverse(out[:k])
		if cur = j.cont; cur == none {
			return k
		}
		if nd := &t.nodes[cur]; nd.bits <= jumpBits {
			if cur = nd.child[bitAt(hi, lo, nd.bits)]; cur == 0 {
				return k
			}
		}
	}
	for {
		nd := &t.nodes[cur]
		if mh, ml := mask128(hi, lo, nd.bits); mh != nd.hi || ml != nd.lo {
			return k
		}
		if nd.head != none {
			out[k] = cur
			k++
		}
		if nd.bits >= 128 {
			return k
		}
		c := nd.child[bitAt(hi, lo, nd.bits)]
		if c == 0 {
			return k
		}
		cur = c
	}
}
