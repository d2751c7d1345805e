package intel

import "fmt"

// Rejection is one input item that was not taken, and why. Importers and
// NewMatcher return them beside what they took, so that nothing is
// dropped silently.
type Rejection struct {
	// Index is the item's position in its input: the object's index in a
	// STIX bundle's objects, the indicator's index for NewMatcher, the
	// record's index (from 0, header excluded) for CSV.
	Index int `json:"index"`
	// Line is the CSV line number (from 1), 0 otherwise.
	Line int `json:"line,omitempty"`
	// ObjectID is the STIX object id or the indicator id, when known.
	ObjectID string `json:"object_id,omitempty"`
	// Value is the offending value, shortened, when there is one.
	Value string `json:"value,omitempty"`
	// Reason says what is wrong, fit for the user who sent the file.
	Reason string `json:"reason"`
}

func (r Rejection) String() string {
	switch {
	case r.Line > 0:
		return fmt.Sprintf("line %d: %s", r.Line, r.Reason)
	case r.ObjectID != "":
		return fmt.Sprintf("%s: %s", r.ObjectID, r.Reason)
	}
	return fmt.Sprintf("item %d: %s", r.Index, r.Reason)
}
