package graph

import (
	"errors"
	"testing"

	"github.com/opsward/opsward"
)

// A connection asked for without a page size reads MaxPage rows, never the
// whole table; an explicit size stays as given; one out of range is a
// mistake naming the argument.
func TestCheckPage(t *testing.T) {
	ip := func(n int) *int { return &n }
	cases := []struct {
		name        string
		first, last *int
		want        *int
		field       string
	}{
		{"neither", nil, nil, ip(MaxPage), ""},
		{"first", ip(7), nil, ip(7), ""},
		{"zero", ip(0), nil, ip(0), ""},
		{"last only", nil, ip(5), nil, ""},
		{"first too large", ip(MaxPage + 1), nil, nil, "first"},
		{"last negative", nil, ip(-1), nil, "last"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := checkPage(c.first, c.last)
			if c.field != "" {
				var fe *opsward.Error
				if !errors.As(err, &fe) || fe.Field != c.field {
					t.Fatalf("err %v, want a mistake naming %s", err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("first %v, want %v", got, c.want)
			}
		})
	}
}
