package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/opsward/opsward"
	"github.com/opsward/opsward/services/soc/detect"
	"github.com/opsward/opsward/services/soc/normalize"
	"github.com/opsward/opsward/services/soc/sigma"
)

const sigmaUsage = `Usage: opsward sigma match --rules PATH --events FILE [flags]

Evaluates Sigma rules against a file of events, for rule authors. Needs no
database and no Redis.

--rules names a rule file or a folder, read recursively for .yml and .yaml
files; give it several times for several. Rules that cannot be used are
reported on stderr with their file and reason, and the others run.

--events names a file of events (- for stdin) in one of these layouts,
recognised per object:
  - the EVTX-to-JSON export of SigmaHQ's regression data: objects
    {"Event":{"System":{...},"EventData":{...}}}, one after another;
    flattened to the field names Sigma rules use (EventData members plus
    EventID, Channel, Computer, Provider_Name, ...);
  - flat events: one JSON object per line (NDJSON), or objects one after
    another, taken as they are (nested objects answer dotted field names);
  - a JSON array of either.

Logsource routing. Every event is normalised and routed exactly as
POST /ingest/events does (the routing table is in the README, "Sigma log
sources"): an event meets only the rules whose logsource it belongs to.
A Windows event (EVTX layout, Winlogbeat, or flat with Channel and
EventID) is routed by its channel and event id (product windows, the
channel's service, the category of its EventID: Sysmon 1 and Security 4688
are process_creation, and so on) and a Security event is read through the
engine's Windows Security field mapping (NewProcessName answers Image,
...); ECS and other JSON events by their fields (event.category,
host.os.type, event.dataset, the fields of CloudTrail, Azure, GCP, M365,
Okta and Zeek records, ...), with the Sigma field names of their logsource
filled from the ECS ones (process.executable answers Image, ...). An event
of no recognisable logsource meets only the rules that name no logsource.
--logsource gives every event the logsource you name instead, written
product/category/service (windows/process_creation, linux//auditd,
/webserver) or product=...,category=...,service=...; name service
security as well for raw Security 4688 events to be read through that
field mapping (windows/process_creation/security). An event that ingest
would refuse (over 64 KiB, too deeply nested, too many fields) is reported
on stderr and skipped.

Output. One JSON line per match on stdout, {"rule_id":"...","event":N},
with N the 0-based index of the event in the file; lines are ordered by
event, then by rule in load order (files sorted by path, documents in file
order), then correlation matches. A rule without an id is shown by its
name, else its title. Rules that only feed a correlation (generate: false)
are shown too. A last summary line goes to stderr.

Correlation rules in --rules are evaluated over the events in file order; a
correlation match is printed with the correlation rule's id and the index of
the event that completed it. An event's time is read from --time-field,
else from the first of @timestamp, timestamp, TimeCreated_SystemTime,
UtcTime, EventTime, time; an event without a readable time takes the time
of the event before it (the first: 1970-01-01), so a file without times is
one instant, inside every timespan.

Exit status: 0 when the file was read (whether or not anything matched), 1
for an unreadable file, bad JSON or a bad flag value, 2 for a usage error.

Flags:
`

// sigmaTimeFields are where an event's time is looked for, in order.
var sigmaTimeFields = []string{"@timestamp", "timestamp", "TimeCreated_SystemTime", "UtcTime", "EventTime", "time"}

// usageError is a command line that cannot be run: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runSigma runs "opsward sigma ..." and returns the exit status.
func runSigma(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, sigmaUsage)
		newSigmaMatchFlags(&sigmaMatchOptions{}).PrintDefaults()
		return 2
	}
	var err error
	switch args[0] {
	case "match":
		err = runSigmaMatch(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fs := newSigmaMatchFlags(&sigmaMatchOptions{})
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, sigmaUsage)
		fs.PrintDefaults()
		return 0
	default:
		err = usageError{fmt.Sprintf("sigma: unknown subcommand %q (the one subcommand is match; run opsward sigma --help)", args[0])}
	}
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "opsward %s\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "opsward: sigma: %s\n", oneLine(err))
	return 1
}

type sigmaMatchOptions struct {
	rules        listFlag
	events       string
	placeholders listFlag
	logsource    string
	timeField    string
	unknownPH    string
}

