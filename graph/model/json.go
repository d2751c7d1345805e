package model

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSON is a JSON value passed through GraphQL as itself: monitor settings,
// channel settings.
type JSON json.RawMessage

// MarshalGQL writes the value as it is.
func (j JSON) MarshalGQL(w io.Writer) {
	if len(j) == 0 {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(j)
}

// UnmarshalGQL takes an object, a list or any literal and keeps its JSON.
func (j *JSON) UnmarshalGQL(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("not a JSON value: %w", err)
	}
	*j = b
	return nil
}
