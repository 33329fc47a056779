package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// twowayCase is a case carrying every field of issue 13: a recalled and a
// live dispatch, a pending unresolvable application, a lead task, a return
// under review, a dropped and a released task with extension limits, an
// answered and a pending escalation, and breaches of kind escalation and
// accept (no task). Times are in Beijing time, as a workflow may write them.
func twowayCase(seq int64) whistle.Case {
	cst := time.FixedZone("CST", 8*3600)
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, cst)
	h := func(n int) *time.Time { t := t0.Add(time.Duration(n) * time.Hour); return &t }
	c := sampleCase("tw-1", seq, whistle.CaseOpen)
	c.CreatedAt, c.UpdatedAt = t0, t0
	c.Level, c.HolderOrgUnitID, c.HolderOrgPath = whistle.LevelStreet, "110101001", "/110000/110101/110101001/"
	c.Dispatches = []whistle.Dispatch{
		{Seq: 3, FromOrgUnit: "110101", FromOrgPath: "/110000/110101/", FromLevel: whistle.LevelDistrict, ToOrgUnit: "110101002",
			ToOrgPath: "/110000/110101/110101002/", ToLevel: whistle.LevelStreet, Reason: "属地", At: *h(1), By: "d1-commander", RecalledAt: h(2), RecalledBy: "d1-commander"},
		{Seq: 5, FromOrgUnit: "110101", FromOrgPath: "/110000/110101/", FromLevel: whistle.LevelDistrict, ToOrgUnit: "110101001",
			ToOrgPath: "/110000/110101/110101001/", ToLevel: whistle.LevelStreet, At: *h(3), By: "d1-commander"},
	}
	c.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvablePending, Reason: "涉及规划调整，需专项资金",
		ApproverOrgUnitID: "110101", ApproverOrgPath: "/110000/110101/", RequestedAt: *h(20), RequestedBy: "s1-commander"}
	lead := c.Tasks[0]
	lead.Status, lead.Lead, lead.ReportedAt = whistle.TaskReported, true, h(4)
	lead.ExtensionLimits = whistle.ExtensionLimits{Count: 2, Cap: h(400)}
	ret := task("tw-1", 2, "s1-citymgmt", t0)
	ret.Status, ret.ReturnFrom, ret.ReturnedAt, ret.ReturnReason = whistle.TaskReturnRequested, whistle.TaskSummoned, h(5), "不属于本部门"
	ret.ExtensionLimits = whistle.ExtensionLimits{Count: 3}
	dropped := task("tw-1", 3, "s1-market", t0)
	dropped.Status, dropped.DroppedAt, dropped.DropReason, dropped.ReturnAnswer = whistle.TaskDropped, h(6), "误派", "同意退回"
	released := task("tw-1", 4, "d1-police", t0)
	released.Status, released.DroppedAt, released.DropReason = whistle.TaskReleased, h(7), "协办完成"
	c.Tasks = []whistle.Task{ret, dropped, released, lead} // the read model's order: summoned_at, id
	c.Escalations = []whistle.Escalation{
		{Seq: 8, CaseID: c.ID, From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001", ToOrgUnitID: "110101001",
			ToOrgPath: "/110000/110101/110101001/", Kind: whistle.EscalationRequested, Reason: "本级无法解决", At: *h(8), By: "c1-secretary",
			Status: whistle.EscalationAccepted, AnswerDeadline: h(10), AnswerBreached: true, AnsweredAt: h(11), AnsweredBy: "s1-commander", Comment: "接收"},
		{Seq: 12, CaseID: c.ID, From: whistle.LevelStreet, To: whistle.LevelDistrict, FromOrgUnitID: "110101001", ToOrgUnitID: "110101",
			ToOrgPath: "/110000/110101/", Kind: whistle.EscalationRequested, Reason: "需区级协调", At: *h(12), By: "s1-commander",
			Status: whistle.EscalationPending, AnswerDeadline: h(14)},
	}
	c.Breaches = []whistle.Breach{
		{ID: "tw-1-A", CaseID: c.ID, Kind: whistle.BreachAccept, Deadline: t0, At: *h(1), Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: h(2)},
		{ID: "tw-1-E8", CaseID: c.ID, Kind: whistle.BreachEscalation, Deadline: *h(10), At: *h(10), Level: whistle.LevelStreet, Resolved: true, ResolvedAt: h(11)},
	}
	return c
}

