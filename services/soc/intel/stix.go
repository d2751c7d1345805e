package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opsward/opsward"
)

// ImportOptions are what an import applies to every indicator it makes,
// and its limits.
type ImportOptions struct {
	// Source names the feed; a STIX indicator's created_by_ref identity
	// name, or a CSV source column, takes precedence when present.
	Source string
	// TenantID and ListID are set on every indicator (empty TenantID:
	// global).
	TenantID string
	ListID   string
	// DefaultTLP applies to indicators the feed leaves unmarked.
	DefaultTLP TLP
	// MaxBytes bounds the input (default 64 MiB); MaxItems bounds STIX
	// objects or CSV rows (default 1,000,000).
	MaxBytes int64
	MaxItems int
}

// WithDefaults returns o with the limits filled in.
func (o ImportOptions) WithDefaults() ImportOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxItems <= 0 {
		o.MaxItems = 1_000_000
	}
	return o
}

// Validate reports the first wrong option, naming it.
func (o ImportOptions) Validate() error {
	if len(o.Source) > MaxSourceLen {
		return opsward.FieldErrorf("source", "source must be at most %d bytes", MaxSourceLen)
	}
	if len(o.TenantID) > MaxIDLen {
		return opsward.FieldErrorf("tenant_id", "tenant_id must be at most %d bytes", MaxIDLen)
	}
	if len(o.ListID) > MaxIDLen {
		return opsward.FieldErrorf("list_id", "list_id must be at most %d bytes", MaxIDLen)
	}
	if o.DefaultTLP != "" && o.DefaultTLP.Rank() == 0 {
		return opsward.FieldErrorf("default_tlp", "unknown TLP %q", o.DefaultTLP)
	}
	return nil
}

// ImportResult is what an import took and what it refused.
type ImportResult struct {
	Indicators []Indicator
	Rejected   []Rejection
}

// The TLP marking-definition objects STIX publishes: TLP 1.0 (predefined
// in STIX 2.1) and TLP 2.0 (the OASIS extension).
var tlpMarkings = map[string]TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLPClear, // TLP:WHITE (1.0)
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLPRed,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLPClear, // TLP 2.0
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLPRed,
}

// stixObject holds the properties of the objects the import reads; other
// properties are ignored.
type stixObject struct {
	Type           string          `json:"type"`
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Pattern        *string         `json:"pattern"`
	PatternType    string          `json:"pattern_type"`
	ValidFrom      string          `json:"valid_from"`
	ValidUntil     string          `json:"valid_until"`
	Confidence     *json.Number    `json:"confidence"`
	Labels         []string        `json:"labels"`
	IndicatorTypes []string        `json:"indicator_types"`
	Revoked        bool            `json:"revoked"`
	CreatedByRef   string          `json:"created_by_ref"`
	MarkingRefs    []string        `json:"object_marking_refs"`
	DefinitionType string          `json:"definition_type"`
	Definition     json.RawMessage `json:"definition"`
	Extensions     json.RawMessage `json:"extensions"`
}

// ImportSTIX reads a STIX 2.1 bundle and returns an indicator for each
// value of each `indicator` object whose pattern the matcher can express
// (see ParseSTIXPattern), with a Rejection for each indicator object it
// could not take. Other object types are read only for what indicators
// refer to (identities for the source name, TLP marking definitions);
// observed-data, sightings and relationships are not imported.
//
// STIX properties map as follows: valid_from / valid_until → ValidFrom /
// ValidUntil; confidence → Confidence (DefaultConfidence if absent);
// object_marking_refs to TLP markings → TLP (the most restrictive wins);
// labels and indicator_types → Tags; name and description → Description
// ("name: description" when both); id → ID, shared by every value of an
// OR pattern.
//
// The error is for the whole document (not JSON, not a bundle, over the
// size or object limit) and is EINVALID or ELIMIT.
func ImportSTIX(r io.Reader, opts ImportOptions) (*ImportResult, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "cannot read the STIX bundle: %v", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, opsward.Errorf(opsward.ELIMIT, "the STIX bundle is larger than %d bytes", opts.MaxBytes)
	}
	var bundle struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &bundle); err != nil {
		return nil, opsward.Errorf(opsward.EINVALID, "the STIX bundle is not valid JSON: %s", jsonErr(err))
	}
	if bundle.Type != "bundle" {
		return nil, opsward.Errorf(opsward.EINVALID, "not a STIX bundle: type is %q, want \"bundle\"", clip(bundle.Type))
	}
	if len(bundle.Objects) > opts.MaxItems {
		return nil, opsward.Errorf(opsward.ELIMIT, "the STIX bundle has %d objects, more than the limit of %d", len(bundle.Objects), opts.MaxItems)
	}

	objs := make([]stixObject, len(bundle.Objects))
	bad := make([]string, len(bundle.Objects))
	identities := map[string]string{}
	markings := map[string]TLP{}
	for i, raw := range bundle.Objects {
		if err := json.Unmarshal(raw, &objs[i]); err != nil {
			bad[i] = "not a valid STIX object: " + jsonErr(err)
			var idOnly struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &idOnly) == nil {
				objs[i].ID = idOnly.ID // to name it in the rejection
			}
			continue
		}
		o := &objs[i]
		switch o.Type {
		case "identity":
			if o.ID != "" && o.Name != "" {
				identities[o.ID] = o.Name
			}
		case "marking-definition":
			if t := markingTLP(o); t != "" {
				markings[o.ID] = t
			}
		}
	}
	for id, t := range tlpMarkings { // the published ids mean what they say, whatever a bundle claims
		markings[id] = t
	}

	res := &ImportResult{}
	for i := range objs {
		o := &objs[i]
		if bad[i] != "" {
			res.Rejected = append(res.Rejected, Rejection{Index: i, ObjectID: clip(o.ID), Reason: bad[i]})
			continue
		}
		if o.Type != "indicator" {
			continue
		}
		inds, why := stixIndicator(o, identities, markings, opts)
		if why != "" {
			res.Rejected = append(res.Rejected, Rejection{Index: i, ObjectID: clip(o.ID), Reason: why})
			continue
		}
		res.Indicators = append(res.Indicators, inds...)
	}
	return res, nil
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("property %q should be %s, not %s", te.Field, te.Type, te.Value)
		}
		return fmt.Sprintf("should be %s, not %s", te.Type, te.Value)
	}
	return err.Error()
}

