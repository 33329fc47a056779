package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// followupCase is a case carrying every field of issue 14, in Beijing
// time as a workflow may write it, around now: a red task (report clock)
// of s1-police urged twice, a yellow reported task of s1-citymgmt with a
// pending extension, an order answered late by s1-police and one that
// s1-citymgmt left unanswered past due (its breach of kind supervision)
// while s1-police answered it in time, and the urges in the timeline.
func followupCase(seq int64, now time.Time) (whistle.Case, []whistle.TimelineEntry) {
	cst := time.FixedZone("CST", 8*3600)
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))).In(cst) }
	p := func(t time.Time) *time.Time { return &t }
	c := sampleCase("fu-1", seq, whistle.CaseOpen)
	c.CreatedAt, c.UpdatedAt = h(-10), h(0)
	red := task(c.ID, 1, "s1-police", h(-10))
	red.ReportDeadline, red.HandleDeadline = h(1.5), h(30)
	red.Warning, red.WarnedReport, red.Urges, red.LastUrgedAt = whistle.WarningRed, 2, 2, p(h(-2))
	red.WarnAt = whistle.ClockWarnings{Report: []time.Time{h(-5), h(-2)}, Handle: []time.Time{h(10), h(20)}}
	yellow := task(c.ID, 2, "s1-citymgmt", h(-10))
	yellow.Status, yellow.ReportedAt, yellow.ReportDeadline, yellow.HandleDeadline = whistle.TaskReported, p(h(-9)), h(-8), h(3)
	yellow.Warning, yellow.WarnedHandle = whistle.WarningYellow, 1
	yellow.Extension = &whistle.ExtensionRequest{Until: h(48), Reason: "需协调", Status: whistle.ExtensionPending, RequestedAt: h(-1), RequestedBy: "s1-citymgmt"}
	c.Tasks = []whistle.Task{red, yellow}
	c.SupervisionOrders = []whistle.SupervisionOrder{
		{ID: c.ID + "-S1", Seq: 5, Requirement: "两小时内到场", Due: h(-3), IssuedAt: h(-6), IssuedBy: "d1-supervisor",
			IssuedByOrgUnitID: "110101", IssuedByOrgPath: "/110000/110101/",
			Departments: []whistle.OrderDepartment{{DepartmentID: "s1-police", DepartmentName: "和平派出所", Answer: "已到场", AnsweredAt: p(h(-2)),
				AnsweredBy: "s1-police", Late: true, Breached: true, BreachID: c.ID + "-B6"}}},
		{ID: c.ID + "-S2", Seq: 7, Requirement: "明日前反馈整改方案", Due: h(-1), IssuedAt: h(-4), IssuedBy: "d1-supervisor",
			IssuedByOrgUnitID: "110101", IssuedByOrgPath: "/110000/110101/",
			// Named out of id order: the read model keeps the order's.
			Departments: []whistle.OrderDepartment{
				{DepartmentID: "s1-police", DepartmentName: "和平派出所", Answer: "已反馈", AnsweredAt: p(h(-1.5)), AnsweredBy: "s1-police"},
				{DepartmentID: "s1-citymgmt", DepartmentName: "和平城管执法队", Breached: true, BreachID: c.ID + "-B8"}}},
	}
	c.Breaches = []whistle.Breach{
		{ID: c.ID + "-B6", CaseID: c.ID, DepartmentID: "s1-police", Kind: whistle.BreachSupervision, Deadline: h(-3), At: h(-3), Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: p(h(-2))},
		{ID: c.ID + "-B8", CaseID: c.ID, DepartmentID: "s1-citymgmt", Kind: whistle.BreachSupervision, Deadline: h(-1), At: h(-1), Level: whistle.LevelCommunity},
	}
	entries := []whistle.TimelineEntry{
		{Seq: 1, At: h(-10), Type: whistle.EventFiled, Actor: "c1-secretary"},
		{Seq: 2, At: h(-4), Type: whistle.EventUrged, Actor: "c1-secretary", TaskID: red.ID, DepartmentID: "s1-police", Detail: "请尽快到场"},
		{Seq: 3, At: h(-2), Type: whistle.EventUrged, Actor: "d1-supervisor", TaskID: red.ID, DepartmentID: "s1-police", Detail: "再次催办"},
		{Seq: 4, At: h(-1), Type: whistle.EventUrged, Actor: "c1-secretary", TaskID: yellow.ID, DepartmentID: "s1-citymgmt", Detail: "请反馈"},
	}
	return c, entries
}

