package intel

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// CSV columns. The header row names them (case-insensitive, any order);
// type and value are required, the others optional. Aliases are accepted
// for what feeds commonly call them.
var csvColumns = map[string]string{
	"type": "type", "kind": "type",
	"value": "value", "indicator": "value", "ioc": "value",
	"confidence": "confidence",
	"tlp":        "tlp",
	"valid_from": "valid_from",
	"expires":    "expires", "valid_until": "expires", "expiry": "expires",
	"source":      "source",
	"tags":        "tags",
	"description": "description",
}

// CSVHeader is the header ImportCSV documents and exports use.
const CSVHeader = "type,value,confidence,tlp,valid_from,expires,source,tags,description"

// ImportCSV reads indicators from CSV: a header row (see CSVHeader; column
// names case-insensitive, "kind", "indicator"/"ioc", "valid_until"/"expiry"
// accepted as aliases, unknown columns refused so that a typo does not
// silently drop data), then one indicator per row:
//
//   - type: a kind (ParseKind's names) or empty to guess it from the value;
//   - confidence: 0–100, DefaultConfidence when empty;
//   - tlp: clear/white, green, amber, amber+strict, red, with or without
//     "TLP:"; ImportOptions.DefaultTLP when empty;
//   - valid_from, expires: RFC 3339 or a date (YYYY-MM-DD). A date in
//     expires means through the end of that day (UTC), in valid_from its
//     start;
//   - tags: separated by ';' or '|';
//   - source: overrides ImportOptions.Source for the row.
//
// Lines starting with '#' are comments. A row that is wrong is rejected
// with its line number and the reason, and so is a row repeating an
// earlier row's type and value; the other rows are imported. The error is
// for the whole file (no header, broken quoting, over the limits).
func ImportCSV(r io.Reader, opts ImportOptions) (*ImportResult, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	lr := &limitedReader{r: r, left: opts.MaxBytes}
	cr := csv.NewReader(lr)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, opsward.FieldErrorf("file", "the CSV file is empty; the first row must be a header such as %s", CSVHeader)
		}
		return nil, csvErr(err, lr)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		name, ok := csvColumns[h]
		if !ok {
			return nil, opsward.FieldErrorf("header", "unknown column %q in the header (known: %s)", clip(h), CSVHeader)
		}
		if _, dup := cols[name]; dup {
			return nil, opsward.FieldErrorf("header", "column %q appears twice in the header", clip(h))
		}
		cols[name] = i
	}
	if _, ok := cols["value"]; !ok {
		return nil, opsward.FieldErrorf("header", "the header has no value column (%s)", CSVHeader)
	}
	if _, ok := cols["type"]; !ok {
		return nil, opsward.FieldErrorf("header", "the header has no type column (%s)", CSVHeader)
	}

	res := &ImportResult{}
	seen := map[string]int{} // kind NUL value → first line
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // FieldsPerRecord is -1: cannot happen
			}
			return nil, csvErr(err, lr)
		}
		if n >= opts.MaxItems {
			return nil, opsward.Errorf(opsward.ELIMIT, "the CSV file has more than %d rows", opts.MaxItems)
		}
		line, _ := cr.FieldPos(0)
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		in, field, why := csvIndicator(get, opts)
		if why != "" {
			res.Rejected = append(res.Rejected, Rejection{Index: n, Line: line, Value: clip(get("value")), Reason: field + ": " + why})
			continue
		}
		key := string(in.Kind) + "\x00" + in.Value
		if first, dup := seen[key]; dup {
			res.Rejected = append(res.Rejected, Rejection{Index: n, Line: line, Value: clip(in.Value), Reason: fmt.Sprintf("repeats the %s on line %d", in.Kind, first)})
			continue
		}
		seen[key] = line
		res.Indicators = append(res.Indicators, in)
	}
	return res, nil
}

func csvIndicator(get func(string) string, opts ImportOptions) (Indicator, string, string) {
	in := Indicator{
		Source:     opts.Source,
		Confidence: DefaultConfidence,
		TLP:        opts.DefaultTLP,
		ListID:     opts.ListID,
		TenantID:   opts.TenantID,
	}
	value := get("value")
	if value == "" {
		return in, "value", "is empty"
	}
	if t := get("type"); t == "" {
		k, v, err := Guess(value)
		if err != nil {
			return in, "value", opsward.ErrorMessage(err)
		}
		in.Kind, in.Value = k, v
	} else {
		k, ok := ParseKind(t)
		if !ok {
			return in, "type", fmt.Sprintf("unknown type %q (one of %s, or empty to guess)", clip(t), kindList())
		}
		v, err := ParseValue(k, value)
		if err != nil {
			return in, "value", opsward.ErrorMessage(err)
		}
		in.Kind, in.Value = k, v
	}
	if c := get("confidence"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 100 {
			return in, "confidence", fmt.Sprintf("%q is not an integer from 0 to 100", clip(c))
		}
		in.Confidence = n
	}
	if t := get("tlp"); t != "" {
		tlp, ok := ParseTLP(t)
		if !ok {
			return in, "tlp", fmt.Sprintf("%q is not a TLP level (clear, green, amber, amber+strict, red)", clip(t))
		}
		in.TLP = tlp
	}
	var err error
	if in.ValidFrom, err = csvTime(get("valid_from"), false); err != nil {
		return in, "valid_from", err.Error()
	}
	if in.ValidUntil, err = csvTime(get("expires"), true); err != nil {
		return in, "expires", err.Error()
	}
	if s := get("source"); s != "" {
		in.Source = s
	}
	if t := get("tags"); t != "" {
		in.Tags = normTags(strings.FieldsFunc(t, func(r rune) bool { return r == ';' || r == '|' }))
	}
	in.Description = get("description")
	if err := in.Validate(); err != nil {
		f := opsward.ErrorField(err)
		if f == "valid_until" {
			f = "expires"
		}
		return in, f, opsward.ErrorMessage(err)
	}
	return in, "", ""
}

func csvTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", clip(s))
}

func csvErr(err error, lr *limitedReader) error {
	if lr.over {
		return opsward.Errorf(opsward.ELIMIT, "the CSV file is larger than the limit")
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return opsward.FieldErrorf("file", "the CSV file is malformed on line %d: %v", pe.Line, pe.Err)
	}
	return opsward.FieldErrorf("file", "cannot read the CSV file: %v", err)
}

// limitedReader is io.LimitReader that remembers it hit the limit, so that
// a file cut short reads as "too large", not as a parse error.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the limit: one more byte means the input is too large.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

var errTooLarge = errors.New("input too large")
