package store_test

import (
	"context"
	"math"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// metresNorth moves lat by m metres north (one degree of latitude is
// about 111.195 km on the mean sphere).
func metresNorth(lat, m float64) float64 { return lat + m/111194.93 }

func TestNearbyCases(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const lat, lon = 39.9087, 116.3975 // Tiananmen
		place := func(id string, northM float64, category string, status whistle.CaseStatus) whistle.Case {
			c := sampleCase(id, 1, status)
			c.Category = category
			c.Location = whistle.At("东城区东长安街"+id, metresNorth(lat, northM), lon)
			return c
		}
		d3 := place("c-d3", 40, "治安秩序", whistle.CaseOpen)
		d3.OrgUnitID, d3.OrgPath = "110102001001", "/110000/110102/110102001/110102001001/"
		cases := []whistle.Case{
			place("c-50m", 50, "治安秩序", whistle.CaseOpen),
			place("c-120m", -120, "治安秩序", whistle.CaseVerifying),
			place("c-300m", 300, "治安秩序", whistle.CaseOpen),
			place("c-other-category", 10, "市容环境", whistle.CaseOpen),
			place("c-closed", 20, "治安秩序", whistle.CaseClosed),
			d3, // 40 m away but outside district 1
		}
		for _, c := range cases {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		district1 := store.Scope{PathPrefix: "/110000/110101/"}
		ids := func(items []store.NearbyCase) []string {
			out := []string{}
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		tests := []struct {
			name string
			f    store.NearbyFilter
			want []string
		}{
			{"WithinRadiusNearestFirst", store.NearbyFilter{Scope: district1, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200},
				[]string{"c-50m", "c-120m"}},
			{"WiderRadius", store.NearbyFilter{Scope: district1, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 400},
				[]string{"c-50m", "c-120m", "c-300m"}},
			{"OtherCategory", store.NearbyFilter{Scope: district1, Category: "市容环境", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200},
				[]string{"c-other-category"}},
			{"EveryCategory", store.NearbyFilter{Scope: district1, HasPoint: true, Lat: lat, Lon: lon, RadiusM: 100},
				[]string{"c-other-category", "c-50m"}},
			{"Excluded", store.NearbyFilter{Scope: district1, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200, ExcludeID: "c-50m"},
				[]string{"c-120m"}},
			{"WholeCity", store.NearbyFilter{Scope: store.Scope{PathPrefix: "/110000/"}, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200},
				[]string{"c-d3", "c-50m", "c-120m"}},
			{"NoScope", store.NearbyFilter{Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200}, []string{}},
			{"Limit", store.NearbyFilter{Scope: district1, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 400, Limit: 1},
				[]string{"c-50m"}},
			{"Address", store.NearbyFilter{Scope: district1, Category: "治安秩序", Address: "东长安街c-3"}, []string{"c-300m"}},
			{"AddressEmpty", store.NearbyFilter{Scope: district1, Category: "治安秩序"}, []string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.NearbyCases(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if g := ids(got); !equalStrings(g, tt.want) {
					t.Errorf("got %v, want %v", g, tt.want)
				}
			})
		}
		got, err := s.NearbyCases(ctx, store.NearbyFilter{Scope: district1, Category: "治安秩序", HasPoint: true, Lat: lat, Lon: lon, RadiusM: 200})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[0].DistanceM == nil || math.Abs(*got[0].DistanceM-50) > 1 {
			t.Fatalf("first distance = %v, want 50 m", got)
		}
		if got[0].Status != whistle.CaseOpen || got[0].Location.Address == "" || got[0].CreatedAt.IsZero() {
			t.Errorf("the nearby case lost fields: %+v", got[0])
		}
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHaversineM(t *testing.T) {
	// Tiananmen to the Temple of Heaven's north gate, about 2.6 km; and
	// one degree of longitude at the equator, about 111.195 km.
	for _, tt := range []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		{"Zero", 39.9, 116.4, 39.9, 116.4, 0, 0.001},
		{"EquatorDegree", 0, 0, 0, 1, 111195, 5},
		{"FiftyMetresNorth", 39.9087, 116.3975, metresNorth(39.9087, 50), 116.3975, 50, 0.1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.HaversineM(tt.lat1, tt.lon1, tt.lat2, tt.lon2); math.Abs(got-tt.want) > tt.tol {
				t.Errorf("HaversineM = %.3f, want %.3f ± %.3f", got, tt.want, tt.tol)
			}
		})
	}
}
