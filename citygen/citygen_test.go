package citygen_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/shaobao/shaobao/citygen"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/worktime"
)

// small is a city a test can load in a second.
func small(cases int) citygen.Options {
	return citygen.Options{Cases: cases, Days: 120, End: time.Date(2026, 5, 1, 0, 0, 0, 0, worktime.Location), Seed: 7, Batch: 700,
		Districts: 2, Streets: 5, CommunitiesPerStreet: 3, GridsPerCommunity: 2,
		CityDepartments: 4, DistrictDepartments: 5, StationsPerStreet: 4, GridWorkersPerGrid: 1}
}

// TestBulkRollupMatchesTheQueue: the roll-up citygen builds in memory equals
// the one RebuildSupervision folds case by case from the copied rows.
func TestBulkRollupMatchesTheQueue(t *testing.T) {
	st := storetest.MustOpenPostgres(t)
	ctx := context.Background()
	indexes := func() (n int64) {
		st.DB.Raw(`SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('cases', 'tasks', 'evaluations', 'breaches', 'escalations')`).Scan(&n)
		return n
	}
	before := indexes()
	stats, err := citygen.Generate(ctx, st, small(3000), io.Discard)
	if after := indexes(); after != before || before < 10 {
		t.Fatalf("indexes %d before the load, %d after", before, after)
	}
	if err != nil {
		t.Fatal(err)
	}
	if stats.Cases != 3000 || stats.Tasks < 3000 || stats.Evaluations == 0 || stats.Breaches == 0 || stats.Escalations == 0 || stats.Facts == 0 {
		t.Fatalf("stats %+v", stats)
	}
	type view struct {
		group string
		p     store.Period
	}
	views := []view{
		{store.GroupDepartment, store.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, worktime.Location), To: time.Date(2026, 5, 1, 0, 0, 0, 0, worktime.Location)}},
		{store.GroupStreet, store.MonthPeriod(202603)},
		{store.GroupDistrict, store.Period{From: time.Date(2026, 2, 10, 0, 0, 0, 0, worktime.Location), To: time.Date(2026, 4, 20, 0, 0, 0, 0, worktime.Location)}},
	}
	snapshot := func() []string {
		var out []string
		for _, v := range views {
			rep, err := st.SupervisionRates(ctx, store.RatesQuery{Period: v.p, Group: v.group})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%+v", rep.Total.Counts))
			for _, r := range rep.Items {
				out = append(out, r.ID+fmt.Sprintf("%+v", r.Counts))
			}
		}
		a, err := st.Assessment(ctx, store.AssessmentQuery{Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range a.Items {
			rank := -1
			if c.Rank != nil {
				rank = *c.Rank
			}
			out = append(out, fmt.Sprintf("%s %d %.9f", c.DepartmentID, rank, *c.Total))
		}
		return out
	}
	bulk := snapshot()
	if len(bulk) < 20 {
		t.Fatalf("too little to compare: %v", bulk)
	}
	if _, err := st.RebuildSupervision(ctx, 500); err != nil {
		t.Fatal(err)
	}
	folded := snapshot()
	if fmt.Sprint(bulk) != fmt.Sprint(folded) {
		for i := range bulk {
			if i >= len(folded) || bulk[i] != folded[i] {
				t.Fatalf("bulk roll-up differs from the folded one at %d:\n  bulk %s\nfolded %v", i, bulk[i], folded[min(i, len(folded)-1)])
			}
		}
	}
	// The recurring-problem roll-up was summed after the load: the view
	// through it equals the one read from the cases alone.
	for _, path := range []string{"", "/110000/110101/"} {
		q := store.RecurringQuery{Path: path, N: 2, Weeks: 2, Until: time.Date(2026, 4, 20, 0, 0, 0, 0, worktime.Location)}
		fast, err := st.Recurring(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		q.FromCases = true
		slow, err := st.Recurring(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(slow.Streets) == 0 || fmt.Sprintf("%+v", fast) != fmt.Sprintf("%+v", slow) {
			t.Fatalf("recurring %q through the roll-up:\n%+v\nfrom the cases:\n%+v", path, fast.Streets, slow.Streets)
		}
	}
	// The trigger is back: a projected change is queued.
	var queued int64
	st.DB.Exec(`UPDATE cases SET seq = seq + 1 WHERE id = 'G000002999'`)
	st.DB.Model(&store.SupervisionDirty{}).Count(&queued)
	if queued != 1 {
		t.Errorf("queued %d after an update, want 1 (trigger not restored?)", queued)
	}
}

func TestGenerateRefusesAPopulatedDatabase(t *testing.T) {
	st := storetest.MustOpenPostgres(t)
	storetest.MustSeedDemo(t, st)
	if _, err := citygen.Generate(context.Background(), st, small(10), io.Discard); err == nil {
		t.Fatal("generated into the demo city")
	}
}

func TestCommand(t *testing.T) {
	url := storetest.PostgresURL(t)
	if err := citygen.Command(context.Background(), []string{"--database-url", "", "--cases", "10"}, io.Discard); err == nil {
		t.Error("no database URL accepted")
	}
	if err := citygen.Command(context.Background(), []string{"--database-url", url, "--end", "2026-13-01"}, io.Discard); err == nil {
		t.Error("a bad --end accepted")
	}
}
