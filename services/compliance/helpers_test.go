package compliance_test

import (
	"errors"

	"github.com/opsward/opsward"
)

func fieldOf(err error) string {
	var e *opsward.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
