package api_test

import (
	"context"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// TestAdminIntakeSettings: every source is listed with the default until
// an admin sets it; a set span is stored in canonical form, listed, and
// is what filing then reads (store.AcceptWithinFor).
func TestAdminIntakeSettings(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")

	r := call(t, srv, admin, "GET", "/api/v1/admin/intake-settings", "")
	if r.status != 200 {
		t.Fatalf("list: %d %v", r.status, r.body)
	}
	items, _ := r.body["items"].([]any)
	if len(items) != len(whistle.Sources) {
		t.Fatalf("list has %d items, want one per source (%d): %v", len(items), len(whistle.Sources), r.body)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if m["accept_within"] != whistle.DefaultAcceptWithin || m["default"] != true {
			t.Errorf("before any setting: %v, want the default %s", m, whistle.DefaultAcceptWithin)
		}
	}

	r = call(t, srv, admin, "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":" 1d0h "}`)
	if r.status != 200 || r.body["source"] != "hotline" || r.body["accept_within"] != "1d" || r.body["default"] != false || r.body["updated_by"] != "admin" {
		t.Fatalf("put: %d %v, want hotline 1d set by admin", r.status, r.body)
	}
	if got, err := st.AcceptWithinFor(context.Background(), whistle.SourceHotline); err != nil || got != "1d" {
		t.Fatalf("AcceptWithinFor(hotline) = %q, %v; want 1d", got, err)
	}
	r = call(t, srv, admin, "PUT", "/api/v1/admin/intake-settings/hotline", `{"accept_within":"30m"}`)
	if r.status != 200 || r.body["accept_within"] != "30m" {
		t.Fatalf("put again: %d %v", r.status, r.body)
	}
	r = call(t, srv, admin, "GET", "/api/v1/admin/intake-settings", "")
	for _, it := range r.body["items"].([]any) {
		m := it.(map[string]any)
		want, def := whistle.DefaultAcceptWithin, true
		if m["source"] == "hotline" {
			want, def = "30m", false
		}
		if m["accept_within"] != want || m["default"] != def {
			t.Errorf("after setting hotline: %v, want %s (default %v)", m, want, def)
		}
	}
}
