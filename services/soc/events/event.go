package events

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsward/opsward"
)

// IDPrefix is the prefix of event ids ("evt_…").
const IDPrefix = "evt"

// Limits of what one stored event holds, in characters unless said.
const (
	MaxMessage    = 4096
	MaxOriginal   = 65536 // the largest message normalisation accepts
	MaxFieldValue = 4096  // a text value inside Fields
	MaxFieldName  = 128
	MaxFields     = 512 // names in Fields
	MaxListItems  = 256 // items of one list value in Fields
	maxDepth      = 4   // nesting of values in Fields
)

// Truncated ends a text that was cut to fit its limit.
const Truncated = "…[truncated]"

// FieldTruncated is the field that lists the names of the fields that were
// cut (or dropped, for Fields itself: "fields").
const FieldTruncated = "opsward.truncated"

// ECS names with a column of their own.
const (
	FieldTimestamp  = "@timestamp"
	FieldDataset    = "event.dataset"
	FieldCategory   = "event.category"
	FieldAction     = "event.action"
	FieldOutcome    = "event.outcome"
	FieldSeverity   = "event.severity"
	FieldCode       = "event.code"
	FieldHostName   = "host.name"
	FieldUserName   = "user.name"
	FieldSourceIP   = "source.ip"
	FieldDestIP     = "destination.ip"
	FieldDestPort   = "destination.port"
	FieldExecutable = "process.executable"
	FieldMessage    = "message"
	FieldOriginal   = "event.original"
)

// Event is one security event as stored.
type Event struct {
	TenantID   string
	ID         string    // evt_…; FromMap and the Writer give one when empty
	Time       time.Time // @timestamp: UTC, microsecond precision
	ReceivedAt time.Time // when the platform took it; the Writer's now when zero
	SourceID   string    // the log source or API key that sent it

	Dataset           string // event.dataset, or the input format when the caller sets it
	Category          string // the first of event.category; all of them stay in Fields
	Action            string
	Outcome           string
	Severity          *int
	HostName          string
	UserName          string
	SourceIP          string // canonical form; "" when not an IP address
	DestinationIP     string
	DestinationPort   *int
	ProcessExecutable string
	EventCode         string
	Message           string
	Original          string

	// Fields is the whole normalised event, dotted ECS names to values.
	// Read back, numbers are json.Number and times RFC 3339 text.
	Fields map[string]any

	// Size is how many bytes the event arrived as (its JSON object, its
	// syslog message): what ingest meters. It is not stored; see Bytes.
	Size int64

	fieldsJSON []byte // Fields as stored, made by prepare
}

// Bytes is the event's size as metered: Size, or when that is unknown
// (zero) the length of its original text.
func (e *Event) Bytes() int64 {
	if e.Size > 0 {
		return e.Size
	}
	return int64(len(e.Original))
}

// textColumn is a text column, its ECS name, its limit and its place in
// Event, so that extraction, clipping and restoring walk one list.
type textColumn struct {
	field string
	max   int
	get   func(*Event) *string
}

var textColumns = []textColumn{
	{FieldDataset, 128, func(e *Event) *string { return &e.Dataset }},
	{FieldCategory, 64, func(e *Event) *string { return &e.Category }},
	{FieldAction, 128, func(e *Event) *string { return &e.Action }},
	{FieldOutcome, 16, func(e *Event) *string { return &e.Outcome }},
	{FieldCode, 64, func(e *Event) *string { return &e.EventCode }},
	{FieldHostName, 255, func(e *Event) *string { return &e.HostName }},
	{FieldUserName, 255, func(e *Event) *string { return &e.UserName }},
	{FieldSourceIP, 45, func(e *Event) *string { return &e.SourceIP }},
	{FieldDestIP, 45, func(e *Event) *string { return &e.DestinationIP }},
	{FieldExecutable, 1024, func(e *Event) *string { return &e.ProcessExecutable }},
	{FieldMessage, MaxMessage, func(e *Event) *string { return &e.Message }},
	{FieldOriginal, MaxOriginal, func(e *Event) *string { return &e.Original }},
}

// Column-only names: message and the original are kept in their columns
// and not a second time in the JSON, @timestamp likewise.
var columnOnly = map[string]bool{FieldTimestamp: true, FieldMessage: true, FieldOriginal: true}

