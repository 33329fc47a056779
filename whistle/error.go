package whistle

import (
	"errors"
	"fmt"
)

// Error codes. One map in api/ turns them into HTTP statuses.
const (
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	EInternal     = "internal"
	// EUnavailable: the service cannot do it now (a dependency is missing
	// or down); the message says what, and a retry later may succeed.
	EUnavailable = "unavailable"
	// EReplayed: a signed request already accepted, sent again as it was
	// (a replay); a 409.
	EReplayed = "replayed"
)

// Error is a coded error whose messages are safe to show to a user:
// Message in Chinese (the default), MessageEN in English.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	MessageEN string `json:"message_en,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.MessageEN)
}

// Errorf returns a coded error with a Chinese and an English message.
// The same args are applied to both formats.
func Errorf(code, zh, en string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(zh, args...), MessageEN: fmt.Sprintf(en, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message for err in lang ("en" or
// Chinese otherwise). Internal errors never leak their detail.
func ErrorMessage(err error, lang string) string {
	var e *Error
	if !errors.As(err, &e) || e.Code == EInternal {
		if lang == "en" {
			return "internal error"
		}
		return "内部错误"
	}
	if lang == "en" && e.MessageEN != "" {
		return e.MessageEN
	}
	return e.Message
}

// ErrNotFound is the store's answer for a row that does not exist. The
// store usually answers a not_found error naming the row instead; every
// not_found *Error satisfies errors.Is(err, ErrNotFound).
var ErrNotFound = &Error{Code: ENotFound, Message: "记录不存在", MessageEN: "not found"}

// Is reports whether e matches target for errors.Is: any not_found error
// matches ErrNotFound, whatever its message.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Code == ENotFound
}
