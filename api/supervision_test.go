package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// closedDemoCase is a case of community 1 (district 1) as the projection
// writes it once closed: s1-police reported late and was escalated on a
// handling breach; s1-citymgmt did its part; both were evaluated.
func closedDemoCase(id string, created time.Time) whistle.Case {
	p := "/110000/110101/110101001/110101001001/"
	ptr := func(t time.Time) *time.Time { return &t }
	task := func(n int, dept string) whistle.Task {
		return whistle.Task{ID: fmt.Sprintf("%s-T%d", id, n), CaseID: id, DepartmentID: dept, Status: whistle.TaskDone,
			SummonedAt: created, ReportDeadline: created.Add(time.Hour), HandleDeadline: created.Add(48 * time.Hour),
			ReportedAt: ptr(created.Add(30 * time.Minute)), DoneAt: ptr(created.Add(5 * time.Hour))}
	}
	t1, t2 := task(1, "s1-police"), task(2, "s1-citymgmt")
	t1.ReportedAt, t1.ReportBreached = ptr(created.Add(2*time.Hour)), true
	return whistle.Case{ID: id, Title: "酒吧街噪音 " + id, Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: whistle.CaseClosed,
		OrgUnitID: "110101001001", OrgPath: p, Level: whistle.LevelStreet, HolderOrgUnitID: "110101001", HolderOrgPath: "/110000/110101/110101001/",
		FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", Seq: 12, CreatedAt: created, UpdatedAt: created.Add(72 * time.Hour),
		VerifiedAt: ptr(created.Add(24 * time.Hour)), ClosedAt: ptr(created.Add(25 * time.Hour)),
		Tasks: []whistle.Task{t1, t2},
		Breaches: []whistle.Breach{{ID: id + "-B3", CaseID: id, TaskID: t1.ID, DepartmentID: "s1-police", Kind: whistle.BreachReport,
			Deadline: t1.ReportDeadline, At: t1.ReportDeadline, Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: t1.ReportedAt}},
		Escalations: []whistle.Escalation{{Seq: 5, CaseID: id, From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001",
			ToOrgUnitID: "110101001", Kind: whistle.EscalationRequested, Reason: "本级无法协调", At: created.Add(3 * time.Hour), By: "c1-secretary"}},
		Evaluations: []whistle.Evaluation{
			{CaseID: id, DepartmentID: "s1-police", Timeliness: 3, Quality: 4, Attitude: 4, Satisfaction: whistle.BasicallySatisfied, Level: whistle.LevelStreet, At: created.Add(25 * time.Hour)},
			{CaseID: id, DepartmentID: "s1-citymgmt", Timeliness: 5, Quality: 5, Attitude: 5, Satisfaction: whistle.Satisfied, Level: whistle.LevelStreet, At: created.Add(25 * time.Hour)},
		},
	}
}

// thisMonth is 10:00 on the 2nd of the current month, China time, so the
// default period (the current month) holds it.
func thisMonth() time.Time {
	now := time.Now().In(worktime.Location)
	return time.Date(now.Year(), now.Month(), 2, 10, 0, 0, 0, worktime.Location)
}

func newSupervisionServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	srv, st := newServer(t)
	if err := st.ApplyCase(context.Background(), closedDemoCase("SBX1", thisMonth()), nil); err != nil {
		t.Fatal(err)
	}
	return srv, st
}