// FromMap builds the stored form of a normalised event m of tenantID, sent
// by sourceID and taken at receivedAt. It gives the event a new id, copies
// the column fields out of m, bounds every text and checks what storage
// needs; the error names what is wrong. m is not changed.
func FromMap(tenantID, sourceID string, receivedAt time.Time, m map[string]any) (Event, error) {
	e := Event{TenantID: tenantID, SourceID: sourceID, ReceivedAt: receivedAt, Fields: m}
	t, err := timeOf(m[FieldTimestamp])
	if err != nil {
		return e, opsward.FieldErrorf(FieldTimestamp, "%v", err)
	}
	e.Time = t
	for _, c := range textColumns {
		*c.get(&e) = text(m[c.field])
	}
	e.Severity = intOf(m[FieldSeverity], math.MinInt32, math.MaxInt32)
	e.DestinationPort = intOf(m[FieldDestPort], 0, 65535)
	return e.prepare()
}

// prepare checks e and bounds it so that the database never refuses it (a
// batch must not fail for one bad event), and encodes Fields. It runs on
// every event written, so an event changed after FromMap is safe too.
func (e Event) prepare() (Event, error) {
	if e.TenantID == "" {
		return e, opsward.FieldErrorf("tenant_id", "a security event needs its tenant")
	}
	if len(e.TenantID) > 40 || !utf8.ValidString(e.TenantID) {
		return e, opsward.FieldErrorf("tenant_id", "%q is not a tenant id", clip(e.TenantID, 50))
	}
	if e.ID == "" {
		e.ID = opsward.NewID(IDPrefix)
	} else if !opsward.ValidID(e.ID, IDPrefix) {
		return e, opsward.FieldErrorf("id", "%q is not an event id (evt_…)", clip(e.ID, 50))
	}
	if e.Time.IsZero() {
		return e, opsward.FieldErrorf(FieldTimestamp, "a security event needs its time (@timestamp)")
	}
	if y := e.Time.UTC().Year(); y < 1970 || y > 9999 {
		return e, opsward.FieldErrorf(FieldTimestamp, "event time %s is out of range (1970 to 9999)", e.Time.UTC().Format(time.RFC3339))
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = time.Now()
	}
	e.ReceivedAt = e.ReceivedAt.UTC().Truncate(time.Microsecond)
	e.SourceID = clip(e.SourceID, 40)
	// Set by hand, these could overflow their columns and fail a batch.
	if e.Severity != nil && (*e.Severity < math.MinInt32 || *e.Severity > math.MaxInt32) {
		return e, opsward.FieldErrorf(FieldSeverity, "event.severity %d is out of range", *e.Severity)
	}
	if e.DestinationPort != nil && (*e.DestinationPort < 0 || *e.DestinationPort > 65535) {
		return e, opsward.FieldErrorf(FieldDestPort, "destination.port %d is not a port", *e.DestinationPort)
	}

	var cut []string
	fields, dropped := sanitizeFields(e.Fields, 0, &cut)
	if dropped {
		cut = append(cut, "fields")
	}
	e.SourceIP, e.DestinationIP = canonicalIP(e.SourceIP), canonicalIP(e.DestinationIP)
	for _, c := range textColumns {
		p := c.get(&e)
		var ok bool
		if *p, ok = clipMarked(*p, c.max); !ok {
			cut = append(cut, c.field)
		}
		// A column set by hand belongs in Fields too, so that Fields stays
		// the whole event and filters on it agree with the column.
		if _, ok := fields[c.field]; !ok && *p != "" && !columnOnly[c.field] {
			fields[c.field] = *p
		}
	}
	if e.Severity != nil {
		if _, ok := fields[FieldSeverity]; !ok {
			fields[FieldSeverity] = *e.Severity
		}
	}
	if e.DestinationPort != nil {
		if _, ok := fields[FieldDestPort]; !ok {
			fields[FieldDestPort] = *e.DestinationPort
		}
	}
	if len(cut) > 0 {
		// Merged with what an earlier prepare recorded.
		prev, _ := fields[FieldTruncated].([]any)
		for _, p := range prev {
			if s, ok := p.(string); ok && !slices.Contains(cut, s) {
				cut = append(cut, s)
			}
		}
		slices.Sort(cut)
		fields[FieldTruncated] = slices.Compact(cut)
	}
	b, err := json.Marshal(fields)
	if err != nil { // sanitizeFields leaves nothing json refuses
		return e, opsward.Internal(fmt.Errorf("encode event fields: %w", err))
	}
	e.Fields, e.fieldsJSON = fields, b
	return e, nil
}

