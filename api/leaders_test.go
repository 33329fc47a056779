package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

const leadersGrid = "110101001001001" // 和平里第一网格, community 1, street 1

// recurringCase is an open case of community 1 in grid 1, filed daysAgo
// days ago.
func recurringCase(id, category string, daysAgo int) whistle.Case {
	created := time.Now().Add(-time.Duration(daysAgo)*24*time.Hour - time.Hour).UTC()
	return whistle.Case{ID: id, Number: "20261101-" + id[len(id)-5:], Title: "占道 " + id, Category: category, Source: whistle.SourceGrid,
		Class: whistle.ClassRoutine, Status: whistle.CaseOpen, Level: whistle.LevelCommunity,
		OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/", HolderOrgUnitID: "110101001001",
		HolderOrgPath: "/110000/110101/110101001/110101001001/", Location: whistle.Location{Address: "和平里东街1号", GridID: leadersGrid},
		FiledBy: "g1-worker", FiledByUserID: "u-g1", Seq: 1, CreatedAt: created, UpdatedAt: created}
}

func newLeadersServer(t *testing.T) (*store.Store, func(user, method, path, body string) reply) {
	t.Helper()
	srv, st := newServer(t)
	for _, c := range []whistle.Case{
		recurringCase("SBR00001", "占道经营", 1), recurringCase("SBR00002", "占道经营", 6), recurringCase("SBR00003", "占道经营", 20),
		recurringCase("SBR00004", "占道经营", 40), // outside 4 weeks
		recurringCase("SBR00005", "噪音扰民", 2),
	} {
		if err := st.ApplyCase(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	return st, func(user, method, path, body string) reply {
		return call(t, srv, token(t, st, user), method, path, body)
	}
}

// TestLeadersViews: who sees the statistics and the recurring problems,
// and what they hold; a street secretary sees their street's supervision
// views (and no other street's), a community secretary none.
func TestLeadersViews(t *testing.T) {
	_, do := newLeadersServer(t)
	rows := []struct {
		name, user, path string
		status           int
		check            func(t *testing.T, r reply)
	}{
		{"StreetSecretaryRecurring", "s1-secretary", "/api/v1/supervision/recurring", 200, func(t *testing.T, r reply) {
			streets, _ := r.body["streets"].([]any)
			if len(streets) != 1 {
				t.Fatalf("streets %v", r.body)
			}
			st := streets[0].(map[string]any)
			probs := st["problems"].([]any)
			p := probs[0].(map[string]any)
			if st["street_id"] != "110101001" || len(probs) != 1 || p["category"] != "占道经营" || p["grid_id"] != leadersGrid || p["count"] != float64(3) {
				t.Fatalf("recurring %v", st)
			}
		}},
		{"FiveWeeksFindsFour", "d1-supervisor", "/api/v1/supervision/recurring?weeks=6", 200, func(t *testing.T, r reply) {
			p := r.body["streets"].([]any)[0].(map[string]any)["problems"].([]any)[0].(map[string]any)
			if p["count"] != float64(4) {
				t.Fatalf("6 weeks: %v", p)
			}
		}},
		{"CommanderOfStreet", "d1-commander", "/api/v1/supervision/recurring?street=110101001&n=2", 200, func(t *testing.T, r reply) {
			if n := len(r.body["streets"].([]any)); n != 1 {
				t.Fatalf("streets %v", r.body)
			}
		}},
		{"OtherDistrictSeesNothing", "d2-supervisor", "/api/v1/supervision/recurring", 200, func(t *testing.T, r reply) {
			if n := len(r.body["streets"].([]any)); n != 0 {
				t.Fatalf("district 2 sees %v", r.body)
			}
		}},
		{"OtherDistrictNarrowedToOurs", "d2-supervisor", "/api/v1/supervision/recurring?street=110101001", 403, nil},
		{"StreetSecretaryOtherStreet", "s1-secretary", "/api/v1/supervision/recurring?street=110101002", 403, nil},
		{"CommunitySecretaryRefused", "c1-secretary", "/api/v1/supervision/recurring", 403, nil},
		{"ClerkRefused", "s1-police", "/api/v1/stats/categories", 403, nil},
		{"BadN", "d1-supervisor", "/api/v1/supervision/recurring?n=1", 400, nil},
		{"BadWeeks", "d1-supervisor", "/api/v1/supervision/recurring?weeks=x", 400, nil},
		{"StreetSecretaryRates", "s1-secretary", "/api/v1/supervision/rates", 200, nil},
		{"StreetSecretaryBreaches", "s1-secretary", "/api/v1/supervision/breaches", 200, nil},
		{"CategoryStats", "d1-supervisor", "/api/v1/stats/categories", 200, func(t *testing.T, r reply) {
			var sum float64
			for _, c := range r.body["categories"].([]any) {
				sum += c.(map[string]any)["count"].(float64)
			}
			if r.body["total"] != float64(5) || sum != 5 {
				t.Fatalf("stats %v", r.body)
			}
		}},
		{"StatsBadPeriod", "d1-supervisor", "/api/v1/stats/categories?from=2026-05-01&to=2026-04-01", 400, nil},
		{"TopByGrid", "s1-secretary", "/api/v1/stats/top?by=grid&limit=1", 200, func(t *testing.T, r reply) {
			it := items(r)
			if len(it) != 1 || it[0]["id"] != leadersGrid || it[0]["total"] != float64(5) || len(it[0]["categories"].([]any)) != 1 {
				t.Fatalf("top %v", r.body)
			}
		}},
		{"TopBadBy", "s1-secretary", "/api/v1/stats/top?by=community", 400, nil},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := do(row.user, "GET", row.path, "")
			if r.status != row.status {
				t.Fatalf("status %d, want %d: %v", r.status, row.status, r.body)
			}
			if row.status >= 400 && errCode(r) == "" {
				t.Fatalf("no error envelope: %v", r.body)
			}
			if row.check != nil {
				row.check(t, r)
			}
		})
	}
}

