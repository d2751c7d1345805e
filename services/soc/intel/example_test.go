package intel_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/opsward/opsward/services/soc/intel"
)

// A feed is imported, indexed and published; ingest then matches each
// normalised event for its tenant.
func Example() {
	feed := `type,value,confidence,tlp,tags,description
domain,evil.example,90,amber,c2,Team server domain
cidr,198.51.100.0/24,70,green,scanner,Mass scanning
url,http://phish.example/login,80,amber,phishing,Credential harvesting`
	res, err := intel.ImportCSV(strings.NewReader(feed), intel.ImportOptions{Source: "partner ISAC"})
	if err != nil {
		panic(err)
	}
	m, rejected := intel.NewMatcher(res.Indicators)
	fmt.Println("indexed", m.Len(), "rejected", len(rejected))

	var store intel.Store
	store.Swap(m) // ingest goroutines keep calling store.Match meanwhile

	ev := map[string]any{
		"source.ip":         "198.51.100.23",
		"dns.question.name": "cdn.EVIL.example.",
		"url.full":          "HTTP://phish.example:80/login",
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, h := range store.Match(ev, intel.Scope{"ten_customer"}, now) {
		fmt.Printf("%s %q hit %s %s (%s, %s)\n", h.Field, h.Value, h.Indicator.Kind, h.Indicator.Value, h.Indicator.Source, h.Indicator.Tags[0])
	}
	// Output:
	// indexed 3 rejected 0
	// source.ip "198.51.100.23" hit cidr 198.51.100.0/24 (partner ISAC, scanner)
	// dns.question.name "cdn.EVIL.example." hit domain evil.example (partner ISAC, c2)
	// url.full "HTTP://phish.example:80/login" hit url http://phish.example/login (partner ISAC, phishing)
}

// A STIX pattern the matcher cannot express is refused with the reason.
func ExampleParseSTIXPattern() {
	vals, _ := intel.ParseSTIXPattern("[ipv4-addr:value = '203.0.113.5' OR domain-name:value = 'Evil.Example']")
	fmt.Println(vals)
	_, err := intel.ParseSTIXPattern("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'a.exe']")
	fmt.Println(err)
	// Output:
	// [{ipv4 203.0.113.5} {domain evil.example}]
	// invalid: pattern joins comparisons with AND (several properties of one object at once); the matcher tests single values
}