// TestFollowupRoundTrip: every field of issue 14 reads back from the read
// model as the workflow state has it (in UTC); an answer replaces a
// stored order only under a newer case version.
func TestFollowupRoundTrip(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, entries := followupCase(20, now)
		if err := s.ApplyCase(ctx, c, entries); err != nil {
			t.Fatal(err)
		}
		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := c.InUTC()
		for name, pair := range map[string][2]any{
			"tasks":    {want.Tasks, got.Tasks},
			"orders":   {want.SupervisionOrders, got.SupervisionOrders},
			"breaches": {want.Breaches, got.Breaches},
		} {
			if w, g := jsonOf(t, pair[0]), jsonOf(t, pair[1]); w != g {
				t.Errorf("%s\n got %s\nwant %s", name, g, w)
			}
		}
		if got.Tasks[0].WarnAt.Report[0].Location() != time.UTC || got.SupervisionOrders[0].Due.Location() != time.UTC ||
			got.SupervisionOrders[1].Departments[0].AnsweredAt.Location() != time.UTC || got.Tasks[0].LastUrgedAt.Location() != time.UTC {
			t.Error("follow-up times do not read back in UTC")
		}

		// s1-citymgmt answers late in a newer version; a stale write of the
		// older one does not undo it.
		v2, _ := followupCase(21, now)
		d := &v2.SupervisionOrders[1].Departments[1]
		d.Answer, d.AnsweredAt, d.AnsweredBy, d.Late = "已整改", &now, "s1-citymgmt", true
		for _, x := range []whistle.Case{v2, c} {
			if err := s.ApplyCase(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err = s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := got.SupervisionOrders[1].Departments[1]; d.AnsweredBy != "s1-citymgmt" || !d.Late || d.AnsweredAt == nil || !d.AnsweredAt.Equal(now) {
			t.Errorf("order department after its answer = %+v, want answered late by s1-citymgmt", d)
		}
		open, _, err := s.ListOrders(ctx, store.OrderFilter{Scope: store.Scope{All: true}, Status: store.OrderOpen})
		if err != nil || len(open) != 0 {
			t.Errorf("open orders after every answer: %v (%v), want none", open, err)
		}
	})
}