// TestFileRecurring: the coordinated filing refuses bad input (400), a
// caller who may not see the place or file (403), and cases that no
// longer make the recurring problem (422), each with the envelope and
// nothing filed; a request that passes every check reaches for the
// workflow engine, which this server lacks (503).
func TestFileRecurring(t *testing.T) {
	st, do := newLeadersServer(t)
	body := func(category, place string, ids ...string) string {
		return fmt.Sprintf(`{"category":%q,%s,"case_ids":["%s"],"departments":["s1-citymgmt"]}`, category, place, strings.Join(ids, `","`))
	}
	grid := `"grid_id":"` + leadersGrid + `"`
	rows := []struct {
		name, user, body string
		status           int
		code             string
	}{
		{"Malformed", "s1-secretary", `{"category":`, 400, "invalid"},
		{"NoPlace", "s1-secretary", body("占道经营", `"title":"x"`, "SBR00001"), 400, "invalid"},
		{"BothPlaces", "s1-secretary", body("占道经营", grid+`,"community_id":"110101001001"`, "SBR00001"), 400, "invalid"},
		{"UnknownGrid", "s1-secretary", body("占道经营", `"grid_id":"NOPE"`, "SBR00001"), 400, "invalid"},
		{"CommunityAsGrid", "s1-secretary", body("占道经营", `"grid_id":"110101001001"`, "SBR00001"), 400, "invalid"},
		{"NoDepartments", "s1-secretary", `{"category":"占道经营",` + grid + `,"case_ids":["SBR00001"],"departments":[]}`, 400, "invalid"},
		{"TwiceListed", "s1-secretary", body("占道经营", grid, "SBR00001", "SBR00001", "SBR00002"), 400, "invalid"},
		{"OtherDistrict", "d2-supervisor", body("占道经营", grid, "SBR00001", "SBR00002", "SBR00003"), 403, "forbidden"},
		{"CommunitySecretary", "c1-secretary", body("占道经营", grid, "SBR00001", "SBR00002", "SBR00003"), 403, "forbidden"},
		{"SupervisorMayNotFile", "d1-supervisor", body("占道经营", grid, "SBR00001", "SBR00002", "SBR00003"), 403, "forbidden"},
		{"OldCaseNotInGroup", "s1-secretary", body("占道经营", grid, "SBR00001", "SBR00002", "SBR00004"), 422, "not_recurring"},
		{"OtherCategory", "s1-secretary", body("噪音扰民", grid, "SBR00005"), 422, "not_recurring"},
		{"TooFew", "s1-secretary", body("占道经营", grid, "SBR00001", "SBR00002"), 422, "not_recurring"},
		{"PassesEveryCheck", "s1-secretary", body("占道经营", grid, "SBR00001", "SBR00002", "SBR00003"), 503, "unavailable"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := do(row.user, "POST", "/api/v1/supervision/recurring/file", row.body)
			if r.status != row.status || errCode(r) != row.code {
				t.Fatalf("status %d %q, want %d %q: %v", r.status, errCode(r), row.status, row.code, r.body)
			}
			_, total, err := st.ListCases(context.Background(), store.CaseFilter{Scope: store.Scope{All: true}})
			if err != nil || total != 5 {
				t.Fatalf("%d cases after a refused filing (%v), want the 5 there were", total, err)
			}
		})
	}
}

