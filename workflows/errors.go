package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/shaobao/shaobao/whistle"
)

// codes a refusal may carry across Temporal; anything else is not ours.
var knownCodes = map[string]bool{
	whistle.EInvalid: true, whistle.ENotFound: true, whistle.EConflict: true,
	whistle.EUnauthorized: true, whistle.EForbidden: true, whistle.EInternal: true,
	whistle.ERateLimited: true,
}

// toApplicationError turns a coded *whistle.Error into the non-retryable
// ApplicationError that carries it to the client: type = code, message =
// the Chinese message, details[0] = the English one. Other errors pass.
func toApplicationError(err error) error {
	var we *whistle.Error
	if err == nil || !errors.As(err, &we) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(we.Message, we.Code,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{we.MessageEN}})
}

// AsError turns an error from an update handle's Get (or a workflow run)
// back into the *whistle.Error the workflow refused with: code from the
// ApplicationError's type, Chinese message from its message, English from
// its details. Errors that carry no Shaobao code are returned unchanged.
func AsError(err error) error {
	var ae *temporal.ApplicationError
	if err == nil || !errors.As(err, &ae) || !knownCodes[ae.Type()] {
		return err
	}
	we := &whistle.Error{Code: ae.Type(), Message: ae.Message()}
	if ae.HasDetails() {
		var en string
		if ae.Details(&en) == nil {
			we.MessageEN = en
		}
	}
	return we
}
