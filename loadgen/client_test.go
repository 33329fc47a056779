package loadgen

import (
	"errors"
	"testing"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Unavailable", &StatusError{Status: 503, Code: "unavailable"}, true},
		{"KeyInFlight", &StatusError{Status: 409, Code: "idempotency_key_in_flight"}, true},
		{"Conflict", &StatusError{Status: 409, Code: "conflict"}, false},
		{"KeyReused", &StatusError{Status: 422, Code: "idempotency_key_reused"}, false},
		{"Invalid", &StatusError{Status: 400, Code: "invalid"}, false},
		{"Connection", errors.New("connection refused"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