// jsonOf is the wire form of v, the promise GET /cases/{id} makes.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTwowayRoundTrip: every field of issue 13 reads back from the read
// model as the workflow state has it (in UTC), and an escalation's answer
// replaces the stored escalation only under a newer case version.
func TestTwowayRoundTrip(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := twowayCase(20)
		if err := s.ApplyCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := c.InUTC()
		for name, pair := range map[string][2]any{
			"dispatches":   {want.Dispatches, got.Dispatches},
			"unresolvable": {want.Unresolvable, got.Unresolvable},
			"tasks":        {want.Tasks, got.Tasks},
			"escalations":  {want.Escalations, got.Escalations},
			"breaches":     {want.Breaches, got.Breaches},
		} {
			// InUTC does not know the new times yet: compare instants in UTC.
			w, g := jsonOf(t, utcJSON(t, pair[0])), jsonOf(t, utcJSON(t, pair[1]))
			if w != g {
				t.Errorf("%s\n got %s\nwant %s", name, g, w)
			}
		}
		if got.Dispatches[1].At.Location() != time.UTC || got.Unresolvable.RequestedAt.Location() != time.UTC ||
			got.Tasks[2].DroppedAt.Location() != time.UTC || got.Escalations[1].AnswerDeadline.Location() != time.UTC {
			t.Error("new times do not read back in UTC")
		}

		// The pending escalation is accepted in a newer version; a stale
		// write of the older one does not undo it.
		v2 := twowayCase(21)
		at := v2.Escalations[1].At.Add(time.Hour)
		v2.Escalations[1].Status, v2.Escalations[1].AnsweredAt, v2.Escalations[1].AnsweredBy = whistle.EscalationAccepted, &at, "d1-commander"
		v2.Unresolvable.Status = whistle.UnresolvableRefused
		for _, x := range []whistle.Case{v2, c} {
			if err := s.ApplyCase(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err = s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e := got.Escalations[1]; e.Status != whistle.EscalationAccepted || e.AnsweredBy != "d1-commander" || e.AnsweredAt == nil || !e.AnsweredAt.Equal(at) {
			t.Errorf("escalation after its answer = %+v, want accepted by d1-commander", e)
		}
		if got.Unresolvable.Status != whistle.UnresolvableRefused {
			t.Errorf("unresolvable status %q, want refused", got.Unresolvable.Status)
		}
	})
}

// utcJSON is v's JSON as a generic value with every time in UTC.
func utcJSON(t *testing.T, v any) any {
	t.Helper()
	var generic any
	if err := json.Unmarshal([]byte(jsonOf(t, v)), &generic); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch y := x.(type) {
		case map[string]any:
			for k, e := range y {
				y[k] = walk(e)
			}
		case []any:
			for i, e := range y {
				y[i] = walk(e)
			}
		case string:
			if tm, err := time.Parse(time.RFC3339Nano, y); err == nil {
				return tm.UTC().Format(time.RFC3339Nano)
			}
		}
		return x
	}
	return walk(generic)
}

