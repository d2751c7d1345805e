package ueba

import (
	"bytes"
	"encoding/binary"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// mmdbWriter writes the smallest MaxMind-format database that the
// reader accepts: IPv4, 24-bit records, one city location per prefix,
// laid out as the format's specification describes.
type mmdbWriter struct {
	nodes [][2]int // child: -1 empty, >= 0 a node, <= -2 the leaf -(2+i)
	data  bytes.Buffer
	leafs []int // data offset of each leaf
}

func (w *mmdbWriter) insert(p netip.Prefix, lat, lon float64) {
	if len(w.nodes) == 0 {
		w.nodes = append(w.nodes, [2]int{-1, -1})
	}
	a := p.Addr().As4()
	ip := binary.BigEndian.Uint32(a[:])
	n := 0
	for depth := 0; depth < p.Bits(); depth++ {
		bit := int(ip>>(31-depth)) & 1
		if depth == p.Bits()-1 {
			w.leafs = append(w.leafs, w.data.Len())
			w.nodes[n][bit] = -(2 + len(w.leafs) - 1)
			w.mapHdr(1)
			w.str("location")
			w.mapHdr(2)
			w.str("latitude")
			w.dbl(lat)
			w.str("longitude")
			w.dbl(lon)
			return
		}
		if w.nodes[n][bit] < 0 {
			w.nodes = append(w.nodes, [2]int{-1, -1})
			w.nodes[n][bit] = len(w.nodes) - 1
		}
		n = w.nodes[n][bit]
	}
}

func (w *mmdbWriter) str(s string) { w.data.WriteByte(2<<5 | byte(len(s))); w.data.WriteString(s) }
func (w *mmdbWriter) mapHdr(n int) { w.data.WriteByte(7<<5 | byte(n)) }
func (w *mmdbWriter) dbl(f float64) {
	w.data.WriteByte(3<<5 | 8)
	_ = binary.Write(&w.data, binary.BigEndian, math.Float64bits(f))
}

func (w *mmdbWriter) bytes() []byte {
	var out bytes.Buffer
	count := len(w.nodes)
	record := func(v int) {
		switch {
		case v == -1:
			v = count
		case v <= -2:
			v = count + 16 + w.leafs[-v-2]
		}
		out.Write([]byte{byte(v >> 16), byte(v >> 8), byte(v)})
	}
	for _, n := range w.nodes {
		record(n[0])
		record(n[1])
	}
	out.Write(make([]byte, 16))
	out.Write(w.data.Bytes())
	out.WriteString("\xab\xcd\xefMaxMind.com")
	meta := mmdbWriter{}
	meta.mapHdr(9)
	u16 := func(k string, v uint16) { meta.str(k); meta.data.Write([]byte{5<<5 | 2, byte(v >> 8), byte(v)}) }
	u16("binary_format_major_version", 2)
	u16("binary_format_minor_version", 0)
	meta.str("build_epoch")
	meta.data.Write([]byte{0<<5 | 8, 9 - 7})
	_ = binary.Write(&meta.data, binary.BigEndian, uint64(1764000000))
	meta.str("database_type")
	meta.str("Opsward-Test-City")
	meta.str("description")
	meta.mapHdr(0)
	u16("ip_version", 4)
	meta.str("languages")
	meta.data.Write([]byte{0, 11 - 7}) // an extended type (array) of size 0
	meta.str("node_count")
	meta.data.Write([]byte{6<<5 | 4})
	_ = binary.Write(&meta.data, binary.BigEndian, uint32(count))
	u16("record_size", 24)
	out.Write(meta.data.Bytes())
	return out.Bytes()
}

func TestMMDBLocatesAndDrivesImpossibleTravel(t *testing.T) {
	var w mmdbWriter
	w.insert(netip.MustParsePrefix("10.1.1.0/24"), berlin[0], berlin[1])
	w.insert(netip.MustParsePrefix("198.51.100.0/24"), newYork[0], newYork[1])
	path := filepath.Join(t.TempDir(), "city.mmdb")
	if err := os.WriteFile(path, w.bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := OpenMMDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if lat, lon, ok := db.Locate(netip.MustParseAddr("198.51.100.20")); !ok || lat != newYork[0] || lon != newYork[1] {
		t.Errorf("198.51.100.20 located at %v,%v (%v), want New York", lat, lon, ok)
	}
	if _, _, ok := db.Locate(netip.MustParseAddr("192.0.2.1")); ok {
		t.Error("an address outside the database was located")
	}
	d := NewDetector(Config{Locator: db, LearnEvents: 1, LearnFor: time.Nanosecond})
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	d.Observe(Event{Tenant: "t", User: "u", Source: netip.MustParseAddr("10.1.1.9"), At: t0, Login: true, Success: true})
	got := d.Observe(Event{Tenant: "t", User: "u", Source: netip.MustParseAddr("198.51.100.20"), At: t0.Add(40 * time.Minute), Login: true, Success: true})
	found := false
	for _, a := range got {
		found = found || a.Kind == ImpossibleTravel
	}
	if !found {
		t.Errorf("Berlin then New York 40 minutes later through the database: %v", kinds(got))
	}
}

func TestMMDBRefusesWhatIsNotOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.mmdb")
	if err := os.WriteFile(path, []byte("GeoLite2 is not here"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenMMDB(path); err == nil || !bytes.Contains([]byte(err.Error()), []byte(path)) {
		t.Errorf("a file that is no database: %v, want an error naming it", err)
	}
}

// FuzzMMDB: a database file is outside input; a damaged one is refused or
// answers lookups, never panics.
func FuzzMMDB(f *testing.F) {
	var w mmdbWriter
	w.insert(netip.MustParsePrefix("10.1.1.0/24"), 1, 2)
	f.Add(w.bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := MMDBFromBytes(b)
		if err != nil {
			return
		}
		db.Locate(netip.MustParseAddr("10.1.1.1"))
		db.Locate(netip.MustParseAddr("::1"))
	})
}