// TestFollowupLists: the supervision orders list by status, department
// and scope; tasks due soon by window, warning and sort; urges per
// department and period; the inbox by warning; on both databases.
func TestFollowupLists(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, entries := followupCase(20, now)
		if err := s.ApplyCase(ctx, c, entries); err != nil {
			t.Fatal(err)
		}
		district := store.Scope{PathPrefix: "/110000/110101/"}
		other := store.Scope{PathPrefix: "/110000/110102/"}
		orders := func(f store.OrderFilter) string {
			f.Now = now
			items, total, err := s.ListOrders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range items {
				out = append(out, o.OrderID[len(c.ID)+1:]+"/"+o.DepartmentID+"/"+o.Status)
			}
			if int(total) != len(items) {
				t.Errorf("total %d, %d items", total, len(items))
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct {
			name string
			f    store.OrderFilter
			want string
		}{
			{"All", store.OrderFilter{Scope: district}, "S1/s1-police/answered S2/s1-police/answered S2/s1-citymgmt/overdue"},
			{"Open", store.OrderFilter{Scope: district, Status: store.OrderOpen}, "S2/s1-citymgmt/overdue"},
			{"Overdue", store.OrderFilter{Scope: district, Status: store.OrderOverdue}, "S2/s1-citymgmt/overdue"},
			{"Answered", store.OrderFilter{Scope: district, Status: store.OrderAnswered}, "S1/s1-police/answered S2/s1-police/answered"},
			{"Department", store.OrderFilter{Scope: district, DepartmentID: "s1-citymgmt"}, "S2/s1-citymgmt/overdue"},
			{"IssuedFrom", store.OrderFilter{Scope: district, From: ptr(now.Add(-5 * time.Hour))}, "S2/s1-police/answered S2/s1-citymgmt/overdue"},
			{"ClerkScope", store.OrderFilter{Scope: store.Scope{DepartmentID: "s1-police"}}, "S1/s1-police/answered S2/s1-police/answered S2/s1-citymgmt/overdue"},
			{"OtherDistrict", store.OrderFilter{Scope: other}, ""},
		} {
			if got := orders(tc.f); got != tc.want {
				t.Errorf("orders %s = %q, want %q", tc.name, got, tc.want)
			}
		}

		dueSoon := func(f store.DueSoonFilter) string {
			f.Now = now
			items, _, err := s.ListDueSoon(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range items {
				out = append(out, v.DepartmentID+"/"+v.Warning)
			}
			return strings.Join(out, " ")
		}
		for _, tc := range []struct {
			name string
			f    store.DueSoonFilter
			want string
		}{
			{"FourHours", store.DueSoonFilter{Scope: district, Within: 4 * time.Hour}, "s1-police/red s1-citymgmt/yellow"},
			{"OneHour", store.DueSoonFilter{Scope: district, Within: time.Hour}, ""},
			{"TwoHours", store.DueSoonFilter{Scope: district, Within: 2 * time.Hour}, "s1-police/red"},
			{"Yellow", store.DueSoonFilter{Scope: district, Within: 4 * time.Hour, Warning: whistle.WarningYellow}, "s1-citymgmt/yellow"},
			{"Department", store.DueSoonFilter{Scope: district, Within: 4 * time.Hour, DepartmentID: "s1-police"}, "s1-police/red"},
			{"OtherDistrict", store.DueSoonFilter{Scope: other, Within: 4 * time.Hour}, ""},
		} {
			if got := dueSoon(tc.f); got != tc.want {
				t.Errorf("due soon %s = %q, want %q", tc.name, got, tc.want)
			}
		}
		// Sorted by warning, a yellow task due first still comes after a red one.
		y, _ := followupCase(21, now)
		y.Tasks[1].HandleDeadline = now.Add(time.Hour)
		if err := s.ApplyCase(ctx, y, nil); err != nil {
			t.Fatal(err)
		}
		if got := dueSoon(store.DueSoonFilter{Scope: district, Within: 4 * time.Hour}); got != "s1-citymgmt/yellow s1-police/red" {
			t.Errorf("due soon by deadline = %q", got)
		}
		if got := dueSoon(store.DueSoonFilter{Scope: district, Within: 4 * time.Hour, Sort: store.SortWarning}); got != "s1-police/red s1-citymgmt/yellow" {
			t.Errorf("due soon by warning = %q", got)
		}

		urges := func(f store.UrgeFilter) string {
			items, err := s.UrgeCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range items {
				out = append(out, u.DepartmentID+"="+itoa(u.Urges)+"/"+itoa(u.Tasks))
			}
			return strings.Join(out, " ")
		}
		if got := urges(store.UrgeFilter{Scope: district}); got != "s1-police=2/1 s1-citymgmt=1/1" {
			t.Errorf("urges = %q", got)
		}
		if got := urges(store.UrgeFilter{Scope: district, From: ptr(now.Add(-3 * time.Hour))}); got != "s1-citymgmt=1/1 s1-police=1/1" {
			t.Errorf("urges in the last 3 hours = %q", got)
		}
		if got := urges(store.UrgeFilter{Scope: other}); got != "" {
			t.Errorf("urges of another district = %q", got)
		}

		inbox, total, err := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s1-police", Warning: whistle.WarningRed})
		if err != nil || total != 1 || inbox[0].Warning != whistle.WarningRed || inbox[0].Urges != 2 {
			t.Errorf("red inbox = %+v, %d (%v)", inbox, total, err)
		}
		if _, total, _ := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s1-police", Warning: whistle.WarningYellow}); total != 0 {
			t.Errorf("yellow inbox of s1-police has %d tasks, want 0", total)
		}
	})
}

