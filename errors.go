package opsward

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// Error codes. The edges (GraphQL error presenter, HTTP error handler)
// translate these to extensions.code and HTTP statuses; domain code never
// deals in statuses.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthenticated"
	ECONFLICT     = "conflict"
	ELIMIT        = "limit_exceeded"
	ETOOLARGE     = "too_large"   // a request body over a size limit
	EUNSUPPORTED  = "unsupported" // a content type or encoding the endpoint does not take
	// EUNAVAILABLE: a passing failure (a lost database connection, a
	// serialization failure, a deadline, a full memory budget); the same
	// request may succeed if sent again a little later.
	EUNAVAILABLE = "unavailable"
	EINTERNAL    = "internal"
)

// Error is the one error type of the domain. Message is fit for a user;
// Field, when set, names the input that is wrong (a path such as
// "input.slug"). Err keeps the cause for logs and is never shown.
type Error struct {
	Code    string
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID error that names the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected cause. Its message is "internal error"; the
// cause is kept for logs only.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// Unavailable wraps a passing cause: the request may be sent again.
func Unavailable(err error) *Error {
	return &Error{Code: EUNAVAILABLE, Message: unavailableMessage, Err: err}
}

const unavailableMessage = "temporarily unavailable: send the request again in a moment"

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, or EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// an *Error, and internal ones, read "internal error" so that no cause leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// Public returns the code and message an edge shows for err: ErrorCode and
// ErrorMessage, except that an internal error whose cause is passing (see
// Retryable) is shown as EUNAVAILABLE with a message that asks for a
// retry, so that callers retry rather than report a fault. Domain code
// keeps seeing EINTERNAL (a failure is a failure to it).
func Public(err error) (code, message string) {
	code, message = ErrorCode(err), ErrorMessage(err)
	if code == EINTERNAL && Retryable(err) {
		return EUNAVAILABLE, unavailableMessage
	}
	return code, message
}

// Retryable reports whether err's cause is passing: a deadline or a
// cancelled context, a connection refused, reset or lost (to the database,
// Redis or a peer), or a database that asks for the transaction to be run
// again (Postgres serialization failures, deadlocks, connection and
// shutdown states; SQLite busy or locked). The drivers' error types are
// matched by their methods so that this package imports no driver.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var e *Error
	if errors.As(err, &e) && e.Code == EUNAVAILABLE {
		return true
	}
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		st := pg.SQLState()
		switch {
		case st == "40001", st == "40P01": // serialization_failure, deadlock_detected
			return true
		case strings.HasPrefix(st, "08"): // connection exception
			return true
		case st == "53300", st == "57P01", st == "57P02", st == "57P03": // too many connections, shutdown, cannot connect now
			return true
		}
		return false
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff { // primary result code
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op)
}

// ErrorField returns the field an EINVALID error names, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