func newSigmaMatchFlags(o *sigmaMatchOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("sigma match", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(&o.rules, "rules", "a Sigma rule file or a folder of them (recursive); repeatable")
	fs.StringVar(&o.events, "events", "", "the file of events (- for stdin)")
	fs.Var(&o.placeholders, "placeholder", "values of a %placeholder% for the expand modifier: NAME=V1,V2; repeatable")
	fs.StringVar(&o.unknownPH, "unknown-placeholder", "reject", "a placeholder with no values: reject (refuse the rule, the specification's rule) or match-nothing")
	fs.StringVar(&o.logsource, "logsource", "", "the logsource of every event, product/category/service, e.g. windows/process_creation or product=windows,category=process_creation (default: routed as ingest routes it)")
	fs.StringVar(&o.timeField, "time-field", "", "the field holding each event's time (default: the first of "+strings.Join(sigmaTimeFields, ", ")+")")
	return fs
}

// sigmaSummary is what the last line on stderr reports.
type sigmaSummary struct {
	rules, refused, correlations, events, skipped, matches int
}

func runSigmaMatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	var o sigmaMatchOptions
	fs := newSigmaMatchFlags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, sigmaUsage)
			fs.PrintDefaults()
			return err
		}
		return fmt.Errorf("match: %v (run opsward sigma --help)", err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("sigma match: unexpected argument %q (run opsward sigma --help)", fs.Arg(0))}
	}
	if len(o.rules) == 0 || o.events == "" {
		return usageError{"sigma match: --rules and --events are required (run opsward sigma --help)"}
	}
	cfg := sigma.Config{}
	for _, p := range o.placeholders {
		name, vals, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return fmt.Errorf("match: --placeholder %q: want NAME=V1,V2", p)
		}
		if cfg.Placeholders == nil {
			cfg.Placeholders = map[string][]string{}
		}
		name = strings.Trim(name, "%")
		for v := range strings.SplitSeq(vals, ",") {
			cfg.Placeholders[name] = append(cfg.Placeholders[name], v)
		}
	}
	switch o.unknownPH {
	case "reject":
		cfg.UnknownPlaceholders = sigma.PlaceholderReject
	case "match-nothing":
		cfg.UnknownPlaceholders = sigma.PlaceholderMatchNothing
	default:
		return fmt.Errorf("match: --unknown-placeholder %q: want reject or match-nothing", o.unknownPH)
	}
	var fixed []sigma.LogSource
	if o.logsource != "" {
		ls, err := parseLogSourceFlag(o.logsource)
		if err != nil {
			return err
		}
		fixed = []sigma.LogSource{ls}
	}

	// Rules.
	var sum sigmaSummary
	var rules []*sigma.Rule
	for _, p := range o.rules {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("--rules %s: %v", p, unwrapPathError(err))
		}
		var errs []error
		var rs []*sigma.Rule
		if st.IsDir() {
			rs, errs = sigma.LoadDir(p)
		} else {
			rs, err = sigma.ParseFile(p)
			if err != nil {
				errs = append(errs, err)
			}
		}
		rules = append(rules, rs...)
		for _, e := range errs {
			fmt.Fprintf(stderr, "refused: %s\n", refusal(e))
			sum.refused++
		}
	}
	set := sigma.Compile(rules, cfg)
	for _, r := range set.Refused {
		fmt.Fprintf(stderr, "refused: %s\n", refusal(r.Err))
		sum.refused++
	}
	order := make(map[*sigma.Rule]int, len(rules))
	for i, r := range rules {
		order[r] = i
	}
	corrs, refusedCorr := usableCorrelations(set.Correlations, set.Detections)
	for _, e := range refusedCorr {
		fmt.Fprintf(stderr, "refused: %s\n", refusal(e))
		sum.refused++
	}
	var corr *sigma.MemoryCorrelator
	if len(corrs) > 0 {
		c, err := sigma.NewMemoryCorrelator(corrs, set.Detections)
		if err != nil {
			// usableCorrelations checks what NewMemoryCorrelator checks;
			// should they disagree, no correlation runs rather than a wrong one.
			fmt.Fprintf(stderr, "refused: every correlation rule: %s\n", oneLine(err))
			sum.refused += len(corrs)
			corrs = nil
		} else {
			corr = c
		}
	}
	sum.rules = set.Len() + len(corrs)
	sum.correlations = len(corrs)

	// Events.
	var in io.Reader
	name := o.events
	if o.events == "-" {
		in, name = os.Stdin, "stdin"
	} else {
		f, err := os.Open(o.events)
		if err != nil {
			return fmt.Errorf("--events %s: %v", o.events, unwrapPathError(err))
		}
		defer f.Close()
		in = f
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var (
		last    = time.Unix(0, 0).UTC()
		matches []sigma.Match
		line    []byte
	)
	received := time.Now().UTC()
	err := readEvents(in, name, func(idx int, obj sigma.Event) error {
		if idx&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		sum.events++
		matches = matches[:0]
		collect := func(m *sigma.Match) { matches = append(matches, *m) }
		// Normalised and routed as ingest does it.
		b, err := json.Marshal(obj)
		if err != nil {
			return fmt.Errorf("%s: event %d: %v", name, idx, err)
		}
		nev, err := normalize.Normalize(b, normalize.FormatJSON, received)
		if err != nil {
			fmt.Fprintf(stderr, "skipped: %s: event %d: %s\n", name, idx, refusal(err))
			sum.skipped++
			return nil
		}
		var ev sigma.Event
		var sources []sigma.LogSource
		if fixed != nil {
			ev, sources = detect.SigmaEvent(nev, fixed), fixed
		} else {
			ev, sources = detect.Route(nev)
		}
		set.Matches(ev, sources, collect)
		sort.SliceStable(matches, func(i, j int) bool { return order[matches[i].Rule] < order[matches[j].Rule] })
		for _, m := range matches {
			line = appendMatchLine(line[:0], ruleRef(m.RuleID, m.Rule), idx)
			out.Write(line)
		}
		sum.matches += len(matches)
		if corr == nil {
			return nil
		}
		if ts, ok := eventTime(toEvent(obj), o.timeField); ok {
			last = ts
		}
		fired, err := corr.Observe(ctx, ev, last, matches)
		if err != nil {
			return err
		}
		for _, c := range fired {
			line = appendMatchLine(line[:0], ruleRef(c.RuleID, c.Rule), idx)
			out.Write(line)
		}
		sum.matches += len(fired)
		return nil
	})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write: %v", ferr)
	}
	fmt.Fprintf(stderr, "sigma match: rules=%d (correlations=%d) refused=%d events=%d skipped=%d matches=%d elapsed=%s\n",
		sum.rules, sum.correlations, sum.refused, sum.events, sum.skipped, sum.matches, time.Since(start).Round(time.Millisecond))
	return err
}

