package whistle_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// TestLocationJSON: recorded histories carry plain lat/lon numbers and
// must decode as before; an address-only location encodes without them.
func TestLocationJSON(t *testing.T) {
	var old whistle.Location
	if err := json.Unmarshal([]byte(`{"address":"和平里1号","lat":39.9,"lon":116.4,"grid_id":"g1"}`), &old); err != nil {
		t.Fatal(err)
	}
	if lat, lon, ok := old.Point(); !ok || lat != 39.9 || lon != 116.4 || old.GridID != "g1" {
		t.Errorf("recorded location decodes as %+v", old)
	}
	again, _ := json.Marshal(old)
	if string(again) != `{"address":"和平里1号","lat":39.9,"lon":116.4,"grid_id":"g1"}` {
		t.Errorf("re-encoded as %s", again)
	}
	b, _ := json.Marshal(whistle.Location{Address: "和平里1号"})
	if string(b) != `{"address":"和平里1号"}` {
		t.Errorf("address-only encodes as %s", b)
	}
	var none whistle.Location
	if err := json.Unmarshal(b, &none); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := none.Point(); ok {
		t.Errorf("address-only decodes with a point: %+v", none)
	}
}

func TestBounds(t *testing.T) {
	b := whistle.BeijingBounds
	if !b.Valid() || b.IsZero() || !(whistle.Bounds{}).IsZero() {
		t.Fatalf("BeijingBounds %+v", b)
	}
	for _, tt := range []struct {
		name     string
		lat, lon float64
		in       bool
	}{
		{"Tiananmen", 39.9087, 116.3975, true},
		{"Yanqing", 40.4565, 115.9750, true},
		{"Pinggu", 40.1406, 117.1213, true},
		{"Corner", 39.4, 115.4, true},
		{"Shanghai", 31.2304, 121.4737, false},
		{"Swapped", 116.3975, 39.9087, false},
		{"NullIsland", 0, 0, false},
		{"JustNorth", 41.1001, 116.4, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Contains(tt.lat, tt.lon); got != tt.in {
				t.Errorf("Contains(%v, %v) = %v", tt.lat, tt.lon, got)
			}
			err := b.CheckPoint(tt.lat, tt.lon)
			if (err == nil) != tt.in {
				t.Errorf("CheckPoint = %v", err)
			}
			var we *whistle.Error
			if err != nil && (!errors.As(err, &we) || we.Code != whistle.EInvalid || !strings.Contains(we.Message, "不在本市范围内") ||
				!strings.Contains(we.MessageEN, "outside the city") || strings.Contains(we.Message, "%!") || strings.Contains(we.MessageEN, "%!")) {
				t.Errorf("CheckPoint error = %#v", err)
			}
			if err != nil && strings.Contains(we.MessageEN, "swapped") != (tt.name == "Swapped") {
				t.Errorf("swap hint in %q", we.MessageEN)
			}
		})
	}
	if (whistle.Bounds{MinLat: 41, MaxLat: 40, MinLon: 115, MaxLon: 117}).Valid() {
		t.Error("an inverted box is valid")
	}
}

func TestParseBounds(t *testing.T) {
	b, err := whistle.ParseBounds(" 115.4, 39.4 ,117.6,41.1")
	if err != nil || b != whistle.BeijingBounds {
		t.Errorf("ParseBounds = %+v, %v; want Beijing", b, err)
	}
	if b, err := whistle.ParseBounds(""); err != nil || !b.IsZero() {
		t.Errorf("ParseBounds(\"\") = %+v, %v; want zero", b, err)
	}
	for _, bad := range []string{"1,2,3", "a,b,c,d", "117.6,41.1,115.4,39.4", "0,0,200,10"} {
		if _, err := whistle.ParseBounds(bad); err == nil {
			t.Errorf("ParseBounds(%q) accepted", bad)
		}
	}
}