// TestInboxTwoway: a dropped or released task leaves the department's
// inbox; a return awaiting the holder's answer stays in it, against the
// deadline of the status it was asked from.
func TestInboxTwoway(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		mk := func(id string, status whistle.TaskStatus, from whistle.TaskStatus) whistle.Case {
			c := sampleCase(id, 1, whistle.CaseOpen)
			c.Tasks[0].Status, c.Tasks[0].ReturnFrom = status, from
			if status == whistle.TaskDropped || status == whistle.TaskReleased {
				c.Tasks[0].DroppedAt, c.Tasks[0].DropReason = &at, "误派"
			}
			return c
		}
		for _, c := range []whistle.Case{
			mk("in-summoned", whistle.TaskSummoned, ""),
			mk("in-reported", whistle.TaskReported, ""),
			mk("in-return-s", whistle.TaskReturnRequested, whistle.TaskSummoned),
			mk("in-return-r", whistle.TaskReturnRequested, whistle.TaskReported),
			mk("in-dropped", whistle.TaskDropped, ""),
			mk("in-released", whistle.TaskReleased, ""),
			mk("in-done", whistle.TaskDone, ""),
		} {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name   string
			status []string
			want   string
		}{
			// Report deadlines (+24h) first, then handle deadlines (+7d).
			{"Inbox", nil, "[in-return-s:return_requested in-summoned:summoned in-reported:reported in-return-r:return_requested]"},
			{"All", store.AllTaskStatuses, "[in-return-s:return_requested in-summoned:summoned in-done:done in-released:released in-reported:reported in-return-r:return_requested]"},
			{"Dropped", []string{"dropped"}, "[in-dropped:dropped]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, total, err := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s1-police", Status: tt.status})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range rows {
					got = append(got, r.CaseID+":"+string(r.Status))
					wantNext := r.HandleDeadline
					if r.Status == whistle.TaskSummoned || r.ReturnFrom == whistle.TaskSummoned {
						wantNext = r.ReportDeadline
					}
					if r.Status != whistle.TaskDone && !r.NextDeadline.Equal(wantNext) {
						t.Errorf("%s next deadline %s, want %s", r.CaseID, r.NextDeadline, wantNext)
					}
				}
				if fmt.Sprint(got) != tt.want || total != int64(len(rows)) {
					t.Errorf("got %v (total %d), want %s", got, total, tt.want)
				}
			})
		}
	})
}

// twowayRatesCases are May 2026 cases whose counts the rules of issue 13
// change (docs/supervision.md, "Both directions in the rates"):
//
//	U  c1 03  closed unresolvable, overdue; s1-police done late, s1-citymgmt
//	          reported on time then dropped when the case closed
//	R  c1 06  open; s1-citymgmt's return awaits the holder (asked in time),
//	          s1-market's return was refused (report breach stands),
//	          s1-police's return was accepted in time
//	D  c1 08  open; s1-market dropped after its report breach, s2-police
//	          released after reporting late and going overdue, d1-police
//	          (lead) reported on time
func twowayRatesCases() []whistle.Case {
	may := func(day, hour, min int) time.Time { return at(5, day, hour, min) }

	u0 := kase("U", pathC1, may(4, 9, 0), whistle.CaseOpen, whistle.LevelCommunity)
	u0.Seq = 4
	u1 := done(task("U", 1, "s1-police", u0.CreatedAt), may(4, 9, 30))
	u1.Overdue, u1.HandleBreached = true, true
	u2 := task("U", 2, "s1-citymgmt", u0.CreatedAt)
	u2.Status, u2.ReportedAt = whistle.TaskReported, tp(may(4, 9, 40))
	u0.Tasks = []whistle.Task{u1, u2}
	u0.Overdue = true
	u0.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvablePending, Reason: "需专项资金", ApproverOrgUnitID: "110101001",
		ApproverOrgPath: pathS1, RequestedAt: may(10, 9, 0), RequestedBy: "c1-secretary"}
	u := u0
	u.Seq, u.Status, u.Outcome, u.ClosedAt = 9, whistle.CaseClosed, whistle.OutcomeUnresolvable, tp(may(11, 9, 0))
	u2.Status, u2.DroppedAt, u2.DropReason = whistle.TaskDropped, tp(may(11, 9, 0)), "挂账结案"
	u.Tasks = []whistle.Task{u1, u2}
	ur := *u0.Unresolvable
	ur.Status, ur.AnsweredAt, ur.AnsweredBy, ur.Comment = whistle.UnresolvableApproved, tp(may(11, 9, 0)), "s1-commander", "同意挂账"
	u.Unresolvable = &ur

	r0 := kase("R", pathC1, may(6, 9, 0), whistle.CaseOpen, whistle.LevelCommunity)
	r0.Seq = 4
	r1 := task("R", 1, "s1-citymgmt", r0.CreatedAt)
	r1.Status, r1.ReturnFrom, r1.ReturnedAt, r1.ReturnReason = whistle.TaskReturnRequested, whistle.TaskSummoned, tp(may(6, 9, 20)), "不归我管"
	r2 := task("R", 2, "s1-market", r0.CreatedAt)
	r2.Status, r2.ReturnFrom, r2.ReturnedAt, r2.ReturnReason = whistle.TaskReturnRequested, whistle.TaskSummoned, tp(may(6, 9, 30)), "不归我管"
	r3 := task("R", 3, "s1-police", r0.CreatedAt)
	r3.Status, r3.ReturnFrom, r3.ReturnedAt, r3.ReturnReason = whistle.TaskReturnRequested, whistle.TaskSummoned, tp(may(6, 9, 30)), "不归我管"
	r0.Tasks = []whistle.Task{r1, r2, r3}
	r := r0
	r.Seq = 8
	r2.Status, r2.ReturnFrom, r2.ReturnedAt, r2.ReturnAnswer, r2.ReportBreached = whistle.TaskSummoned, "", nil, "属于市场监管职责", true
	r3.Status, r3.ReturnFrom, r3.Rerouted, r3.ReturnAnswer = whistle.TaskReturned, "", true, "同意"
	r.Tasks = []whistle.Task{r1, r2, r3}

	d := kase("D", pathC1, may(8, 9, 0), whistle.CaseOpen, whistle.LevelCommunity)
	d.Seq = 7
	d1 := task("D", 1, "s1-market", d.CreatedAt)
	d1.Status, d1.ReportBreached, d1.DroppedAt, d1.DropReason = whistle.TaskDropped, true, tp(may(8, 11, 0)), "误派"
	d2 := task("D", 2, "s2-police", d.CreatedAt)
	d2.Status, d2.ReportedAt, d2.ReportBreached, d2.Overdue = whistle.TaskReleased, tp(may(8, 11, 0)), true, true
	d2.DroppedAt, d2.DropReason = tp(may(12, 9, 0)), "协办完成"
	d3 := task("D", 3, "d1-police", d.CreatedAt)
	d3.Status, d3.ReportedAt, d3.Lead = whistle.TaskReported, tp(may(8, 9, 10)), true
	d.Tasks = []whistle.Task{d1, d2, d3}
	return []whistle.Case{u0, u, r0, r, d}
}

