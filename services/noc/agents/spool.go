package agents

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
)

// DefaultSpoolMaxBytes bounds an agent's spool when --spool-max is unset.
const DefaultSpoolMaxBytes = 64 << 20

// Spool file names in the agent's state directory.
const (
	spoolFile  = "results.spool"
	ackedFile  = "results.spool.acked"
	spoolTemp  = "results.spool.tmp"
	ackedTemp  = "results.spool.acked.tmp"
	maxRecord  = MaxBatchBytes // one result is far smaller; a longer line is damage
	compactMin = 1 << 20       // acknowledged bytes worth rewriting the file for
)

// spooled is one result in the spool with its encoded line (newline
// included), so that batches and the size bound count real bytes.
type spooled struct {
	r    Result
	line []byte
}

// Spool keeps the results an agent ran and has not yet had acknowledged,
// on disk beside its credential, so that neither an outage of the server
// nor a restart of the agent loses them.
//
// The file is JSON lines, appended and fsync'd once per batch. A second,
// small file holds how many bytes at the head were acknowledged (written
// whole and renamed into place); the acknowledged head is cut off when the
// spool empties or once it is large, so that draining a full spool does
// not rewrite it per batch. A result is dropped from the spool only after
// the server answered its push; a crash between the answer and the
// record of it sends it again, and the server stores it once (the job ID
// is the idempotency key).
//
// The spool is bounded: past MaxBytes the oldest results are dropped and
// counted in a log line. A torn last record (the agent died mid-write) or
// any damaged line is skipped with a warning when the spool is opened.
// A Spool is used by one goroutine.
type Spool struct {
	dir      string
	maxBytes int64
	log      *slog.Logger

	f     *os.File // appends go here
	recs  []spooled
	size  int64 // bytes of recs
	acked int64 // bytes at the head of the file already acknowledged
	file  int64 // bytes in the file
}

// OpenSpool opens (or creates) the spool in dir and reads what an earlier
// run left in it.
func OpenSpool(dir string, maxBytes int64, log *slog.Logger) (*Spool, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultSpoolMaxBytes
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes, log: log}
	data, err := os.ReadFile(filepath.Join(dir, spoolFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("spool: %w", err)
	}
	acked := readAcked(filepath.Join(dir, ackedFile))
	if acked > int64(len(data)) {
		acked = int64(len(data))
	}
	recs, damaged := ReadSpool(bytes.NewReader(data[acked:]))
	if damaged > 0 {
		log.Warn("the result spool had damaged records; they were skipped", "skipped", damaged, "kept", len(recs))
	}
	for _, r := range recs {
		line, err := encodeRecord(r)
		if err != nil {
			continue
		}
		s.recs = append(s.recs, spooled{r, line})
		s.size += int64(len(line))
	}
	// Rewrite what was kept: this cuts the acknowledged head and a torn
	// tail, which a later append would otherwise run into.
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	if len(s.recs) > 0 {
		log.Info("results kept from an earlier run will be pushed", "results", len(s.recs), "bytes", s.size)
	}
	return s, nil
}

// ReadSpool reads spool records (JSON lines) from r. Lines that are not a
// whole result, the torn last one among them, are skipped and counted; it
// never fails.
func ReadSpool(r io.Reader) (out []Result, damaged int) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) <= maxRecord+1 {
			line = append(line, chunk...)
		} else {
			tooLong, line = true, line[:0] // damaged whatever follows
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			damaged++
		} else if len(line) > 0 {
			if res, ok := decodeRecord(line); ok && err == nil {
				out = append(out, res)
			} else if len(bytes.TrimSpace(line)) > 0 {
				damaged++ // a bad line, or a last one with no newline: torn
			}
		}
		line, tooLong = line[:0], false
		if err != nil {
			return out, damaged
		}
	}
}

func decodeRecord(line []byte) (Result, bool) {
	if len(line) > maxRecord+1 || line[len(line)-1] != '\n' {
		return Result{}, false
	}
	var r Result
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || r.JobID == "" || r.MonitorID == "" || r.StartedAt.IsZero() {
		return Result{}, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return Result{}, false
	}
	return r, true
}

func encodeRecord(r Result) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Len is how many results wait in the spool.
func (s *Spool) Len() int { return len(s.recs) }

// Bytes is the size of the results waiting.
func (s *Spool) Bytes() int64 { return s.size }

// Append adds results at the end, on disk (fsync'd) before it returns.
// When the spool would pass its bound the oldest results are dropped, and
// counted in a log line.
func (s *Spool) Append(rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	var buf []byte
	for _, r := range rs {
		line, err := encodeRecord(r)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		buf = append(buf, line...)
		s.recs = append(s.recs, spooled{r, line})
		s.size += int64(len(line))
	}
	if s.size > s.maxBytes {
		var n int
		var b int64
		for s.size > s.maxBytes && len(s.recs) > 0 {
			b += int64(len(s.recs[0].line))
			s.size -= int64(len(s.recs[0].line))
			s.recs = s.recs[1:]
			n++
		}
		s.log.Warn("the result spool is full: the oldest results were dropped", "dropped", n, "dropped_bytes", b, "max_bytes", s.maxBytes)
		return s.rewrite()
	}
	if _, err := s.f.Write(buf); err != nil {
		// A short write leaves a torn line: write the file whole again.
		return errors.Join(fmt.Errorf("spool: %w", err), s.rewrite())
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.file += int64(len(buf))
	return nil
}

// Next is the head of the spool as one push: at most max results and
// MaxBatchBytes of them.
func (s *Spool) Next(max int) []Result {
	var out []Result
	var b int
	for _, r := range s.recs {
		if len(out) == max || (len(out) > 0 && b+len(r.line) > MaxBatchBytes-1024) {
			break
		}
		out = append(out, r.r)
		b += len(r.line)
	}
	return out
}

// Ack drops the first n results, which the server answered.
func (s *Spool) Ack(n int) error {
	n = min(n, len(s.recs))
	if n == 0 {
		return nil
	}
	var b int64
	for _, r := range s.recs[:n] {
		b += int64(len(r.line))
	}
	s.recs = s.recs[n:]
	s.size -= b
	s.acked += b
	if len(s.recs) == 0 || (s.acked >= compactMin && s.acked > s.size) {
		return s.rewrite()
	}
	return writeWhole(s.dir, ackedTemp, ackedFile, []byte(strconv.FormatInt(s.acked, 10)+"\n"))
}

// Close closes the file.
func (s *Spool) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// rewrite writes the results waiting as the whole spool (renamed into
// place) and clears the acknowledged count.
func (s *Spool) rewrite() error {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	buf := make([]byte, 0, s.size)
	for _, r := range s.recs {
		buf = append(buf, r.line...)
	}
	// The count goes before the file is replaced: a crash in between
	// leaves the old file with no count, which re-sends results the
	// server already has (stored once), never skips one it lacks.
	if err := os.Remove(filepath.Join(s.dir, ackedFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	if err := writeWhole(s.dir, spoolTemp, spoolFile, buf); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, spoolFile), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.f, s.acked, s.file = f, 0, int64(len(buf))
	return nil
}

// writeWhole writes data to dir/name through a temporary file, fsync'd
// and renamed, and syncs the directory.
func writeWhole(dir, temp, name string, data []byte) error {
	tp := filepath.Join(dir, temp)
	f, err := os.OpenFile(tp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := os.Rename(tp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func readAcked(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
