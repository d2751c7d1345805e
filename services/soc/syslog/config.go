package syslog

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/normalize"
)

// Config configures a Server. Each address list may be empty; at least one
// listener must be configured. Addresses are host:port; port 0 picks a free
// port (Server.Addrs gives the bound ones). Several addresses of one
// transport give per-tenant ports (see Source.Ports).
type Config struct {
	UDPAddrs []string
	TCPAddrs []string
	TLSAddrs []string
	// TLSConfig must hold a certificate when TLSAddrs is set.
	TLSConfig *tls.Config
	// MaxMessageSize caps one message, in bytes; longer ones are cut to it
	// and counted as oversize. At most normalize.MaxMessageSize.
	MaxMessageSize int
	// IdleTimeout closes a TCP or TLS connection that sends nothing for
	// this long.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds a TLS handshake.
	HandshakeTimeout time.Duration
	// MaxConnections caps open TCP and TLS connections together; further
	// ones are closed at once and counted.
	MaxConnections int
	// UDPReaders is the number of goroutines reading each UDP socket.
	UDPReaders int
	// TokenSDID and TokenParam name the structured data parameter that
	// carries a source token: [TokenSDID TokenParam="…"].
	TokenSDID  string
	TokenParam string
	// DrainIdle is how long, during Close, a connection may stay silent
	// before it is closed: what peers already sent is still read.
	DrainIdle time.Duration
}

// Defaults.
const (
	DefaultIdleTimeout      = 5 * time.Minute
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxConnections   = 1024
	DefaultUDPReaders       = 2
	DefaultTokenSDID        = "opsward@32473"
	DefaultTokenParam       = "token"
	DefaultDrainIdle        = 250 * time.Millisecond
)

// WithDefaults returns c with unset fields given their defaults.
func (c Config) WithDefaults() Config {
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = normalize.MaxMessageSize
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.UDPReaders == 0 {
		c.UDPReaders = DefaultUDPReaders
	}
	if c.TokenSDID == "" {
		c.TokenSDID = DefaultTokenSDID
	}
	if c.TokenParam == "" {
		c.TokenParam = DefaultTokenParam
	}
	if c.DrainIdle == 0 {
		c.DrainIdle = DefaultDrainIdle
	}
	return c
}

// Validate reports the first setting that is wrong, naming it.
func (c Config) Validate() error {
	if len(c.UDPAddrs)+len(c.TCPAddrs)+len(c.TLSAddrs) == 0 {
		return opsward.FieldErrorf("syslog.udp_addrs", "no listener configured: set at least one UDP, TCP or TLS address")
	}
	for name, addrs := range map[string][]string{"syslog.udp_addrs": c.UDPAddrs, "syslog.tcp_addrs": c.TCPAddrs, "syslog.tls_addrs": c.TLSAddrs} {
		for i, a := range addrs {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return opsward.FieldErrorf(fmt.Sprintf("%s[%d]", name, i), "%q is not host:port", a)
			}
		}
	}
	if len(c.TLSAddrs) > 0 && (c.TLSConfig == nil || (len(c.TLSConfig.Certificates) == 0 && c.TLSConfig.GetCertificate == nil && c.TLSConfig.GetConfigForClient == nil)) {
		return opsward.FieldErrorf("syslog.tls_config", "TLS listeners need a certificate")
	}
	if c.MaxMessageSize < 480 || c.MaxMessageSize > normalize.MaxMessageSize {
		// RFC 5424 requires receivers to take at least 480 bytes.
		return opsward.FieldErrorf("syslog.max_message_size", "must be between 480 and %d bytes, not %d", normalize.MaxMessageSize, c.MaxMessageSize)
	}
	if c.IdleTimeout <= 0 {
		return opsward.FieldErrorf("syslog.idle_timeout", "must be positive")
	}
	if c.HandshakeTimeout <= 0 {
		return opsward.FieldErrorf("syslog.handshake_timeout", "must be positive")
	}
	if c.MaxConnections <= 0 {
		return opsward.FieldErrorf("syslog.max_connections", "must be positive")
	}
	if c.UDPReaders <= 0 || c.UDPReaders > 64 {
		return opsward.FieldErrorf("syslog.udp_readers", "must be between 1 and 64")
	}
	if c.DrainIdle <= 0 {
		return opsward.FieldErrorf("syslog.drain_idle", "must be positive")
	}
	return nil
}
