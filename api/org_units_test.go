package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestUnitsBelow: GET /org-units lists the units below the caller's own,
// down to communities, never the caller's unit, a grid or a unit outside.
func TestUnitsBelow(t *testing.T) {
	srv, st := newServer(t)
	tests := []struct {
		name, user, query string
		status            int
		want              []string
	}{
		{"District", "d1-commander", "", http.StatusOK,
			[]string{"110101001", "110101001001", "110101001002", "110101002", "110101002001"}},
		{"DistrictDepth1", "d1-commander", "?depth=1", http.StatusOK, []string{"110101001", "110101002"}},
		{"Street", "s1-secretary", "", http.StatusOK, []string{"110101001001", "110101001002"}},
		{"CommunityHasNoneBelowButGrids", "c1-secretary", "", http.StatusOK, []string{}},
		{"ClerkHasNoUnit", "s1-police", "", http.StatusOK, []string{}},
		{"BadDepth", "d1-commander", "?depth=9", http.StatusBadRequest, nil},
		{"NoToken", "", "", http.StatusUnauthorized, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := ""
			if tc.user != "" {
				tok = token(t, st, tc.user)
			}
			r := call(t, srv, tok, "GET", "/api/v1/org-units"+tc.query, "")
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %v", r.status, tc.status, r.body)
			}
			if tc.want == nil {
				if errCode(r) == "" {
					t.Errorf("refusal without the error envelope: %v", r.body)
				}
				return
			}
			items, _ := r.body["items"].([]any)
			got := []string{}
			for _, it := range items {
				got = append(got, it.(map[string]any)["id"].(string))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("units %v, want %v", got, tc.want)
			}
		})
	}
}
