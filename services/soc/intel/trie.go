package intel

import "math/bits"

// trie is a path-compressed binary radix trie over addresses of up to 128
// bits (IPv4 addresses sit in the top 32 bits of hi). Nodes live in one
// slice and point at each other by index, so the trie is a few large
// allocations instead of one per prefix, and a snapshot can be shared by
// any number of readers.
type trie struct {
	nodes []tnode
}

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

// path writes to out the nodes, shallowest first, whose prefix contains
// address (hi, lo) and that hold entries; it returns how many. out must
// have room for 129 nodes (one per prefix length).
func (t *trie) path(hi, lo uint64, out *[129]uint32) int {
	if len(t.nodes) == 0 {
		return 0
	}
	k := 0
	cur := uint32(0)
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