// TestTwowayRates: an unresolvable case is out of the resolution rate; a
// return answers only once accepted; dropped and released tasks count in
// no rate. Without any one of the three rules the counts differ (noted
// beside them).
func TestTwowayRates(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		mustProject(t, s, twowayRatesCases()...)
		rep, err := s.SupervisionRates(ctx, store.RatesQuery{Month: 202605, Group: store.GroupDepartment})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]store.Counts{
			// U (done late on an unresolvable case) and R (accepted return).
			// Without the rules: res 0/1 (U's task is overdue).
			"s1-police": {Cases: 1, Tasks: 2, Returned: 1, RespDue: 2, RespOnTime: 2, CloseDue: 1, ExtTasks: 1},
			// R only: its return awaits the answer, no response yet; U's
			// task was dropped. Without the rules: resp 1/1 (the return
			// under review), tasks 2 and resp 2/2 (U's dropped report).
			"s1-citymgmt": {Cases: 1, Tasks: 1, ExtTasks: 1},
			// R: the refused return leaves the breach, 0/1; D's drop
			// counts nothing. Without the rules: tasks 2, resp 0/2.
			"s1-market": {Cases: 1, Tasks: 1, RespDue: 1, ExtTasks: 1},
			"d1-police": {Cases: 1, Tasks: 1, RespDue: 1, RespOnTime: 1, ExtTasks: 1},
			// s2-police was released: no row. Without the rules: resp 0/1, res 0/1,
			// closure 0/1.
		}
		got := map[string]store.Counts{}
		for _, r := range rep.Items {
			got[r.ID] = r.Counts
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("by department\n got %+v\nwant %+v", got, want)
		}
		// The whole: 3 cases, U's resolution not due (without the rule:
		// res 0/1); resp 3/4 (with the return under review: 4/5).
		total := store.Counts{Cases: 3, Tasks: 5, Returned: 1, RespDue: 4, RespOnTime: 3, CloseDue: 1, ExtTasks: 4}
		if rep.Total.Counts != total {
			t.Errorf("total\n got %+v\nwant %+v", rep.Total.Counts, total)
		}
		if rep.Total.Resolution.Rate != nil {
			t.Errorf("resolution rate %v, want none (no case due)", *rep.Total.Resolution.Rate)
		}
	})
}

