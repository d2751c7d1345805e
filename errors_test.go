package opsward_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/opsward/opsward"
)

type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pg: " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

type sqliteErr int

func (e sqliteErr) Error() string { return fmt.Sprintf("sqlite: %d", int(e)) }
func (e sqliteErr) Code() int     { return int(e) }

// Passing causes read as "unavailable" with a message that asks for a
// retry; anything else unexpected stays "internal error".
func TestRetryableErrorsAreUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"deadline", opsward.Internal(fmt.Errorf("query: %w", context.DeadlineExceeded)), opsward.EUNAVAILABLE},
		{"bare deadline", context.DeadlineExceeded, opsward.EUNAVAILABLE},
		{"bad conn", fmt.Errorf("exec: %w", driver.ErrBadConn), opsward.EUNAVAILABLE},
		{"serialization failure", opsward.Internal(sqlStateErr("40001")), opsward.EUNAVAILABLE},
		{"deadlock", sqlStateErr("40P01"), opsward.EUNAVAILABLE},
		{"connection failure", sqlStateErr("08006"), opsward.EUNAVAILABLE},
		{"admin shutdown", sqlStateErr("57P01"), opsward.EUNAVAILABLE},
		{"unique violation", opsward.Internal(sqlStateErr("23505")), opsward.EINTERNAL},
		{"sqlite busy", sqliteErr(5), opsward.EUNAVAILABLE},
		{"sqlite busy snapshot", sqliteErr(5 | 2<<8), opsward.EUNAVAILABLE},
		{"sqlite constraint", sqliteErr(19), opsward.EINTERNAL},
		{"connection lost", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, opsward.EUNAVAILABLE},
		{"explicit", opsward.Unavailable(errors.New("budget full")), opsward.EUNAVAILABLE},
		{"plain", errors.New("boom"), opsward.EINTERNAL},
		{"internal", opsward.Internal(errors.New("boom")), opsward.EINTERNAL},
		{"invalid stays invalid", opsward.Errorf(opsward.EINVALID, "bad"), opsward.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := opsward.Public(tc.err)
			if got != tc.want {
				t.Fatalf("Public code = %q, want %q", got, tc.want)
			}
			switch tc.want {
			case opsward.EUNAVAILABLE:
				if msg == "internal error" || msg == "" {
					t.Fatalf("message %q does not ask for a retry", msg)
				}
			case opsward.EINTERNAL:
				if msg != "internal error" {
					t.Fatalf("message %q, want internal error", msg)
				}
			}
		})
	}
}
