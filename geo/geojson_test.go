package geo

import (
	"strings"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// square is a closed ring around (lon, lat) of half-size d, as GeoJSON.
func square(lon, lat, d float64) [][2]float64 {
	return [][2]float64{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}
}

func ringJSON(r [][2]float64) string {
	parts := make([]string, len(r))
	for i, p := range r {
		parts[i] = "[" + ftoa(p[0]) + "," + ftoa(p[1]) + "]"
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func ftoa(f float64) string {
	return strings.TrimRight(strings.TrimRight(sprintf("%.7f", f), "0"), ".")
}

func feature(id, geometry string) string {
	return `{"type":"Feature","properties":{"id":` + id + `},"geometry":` + geometry + `}`
}

func polygon(rings ...[][2]float64) string {
	parts := make([]string, len(rings))
	for i, r := range rings {
		parts[i] = ringJSON(r)
	}
	return `{"type":"Polygon","coordinates":[` + strings.Join(parts, ",") + `]}`
}

func collection(features ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`)
}

func TestReadFeatureCollection(t *testing.T) {
	b := whistle.BeijingBounds
	ok := polygon(square(116.40, 39.92, 0.005))
	tests := []struct {
		name    string
		body    []byte
		areas   int
		problem string // in the first problem's English message; "" = none
		err     string
	}{
		{"Polygon", collection(feature(`"110101001001001"`, ok)), 1, "", ""},
		{"NumericID", collection(feature(`110101001001001`, ok)), 1, "", ""},
		{"MultiPolygon", collection(feature(`"g1"`, `{"type":"MultiPolygon","coordinates":[[`+ringJSON(square(116.40, 39.92, 0.005))+`],[`+ringJSON(square(116.42, 39.92, 0.005))+`]]}`)), 1, "", ""},
		{"Hole", collection(feature(`"g1"`, polygon(square(116.40, 39.92, 0.005), square(116.40, 39.92, 0.001)))), 1, "", ""},
		{"RepeatedPointsDropped", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.39, 39.91}, {116.41, 39.91}, {116.41, 39.93}, {116.39, 39.91}}))), 1, "", ""},
		{"ErrNotCollection", []byte(`{"type":"Feature"}`), 0, "", "FeatureCollection"},
		{"ErrNotJSON", []byte(`{"type":`), 0, "", "GeoJSON"},
		{"ErrNoFeatures", collection(), 0, "", "no features"},
		{"ErrPoint", collection(feature(`"g1"`, `{"type":"Point","coordinates":[116.4,39.9]}`)), 0, "Polygon or MultiPolygon", ""},
		{"ErrNoID", collection(`{"type":"Feature","properties":{},"geometry":` + ok + `}`), 0, "properties.id", ""},
		{"ErrDuplicateID", collection(feature(`"g1"`, ok), feature(`"g1"`, ok)), 0, "same id", ""},
		{"ErrNotClosed", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.41, 39.91}, {116.41, 39.93}, {116.39, 39.93}}))), 0, "not closed", ""},
		{"ErrTooFewPoints", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.41, 39.91}, {116.39, 39.91}}))), 0, "at least 4 points", ""},
		{"ErrOutsideCity", collection(feature(`"g1"`, polygon(square(121.47, 31.23, 0.01)))), 0, "outside the city", ""},
		{"ErrSwapped", collection(feature(`"g1"`, polygon([][2]float64{{39.91, 116.39}, {39.91, 116.41}, {39.93, 116.41}, {39.91, 116.39}}))), 0, "swapped", ""},
		// A bow tie: the two diagonals cross in the middle.
		{"ErrSelfIntersecting", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.41, 39.93}, {116.41, 39.91}, {116.39, 39.93}, {116.39, 39.91}}))), 0, "intersects itself", ""},
		// A ring that touches itself at a vertex (a figure eight).
		{"ErrTouchesItself", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.40, 39.92}, {116.41, 39.91}, {116.41, 39.93}, {116.40, 39.92}, {116.39, 39.93}, {116.39, 39.91}}))), 0, "intersects itself", ""},
		// A spike: an edge runs back along the one before it.
		{"ErrSpike", collection(feature(`"g1"`, polygon([][2]float64{{116.39, 39.91}, {116.41, 39.91}, {116.40, 39.91}, {116.40, 39.93}, {116.39, 39.91}}))), 0, "intersects itself", ""},
		{"ErrHoleOutside", collection(feature(`"g1"`, polygon(square(116.40, 39.92, 0.005), square(116.45, 39.92, 0.001)))), 0, "not inside its outer ring", ""},
		{"ErrHoleCrossing", collection(feature(`"g1"`, polygon(square(116.40, 39.92, 0.005), square(116.405, 39.92, 0.002)))), 0, "not inside its outer ring", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			areas, problems, err := ReadFeatureCollection(tt.body, b)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error()+errEN(err), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.problem == "" {
				if len(problems) > 0 {
					t.Fatalf("problems = %+v, want none", problems)
				}
			} else {
				if len(problems) == 0 || !strings.Contains(problems[0].MessageEN, tt.problem) {
					t.Fatalf("problems = %+v, want one saying %q", problems, tt.problem)
				}
				if problems[0].Message == "" || problems[0].Message == problems[0].MessageEN {
					t.Errorf("problem has no Chinese message: %+v", problems[0])
				}
				if areas != nil {
					t.Errorf("areas = %d with problems, want none", len(areas))
				}
			}
			if len(areas) != tt.areas {
				t.Errorf("areas = %d, want %d", len(areas), tt.areas)
			}
		})
	}
}

func TestReadFeatureCollectionListsAtMostMaxProblems(t *testing.T) {
	var fs []string
	for i := range 30 {
		fs = append(fs, feature(`"g`+itoa(i)+`"`, `{"type":"Point","coordinates":[116.4,39.9]}`))
	}
	_, problems, err := ReadFeatureCollection(collection(fs...), whistle.BeijingBounds)
	if err != nil || len(problems) != MaxProblems {
		t.Fatalf("problems = %d, err = %v; want %d", len(problems), err, MaxProblems)
	}
	if problems[3].Index != 3 || problems[3].ID != "g3" {
		t.Errorf("problem 3 = %+v, want feature 3 named g3", problems[3])
	}
}

func errEN(err error) string {
	if we, ok := err.(*whistle.Error); ok {
		return we.MessageEN
	}
	return ""
}