// TestTwowayLists: the 挂账 list, escalations by answer status, and
// breaches of kind escalation (no task), in scope.
func TestTwowayLists(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		cases := twowayRatesCases()
		// P: an application pending; X: one refused (not listed); Y:
		// approved in district 2.
		p := kase("P", pathC1, at(5, 12, 9, 0), whistle.CaseOpen, whistle.LevelCommunity)
		p.Seq = 3
		p.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvablePending, Reason: "涉诉", ApproverOrgUnitID: "110101001",
			ApproverOrgPath: pathS1, RequestedAt: at(5, 13, 9, 0), RequestedBy: "c1-secretary"}
		p.Escalations = []whistle.Escalation{{Seq: 2, CaseID: "P", From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001",
			ToOrgUnitID: "110101001", ToOrgPath: pathS1, Kind: whistle.EscalationRequested, Reason: "需街道协调", At: at(5, 12, 10, 0), By: "c1-secretary",
			Status: whistle.EscalationPending, AnswerDeadline: tp(at(5, 12, 12, 0)), AnswerBreached: true}}
		p.Breaches = []whistle.Breach{{ID: "P-E2", CaseID: "P", Kind: whistle.BreachEscalation, Deadline: at(5, 12, 12, 0), At: at(5, 12, 12, 0), Level: whistle.LevelStreet}}
		x := kase("X", pathC1, at(5, 14, 9, 0), whistle.CaseOpen, whistle.LevelCommunity)
		x.Seq = 3
		x.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvableRefused, Reason: "经费", ApproverOrgUnitID: "110101001",
			ApproverOrgPath: pathS1, RequestedAt: at(5, 14, 10, 0), RequestedBy: "c1-secretary", AnsweredAt: tp(at(5, 14, 11, 0)), AnsweredBy: "s1-commander", Comment: "继续办理"}
		x.Escalations = []whistle.Escalation{{Seq: 2, CaseID: "X", From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001",
			ToOrgUnitID: "110101001", ToOrgPath: pathS1, Kind: whistle.EscalationRequested, Reason: "请审核", At: at(5, 14, 9, 30), By: "c1-secretary",
			Status: whistle.EscalationInReview}}
		y := kase("Y", pathC4, at(5, 15, 9, 0), whistle.CaseClosed, whistle.LevelCommunity)
		y.Seq, y.Outcome, y.ClosedAt = 3, whistle.OutcomeUnresolvable, tp(at(5, 16, 9, 0))
		y.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvableApproved, Reason: "政策冲突", ApproverOrgUnitID: "110102001",
			ApproverOrgPath: "/110000/110102/110102001/", RequestedAt: at(5, 15, 10, 0), RequestedBy: "c4-secretary", AnsweredAt: tp(at(5, 16, 9, 0)), AnsweredBy: "s3-commander"}
		mustProject(t, s, append(cases, p, x, y)...)

		d1 := store.Scope{PathPrefix: "/110000/110101/"}
		from := at(5, 11, 0, 0)
		unresolvable := []struct {
			name  string
			scope store.Scope
			f     store.UnresolvableFilter
			want  string
		}{
			{"District1", d1, store.UnresolvableFilter{}, "[P:pending:open U:approved:closed]"},
			{"City", store.Scope{All: true}, store.UnresolvableFilter{}, "[Y:approved:closed P:pending:open U:approved:closed]"},
			{"Pending", store.Scope{All: true}, store.UnresolvableFilter{Status: whistle.UnresolvablePending}, "[P:pending:open]"},
			{"Approved", d1, store.UnresolvableFilter{Status: whistle.UnresolvableApproved}, "[U:approved:closed]"},
			{"Since", d1, store.UnresolvableFilter{From: &from}, "[P:pending:open]"},
			{"Street2", store.Scope{PathPrefix: "/110000/110101/110101002/"}, store.UnresolvableFilter{}, "[]"},
			{"NoScope", store.Scope{}, store.UnresolvableFilter{}, "[]"},
		}
		for _, tt := range unresolvable {
			t.Run("Unresolvable"+tt.name, func(t *testing.T) {
				rows, total, err := s.ListUnresolvable(ctx, tt.scope, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, r := range rows {
					got = append(got, r.CaseID+":"+r.Status+":"+r.CaseStatus)
					if r.Reason == "" || r.ApproverOrgUnitID == "" || r.RequestedAt.IsZero() || r.CaseTitle == "" || r.RequestedAt.Location() != time.UTC {
						t.Errorf("row lacks its application: %+v", r)
					}
					if r.Status == whistle.UnresolvableApproved && (r.AnsweredAt == nil || r.AnsweredBy == "" || r.Outcome != string(whistle.OutcomeUnresolvable)) {
						t.Errorf("approved row lacks its answer: %+v", r)
					}
				}
				if fmt.Sprint(got) != tt.want || total != int64(len(rows)) {
					t.Errorf("got %v (total %d), want %s", got, total, tt.want)
				}
			})
		}

		escalations := []struct {
			name   string
			status []string
			want   string
		}{
			{"Awaiting", store.EscalationAwaiting, "[X:review P:pending]"},
			{"Pending", []string{whistle.EscalationPending}, "[P:pending]"},
			{"Accepted", []string{whistle.EscalationAccepted}, "[]"},
		}
		for _, tt := range escalations {
			t.Run("Escalations"+tt.name, func(t *testing.T) {
				rows, _, err := s.ListEscalations(ctx, store.EscalationFilter{Scope: d1, Status: tt.status})
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, r := range rows {
					got = append(got, r.CaseID+":"+r.Status)
					if r.Status == whistle.EscalationPending && (r.AnswerDeadline == nil || !r.AnswerBreached || r.ToOrgPath != pathS1) {
						t.Errorf("pending row lacks its answer deadline: %+v", r)
					}
				}
				if fmt.Sprint(got) != tt.want {
					t.Errorf("got %v, want %s", got, tt.want)
				}
			})
		}

		t.Run("BreachesEscalation", func(t *testing.T) {
			rows, total, err := s.ListBreaches(ctx, store.BreachFilter{Scope: d1, Kind: whistle.BreachEscalation})
			if err != nil {
				t.Fatal(err)
			}
			if total != 1 || len(rows) != 1 || rows[0].ID != "P-E2" || rows[0].TaskID != "" || rows[0].Level != whistle.LevelStreet || rows[0].CaseTitle == "" {
				t.Fatalf("got %+v (total %d), want P-E2 of the street, no task", rows, total)
			}
		})
	})
}

