package citygen_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/citygen"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/worktime"
)

// The benchmark is a gated test, not a timed assertion: it loads or reads a
// generated city on the PostgreSQL named by SHAOBAO_BENCH_DATABASE and
// prints the latency of each supervision query (BENCHMARKS.md).
//
//	SHAOBAO_BENCH_DATABASE=postgres://... SHAOBAO_BENCH_CASES=1000000 \
//	  go test ./citygen -run TestBenchGenerate -timeout 0 -v
//	SHAOBAO_BENCH_DATABASE=postgres://... go test ./citygen -run TestBenchSupervision -timeout 0 -v
const benchEnv = "SHAOBAO_BENCH_DATABASE"

func benchStore(t *testing.T) *store.Store {
	url := os.Getenv(benchEnv)
	if url == "" {
		t.Skipf("%s not set: no benchmark", benchEnv)
	}
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// benchEnd is the fixed end of the generated history, so the query
// periods below always hit data.
var benchEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, worktime.Location)

func TestBenchGenerate(t *testing.T) {
	st := benchStore(t)
	n, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_CASES"))
	if n <= 0 {
		n = 1_000_000
	}
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// SHAOBAO_BENCH_DAYS shortens the span: 2,000,000 cases over 110 days
	// are a 20-million city's density (three years of Beijing's ~18,000
	// cases a day) for every view of a month or a few weeks.
	days, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_DAYS"))
	stats, err := citygen.Generate(ctx, st, citygen.Options{Cases: n, Days: days, End: benchEnd}, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("generated: %+v\n", stats)
}

type benchQuery struct {
	name string
	run  func(ctx context.Context, st *store.Store) error
}

func TestBenchSupervision(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	runs := 40
	if v, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_RUNS")); v > 0 {
		runs = v
	}
	month := store.MonthPeriod(202610)
	year := store.YearPeriod(2026)
	odd := store.Period{From: time.Date(2026, 8, 15, 0, 0, 0, 0, worktime.Location), To: time.Date(2026, 10, 10, 0, 0, 0, 0, worktime.Location)}
	city := store.RollupScope{}
	district := store.RollupScope{DistrictID: "110105"}
	street := store.RollupScope{AreaID: "110105002"}
	from, to := month.From, month.To
	no := false
	distScope := store.Scope{PathPrefix: "/110000/110105/"}
	rates := func(sc store.RollupScope, p store.Period, g string) func(context.Context, *store.Store) error {
		return func(ctx context.Context, st *store.Store) error {
			_, err := st.SupervisionRates(ctx, store.RatesQuery{Scope: sc, Period: p, Group: g})
			return err
		}
	}
	queries := []benchQuery{
		{"rates month, city, by department", rates(city, month, store.GroupDepartment)},
		{"rates month, city, by street", rates(city, month, store.GroupStreet)},
		{"rates year, city, by department", rates(city, year, store.GroupDepartment)},
		{"rates year, city, by district", rates(city, year, store.GroupDistrict)},
		{"rates 56 days across months, city, by department", rates(city, odd, store.GroupDepartment)},
		{"rates year, district, by department", rates(district, year, store.GroupDepartment)},
		{"rates month, street, by department", rates(street, month, store.GroupDepartment)},
		{"assessment year, city", func(ctx context.Context, st *store.Store) error {
			_, err := st.Assessment(ctx, store.AssessmentQuery{Year: 2026})
			return err
		}},
		{"assessment year, district", func(ctx context.Context, st *store.Store) error {
			_, err := st.Assessment(ctx, store.AssessmentQuery{Year: 2026, Scope: district})
			return err
		}},
		{"breaches month, district, page 1", func(ctx context.Context, st *store.Store) error {
			_, _, err := st.ListBreaches(ctx, store.BreachFilter{Scope: distScope, From: &from, To: &to})
			return err
		}},
		{"breaches month, city, unresolved", func(ctx context.Context, st *store.Store) error {
			_, _, err := st.ListBreaches(ctx, store.BreachFilter{Scope: store.Scope{All: true}, From: &from, To: &to, Resolved: &no})
			return err
		}},
		{"breaches all time, district, page 1", func(ctx context.Context, st *store.Store) error {
			_, _, err := st.ListBreaches(ctx, store.BreachFilter{Scope: distScope})
			return err
		}},
		{"escalations month, district, page 1", func(ctx context.Context, st *store.Store) error {
			_, _, err := st.ListEscalations(ctx, store.EscalationFilter{Scope: distScope, From: &from, To: &to})
			return err
		}},
		{"escalations month, city, page 1", func(ctx context.Context, st *store.Store) error {
			_, _, err := st.ListEscalations(ctx, store.EscalationFilter{Scope: store.Scope{All: true}, From: &from, To: &to})
			return err
		}},
	}
	var cases int64
	st.DB.Raw("SELECT count(*) FROM cases").Scan(&cases)
	fmt.Printf("\n%d cases; %d runs per query after one warm-up\n\n", cases, runs)
	fmt.Println("| query | p50 ms | p95 ms | max ms |")
	fmt.Println("|---|---:|---:|---:|")
	for _, q := range queries {
		if only := os.Getenv("SHAOBAO_BENCH_ONLY"); only != "" && !strings.Contains(q.name, only) {
			continue
		}
		if err := q.run(ctx, st); err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		d := make([]time.Duration, runs)
		for i := range d {
			start := time.Now()
			if err := q.run(ctx, st); err != nil {
				t.Fatalf("%s: %v", q.name, err)
			}
			d[i] = time.Since(start)
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		ms := func(x time.Duration) string { return strconv.FormatFloat(float64(x.Microseconds())/1000, 'f', 1, 64) }
		fmt.Printf("| %s | %s | %s | %s |\n", q.name, ms(d[len(d)/2]), ms(d[(len(d)*95+99)/100-1]), ms(d[len(d)-1]))
	}
	if os.Getenv("SHAOBAO_BENCH_EXPLAIN") != "" {
		var cols []string
		for _, c := range store.CounterColumns() {
			cols = append(cols, "SUM("+c+") AS "+c)
		}
		sums := strings.Join(cols, ", ")
		for _, q := range []string{
			`SELECT a.key, COALESCE(n.name, ''), a.cases FROM (SELECT department_id AS key, ` + sums + ` FROM supervision_rollup WHERE ((kind = 'Y' AND start >= 20260101 AND start < 20270101)) AND department_id <> '' GROUP BY department_id) a LEFT JOIN departments n ON n.id = a.key ORDER BY a.key`,
			// 15 Aug–9 Oct: days and weeks (before the runs), then the runs.
			`SELECT a.key, COALESCE(n.name, ''), a.cases FROM (SELECT department_id AS key, ` + sums + ` FROM supervision_rollup WHERE ((kind = 'D' AND start >= 20260815 AND start < 20260817) OR (kind = 'W' AND start >= 20260817 AND start < 20260831) OR (kind = 'D' AND start >= 20260831 AND start < 20260901) OR (kind = 'M' AND start >= 20260901 AND start < 20261001) OR (kind = 'D' AND start >= 20261001 AND start < 20261010)) AND department_id <> '' GROUP BY department_id) a LEFT JOIN departments n ON n.id = a.key ORDER BY a.key`,
			`SELECT a.key, COALESCE(n.name, ''), a.cases FROM (SELECT department_id AS key, ` + sums + ` FROM supervision_rollup WHERE ((kind = 'B' AND start >= 20260815 AND start < 20260817) OR (kind = 'F' AND start >= 20260817 AND start < 20260901) OR (kind = 'M' AND start >= 20260901 AND start < 20261001) OR (kind = 'E' AND start >= 20261001 AND start < 20261009) OR (kind = 'D' AND start >= 20261009 AND start < 20261010)) AND department_id <> '' GROUP BY department_id) a LEFT JOIN departments n ON n.id = a.key ORDER BY a.key`,
			`SELECT count(*) FROM breaches WHERE breaches.org_path LIKE '/110000/110105/%' AND breaches.at >= '2026-09-30T16:00:00Z' AND breaches.at < '2026-10-31T16:00:00Z'`,
			`SELECT breaches.id FROM breaches WHERE breaches.org_path LIKE '/110000/110105/%' ORDER BY breaches.at DESC, breaches.id DESC LIMIT 20`,
			`SELECT count(*) FROM breaches WHERE breaches.org_path LIKE '/110000/110105/%'`,
		} {
			var lines []string
			st.DB.Raw("EXPLAIN (ANALYZE, BUFFERS) " + q).Scan(&lines)
			fmt.Printf("\n%s\n  %s\n", q, strings.Join(lines, "\n  "))
		}
	}
}

// TestBenchRefresh times the roll-up's upkeep: it queues cases still in
// progress (their facts are kept, so folding them again changes no count)
// and folds them, as the refresher does after the projection wrote them.
func TestBenchRefresh(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	n := 20000
	if err := st.DB.Exec(`INSERT INTO supervision_dirty (case_id, seq)
SELECT f.case_id, c.seq FROM supervision_facts f JOIN cases c ON c.id = f.case_id WHERE f.department_id = '' LIMIT ?
ON CONFLICT (case_id) DO NOTHING`, n).Error; err != nil {
		t.Fatal(err)
	}
	before, _ := st.SupervisionRates(ctx, store.RatesQuery{Period: store.YearPeriod(2026), Group: store.GroupDistrict})
	start := time.Now()
	res, err := st.RefreshSupervision(ctx, 0, 1000, true)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	after, _ := st.SupervisionRates(ctx, store.RatesQuery{Period: store.YearPeriod(2026), Group: store.GroupDistrict})
	if fmt.Sprint(before.Total.Counts) != fmt.Sprint(after.Total.Counts) {
		t.Errorf("refolding changed the counts:\n%+v\n%+v", before.Total.Counts, after.Total.Counts)
	}
	fmt.Printf("\nrefresh: %d queued cases folded in %s (%.0f cases/s)\n", res.Cases, took.Round(time.Millisecond), float64(res.Cases)/took.Seconds())
}
