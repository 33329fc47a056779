package citygen_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
)

// TestBenchLeaders measures the leaders' views on the generated city
// (BENCHMARKS.md, "Leaders' views"): the recurring-problem view of a
// district and the ledger of a district's month, read row by row as the
// export streams it, with the heap it holds.
//
//	SHAOBAO_BENCH_DATABASE=postgres://... go test ./citygen -run TestBenchLeaders -timeout 0 -v
func TestBenchLeaders(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	runs := 20
	if v, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_RUNS")); v > 0 {
		runs = v
	}
	month := store.MonthPeriod(202610)
	district := "/110000/110105/"
	measure := func(name string, run func() (string, error)) {
		if only := os.Getenv("SHAOBAO_BENCH_ONLY"); only != "" && !strings.Contains(name, only) {
			return
		}
		var ds []time.Duration
		var note string
		for i := 0; i <= runs; i++ {
			start := time.Now()
			n, err := run()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if i > 0 { // the first run warms the cache
				ds = append(ds, time.Since(start))
			}
			note = n
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
		fmt.Printf("| %s | %s | %s | %s | %s |\n", name, ms(ds[len(ds)/2]), ms(ds[(len(ds)*95+99)/100-1]), ms(ds[len(ds)-1]), note)
	}
	fmt.Println("| query | p50 ms | p95 ms | max ms | result |")
	fmt.Println("|---|---:|---:|---:|---|")
	measure("recurring, district, 3 in 4 weeks", func() (string, error) {
		rep, err := st.Recurring(ctx, store.RecurringQuery{Path: district, Until: month.To, Limit: 100})
		problems := 0
		for _, s := range rep.Streets {
			problems += s.Total
		}
		return fmt.Sprintf("%d streets, %d problems", len(rep.Streets), problems), err
	})
	measure("recurring, district, 3 in 4 weeks, from the cases alone (before the roll-up)", func() (string, error) {
		rep, err := st.Recurring(ctx, store.RecurringQuery{Path: district, Until: month.To, Limit: 100, FromCases: true})
		problems := 0
		for _, s := range rep.Streets {
			problems += s.Total
		}
		return fmt.Sprintf("%d streets, %d problems", len(rep.Streets), problems), err
	})
	// A rule few places meet, as with a real city's many categories: the
	// roll-up answers alone.
	for _, fromCases := range []bool{false, true} {
		name := "recurring, district, 25 in 4 weeks"
		if fromCases {
			name += ", from the cases alone"
		}
		measure(name, func() (string, error) {
			rep, err := st.Recurring(ctx, store.RecurringQuery{Path: district, N: 25, Until: month.To, Limit: 100, FromCases: fromCases})
			problems := 0
			for _, s := range rep.Streets {
				problems += s.Total
			}
			return fmt.Sprintf("%d streets, %d problems", len(rep.Streets), problems), err
		})
	}
	measure("recurring, street, 3 in 4 weeks", func() (string, error) {
		rep, err := st.Recurring(ctx, store.RecurringQuery{Path: district + "110105002/", Until: month.To, Limit: 100})
		return fmt.Sprintf("%d streets", len(rep.Streets)), err
	})
	measure("category stats, district, a year", func() (string, error) {
		s, err := st.CategoryStats(ctx, store.StatsQuery{Path: district, From: month.From.AddDate(-1, 1, 0), To: month.To})
		return fmt.Sprintf("%d cases", s.Total), err
	})
	measure("category stats, street, a month", func() (string, error) {
		s, err := st.CategoryStats(ctx, store.StatsQuery{Path: district + "110105002/", From: month.From, To: month.To})
		return fmt.Sprintf("%d cases", s.Total), err
	})
	measure("top categories by grid, district, a month", func() (string, error) {
		r, err := st.TopCategories(ctx, store.TopQuery{StatsQuery: store.StatsQuery{Path: district, From: month.From, To: month.To}, By: store.TopByGrid, Limit: 5})
		return fmt.Sprintf("%d grids", len(r.Items)), err
	})
	from, to := month.From, month.To
	filter := store.CaseFilter{Scope: store.Scope{PathPrefix: district}, From: &from, To: &to}
	// The first rows' latency is what a user waits before the download
	// starts; the heap is sampled every ledgerSample rows (reading it
	// stops the world, too dear for every row).
	const ledgerSample = 500
	var firstRow, firstRows []time.Duration
	var peakHeap uint64
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	measure("ledger, district, a month (whole export to CSV)", func() (string, error) {
		w := csv.NewWriter(io.Discard)
		rows := 0
		start := time.Now()
		var ms runtime.MemStats
		err := st.EachLedgerRow(ctx, filter, func(r store.LedgerRow) error {
			if rows == 0 {
				firstRow = append(firstRow, time.Since(start))
			}
			_ = w.Write([]string{r.Number, r.ID, r.Title, r.Category, r.UnitName, r.OrgUnitID, r.Address, r.Departments, r.CreatedAt.String()})
			rows++
			if rows%ledgerSample == 0 {
				if rows == ledgerSample {
					firstRows = append(firstRows, time.Since(start))
				}
				runtime.ReadMemStats(&ms)
				peakHeap = max(peakHeap, ms.HeapInuse)
			}
			return nil
		})
		w.Flush()
		return fmt.Sprintf("%d rows", rows), err
	})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if len(firstRow) == 0 {
		return // the ledger was not measured (SHAOBAO_BENCH_ONLY)
	}
	pct := func(ds []time.Duration, p int) string {
		if len(ds) == 0 {
			return "-"
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return fmt.Sprintf("%.1f", float64(ds[(len(ds)*p+99)/100-1].Microseconds())/1000)
	}
	fmt.Printf("heap in use before the exports %.1f MB; allocated per export %.1f MB\n", float64(before.HeapInuse)/(1<<20),
		float64(after.TotalAlloc-before.TotalAlloc)/float64(runs+1)/(1<<20))
	fmt.Printf("ledger first row: p50 %s ms, p95 %s ms; first %d rows: p50 %s ms, p95 %s ms; heap in use at most %.1f MB while streaming\n",
		pct(firstRow, 50), pct(firstRow, 95), ledgerSample, pct(firstRows, 50), pct(firstRows, 95), float64(peakHeap)/(1<<20))
}
