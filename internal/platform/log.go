package platform

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ParseLevel reads a log level name.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// NewLogger returns the process logger. It is passed to everything that
// logs; there is no global logger.
func NewLogger(w io.Writer, c Config) *slog.Logger {
	lvl, _ := ParseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if c.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(contextHandler{NewRedactHandler(h)})
}

// Redacted is what a secret attribute's value becomes in the log.
const Redacted = "[REDACTED]"

// SecretName reports whether an attribute (or group, or path parameter)
// named name holds a secret: its name says secret, password, token or key
// (passwd, pwd, credential, authorization, cookie and api_key too). Names
// that end in "id" (key_id, token_id) are identifiers, kept readable.
func SecretName(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, "id") {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var secretWords = []string{"secret", "password", "passwd", "pwd", "token", "key", "credential", "authorization", "cookie"}

// redactHandler replaces the value of every attribute whose name says it
// is a secret, at any depth of groups, before the record reaches h. It is
// the last line of defence: code should not log secrets in the first
// place, and no attribute should carry a request body.
type redactHandler struct {
	h slog.Handler
	// secretGroup: a WithGroup name on the way here said secret, so every
	// attribute added below it is one.
	secretGroup bool
}

// NewRedactHandler wraps h so that secret attributes are logged as
// Redacted.
func NewRedactHandler(h slog.Handler) slog.Handler { return &redactHandler{h: h} }

func (r *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, r.secretGroup))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a, r.secretGroup)
	}
	return &redactHandler{h: r.h.WithAttrs(red), secretGroup: r.secretGroup}
}

func (r *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{h: r.h.WithGroup(name), secretGroup: r.secretGroup || SecretName(name)}
}

// redactAttr returns a with secret values replaced, walking groups (and
// values that resolve to groups).
func redactAttr(a slog.Attr, secret bool) slog.Attr {
	a.Value = a.Value.Resolve()
	secret = secret || SecretName(a.Key)
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		red := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			red[i] = redactAttr(g, secret)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	}
	if secret {
		return slog.String(a.Key, Redacted)
	}
	return a
}

type logAttrsKey struct{}

// WithLogAttrs returns ctx carrying attributes that every log line written
// with that context gets (request_id, tenant_id, job_id).
func WithLogAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(logAttrsKey{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	all = append(append(all, prev...), attrs...)
	return context.WithValue(ctx, logAttrsKey{}, all)
}

// contextHandler adds the attributes of WithLogAttrs to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(logAttrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// BufferedWriter batches log lines: writing each line to stderr on its own
// costs a system call per request. Lines reach w at least every interval,
// when the buffer fills, and on Close.
type BufferedWriter struct {
	mu   sync.Mutex
	w    io.Writer
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBufferedWriter starts a writer that flushes to w every interval.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: w, buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				b.Flush()
				return
			}
		}
	}()
	return b
}

func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes what is buffered.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// Close flushes and stops the background flusher.
func (b *BufferedWriter) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	<-b.done
	return nil
}
