package syslog_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/opsward/opsward/services/soc/syslog"
)

// Sources binds by token first, then by dedicated port, then by the
// longest CIDR prefix holding the sender.
func ExampleSources() {
	src, err := syslog.NewSources([]syslog.Source{
		{TenantID: "ten_acme", SourceID: "src_fw", TokenHash: syslog.HashToken("s3cr3t-token")},
		{TenantID: "ten_acme", SourceID: "src_lan", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{TenantID: "ten_globex", SourceID: "src_dc", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}},
	})
	if err != nil {
		panic(err)
	}
	for _, m := range []syslog.Meta{
		{Peer: netip.MustParseAddrPort("10.20.1.1:514"), Token: "s3cr3t-token"},
		{Peer: netip.MustParseAddrPort("10.20.1.1:514")},
		{Peer: netip.MustParseAddrPort("10.9.1.1:514")},
		{Peer: netip.MustParseAddrPort("192.0.2.1:514")},
	} {
		tenant, source, ok := src.Bind(context.Background(), m)
		fmt.Println(m.Peer.Addr(), tenant, source, ok)
	}
	// Output:
	// 10.20.1.1 ten_acme src_fw true
	// 10.20.1.1 ten_globex src_dc true
	// 10.9.1.1 ten_acme src_lan true
	// 192.0.2.1   false
}