// TestTodoKinds: each kind of the to-do list finds what waits on whom, on
// both databases.
func TestTodoKinds(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c, entries := followupCase(20, now)
		if err := s.ApplyCase(ctx, c, entries); err != nil {
			t.Fatal(err)
		}
		pending := sampleCase("fu-2", 2, whistle.CasePending)
		pending.Tasks, pending.AcceptDeadline = nil, ptr(now.Add(2*time.Hour))
		unres := sampleCase("fu-3", 2, whistle.CaseOpen)
		unres.Unresolvable = &whistle.UnresolvableRequest{Status: whistle.UnresolvablePending, Reason: "需专项资金",
			ApproverOrgUnitID: "110101001", ApproverOrgPath: "/110000/110101/110101001/", RequestedAt: now, RequestedBy: "c1-secretary"}
		ret := sampleCase("fu-4", 2, whistle.CaseOpen)
		ret.Tasks[0].Status, ret.Tasks[0].ReturnFrom = whistle.TaskReturnRequested, whistle.TaskSummoned
		esc := sampleCase("fu-5", 2, whistle.CaseOpen)
		esc.Escalations = []whistle.Escalation{{Seq: 2, CaseID: esc.ID, From: whistle.LevelCommunity, To: whistle.LevelStreet, FromOrgUnitID: "110101001001",
			ToOrgUnitID: "110101001", ToOrgPath: "/110000/110101/110101001/", Kind: whistle.EscalationRequested, At: now, By: "c1-secretary",
			Status: whistle.EscalationPending, AnswerDeadline: ptr(now.Add(3 * time.Hour))}}
		evaluating := sampleCase("fu-6", 2, whistle.CaseEvaluating)
		evaluating.EvaluationDue = ptr(now.Add(20 * time.Hour))
		closed := sampleCase("fu-7", 2, whistle.CaseClosed) // its summoned task waits on no one
		// 回访: a resident's case waiting for its call-back is to call back,
		// not yet to evaluate.
		callback := sampleCase("fu-8", 2, whistle.CaseEvaluating)
		callback.EvaluationDue, callback.Tasks[0].Status = ptr(now.Add(30*time.Hour)), whistle.TaskDone
		callback.CallbackRequired, callback.Callback = true, whistle.CallbackPending
		for _, x := range []whistle.Case{pending, unres, ret, esc, evaluating, closed, callback} {
			if err := s.ApplyCase(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		c1 := store.TodoFor{OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/", Now: now}
		s1 := store.TodoFor{OrgUnitID: "110101001", OrgPath: "/110000/110101/110101001/", Now: now}
		d1 := store.TodoFor{OrgUnitID: "110101", OrgPath: "/110000/110101/", Username: "d1-supervisor", Now: now}
		d1c := store.TodoFor{OrgUnitID: "110101", OrgPath: "/110000/110101/", Username: "d1-commander", Now: now}
		police := store.TodoFor{DepartmentID: "s1-police", Now: now}
		citymgmt := store.TodoFor{DepartmentID: "s1-citymgmt", Now: now}
		for _, tc := range []struct {
			kind string
			who  store.TodoFor
			want string // case/task-or-order, in order
		}{
			{store.TodoReport, police, "fu-3/fu-3-t1 fu-5/fu-5-t1 fu-6/fu-6-t1 fu-1/fu-1-T1"},
			{store.TodoFeedback, citymgmt, "fu-1/fu-1-T2"},
			{store.TodoOrder, citymgmt, "fu-1/fu-1-S2"},
			{store.TodoOrder, police, ""},
			{store.TodoReport, c1, ""},
			{store.TodoExtension, c1, "fu-1/fu-1-T2"},
			{store.TodoReturn, c1, "fu-4/fu-4-t1"},
			{store.TodoIntake, c1, "fu-2/"},
			{store.TodoIntake, s1, ""},
			{store.TodoEscalation, s1, "fu-5/"},
			{store.TodoEscalation, c1, ""},
			{store.TodoUnresolvable, s1, "fu-3/"},
			{store.TodoUnresolvable, d1, ""},
			{store.TodoEvaluate, c1, "fu-6/"},
			{store.TodoCallback, c1, "fu-8/"},
			{store.TodoCallback, s1, "fu-8/"}, // filed inside: the API keeps the filer's side
			{store.TodoOrderOverdue, d1, "fu-1/fu-1-S2"},
			{store.TodoOrderOpen, d1, ""},
			{store.TodoOrderOverdue, s1, ""},
			{store.TodoOrderOverdue, d1c, ""}, // the unit's command centre did not issue it
		} {
			items, err := s.Todo(ctx, tc.kind, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.CaseID+"/"+it.TaskID+it.OrderID)
				if it.Kind != tc.kind || it.Title == "" {
					t.Errorf("%s item %+v", tc.kind, it)
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("%s for %+v = %q, want %q", tc.kind, tc.who, strings.Join(got, " "), tc.want)
			}
		}
		// A return before reporting waits against the report deadline.
		items, _ := s.Todo(ctx, store.TodoReturn, c1)
		if len(items) != 1 || items[0].Deadline == nil || !items[0].Deadline.Equal(ret.Tasks[0].ReportDeadline) {
			t.Errorf("return item %+v, want the report deadline %s", items, ret.Tasks[0].ReportDeadline)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
