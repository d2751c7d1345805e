package platform

import (
	"strings"
	"testing"
)

func TestIngestMemorySetting(t *testing.T) {
	for v, want := range map[string]int64{"": 128 << 20, "off": -1, "OFF": -1, "64MiB": 64 << 20, "1GiB": 1 << 30, "200MB": 200e6, "2097152": 2 << 20} {
		c, err := Load(func(k string) string {
			if k == "OPSWARD_INGEST_MEMORY" {
				return v
			}
			return ""
		}, nil)
		if err != nil || c.IngestMemory != want {
			t.Errorf("OPSWARD_INGEST_MEMORY=%q: %d, %v; want %d", v, c.IngestMemory, err, want)
		}
	}
	for _, v := range []string{"lots", "-5", "12KiB", "0"} {
		_, err := Load(func(k string) string {
			if k == "OPSWARD_INGEST_MEMORY" {
				return v
			}
			return ""
		}, nil)
		if err == nil || !strings.Contains(err.Error(), "OPSWARD_INGEST_MEMORY") {
			t.Errorf("OPSWARD_INGEST_MEMORY=%q: %v, want an error naming the setting", v, err)
		}
	}
}
