package citygen_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// TestBenchDigest prints a digest of each rates and assessment answer the
// benchmark times, so two builds can be shown to answer the same on the
// same generated city (a change made for speed must not change a number):
//
//	SHAOBAO_BENCH_DATABASE=postgres://... go test ./citygen -run TestBenchDigest -v
func TestBenchDigest(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	odd := store.Period{From: time.Date(2026, 8, 15, 0, 0, 0, 0, worktime.Location), To: time.Date(2026, 10, 10, 0, 0, 0, 0, worktime.Location)}
	scopes := []struct {
		name string
		sc   store.RollupScope
	}{{"city", store.RollupScope{}}, {"district", store.RollupScope{DistrictID: "110105"}}, {"street", store.RollupScope{AreaID: "110105002"}}}
	periods := []struct {
		name string
		p    store.Period
	}{{"month", store.MonthPeriod(202610)}, {"year", store.YearPeriod(2026)}, {"56 days", odd}}
	print := func(name string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%x  %s (%d bytes)\n", sha256.Sum256(b), name, len(b))
	}
	for _, s := range scopes {
		for _, p := range periods {
			for _, g := range []string{store.GroupDepartment, store.GroupStreet, store.GroupDistrict} {
				rep, err := st.SupervisionRates(ctx, store.RatesQuery{Scope: s.sc, Period: p.p, Group: g})
				print(fmt.Sprintf("rates %s, %s, by %s", p.name, s.name, g), rep, err)
			}
		}
		a, err := st.Assessment(ctx, store.AssessmentQuery{Year: 2026, Scope: s.sc})
		print("assessment year, "+s.name, a, err)
	}
}
