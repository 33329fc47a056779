package citygen_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/shaobao/shaobao/api"
	"github.com/shaobao/shaobao/policy"
)

// TestBenchHTTP times the supervision routes and the ledger export end to
// end — token, policy, the refresh check, the query and the JSON, CSV or
// XLSX — on a generated city.
func TestBenchHTTP(t *testing.T) {
	st := benchStore(t)
	ctx := context.Background()
	pol, err := policy.New(ctx, st.DB)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&api.Server{Store: st, Policy: pol}).Handler())
	defer srv.Close()
	token := func(where string) string {
		var id string
		st.DB.Raw(`SELECT id FROM users WHERE role = 'supervisor' AND org_unit_id = ? LIMIT 1`, where).Scan(&id)
		tok, err := st.IssueToken(ctx, id, "bench", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	city, district := token("110000"), token("110105")
	runs := 20
	if v, _ := strconv.Atoi(os.Getenv("SHAOBAO_BENCH_RUNS")); v > 0 {
		runs = v
	}
	fmt.Printf("\n| route (HTTP, JSON) | caller | bytes | p50 ms | p95 ms |\n|---|---|---:|---:|---:|\n")
	for _, q := range []struct{ path, who, tok string }{
		{"/api/v1/supervision/rates?month=2026-10&group=department", "city", city},
		{"/api/v1/supervision/rates?from=2026-01-01&to=2027-01-01&group=street", "city", city},
		{"/api/v1/supervision/rates?month=2026-10&group=department", "district", district},
		{"/api/v1/supervision/assessments?year=2026", "city", city},
		{"/api/v1/supervision/assessments?year=2026", "district", district},
		{"/api/v1/supervision/breaches?from=2026-10-01&to=2026-11-01", "district", district},
		{"/api/v1/supervision/escalations?from=2026-10-01&to=2026-11-01", "city", city},
		{"/api/v1/supervision/rates?month=2026-10&group=department&format=xlsx", "district", district},
		// The ledger (台账) of the district's month, whole files.
		{"/api/v1/cases/export?from=2026-10-01&to=2026-11-01&format=csv", "district", district},
		{"/api/v1/cases/export?from=2026-10-01&to=2026-11-01&format=xlsx", "district", district},
	} {
		var d []time.Duration
		var size int
		for i := 0; i <= runs; i++ {
			req, _ := http.NewRequest("GET", srv.URL+q.path, nil)
			req.Header.Set("Authorization", "Bearer "+q.tok)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", q.path, resp.StatusCode, b)
			}
			if i > 0 {
				d = append(d, time.Since(start))
			}
			size = len(b)
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		ms := func(x time.Duration) string { return strconv.FormatFloat(float64(x.Microseconds())/1000, 'f', 1, 64) }
		fmt.Printf("| `%s` | %s | %d | %s | %s |\n", q.path, q.who, size, ms(d[len(d)/2]), ms(d[(len(d)*95+99)/100-1]))
	}
}
