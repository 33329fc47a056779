package main

import (
	"flag"
	"log/slog"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/store/storetest"
)

// --city-bounds (or SHAOBAO_CITY_BOUNDS) reaches the API, and a box that
// does not parse stops the start instead of leaving Beijing's in force
// unnoticed.
func TestCityBoundsFlag(t *testing.T) {
	t.Setenv("SHAOBAO_CITY_BOUNDS", "102.1,24.4,103.7,26.6")
	var cfg Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.bind(fs, "server")
	if _, err := parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	if cfg.CityBounds != "102.1,24.4,103.7,26.6" {
		t.Fatalf("CityBounds = %q, want the environment's", cfg.CityBounds)
	}

	st := storetest.MustOpenSQLite(t)
	for _, tc := range []struct {
		bounds string
		ok     bool
	}{{"", true}, {"102.1,24.4,103.7,26.6", true}, {"102.1,24.4,103.7", false}, {"103.7,24.4,102.1,26.6", false}} {
		a := app.New(&app.Config{CityBounds: tc.bounds}, slog.New(slog.DiscardHandler))
		a.Store = st
		_, err := a.Handler(t.Context())
		if tc.ok && err != nil {
			t.Errorf("bounds %q: %v", tc.bounds, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "--city-bounds")) {
			t.Errorf("bounds %q: err = %v, want a --city-bounds refusal", tc.bounds, err)
		}
	}
}
