package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store/storetest"
)

func TestSecurityHeaders(t *testing.T) {
	srv, st := newServer(t)
	tok := token(t, st, "c1-secretary")
	tests := []struct {
		name, path string
		noStore    bool
	}{
		{"API", "/api/v1/me", true},
		{"APIError", "/api/v1/nothing", true},
		{"Open311", "/open311/v2/services.json", true},
		{"Health", "/healthz", true},
		{"Page", "/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", h.Get("X-Content-Type-Options"))
			}
			if got := h.Get("Cache-Control") == "no-store"; got != tt.noStore {
				t.Errorf("Cache-Control = %q, want no-store: %v", h.Get("Cache-Control"), tt.noStore)
			}
		})
	}
}

func TestMetricsAccess(t *testing.T) {
	st := storetest.MustOpenSQLite(t)
	pol, err := policy.New(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	get := func(h http.Handler, auth string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	open := (&api.Server{Store: st, Policy: pol}).Handler()
	guarded := &api.Server{Store: st, Policy: pol, MetricsToken: "m3trics"}
	guardedMain := guarded.Handler()
	off := &api.Server{Store: st, Policy: pol, MetricsOff: true, MetricsToken: "m3trics"}
	offMain := off.Handler()
	tests := []struct {
		name    string
		handler http.Handler
		auth    string
		status  int
	}{
		{"OpenByDefault", open, "", 200},
		{"TokenRequired", guardedMain, "", 401},
		{"WrongToken", guardedMain, "Bearer nope", 401},
		{"RightToken", guardedMain, "bearer m3trics", 200},
		{"OffOnMain", offMain, "Bearer m3trics", 404},
		{"OwnListenerNoToken", api.MetricsHandler(off.Registry, off.MetricsToken), "", 401},
		{"OwnListenerToken", api.MetricsHandler(off.Registry, off.MetricsToken), "Bearer m3trics", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(tt.handler, tt.auth); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
		})
	}
}
