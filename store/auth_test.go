package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestNotFoundIsErrNotFound: every "no such row" the store answers names
// the row and is errors.Is whistle.ErrNotFound, as the doc comments promise.
func TestNotFoundIsErrNotFound(t *testing.T) {
	s := storetest.MustOpenSQLite(t)
	ctx := context.Background()
	tests := []struct {
		name, mentions string
		call           func() error
	}{
		{"User", "NOPE", func() error { _, err := s.User(ctx, "NOPE"); return err }},
		{"UserByUsername", "nobody", func() error { _, err := s.UserByUsername(ctx, "nobody"); return err }},
		{"RevokeToken", "", func() error { return s.RevokeToken(ctx, "no-such-token") }},
		{"OrgUnit", "NOPE", func() error { _, err := s.OrgUnit(ctx, "NOPE"); return err }},
		{"Departments", "NOPE", func() error { _, err := s.Departments(ctx, []string{"NOPE"}); return err }},
		{"NotFound", "K1", func() error { return store.NotFound("case", "K1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, whistle.ErrNotFound) {
				t.Fatalf("got %v, want an error that is whistle.ErrNotFound", err)
			}
			if whistle.ErrorCode(err) != whistle.ENotFound {
				t.Errorf("code %q, want %q", whistle.ErrorCode(err), whistle.ENotFound)
			}
			if !strings.Contains(whistle.ErrorMessage(err, "en"), tt.mentions) {
				t.Errorf("message %q does not name %q", whistle.ErrorMessage(err, "en"), tt.mentions)
			}
		})
	}
}