// TestLedgerExport: the ledger streams every case the filters keep, CSV
// with Chinese headers (English with lang=en) and ids kept as text, XLSX
// with typed cells and the header frozen.
func TestLedgerExport(t *testing.T) {
	srv, st := newServer(t)
	for _, c := range []whistle.Case{recurringCase("SBL00001", "占道经营", 1), recurringCase("SBL00002", "=cmd|' /C calc'!A0", 2)} {
		if err := st.ApplyCase(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	tok := token(t, st, "s1-secretary")

	body := download(t, srv, tok, "/api/v1/cases/export?format=csv", "text/csv", "ledger")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("records %v", recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"案件编号", "标题", "类别", "来源", "哨类", "状态", "超期", "所属单位", "地址", "立案时间", "办结时间", "结果"} {
		if _, ok := col[h]; !ok {
			t.Errorf("no header %q in %v", h, recs[0])
		}
	}
	first := recs[1]
	if first[col["系统编号"]] != "SBL00001" || first[col["所属单位编号"]] != `="110101001001"` || first[col["网格编号"]] != `="`+leadersGrid+`"` {
		t.Errorf("ids in %v: want the org and grid codes as =\"…\" text", first)
	}
	if first[col["来源"]] != "网格巡查" || first[col["状态"]] != "办理中" || first[col["所属单位"]] != "和平里社区" {
		t.Errorf("values in %v", first)
	}
	if got := recs[2][col["类别"]]; got != "'=cmd|' /C calc'!A0" {
		t.Errorf("a formula-like category exported as %q", got)
	}
	en := download(t, srv, tok, "/api/v1/cases/export?format=csv&lang=en&q=SBL00001", "text/csv", "ledger")
	enRecs, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(en, []byte("\ufeff")))).ReadAll()
	if len(enRecs) != 2 || enRecs[0][0] != "Case number" || enRecs[1][col["来源"]] != "grid" {
		t.Errorf("English ledger %v", enRecs)
	}

	xl := download(t, srv, tok, "/api/v1/cases/export?format=xlsx", "application/vnd.openxmlformats", "ledger")
	f, err := excelize.OpenReader(bytes.NewReader(xl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	cell := func(header string, row int) string {
		name, _ := excelize.CoordinatesToCellName(col[header]+1, row)
		return name
	}
	if typ, _ := f.GetCellType(sheet, cell("立案时间", 2)); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("filing time cell type %v, want a number with a date format", typ)
	}
	styleID, _ := f.GetCellStyle(sheet, cell("立案时间", 2))
	style, _ := f.GetStyle(styleID)
	if style == nil || style.CustomNumFmt == nil || !strings.HasPrefix(*style.CustomNumFmt, "yyyy-mm-dd") {
		t.Errorf("filing time style %+v, want a date format", style)
	}
	raw, _ := f.GetCellValue(sheet, cell("立案时间", 2), excelize.Options{RawCellValue: true})
	if _, err := fmt.Sscanf(raw, "%f", new(float64)); err != nil {
		t.Errorf("filing time raw value %q is no date serial", raw)
	}
	raw, _ = f.GetCellValue(sheet, cell("核查未通过次数", 2), excelize.Options{RawCellValue: true})
	if raw != "0" {
		t.Errorf("failed verifications %q, want the number 0", raw)
	}
	if v, _ := f.GetCellValue(sheet, cell("所属单位编号", 2)); v != "110101001001" {
		t.Errorf("unit code %q, want the text 110101001001", v)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v (%v), want the header row frozen", panes, err)
	}
	if w, _ := f.GetColWidth(sheet, "C"); w < 20 {
		t.Errorf("title column width %v", w)
	}

	for _, bad := range []string{"/api/v1/cases/export", "/api/v1/cases/export?format=pdf", "/api/v1/cases/export?format=csv&status=nope", "/api/v1/cases/export?format=csv&org=NOPE"} {
		if r := call(t, srv, tok, "GET", bad, ""); r.status != 400 || errCode(r) != "invalid" {
			t.Errorf("%s: %d %v", bad, r.status, r.body)
		}
	}
	// A clerk's ledger holds only its department's cases: none here.
	clerk := download(t, srv, token(t, st, "s1-police"), "/api/v1/cases/export?format=csv", "text/csv", "ledger")
	if n := bytes.Count(clerk, []byte("\n")); n != 1 {
		t.Errorf("clerk ledger has %d lines, want the header only", n)
	}
}

// TestStations: a district bureau sees its stationed units' open work and
// inboxes (条块结合), not another bureau's; a station has none under it;
// someone without a department is refused.
func TestStations(t *testing.T) {
	srv, st := newServer(t)
	c := recurringCase("SBS00001", "占道经营", 1)
	for i, d := range []string{"s1-police", "s3-police"} {
		c.Tasks = append(c.Tasks, whistle.Task{ID: fmt.Sprintf("SBS00001-T%d", i), CaseID: c.ID, DepartmentID: d, DepartmentName: d, Status: whistle.TaskSummoned,
			SummonedAt: c.CreatedAt, ReportDeadline: c.CreatedAt.Add(time.Hour), HandleDeadline: c.CreatedAt.Add(72 * time.Hour), Overdue: true})
	}
	if err := st.ApplyCase(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	day := func(d int) string { return time.Now().In(worktime.Location).AddDate(0, 0, d).Format("2006-01-02") }
	week := "?from=" + day(-7) + "&to=" + day(1) // the case's rates, whatever the day of the month
	rows := []struct {
		name, user, path string
		status           int
		check            func(t *testing.T, r reply)
	}{
		{"BureauStations", "d1-police", "/api/v1/stations" + week, 200, func(t *testing.T, r reply) {
			it := items(r)
			if len(it) != 2 || it[0]["id"] != "s1-police" || it[0]["open_tasks"] != float64(1) || it[0]["overdue"] != float64(1) ||
				it[1]["id"] != "s2-police" || it[1]["open_tasks"] != float64(0) {
				t.Fatalf("stations %v", r.body)
			}
			if rates, _ := it[0]["rates"].(map[string]any); rates == nil || rates["counts"] == nil {
				t.Errorf("s1-police has no rates row: %v", it[0])
			}
		}},
		{"BureauReadsStationInbox", "d1-police", "/api/v1/stations/s1-police/tasks", 200, func(t *testing.T, r reply) {
			if r.body["total"] != float64(1) || items(r)[0]["case_id"] != "SBS00001" {
				t.Fatalf("inbox %v", r.body)
			}
		}},
		{"NotAnotherBureausStation", "d1-police", "/api/v1/stations/s3-police/tasks", 403, nil},
		{"StationHasNone", "s1-police", "/api/v1/stations", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 {
				t.Fatalf("a station's stations %v", r.body)
			}
		}},
		{"StationNotSibling", "s1-police", "/api/v1/stations/s2-police/tasks", 403, nil},
		{"SecretaryRefused", "c1-secretary", "/api/v1/stations", 403, nil},
		{"UnknownStation", "d1-police", "/api/v1/stations/nope/tasks", 404, nil},
		{"BadStatus", "d1-police", "/api/v1/stations/s1-police/tasks?status=x", 400, nil},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, row.user), "GET", row.path, "")
			if r.status != row.status {
				t.Fatalf("status %d, want %d: %v", r.status, row.status, r.body)
			}
			if row.status >= 400 && errCode(r) == "" {
				t.Fatalf("no error envelope: %v", r.body)
			}
			if row.check != nil {
				row.check(t, r)
			}
		})
	}
}
