package syslog_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/syslog"
)

// BenchmarkServerTCP measures one TCP connection's messages through
// framing, binding, normalisation and a Sink that discards: the cost per
// message of the receiver itself.
func BenchmarkServerTCP(b *testing.B) {
	src, _ := syslog.NewSources([]syslog.Source{{TenantID: "ten", SourceID: "src", CIDRs: loopback}})
	sink := syslog.SinkFunc(func(context.Context, string, string, normalize.Event) error { return nil })
	srv, err := syslog.New(syslog.Config{TCPAddrs: []string{"127.0.0.1:0"}}, src, sink, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	c, err := net.Dial("tcp", srv.Addrs(syslog.TCP)[0].String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := "<86>1 2026-11-26T04:01:58.027554Z web1 sshd 812 - - Failed password for invalid user admin from 203.0.113.7 port 40022 ssh2\n"
	b.SetBytes(int64(len(msg)))
	w := bufio.NewWriter(c)
	b.ResetTimer()
	for range b.N {
		_, _ = w.WriteString(msg)
	}
	_ = w.Flush()
	end := time.Now().Add(time.Minute)
	for srv.Stats().TCP.Accepted < uint64(b.N) {
		if time.Now().After(end) {
			b.Fatalf("accepted %d of %d", srv.Stats().TCP.Accepted, b.N)
		}
		time.Sleep(time.Millisecond)
	}
}
