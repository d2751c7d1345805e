package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Framer splits a TCP or TLS stream into syslog messages. Each message is
// framed either by octet counting ("123 <34>1 …", RFC 6587 3.4.1) or by a
// trailer (LF, CRLF or NUL, RFC 6587 3.4.2), detected per message: a frame
// that begins with a non-zero digit, up to 9 digits, a space and '<' is
// octet counted; anything else runs to the next trailer. Empty lines and
// stray trailers between frames are skipped.
type Framer struct {
	r   *bufio.Reader
	max int
	// skip is set after a trailer-framed message was cut at max: the rest
	// of that line is discarded before the next frame.
	skip bool
	// err is a read error held back while a partial message was returned.
	err error
}

// NewFramer returns a Framer reading r, cutting messages at max bytes.
func NewFramer(r io.Reader, max int) *Framer {
	return &Framer{r: bufio.NewReaderSize(r, max16(max)), max: max}
}

func max16(n int) int {
	if n < 4096 {
		return 4096
	}
	return n + 16
}

// Next returns the next message and whether it was cut: longer than the
// maximum (the rest is discarded), or ended by the stream in the middle
// (kept rather than lost). At the end of the stream it returns io.EOF;
// after another read error, that error. The message is a new slice.
func (f *Framer) Next() ([]byte, bool, error) {
	if f.err != nil {
		return nil, false, f.err
	}
	if f.skip {
		if err := f.discardLine(); err != nil {
			return nil, false, f.fail(err)
		}
		f.skip = false
	}
	for {
		b, err := f.r.Peek(1)
		if err != nil {
			return nil, false, f.fail(err)
		}
		if c := b[0]; c == '\n' || c == '\r' || c == 0 {
			_, _ = f.r.Discard(1)
			continue
		}
		if b[0] >= '1' && b[0] <= '9' {
			if n, hdr, ok := f.octetHeader(); ok {
				_, _ = f.r.Discard(hdr)
				return f.octetFrame(n)
			}
		}
		return f.lineFrame()
	}
}

func (f *Framer) fail(err error) error {
	f.err = err
	return err
}

// octetHeader looks for "N SP <" at the reader without consuming it.
func (f *Framer) octetHeader() (n, hdr int, ok bool) {
	for i := 0; i < 10; i++ {
		p, err := f.r.Peek(i + 2)
		if len(p) < i+2 {
			_ = err
			return 0, 0, false
		}
		c := p[i]
		switch {
		case c >= '0' && c <= '9':
			if i == 9 {
				return 0, 0, false
			}
			n = n*10 + int(c-'0')
		case c == ' ' && i > 0:
			if p[i+1] != '<' {
				return 0, 0, false
			}
			return n, i + 1, true
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

func (f *Framer) octetFrame(n int) ([]byte, bool, error) {
	take := min(n, f.max)
	msg := make([]byte, take)
	got, err := io.ReadFull(f.r, msg)
	if err != nil {
		// The stream ended inside the frame: keep what came.
		f.err = err
		if errors.Is(err, io.ErrUnexpectedEOF) {
			f.err = io.EOF
		}
		return msg[:got], true, nil
	}
	if n > take {
		if _, err := f.r.Discard(n - take); err != nil {
			f.err = err
		}
		return msg, true, nil
	}
	return msg, false, nil
}

func (f *Framer) lineFrame() ([]byte, bool, error) {
	var msg []byte
	for {
		if f.r.Buffered() == 0 {
			if _, err := f.r.Peek(1); err != nil {
				if len(msg) == 0 {
					return nil, false, f.fail(err)
				}
				// The stream ended without a trailer: the last message
				// of a newline-framed sender that closed.
				f.err = err
				return trimCR(msg), !errors.Is(err, io.EOF), nil
			}
		}
		p, _ := f.r.Peek(f.r.Buffered())
		i := bytes.IndexAny(p, "\n\x00")
		end := len(p)
		if i >= 0 {
			end = i
		}
		room := f.max - len(msg)
		if end > room {
			msg = append(msg, p[:room]...)
			_, _ = f.r.Discard(room)
			f.skip = true
			return msg, true, nil
		}
		msg = append(msg, p[:end]...)
		if i >= 0 {
			_, _ = f.r.Discard(end + 1)
			return trimCR(msg), false, nil
		}
		_, _ = f.r.Discard(end)
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// discardLine drops bytes up to and including the next LF or NUL.
func (f *Framer) discardLine() error {
	for {
		if f.r.Buffered() == 0 {
			if _, err := f.r.Peek(1); err != nil {
				return err
			}
		}
		p, _ := f.r.Peek(f.r.Buffered())
		if i := bytes.IndexAny(p, "\n\x00"); i >= 0 {
			_, _ = f.r.Discard(i + 1)
			return nil
		}
		_, _ = f.r.Discard(len(p))
	}
}
