package ueba

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// MMDB is a Locator over a MaxMind-format database: GeoLite2-City,
// GeoIP2-City, or any database whose records hold location.latitude and
// location.longitude. The operator provides the file (OPSWARD_GEOIP_DB);
// Opsward ships none.
type MMDB struct{ r *maxminddb.Reader }

// OpenMMDB opens a database file.
func OpenMMDB(path string) (*MMDB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geolocation database %s: %w", path, err)
	}
	if err := checkMMDB(r); err != nil {
		r.Close()
		return nil, fmt.Errorf("geolocation database %s: %w", path, err)
	}
	return &MMDB{r: r}, nil
}

// MMDBFromBytes reads a database held in memory.
func MMDBFromBytes(b []byte) (*MMDB, error) {
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("geolocation database: %w", err)
	}
	if err := checkMMDB(r); err != nil {
		return nil, fmt.Errorf("geolocation database: %w", err)
	}
	return &MMDB{r: r}, nil
}

func checkMMDB(r *maxminddb.Reader) error {
	if v := r.Metadata.IPVersion; v != 4 && v != 6 {
		return fmt.Errorf("ip_version %d, want 4 or 6", v)
	}
	return nil
}

type mmdbCity struct {
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// Locate returns the address's coordinates; ok is false for an address the
// database does not hold, or holds without a location.
func (m *MMDB) Locate(a netip.Addr) (lat, lon float64, ok bool) {
	res := m.r.Lookup(a.Unmap())
	if !res.Found() {
		return 0, 0, false
	}
	var rec mmdbCity
	if err := res.Decode(&rec); err != nil || rec.Location.Latitude == nil || rec.Location.Longitude == nil {
		return 0, 0, false
	}
	return *rec.Location.Latitude, *rec.Location.Longitude, true
}

// Close releases the database.
func (m *MMDB) Close() error { return m.r.Close() }
