package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/shaobao/shaobao/worktime"
)

// TestAssessmentExportPeriodicColumns: the assessment export carries the
// street share's two parts — the per-case score, the periodic (定期评议)
// score and the number of periodic evaluations — as the JSON answer gives
// them, in CSV and in XLSX.
func TestAssessmentExportPeriodicColumns(t *testing.T) {
	srv, st := newSupervisionServer(t)
	now := time.Now().In(worktime.Location)
	period := fmt.Sprintf("%dQ%d", now.Year(), (int(now.Month())+2)/3)
	rating := fmt.Sprintf(`{"period":%q,"department_id":"s1-police","scores":{"work":90,"cooperation":80,"residents":70}}`, period)
	if r := call(t, srv, token(t, st, "s1-secretary"), "POST", "/api/v1/supervision/periodic", rating); r.status != 200 {
		t.Fatalf("periodic rating: %d %v", r.status, r.body)
	}
	tok := token(t, st, "d1-supervisor")
	path := fmt.Sprintf("/api/v1/supervision/assessments?year=%d", now.Year())
	r := call(t, srv, tok, "GET", path, "")
	if r.status != 200 {
		t.Fatalf("assessments: %d %v", r.status, r.body)
	}
	// The JSON's figures, as the export writes them.
	score := func(v any) string {
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'f', 2, 64)
		}
		return ""
	}
	want := map[string][3]string{}
	for _, it := range items(r) {
		n, _ := it["periodic_evaluations"].(float64)
		want[fmt.Sprint(it["department_id"])] = [3]string{score(it["case_share_score"]), score(it["periodic_score"]), strconv.Itoa(int(n))}
	}
	if w := want["s1-police"]; w[1] == "" || w[2] != "1" {
		t.Fatalf("s1-police in the JSON: %v, want its periodic score and 1 periodic evaluation", w)
	}
	body := download(t, srv, tok, path+"&format=csv", "text/csv", fmt.Sprintf("assessment-%d", now.Year()))
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(h string) int {
		i := slices.Index(recs[0], h)
		if i < 0 {
			t.Fatalf("no column %q in %v", h, recs[0])
		}
		return i
	}
	idCol, caseCol, perCol, nCol := col("部门编号"), col("按件评价得分"), col("定期评议得分"), col("定期评议数")
	seen := 0
	for _, rec := range recs[1:] {
		id := rec[idCol]
		if len(id) > 3 && id[:2] == `="` {
			id = id[2 : len(id)-1]
		}
		w, ok := want[id]
		if !ok {
			t.Fatalf("department %q in the CSV, not in the JSON", id)
		}
		if got := [3]string{rec[caseCol], rec[perCol], rec[nCol]}; got != w {
			t.Errorf("%s: CSV case share, periodic score, periodic evaluations %v; JSON %v", id, got, w)
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("CSV has %d departments, JSON %d", seen, len(want))
	}
}
