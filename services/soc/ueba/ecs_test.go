package ueba

import (
	"net/netip"
	"testing"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
)

func TestFromECS(t *testing.T) {
	recv := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name, line string
		want       Event
		ok         bool
	}{
		{"sshd accepted", "<38>Nov  2 09:00:00 web-1 sshd[411]: Accepted password for alice from 203.0.113.7 port 52113 ssh2",
			Event{User: "alice", Host: "web-1", Source: netip.MustParseAddr("203.0.113.7"), Login: true, Success: true}, true},
		{"sshd failed", "<38>Nov  2 09:00:00 web-1 sshd[411]: Failed password for alice from 203.0.113.7 port 52113 ssh2",
			Event{User: "alice", Host: "web-1", Source: netip.MustParseAddr("203.0.113.7"), Login: true}, true},
		{"sudo ran", "<85>Nov  2 09:00:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
			Event{User: "alice", Host: "web-1", Success: true, Privileged: true}, true},
		{"sudo denied", "<85>Nov  2 09:00:00 web-1 sudo:    alice : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
			Event{User: "alice", Host: "web-1", Login: true, Privileged: true}, true},
		{"not a user's action", "<30>Nov  2 09:00:00 web-1 systemd[1]: Started Daily apt upgrade.", Event{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := normalize.Normalize([]byte(c.line), normalize.FormatAuto, recv)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := FromECS("tnt_a", ev)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v (fields %v)", ok, c.ok, ev.Fields)
			}
			if !ok {
				return
			}
			got.At = time.Time{}
			c.want.Tenant = "tnt_a"
			if got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// FuzzObserve feeds the Detector event streams built from arbitrary bytes:
// it must never panic, and its profiles stay within their bounds.
func FuzzObserve(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDetector(Config{MaxNetworks: 4, MaxHosts: 4, LearnEvents: 2, LearnFor: time.Minute,
			Locator: cityLocator{netip.MustParsePrefix("10.0.0.0/24"): berlin, netip.MustParsePrefix("10.0.1.0/24"): newYork}})
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i+4 <= len(b); i += 4 {
			ev := Event{Tenant: string(rune('a' + b[i]%3)), User: string(rune('u' + b[i+1]%3)), Host: string(rune('h' + b[i+2]%7)),
				Source: netip.AddrFrom4([4]byte{10, 0, b[i+2] % 3, b[i+3]}), At: base.Add(time.Duration(b[i+3]) * time.Duration(i+1) * time.Minute),
				Login: b[i]&8 != 0, Success: b[i]&16 != 0, Privileged: b[i]&32 != 0}
			for _, a := range d.Observe(ev) {
				if a.Kind == "" || a.Reason == "" {
					t.Fatalf("anomaly without kind or reason: %+v", a)
				}
			}
		}
		for _, p := range d.profiles {
			if len(p.networks) > 4 || len(p.hosts) > 4 {
				t.Fatalf("profile past its bounds: %d networks, %d hosts", len(p.networks), len(p.hosts))
			}
		}
	})
}
