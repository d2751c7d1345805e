package syslog_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/syslog"
)

func TestSourcesBind(t *testing.T) {
	t.Parallel()
	src, err := syslog.NewSources([]syslog.Source{
		{TenantID: "ten_a", SourceID: "src_a_token", TokenHash: syslog.HashToken("tok-a")},
		{TenantID: "ten_b", SourceID: "src_b_port", Ports: []uint16{6601}},
		{TenantID: "ten_c", SourceID: "src_c_wide", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{TenantID: "ten_d", SourceID: "src_d_narrow", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("2001:db8::/32")}},
		{TenantID: "ten_e", SourceID: "src_e_host", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/32")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	peer := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	tests := []struct {
		name       string
		meta       syslog.Meta
		wantSource string // "" = unclaimed
	}{
		{"token beats port and CIDR", syslog.Meta{Peer: peer("10.1.2.3:514"), LocalPort: 6601, Token: "tok-a"}, "src_a_token"},
		{"unknown token is unclaimed, never bound by address", syslog.Meta{Peer: peer("10.1.2.3:514"), LocalPort: 6601, Token: "tok-x"}, ""},
		{"port beats CIDR", syslog.Meta{Peer: peer("10.1.2.3:514"), LocalPort: 6601}, "src_b_port"},
		{"longest prefix: /32", syslog.Meta{Peer: peer("10.1.2.3:514"), LocalPort: 514}, "src_e_host"},
		{"longest prefix: /24", syslog.Meta{Peer: peer("10.1.2.4:514"), LocalPort: 514}, "src_d_narrow"},
		{"longest prefix: /8", syslog.Meta{Peer: peer("10.9.9.9:514"), LocalPort: 514}, "src_c_wide"},
		{"IPv4-mapped IPv6 peer", syslog.Meta{Peer: peer("[::ffff:10.1.2.4]:514")}, "src_d_narrow"},
		{"IPv6 peer", syslog.Meta{Peer: peer("[2001:db8::5]:514")}, "src_d_narrow"},
		{"unregistered address", syslog.Meta{Peer: peer("192.0.2.1:514"), LocalPort: 514}, ""},
		{"no address at all", syslog.Meta{}, ""},
	}
	for _, tc := range tests {
		_, got, ok := src.Bind(context.Background(), tc.meta)
		if ok != (tc.wantSource != "") || got != tc.wantSource {
			t.Errorf("%s: got %q %v, want %q", tc.name, got, ok, tc.wantSource)
		}
	}
	var empty syslog.Sources
	if _, _, ok := empty.Bind(context.Background(), syslog.Meta{Peer: peer("10.0.0.1:1")}); ok {
		t.Error("zero Sources bound a message")
	}
}

func TestSourcesReplaceRefusesAmbiguity(t *testing.T) {
	t.Parallel()
	p := netip.MustParsePrefix
	tests := []struct {
		list  []syslog.Source
		field string
		want  string
	}{
		{[]syslog.Source{{SourceID: "s", Ports: []uint16{1}}}, "sources[0].tenant_id", "is required"},
		{[]syslog.Source{{TenantID: "t", SourceID: "s"}}, "sources[0].cidrs", "claimed by nothing"},
		{[]syslog.Source{{TenantID: "t", SourceID: "s", TokenHash: []byte("short")}}, "sources[0].token_hash", "SHA-256"},
		{[]syslog.Source{{TenantID: "t", SourceID: "a", TokenHash: syslog.HashToken("x")}, {TenantID: "u", SourceID: "b", TokenHash: syslog.HashToken("x")}}, "sources[1].token_hash", "already registered for source a"},
		{[]syslog.Source{{TenantID: "t", SourceID: "a", Ports: []uint16{7000}}, {TenantID: "u", SourceID: "b", Ports: []uint16{7000}}}, "sources[1].ports", "already dedicated to source a"},
		{[]syslog.Source{{TenantID: "t", SourceID: "a", CIDRs: []netip.Prefix{p("10.0.0.0/8")}}, {TenantID: "u", SourceID: "b", CIDRs: []netip.Prefix{p("10.1.0.0/8")}}}, "sources[1].cidrs", "10.0.0.0/8 is already registered"},
	}
	for i, tc := range tests {
		s, err := syslog.NewSources(nil)
		if err != nil {
			t.Fatal(err)
		}
		good := []syslog.Source{{TenantID: "t0", SourceID: "keep", CIDRs: []netip.Prefix{p("192.0.2.0/24")}}}
		if err := s.Replace(good); err != nil {
			t.Fatal(err)
		}
		err = s.Replace(tc.list)
		if opsward.ErrorField(err) != tc.field || !strings.Contains(opsward.ErrorMessage(err), tc.want) {
			t.Errorf("%d: %v (field %q), want %s: %s", i, err, opsward.ErrorField(err), tc.field, tc.want)
		}
		if _, id, ok := s.Bind(context.Background(), syslog.Meta{Peer: netip.MustParseAddrPort("192.0.2.9:1")}); !ok || id != "keep" {
			t.Errorf("%d: a refused Replace changed the sources", i)
		}
	}
}

// Bind while Replace swaps the set: every answer comes from one whole set.
func TestSourcesConcurrentReplace(t *testing.T) {
	t.Parallel()
	set := func(n int) []syslog.Source {
		return []syslog.Source{{TenantID: fmt.Sprint("ten_", n), SourceID: fmt.Sprint("src_", n), CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	}
	s, _ := syslog.NewSources(set(0))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i < 500; i++ {
			if err := s.Replace(set(i)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 2000 {
		ten, src, ok := s.Bind(context.Background(), syslog.Meta{Peer: netip.MustParseAddrPort("10.0.0.1:5")})
		if !ok || strings.TrimPrefix(ten, "ten_") != strings.TrimPrefix(src, "src_") {
			t.Fatalf("torn binding %s %s %v", ten, src, ok)
		}
	}
	wg.Wait()
}