// TestMigrateTwowayOnAnOlderDatabase: a database migrated before
// 202612021301_twoway (its columns absent, the migration not recorded)
// gains the columns, keeps its cases, and then projects and reads back
// every new field.
func TestMigrateTwowayOnAnOlderDatabase(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old := sampleCase("old-1", 1, whistle.CaseOpen)
		if err := s.ApplyCase(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		m := s.DB.Migrator()
		if err := m.DropIndex(&store.CaseRow{}, "UnresolvableStatus"); err != nil {
			t.Fatal(err)
		}
		for table, cols := range map[string][]string{
			"sla_policies": {"max_extensions", "max_extension_days"},
			"cases":        {"dispatches_json", "unresolvable_json", "unresolvable_status", "unresolvable_at"},
			"tasks":        {"lead", "return_from", "return_answer", "dropped_at", "drop_reason", "extension_limit", "extension_cap"},
			"escalations":  {"to_org_path", "status", "answer_deadline", "answer_breached", "answered_at", "answered_by", "comment"},
		} {
			for _, col := range cols {
				if err := s.DB.Exec(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, col)).Error; err != nil {
					t.Fatalf("drop %s.%s: %v", table, col, err)
				}
			}
		}
		if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612021301_twoway").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if !m.HasIndex(&store.CaseRow{}, "UnresolvableStatus") {
			t.Error("cases.unresolvable_status has no index")
		}
		if got, err := s.Case(ctx, "old-1"); err != nil || got.Tasks[0].Lead || got.Unresolvable != nil || got.Tasks[0].ReturnFrom != "" {
			t.Fatalf("old case after the migration: %+v, %v", got, err)
		}
		c := twowayCase(5)
		if err := s.ApplyCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if w, g := jsonOf(t, utcJSON(t, c.InUTC().Tasks)), jsonOf(t, utcJSON(t, got.Tasks)); w != g {
			t.Errorf("tasks\n got %s\nwant %s", g, w)
		}
		if got.Unresolvable == nil || len(got.Dispatches) != 2 || got.Escalations[1].Status != whistle.EscalationPending {
			t.Errorf("case fields lost: %+v", got)
		}
	})
}