// markingTLP reads a marking-definition object that a bundle defines
// itself: TLP 1.0 style (definition_type "tlp") or TLP 2.0 style (a name
// "TLP:…").
func markingTLP(o *stixObject) TLP {
	if o.DefinitionType == "tlp" && len(o.Definition) > 0 {
		var d struct {
			TLP string `json:"tlp"`
		}
		if json.Unmarshal(o.Definition, &d) == nil {
			if t, ok := ParseTLP(d.TLP); ok {
				return t
			}
		}
	}
	if strings.HasPrefix(strings.ToUpper(o.Name), "TLP:") {
		if t, ok := ParseTLP(o.Name); ok {
			return t
		}
	}
	return ""
}

func stixIndicator(o *stixObject, identities map[string]string, markings map[string]TLP, opts ImportOptions) ([]Indicator, string) {
	if o.ID == "" {
		return nil, "the indicator has no id"
	}
	if len(o.ID) > MaxIDLen {
		return nil, fmt.Sprintf("the id is longer than %d bytes", MaxIDLen)
	}
	if o.Revoked {
		return nil, "the indicator is revoked"
	}
	if o.PatternType != "" && o.PatternType != "stix" {
		return nil, fmt.Sprintf("pattern_type %q is not supported (only stix)", clip(o.PatternType))
	}
	if o.Pattern == nil || strings.TrimSpace(*o.Pattern) == "" {
		return nil, "the indicator has no pattern"
	}
	vals, err := ParseSTIXPattern(*o.Pattern)
	if err != nil {
		return nil, opsward.ErrorMessage(err)
	}
	base := Indicator{
		ID:         o.ID,
		Source:     opts.Source,
		Confidence: DefaultConfidence,
		TLP:        opts.DefaultTLP,
		ListID:     opts.ListID,
		TenantID:   opts.TenantID,
	}
	if name := identities[o.CreatedByRef]; name != "" {
		base.Source = name
	}
	if len(base.Source) > MaxSourceLen {
		base.Source = clipTo(base.Source, MaxSourceLen)
	}
	if o.ValidFrom != "" {
		t, err := time.Parse(time.RFC3339Nano, o.ValidFrom)
		if err != nil {
			return nil, fmt.Sprintf("valid_from %q is not an RFC 3339 timestamp", clip(o.ValidFrom))
		}
		base.ValidFrom = t.UTC()
	}
	if o.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339Nano, o.ValidUntil)
		if err != nil {
			return nil, fmt.Sprintf("valid_until %q is not an RFC 3339 timestamp", clip(o.ValidUntil))
		}
		base.ValidUntil = t.UTC()
	}
	if o.Confidence != nil {
		c, err := o.Confidence.Int64()
		if f, ferr := o.Confidence.Float64(); err != nil && ferr == nil && f == float64(int64(f)) {
			c, err = int64(f), nil // 85.0 from feeds that write every number as a float
		}
		if err != nil || c < 0 || c > 100 {
			return nil, fmt.Sprintf("confidence %s is not an integer from 0 to 100", clip(o.Confidence.String()))
		}
		base.Confidence = int(c)
	}
	for _, ref := range o.MarkingRefs {
		if t := markings[ref]; t.Rank() > base.TLP.Rank() {
			base.TLP = t
		}
	}
	tags := make([]string, 0, len(o.Labels)+len(o.IndicatorTypes))
	tags = append(tags, o.Labels...)
	tags = append(tags, o.IndicatorTypes...)
	base.Tags = feedTags(tags)
	name, desc := strings.TrimSpace(o.Name), strings.TrimSpace(o.Description)
	switch {
	case name != "" && desc != "":
		base.Description = name + ": " + desc
	case name != "":
		base.Description = name
	default:
		base.Description = desc
	}
	base.Description = clipTo(base.Description, MaxDescriptionLen)
	out := make([]Indicator, 0, len(vals))
	for _, v := range vals {
		in := base
		in.Kind, in.Value = v.Kind, v.Value
		in.Tags = append([]string(nil), base.Tags...)
		if err := in.Validate(); err != nil {
			return nil, opsward.ErrorMessage(err)
		}
		out = append(out, in)
	}
	return out, ""
}

// clipTo cuts s to at most n bytes at a rune boundary: a feed's long
// description is worth keeping in part rather than refusing the indicator.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// tagReplacer keeps feed labels usable as tags: ';' and '|' separate tags
// in CSV, line breaks have no place in one.
var tagReplacer = strings.NewReplacer(";", " ", "|", " ", "\n", " ", "\r", " ")

func feedTags(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(tagReplacer.Replace(t))
		t = strings.TrimSpace(clipTo(strings.TrimSpace(t), MaxTagLen))
		out = append(out, t)
	}
	out = normTags(out)
	if len(out) > MaxTags {
		out = out[:MaxTags]
	}
	return out
}