// sanitizeFields copies m (at depth of nesting) without the column-only
// names, with valid names and JSON-safe, bounded values. dropped reports
// names left out.
func sanitizeFields(m map[string]any, depth int, cut *[]string) (out map[string]any, dropped bool) {
	out = make(map[string]any, len(m))
	names := make([]string, 0, len(m))
	for k := range m {
		if depth == 0 && columnOnly[k] {
			continue
		}
		if k == "" || len(k) > MaxFieldName*4 || utf8.RuneCountInString(k) > MaxFieldName {
			dropped = true
			continue
		}
		names = append(names, k)
	}
	if len(names) > MaxFields {
		slices.Sort(names) // which ones stay must not depend on map order
		names, dropped = names[:MaxFields], true
	}
	for _, k := range names {
		name := clean(k)
		v, ok := sanitize(m[k], depth)
		if !ok && k != FieldTruncated { // that one prepare merges
			*cut = append(*cut, name)
		}
		out[name] = v
	}
	return out, dropped
}

// sanitize returns v as a value json encodes and Postgres accepts (valid
// UTF-8, no NUL, finite numbers), bounded; ok is false when it was cut.
func sanitize(v any, depth int) (any, bool) {
	switch x := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64), true
		}
		return x, true
	case float32:
		return sanitize(float64(x), depth)
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return sanitize(string(x), depth)
		}
		return x, true
	case string:
		return clipMarked(x, MaxFieldValue)
	case []byte:
		return clipMarked(string(x), MaxFieldValue)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case []string:
		return sanitizeList(len(x), func(i int) any { return x[i] }, depth)
	case []any:
		return sanitizeList(len(x), func(i int) any { return x[i] }, depth)
	case map[string]any:
		if depth >= maxDepth {
			return nil, false
		}
		var cut []string
		out, dropped := sanitizeFields(x, depth+1, &cut)
		return out, !dropped && len(cut) == 0
	case fmt.Stringer: // netip.Addr, net.IP and the like
		return clipMarked(x.String(), MaxFieldValue)
	default:
		return clipMarked(fmt.Sprint(x), MaxFieldValue)
	}
}

func sanitizeList(n int, at func(int) any, depth int) (any, bool) {
	if depth >= maxDepth {
		return nil, false
	}
	ok := n <= MaxListItems
	out := make([]any, 0, min(n, MaxListItems))
	for i := range min(n, MaxListItems) {
		v, vok := sanitize(at(i), depth+1)
		ok = ok && vok
		out = append(out, v)
	}
	return out, ok
}

// clean makes s valid UTF-8 without NUL bytes: Postgres refuses both.
func clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// clip cleans s and cuts it to at most n characters.
func clip(s string, n int) string {
	s = clean(s)
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	c := 0
	for i := range s {
		if c == n {
			return s[:i]
		}
		c++
	}
	return s
}

// clipMarked cleans s and, when it is longer than n characters, cuts it to
// n characters that end with Truncated; ok is false when it was cut.
func clipMarked(s string, n int) (string, bool) {
	s = clean(s)
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s, true
	}
	m := utf8.RuneCountInString(Truncated)
	if n <= m {
		return clip(s, n), false
	}
	return clip(s, n-m) + Truncated, false
}

// text is a value as column text: lists give their first item.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []string:
		if len(x) > 0 {
			return x[0]
		}
		return ""
	case []any:
		if len(x) > 0 {
			return text(x[0])
		}
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

// intOf reads a whole number in [lo, hi] from v, or nil.
func intOf(v any, lo, hi int64) *int {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint16:
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
			return nil
		}
		n = int64(x)
	case json.Number, string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(fmt.Sprint(x)), 10, 64); err != nil {
			return nil
		}
	default:
		return nil
	}
	if n < lo || n > hi {
		return nil
	}
	i := int(n)
	return &i
}

// timeOf reads @timestamp: a time, RFC 3339 text, or Unix milliseconds.
func timeOf(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x))
		if err != nil {
			return time.Time{}, fmt.Errorf("@timestamp %q is not an RFC 3339 time", clip(x, 40))
		}
		return t, nil
	case int64:
		return time.UnixMilli(x), nil
	case float64:
		return time.UnixMilli(int64(x)), nil
	case nil:
		return time.Time{}, fmt.Errorf("a security event needs its time (@timestamp)")
	default:
		return time.Time{}, fmt.Errorf("@timestamp of type %T is not a time", v)
	}
}

// canonicalIP is s as an address in canonical form, or "" when s is not
// one (the value stays in Fields as it came).
func canonicalIP(s string) string {
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}
