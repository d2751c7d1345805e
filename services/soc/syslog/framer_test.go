package syslog_test

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/opsward/opsward/services/soc/syslog"
)

type frame struct {
	msg       string
	truncated bool
}

func frames(t testing.TB, r io.Reader, max int) []frame {
	t.Helper()
	f := syslog.NewFramer(r, max)
	var out []frame
	for {
		m, tr, err := f.Next()
		if len(m) > 0 || tr {
			out = append(out, frame{string(m), tr})
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Next: %v", err)
			}
			return out
		}
		if len(out) > 10000 {
			t.Fatal("framer does not end")
		}
	}
}

func TestFramer(t *testing.T) {
	t.Parallel()
	long := "<13>1 - - - - - - " + strings.Repeat("x", 600)
	tests := []struct {
		name string
		in   string
		want []frame
	}{
		{"LF", "<13>a\n<13>b\n", []frame{{"<13>a", false}, {"<13>b", false}}},
		{"CRLF and NUL", "<13>a\r\n<13>b\x00<13>c", []frame{{"<13>a", false}, {"<13>b", false}, {"<13>c", false}}},
		{"octet counting", "5 <13>a7 <13>b c", []frame{{"<13>a", false}, {"<13>b c", false}}},
		{"octet frame holding a newline", "9 <13>a\nb\nc", []frame{{"<13>a\nb\nc", false}}},
		{"mixed per message, blank lines between", "5 <13>a\n\n<13>b\n5 <13>c", []frame{{"<13>a", false}, {"<13>b", false}, {"<13>c", false}}},
		{"digits not followed by SP< are a line", "123 hello\n42\n", []frame{{"123 hello", false}, {"42", false}}},
		{"octet frame cut by EOF is kept", "20 <13>abc", []frame{{"<13>abc", true}}},
		{"oversize line cut, rest discarded", long + "\n<13>next\n", []frame{{long[:512], true}, {"<13>next", false}}},
		{"oversize octet frame cut, rest discarded", strconv.Itoa(len(long)) + " " + long + "<13>n\n", []frame{{long[:512], true}, {"<13>n", false}}},
		{"line exactly at max", long[:512] + "\n<13>z\n", []frame{{long[:512], false}, {"<13>z", false}}},
	}
	for _, tc := range tests {
		for _, split := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tc.in)
			if split {
				r = iotest.OneByteReader(r) // every read returns one byte
			}
			got := frames(t, r, 512)
			if len(got) != len(tc.want) {
				t.Errorf("%s (split %v): got %+v, want %+v", tc.name, split, got, tc.want)
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%s (split %v): frame %d = %+v, want %+v", tc.name, split, i, got[i], tc.want[i])
				}
			}
		}
	}
}

func TestFramerReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	f := syslog.NewFramer(io.MultiReader(strings.NewReader("<13>a\n<13>partial"), iotest.ErrReader(boom)), 512)
	if m, _, err := f.Next(); string(m) != "<13>a" || err != nil {
		t.Fatalf("first: %q %v", m, err)
	}
	if m, tr, err := f.Next(); string(m) != "<13>partial" || !tr || err != nil {
		t.Fatalf("partial: %q %v %v", m, tr, err)
	}
	if _, _, err := f.Next(); !errors.Is(err, boom) {
		t.Fatalf("then: %v", err)
	}
}

// Any byte stream: the framer ends, never returns more than max bytes in a
// message nor more bytes than it read; and a stream of octet-counted
// messages built from the fuzzed parts comes back as those messages.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("<13>a\n<13>b\r\n"), []byte("<13>x"), uint8(3))
	f.Add([]byte("5 <13>a7 <13>b c"), []byte("<1>1 - - - - - - \n"), uint8(1))
	f.Add([]byte("99999999999 <"), []byte("<9>"), uint8(0))
	f.Add([]byte("1\x002 <3\n"), []byte(""), uint8(7))
	const max = 64
	f.Fuzz(func(t *testing.T, stream, part []byte, chunk uint8) {
		r := io.Reader(bytes.NewReader(stream))
		if chunk%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		total := 0
		for _, fr := range frames(t, r, max) {
			if len(fr.msg) > max {
				t.Fatalf("message of %d bytes", len(fr.msg))
			}
			total += len(fr.msg)
		}
		if total > len(stream) {
			t.Fatalf("%d bytes out of %d in", total, len(stream))
		}
		// A message starting with '<' framed by octet counting, n times.
		msg := append([]byte("<"), part...)
		if len(msg) > max {
			msg = msg[:max]
		}
		var b bytes.Buffer
		n := int(chunk%5) + 1
		for range n {
			b.WriteString(strconv.Itoa(len(msg)) + " ")
			b.Write(msg)
		}
		got := frames(t, iotest.HalfReader(&b), max)
		if len(got) != n {
			t.Fatalf("%d frames of %d: %+v", len(got), n, got)
		}
		for _, g := range got {
			if g.msg != string(msg) || g.truncated {
				t.Fatalf("frame %q, want %q", g.msg, msg)
			}
		}
	})
}
