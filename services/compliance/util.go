package compliance

import (
	"encoding/json"
	"fmt"

	"github.com/opsward/opsward"
)

func jsonUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return opsward.Internal(fmt.Errorf("stored compliance document: %w", err))
	}
	return nil
}