// refusal is the reason a rule is refused, which names its file.
func refusal(err error) string {
	msg := err.Error()
	var e *opsward.Error
	if errors.As(err, &e) {
		msg = e.Message // without the code
	}
	return strings.ReplaceAll(msg, "\n", "; ")
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseLogSourceFlag reads "windows/process_creation/security" (members
// left empty or out are wildcards) or "product=windows,category=process_creation".
func parseLogSourceFlag(s string) (sigma.LogSource, error) {
	var ls sigma.LogSource
	if !strings.Contains(s, "=") {
		parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "/")
		if len(parts) > 3 || strings.Trim(s, "/ ") == "" {
			return ls, fmt.Errorf("match: --logsource %q: want product/category/service", s)
		}
		parts = append(parts, "", "")
		ls.Product, ls.Category, ls.Service = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		return ls, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		v = strings.ToLower(strings.TrimSpace(v))
		switch {
		case !ok || v == "":
			return ls, fmt.Errorf("match: --logsource %q: want product/category/service or product=…,category=…,service=…", s)
		case k == "product":
			ls.Product = v
		case k == "category":
			ls.Category = v
		case k == "service":
			ls.Service = v
		default:
			return ls, fmt.Errorf("match: --logsource %q: unknown member %q (want product, category or service)", s, k)
		}
	}
	return ls, nil
}

// usableCorrelations keeps the correlation rules whose references all name
// a detection or another usable correlation, and says why it drops others.
func usableCorrelations(corrs, detections []*sigma.Rule) ([]*sigma.Rule, []error) {
	known := map[string]bool{}
	for _, r := range detections {
		for _, k := range []string{r.ID, r.Name} {
			if k != "" {
				known[k] = true
			}
		}
	}
	keep := corrs
	var refused []error
	for changed := true; changed; {
		changed = false
		have := copyBools(known)
		for _, r := range keep {
			for _, k := range []string{r.ID, r.Name} {
				if k != "" {
					have[k] = true
				}
			}
		}
		var next []*sigma.Rule
		for _, r := range keep {
			missing := ""
			for _, ref := range r.Correlation.Rules {
				if !have[ref] {
					missing = ref
					break
				}
			}
			if missing != "" {
				refused = append(refused, fmt.Errorf("%s: correlation.rules: %q names no usable rule (by id or name)", r.File, missing))
				changed = true
				continue
			}
			next = append(next, r)
		}
		keep = next
	}
	return keep, refused
}

func copyBools(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ruleRef is how a match names its rule: the id, else the name, else the
// title.
func ruleRef(id string, r *sigma.Rule) string {
	switch {
	case id != "":
		return id
	case r == nil:
		return ""
	case r.Name != "":
		return r.Name
	}
	return r.Title
}

func appendMatchLine(b []byte, id string, event int) []byte {
	b = append(b, `{"rule_id":`...)
	q, _ := json.Marshal(id)
	b = append(b, q...)
	b = append(b, `,"event":`...)
	b = fmt.Appendf(b, "%d}\n", event)
	return b
}

// eventTime reads the event's time from field, or from the usual fields.
func eventTime(ev sigma.Event, field string) (time.Time, bool) {
	fields := sigmaTimeFields
	if field != "" {
		fields = []string{field}
	}
	for _, f := range fields {
		v, ok := ev[f]
		if !ok {
			continue
		}
		switch x := v.(type) {
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
				if t, err := time.Parse(layout, strings.TrimSpace(x)); err == nil {
					return t, true
				}
			}
		case json.Number:
			// Seconds since the epoch, or milliseconds when that large.
			if f, err := x.Float64(); err == nil {
				if f > 1e11 {
					return time.UnixMilli(int64(f)).UTC(), true
				}
				return time.Unix(0, int64(f*1e9)).UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// readEvents decodes the events of r and calls f with each one, as
// decoded (numbers as json.Number), and its index.
func readEvents(r io.Reader, name string, f func(int, sigma.Event) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	first, err := firstByte(br)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: read: %v", name, err)
	}
	cr := &countingReader{r: br}
	dec := json.NewDecoder(cr)
	dec.UseNumber()
	fail := func(err error) error {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		off := dec.InputOffset()
		switch {
		case errors.As(err, &se):
			off = max(se.Offset-1, 0) // Offset counts the offending byte
		case errors.As(err, &te):
			off = te.Offset
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = errors.New("unexpected end of file inside a JSON value")
		}
		l, c := cr.position(off)
		if l == 0 {
			return fmt.Errorf("%s: byte %d: %v", name, off, err)
		}
		return fmt.Errorf("%s: line %d, column %d (byte %d): %v", name, l, c, off, err)
	}
	array := first == '['
	if array {
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
	}
	for idx := 0; ; idx++ {
		if array && !dec.More() {
			if _, err := dec.Token(); err != nil {
				return fail(err)
			}
			// Nothing but space may follow the array.
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				return fail(errors.New("data after the JSON array"))
			}
			return nil
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			if !array && errors.Is(err, io.EOF) {
				return nil
			}
			return fail(err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fail(fmt.Errorf("event %d is not a JSON object", idx))
		}
		if err := f(idx, obj); err != nil {
			return err
		}
	}
}

// toEvent flattens an object of the EVTX-to-JSON layout, to read its
// time; a flat event is used as it is.
func toEvent(obj map[string]any) sigma.Event {
	if e, ok := obj["Event"].(map[string]any); ok {
		_, sys := e["System"]
		_, data := e["EventData"]
		if sys || data {
			return sigma.FlattenEVTX(obj)
		}
	}
	return obj
}

// firstByte is the first byte of the file that is not space, without
// consuming it (so that offsets stay those of the file); a UTF-8 byte order
// mark, which the JSON decoder refuses, is dropped.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	for i := 1; ; i++ {
		b, err := br.Peek(i)
		if len(b) < i {
			if err == nil || errors.Is(err, bufio.ErrBufferFull) {
				return '{', nil // a file that starts with that much space is no array
			}
			return 0, err
		}
		switch b[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b[i-1], nil
	}
}

// countingReader remembers where lines start, to turn a byte offset of the
// decoder into a line and a column. It keeps the starts of the most recent
// lines only (the decoder reports offsets in what it read last), so that
// a file of millions of lines does not cost memory per line.
type countingReader struct {
	r       io.Reader
	n       int64
	lines   []int64 // offsets at which the retained lines start
	dropped int     // lines before the retained ones, the first included
}

// keepLines bounds the line starts a countingReader retains.
const keepLines = 1 << 16

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			if len(c.lines) == keepLines {
				half := keepLines / 2
				c.dropped += half
				c.lines = append(c.lines[:0], c.lines[half:]...)
			}
			c.lines = append(c.lines, c.n+int64(i)+1)
		}
	}
	c.n += int64(n)
	return n, err
}

// position is the 1-based line and column of byte offset off, or 0, 0
// when off lies in lines no longer retained.
func (c *countingReader) position(off int64) (int, int) {
	i := sort.Search(len(c.lines), func(i int) bool { return c.lines[i] > off })
	start := int64(0)
	switch {
	case i > 0:
		start = c.lines[i-1]
	case c.dropped > 0:
		return 0, 0
	}
	return c.dropped + i + 1, int(off-start) + 1
}