func items(r reply) []map[string]any {
	raw, _ := r.body["items"].([]any)
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

func ids(r reply, key string) string {
	var out []string
	for _, it := range items(r) {
		out = append(out, fmt.Sprint(it[key]))
	}
	return strings.Join(out, ",")
}

func TestSupervisionJurisdiction(t *testing.T) {
	srv, st := newSupervisionServer(t)
	tests := []struct {
		name, user, path string
		status           int
		check            func(t *testing.T, r reply)
	}{
		{"D1SupervisorBreaches", "d1-supervisor", "/api/v1/supervision/breaches", 200, func(t *testing.T, r reply) {
			if ids(r, "case_id") != "SBX1" || r.body["total"] != 1.0 || r.body["page"] != 1.0 {
				t.Errorf("breaches %v", r.body)
			}
		}},
		{"D2SupervisorBreaches", "d2-supervisor", "/api/v1/supervision/breaches", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 || r.body["total"] != 0.0 {
				t.Errorf("district 2 sees %v", r.body)
			}
		}},
		{"D1SupervisorEscalations", "d1-supervisor", "/api/v1/supervision/escalations?open=false", 200, func(t *testing.T, r reply) {
			if ids(r, "case_id") != "SBX1" {
				t.Errorf("escalations %v", r.body)
			}
		}},
		{"D1SupervisorOpenEscalations", "d1-supervisor", "/api/v1/supervision/escalations?open=true", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 {
				t.Errorf("a closed case's escalation listed as open: %v", r.body)
			}
		}},
		{"D2SupervisorEscalations", "d2-supervisor", "/api/v1/supervision/escalations", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 {
				t.Errorf("district 2 sees %v", r.body)
			}
		}},
		// After the demo case closed, district 1's supervisor sees it in the rates.
		{"D1SupervisorRates", "d1-supervisor", "/api/v1/supervision/rates", 200, func(t *testing.T, r reply) {
			if ids(r, "id") != "s1-citymgmt,s1-police" {
				t.Fatalf("rates rows %v", r.body)
			}
			total, _ := r.body["total"].(map[string]any)
			resp, _ := total["response_rate"].(map[string]any)
			if resp["numerator"] != 1.0 || resp["denominator"] != 2.0 || resp["rate"] != 0.5 {
				t.Errorf("response rate %v", resp)
			}
			sat, _ := total["satisfaction_rate"].(map[string]any)
			if sat["numerator"] != 2.0 || sat["denominator"] != 2.0 {
				t.Errorf("satisfaction %v (basically satisfied counts as satisfied)", sat)
			}
		}},
		// The drill-down: s1-police's response denominator is its one task,
		// reported late, so its numerator lists nothing; the total's
		// denominator lists both tasks.
		{"D1SupervisorRateCases", "d1-supervisor", "/api/v1/supervision/rates/cases?department=s1-police&rate=response&part=denominator", 200, func(t *testing.T, r reply) {
			if r.body["count"] != 1.0 || ids(r, "task_id") != "SBX1-T1" || items(r)[0]["case_title"] == "" || items(r)[0]["count"] != 1.0 {
				t.Errorf("drill-down %v", r.body)
			}
		}},
		{"D1SupervisorRateCasesNumerator", "d1-supervisor", "/api/v1/supervision/rates/cases?department=s1-police&rate=response&part=numerator", 200, func(t *testing.T, r reply) {
			if r.body["count"] != 0.0 || len(items(r)) != 0 {
				t.Errorf("a late report in the numerator: %v", r.body)
			}
		}},
		{"D1SupervisorRateCasesTotal", "d1-supervisor", "/api/v1/supervision/rates/cases?rate=response&part=denominator", 200, func(t *testing.T, r reply) {
			if r.body["count"] != 2.0 || ids(r, "task_id") != "SBX1-T2,SBX1-T1" { // by department
				t.Errorf("total drill-down %v", r.body)
			}
		}},
		{"D1SupervisorRateCasesStreet", "d1-supervisor", "/api/v1/supervision/rates/cases?group=street&area=110101001&rate=satisfaction&part=numerator", 200, func(t *testing.T, r reply) {
			if r.body["count"] != 2.0 || ids(r, "department_id") != "s1-citymgmt,s1-police" {
				t.Errorf("street drill-down %v", r.body)
			}
		}},
		{"D2SupervisorRateCases", "d2-supervisor", "/api/v1/supervision/rates/cases?rate=response&part=denominator", 200, func(t *testing.T, r reply) {
			if r.body["count"] != 0.0 || len(items(r)) != 0 {
				t.Errorf("district 2 sees %v", r.body)
			}
		}},
		{"RateCasesWithoutPart", "d1-supervisor", "/api/v1/supervision/rates/cases?rate=response", 400, nil},
		{"RateCasesBadRate", "d1-supervisor", "/api/v1/supervision/rates/cases?rate=speed&part=numerator", 400, nil},
		{"RateCasesAreaOfDepartments", "d1-supervisor", "/api/v1/supervision/rates/cases?area=110101001&rate=response&part=numerator", 400, nil},
		{"RateCasesCommunitySecretary", "c1-secretary", "/api/v1/supervision/rates/cases?rate=response&part=numerator", 403, nil},
		{"D2SupervisorRates", "d2-supervisor", "/api/v1/supervision/rates", 200, func(t *testing.T, r reply) {
			total, _ := r.body["total"].(map[string]any)
			counts, _ := total["counts"].(map[string]any)
			if len(items(r)) != 0 || counts["cases"] != 0.0 {
				t.Errorf("district 2 sees %v", r.body)
			}
		}},
		{"D1SupervisorRatesByStreet", "d1-supervisor", "/api/v1/supervision/rates?group=street", 200, func(t *testing.T, r reply) {
			if ids(r, "id") != "110101001" || items(r)[0]["name"] != "和平街道" {
				t.Errorf("by street %v", r.body)
			}
		}},
		{"D1SupervisorAssessments", "d1-supervisor", fmt.Sprintf("/api/v1/supervision/assessments?year=%d", thisMonth().Year()), 200, func(t *testing.T, r reply) {
			if ids(r, "department_id") != "s1-citymgmt,s1-police" || r.body["street_weight"] != 1.0/3 {
				t.Errorf("assessments %v", r.body)
			}
			for _, it := range items(r) {
				if it["rank"] != nil || it["unranked_reason"] != "too_few_cases" {
					t.Errorf("one case ranked: %v", it)
				}
			}
		}},
		{"AdminSeesAll", "admin", "/api/v1/supervision/breaches", 200, func(t *testing.T, r reply) {
			if ids(r, "case_id") != "SBX1" {
				t.Errorf("admin %v", r.body)
			}
		}},
		{"CityCommanderRates", "city-commander", "/api/v1/supervision/rates?group=district", 200, func(t *testing.T, r reply) {
			if ids(r, "id") != "110101" {
				t.Errorf("city by district %v", r.body)
			}
		}},
		// The demo case escalated at once (no answer): not awaiting one.
		{"EscalationsMovedAtOnce", "d1-supervisor", "/api/v1/supervision/escalations?status=awaiting", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 {
				t.Errorf("an escalation that moved at once awaits an answer: %v", r.body)
			}
		}},
		{"EscalationsBadStatus", "d1-supervisor", "/api/v1/supervision/escalations?status=late", 400, nil},
		{"BreachesOfEscalations", "d1-supervisor", "/api/v1/supervision/breaches?kind=escalation", 200, func(t *testing.T, r reply) {
			if len(items(r)) != 0 {
				t.Errorf("escalation breaches %v", r.body)
			}
		}},
		{"OrgInsideJurisdiction", "d1-supervisor", "/api/v1/supervision/breaches?org=110101001", 200, nil},
		{"OrgOutsideJurisdiction", "d2-supervisor", "/api/v1/supervision/breaches?org=110101001", 403, nil},
		{"UnknownOrg", "d1-supervisor", "/api/v1/supervision/rates?org=nope", 400, nil},
		{"CommunitySecretaryRefused", "c1-secretary", "/api/v1/supervision/breaches", 403, nil},
		{"CommunitySecretaryRates", "c1-secretary", "/api/v1/supervision/rates", 403, nil},
		{"ClerkRefused", "s1-police", "/api/v1/supervision/escalations", 403, nil},
		{"ClerkAssessments", "d1-police", "/api/v1/supervision/assessments", 403, nil},
		{"GridWorkerRefused", "g1-worker", "/api/v1/supervision/rates", 403, nil},
		{"BadGroup", "d1-supervisor", "/api/v1/supervision/rates?group=grid", 400, nil},
		{"BadMonth", "d1-supervisor", "/api/v1/supervision/rates?month=2026-13", 400, nil},
		{"NotMidnight", "d1-supervisor", "/api/v1/supervision/rates?from=2026-03-01T08:00:00Z", 400, nil},
		{"Backwards", "d1-supervisor", "/api/v1/supervision/rates?from=2026-03-02&to=2026-03-01", 400, nil},
		{"MonthAndFrom", "d1-supervisor", "/api/v1/supervision/rates?month=2026-03&from=2026-03-01", 400, nil},
		{"BadFormat", "d1-supervisor", "/api/v1/supervision/breaches?format=pdf", 400, nil},
		{"BadResolved", "d1-supervisor", "/api/v1/supervision/breaches?resolved=maybe", 400, nil},
		{"UnpublishedAsOf", "d1-supervisor", "/api/v1/supervision/assessments?year=2026&as_of=2026-02", 404, nil},
		{"SettingsRead", "d1-supervisor", "/api/v1/supervision/assessment-settings", 200, func(t *testing.T, r reply) {
			if r.body["min_street_weight"] != 0.3 || r.body["min_cases"] != 10.0 || r.body["district_weight"] != 1.0/3 {
				t.Errorf("settings %v", r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, token(t, st, tt.user), "GET", tt.path, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.status, tt.status, r.body)
			}
			if r.status >= 400 && (errCode(r) == "" || errMessage(r) == "") {
				t.Errorf("error without the envelope: %v", r.body)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestSupervisionSettings(t *testing.T) {
	srv, st := newSupervisionServer(t)
	admin, sup := token(t, st, "admin"), token(t, st, "d1-supervisor")
	tests := []struct {
		name, tok, body string
		status          int
	}{
		{"SupervisorCannotWrite", sup, `{"street_weight":0.4,"min_cases":5}`, 403},
		{"BelowThirtyPercent", admin, `{"street_weight":0.25,"min_cases":5}`, 400},
		{"MissingWeight", admin, `{"min_cases":5}`, 400},
		{"DistrictBelowThirtyPercent", admin, `{"street_weight":0.3,"district_weight":0.2,"min_cases":1}`, 400},
		{"DistrictZero", admin, `{"street_weight":0.3,"district_weight":0,"min_cases":1}`, 400},
		{"District", admin, `{"street_weight":0.3,"district_weight":0.45,"min_cases":1}`, 200},
		{"DistrictKeptWhenOmitted", admin, `{"street_weight":0.3,"min_cases":1}`, 200},
		{"PeriodicBelowTenPercent", admin, `{"street_weight":0.3,"periodic_weight":0.05,"min_cases":1}`, 400},
		{"PeriodicOverHalf", admin, `{"street_weight":0.3,"periodic_weight":0.6,"min_cases":1}`, 400},
		{"PeriodicZero", admin, `{"street_weight":0.3,"periodic_weight":0,"min_cases":1}`, 400},
		{"Periodic", admin, `{"street_weight":0.3,"periodic_weight":0.45,"min_cases":1}`, 200},
		{"PeriodicKeptWhenOmitted", admin, `{"street_weight":0.3,"min_cases":1}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.tok, "PUT", "/api/v1/supervision/assessment-settings", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.status, tt.status, r.body)
			}
			// A refusal says why, in Chinese and in English.
			if r.status == 400 && strings.HasPrefix(tt.name, "Periodic") {
				if msg := errMessage(r); !strings.Contains(msg, "0.1 到 0.5") {
					t.Errorf("message %q", msg)
				}
				en := call(t, srv, tt.tok, "PUT", "/api/v1/supervision/assessment-settings", tt.body, "Accept-Language", "en")
				if msg := errMessage(en); en.status != 400 || !strings.Contains(msg, "from 0.1 to 0.5") {
					t.Errorf("English: %d %q", en.status, msg)
				}
			}
		})
	}
	if r := call(t, srv, sup, "GET", "/api/v1/supervision/assessment-settings", ""); r.body["district_weight"] != 0.45 ||
		r.body["periodic_weight"] != 0.45 || r.body["min_periodic_weight"] != 0.1 || r.body["max_periodic_weight"] != 0.5 {
		t.Errorf("weights after a PUT without them: %v", r.body)
	}
	// Every accepted change is in the admin audit with its before and
	// after; a refused one left nothing.
	if r := call(t, srv, admin, "GET", "/api/v1/admin/audit?category=admin&kind=assessment_setting", ""); r.status != 200 || r.body["total"] != 4.0 {
		t.Errorf("audit of the settings: %d %v", r.status, r.body["total"])
	} else if last := items(r)[0]; last["actor"] != "admin" || last["object_id"] != "0" || !strings.Contains(fmt.Sprint(last["after"]), "0.45") {
		t.Errorf("latest audit line %v", last)
	}
	// The assessment and the periodic list apply and report the setting.
	if r := call(t, srv, sup, "GET", fmt.Sprintf("/api/v1/supervision/assessments?year=%d", thisMonth().Year()), ""); r.body["periodic_weight"] != 0.45 {
		t.Errorf("assessment's periodic weight %v", r.body["periodic_weight"])
	}
	if r := call(t, srv, sup, "GET", "/api/v1/supervision/periodic", ""); r.status != 200 || r.body["weight"] != 0.45 {
		t.Errorf("periodic list: %d weight %v", r.status, r.body["weight"])
	}
	// With at least one case to be ranked, both departments are ranked:
	// s1-citymgmt (5/5/5 satisfied, all rates perfect) first.
	r := call(t, srv, sup, "GET", fmt.Sprintf("/api/v1/supervision/assessments?year=%d", thisMonth().Year()), "")
	if r.status != 200 || ids(r, "department_id") != "s1-citymgmt,s1-police" || items(r)[0]["rank"] != 1.0 || items(r)[1]["rank"] != 2.0 {
		t.Errorf("ranking %v", r.body)
	}
}

// TestRateCasesCallbacks: the call-back counts of /rates link to their
// cases like the rates do: a resident's case not reached on the call-back
// is listed under callbacks_unreached, on the total and on the row of each
// department that worked it, and nowhere under callbacks_expired.
func TestRateCasesCallbacks(t *testing.T) {
	srv, st := newSupervisionServer(t)
	c := closedDemoCase("SBX2", thisMonth())
	c.Source, c.CallbackRequired, c.Callback = whistle.SourceResident, true, whistle.CallbackUnreached
	if err := st.ApplyCase(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	sup := token(t, st, "d1-supervisor")
	r := call(t, srv, sup, "GET", "/api/v1/supervision/rates", "")
	for _, it := range items(r) {
		if counts, _ := it["counts"].(map[string]any); it["id"] == "s1-police" && (counts["callbacks_unreached"] != 1.0 || counts["callbacks_expired"] != 0.0) {
			t.Errorf("s1-police counts %v", counts)
		}
	}
	tests := []struct {
		name, query string
		status      int
		count       float64
		cases       string
	}{
		{"Department", "department=s1-police&rate=callbacks_unreached&part=numerator", 200, 1, "SBX2"},
		{"Total", "rate=callbacks_unreached&part=numerator", 200, 1, "SBX2"},
		{"Street", "group=street&area=110101001&rate=callbacks_unreached&part=numerator", 200, 1, "SBX2"},
		{"Expired", "department=s1-police&rate=callbacks_expired&part=numerator", 200, 0, ""},
		{"NoDenominator", "rate=callbacks_unreached&part=denominator", 400, 0, ""},
		{"PartRequired", "rate=callbacks_expired", 400, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, sup, "GET", "/api/v1/supervision/rates/cases?"+tt.query, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.status, tt.status, r.body)
			}
			if r.status == 200 && (r.body["count"] != tt.count || ids(r, "case_id") != tt.cases) {
				t.Errorf("count %v, cases %q; want %v, %q", r.body["count"], ids(r, "case_id"), tt.count, tt.cases)
			}
		})
	}
	body := download(t, srv, sup, "/api/v1/supervision/rates/cases?rate=callbacks_unreached&part=numerator&format=csv", "text/csv", "rate-cases-callbacks_unreached")
	if !bytes.Contains(body, []byte("SBX2")) {
		t.Errorf("export:\n%s", body)
	}
}

// download fetches an export and checks its headers.
func download(t *testing.T, srv *httptest.Server, tok, path, wantType, wantFile string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
		t.Errorf("%s: content type %q", path, ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, `filename="`+wantFile) || !strings.Contains(cd, "filename*=UTF-8''") {
		t.Errorf("%s: content disposition %q", path, cd)
	}
	return body
}

func TestSupervisionExports(t *testing.T) {
	srv, st := newSupervisionServer(t)
	tok := token(t, st, "d1-supervisor")
	year := thisMonth().Year()
	views := []struct {
		name, path, file, firstHeader string
		headers                       []string
		rows                          int
	}{
		{"Breaches", "/api/v1/supervision/breaches", "breaches", "编号", []string{"案件编号", "部门名称", "超时类型"}, 1},
		{"Escalations", "/api/v1/supervision/escalations", "escalations", "案件编号", []string{"升至层级", "原因"}, 1},
		{"Rates", "/api/v1/supervision/rates", "rates-department", "编号", []string{"响应率", "应响应", "满意率", "按期结案率", "返工率", "延期率"}, 3}, // 2 departments + 合计
		{"Assessments", fmt.Sprintf("/api/v1/supervision/assessments?year=%d", year), fmt.Sprintf("assessment-%d", year), "排名", []string{"基层评价得分", "按件评价得分", "定期评议得分", "定期评议数", "默认评价（不计）", "总分", "未排名原因"}, 2},
	}
	sep := "?"
	for _, v := range views {
		if strings.Contains(v.path, "?") {
			sep = "&"
		} else {
			sep = "?"
		}
		t.Run(v.name+"CSV", func(t *testing.T) {
			body := download(t, srv, tok, v.path+sep+"format=csv", "text/csv", v.file)
			if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
				t.Fatal("CSV without the UTF-8 BOM")
			}
			recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != v.rows+1 || recs[0][0] != v.firstHeader {
				t.Fatalf("records %v", recs)
			}
			for _, h := range v.headers {
				if !strings.Contains(strings.Join(recs[0], ","), h) {
					t.Errorf("no header %q in %v", h, recs[0])
				}
			}
			xl := download(t, srv, tok, v.path+sep+"format=xlsx", "application/vnd.openxmlformats", v.file)
			f, err := excelize.OpenReader(bytes.NewReader(xl))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetName(0))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(recs) {
				t.Fatalf("xlsx has %d rows, csv %d", len(rows), len(recs))
			}
			for i := range rows {
				// excelize drops trailing empty cells; a code is text in
				// XLSX and ="…" in CSV (leaders.go).
				want := slices.Clone(recs[i])
				for j, v := range want {
					if strings.HasPrefix(v, `="`) && strings.HasSuffix(v, `"`) {
						want[j] = v[2 : len(v)-1]
					}
				}
				for len(want) > 0 && want[len(want)-1] == "" {
					want = want[:len(want)-1]
				}
				if strings.Join(rows[i], "|") != strings.Join(want, "|") {
					t.Errorf("row %d\nxlsx %v\n csv %v", i, rows[i], want)
				}
			}
		})
	}
	t.Run("RatesCellsAreReproducible", func(t *testing.T) {
		body := download(t, srv, tok, "/api/v1/supervision/rates?format=csv", "text/csv", "rates")
		recs, _ := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
		last := recs[len(recs)-1]
		if last[1] != "合计" || last[5] != "50.00%" || last[6] != "1" || last[7] != "2" {
			t.Errorf("total row %v", last)
		}
	})
}
