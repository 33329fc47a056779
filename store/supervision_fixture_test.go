package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The supervision fixture: six cases of the demo city whose every count is
// worked out by hand in TestSupervisionRates. Times are China Standard Time.
//
//	A  c1 (street s1)   03-02  closed; s1-police on time, s1-citymgmt late;
//	                           one failed verification; s1-citymgmt extended
//	B  c1 (street s1)   03-05  closed, overdue (s1-police missed handling);
//	                           s1-market returned in time; d1-police on time
//	C  c3 (street s2)   03-10  open; s2-police never reported (breach);
//	                           d1-citymgmt reported, extension granted
//	D  c4 (district 2)  03-12  evaluating: verified, not yet evaluated
//	F  district 1 unit  03-20  closed, evaluated by the district
//	E  c1 (street s1)   04-01  open (outside March)
const (
	pathC1  = "/110000/110101/110101001/110101001001/"
	pathC3  = "/110000/110101/110101002/110101002001/"
	pathC4  = "/110000/110102/110102001/110102001001/"
	pathD1  = "/110000/110101/"
	pathS1  = "/110000/110101/110101001/"
	fixYear = 2026
)

func at(month time.Month, day, hour, min int) time.Time {
	return time.Date(fixYear, month, day, hour, min, 0, 0, worktime.Location)
}

func tp(t time.Time) *time.Time { return &t }

func kase(id, path string, created time.Time, status whistle.CaseStatus, level whistle.Level) whistle.Case {
	ids := map[string]string{pathC1: "110101001001", pathC3: "110101002001", pathC4: "110102001001", pathD1: "110101"}
	return whistle.Case{ID: id, Title: "案件 " + id, Source: whistle.SourceGrid, Class: whistle.ClassRoutine, Status: status,
		OrgUnitID: ids[path], OrgPath: path, Level: level, HolderOrgUnitID: ids[path], HolderOrgPath: path,
		FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", CreatedAt: created, UpdatedAt: created}
}

func task(caseID string, n int, dept string, summoned time.Time) whistle.Task {
	return whistle.Task{ID: caseID + "-T" + string(rune('0'+n)), CaseID: caseID, DepartmentID: dept, DepartmentName: dept,
		Status: whistle.TaskSummoned, SummonedAt: summoned, SummonedBy: "c1-secretary", SummonedLevel: whistle.LevelCommunity,
		ReportDeadline: summoned.Add(time.Hour), HandleDeadline: summoned.Add(72 * time.Hour)}
}

func done(t whistle.Task, reported time.Time) whistle.Task {
	t.Status, t.ReportedAt, t.DoneAt = whistle.TaskDone, tp(reported), tp(reported.Add(2*time.Hour))
	return t
}

func eval(caseID, dept string, lvl whistle.Level, tq, q, a int, sat whistle.Satisfaction, when time.Time) whistle.Evaluation {
	return whistle.Evaluation{CaseID: caseID, DepartmentID: dept, Timeliness: tq, Quality: q, Attitude: a, Satisfaction: sat, Level: lvl, At: when, By: "c1-secretary"}
}

// fixtureCases returns the cases in the order projected: early versions
// first (so the roll-up is exercised on updates, not only on inserts).
func fixtureCases() []whistle.Case {
	// A, first as an open case with both tasks reported.
	a0 := kase("A", pathC1, at(3, 2, 10, 0), whistle.CaseOpen, whistle.LevelCommunity)
	a0.Seq = 3
	a1t, a2t := task("A", 1, "s1-police", a0.CreatedAt), task("A", 2, "s1-citymgmt", a0.CreatedAt)
	a1t.Status, a1t.ReportedAt = whistle.TaskReported, tp(at(3, 2, 10, 30))
	a0.Tasks = []whistle.Task{a1t, a2t}

	a := kase("A", pathC1, at(3, 2, 10, 0), whistle.CaseClosed, whistle.LevelCommunity)
	a.Seq = 20
	a1 := done(task("A", 1, "s1-police", a.CreatedAt), at(3, 2, 10, 30))
	a1.Reopened = 1
	a2 := done(task("A", 2, "s1-citymgmt", a.CreatedAt), at(3, 2, 12, 0))
	a2.ReportBreached, a2.Reopened, a2.Extensions = true, 1, 1
	a.Tasks = []whistle.Task{a1, a2}
	a.VerifyFailures, a.VerifiedAt, a.ClosedAt = 1, tp(at(3, 4, 9, 0)), tp(at(3, 4, 10, 0))
	a.Breaches = []whistle.Breach{{ID: "A-B5", CaseID: "A", TaskID: a2.ID, DepartmentID: "s1-citymgmt", Kind: whistle.BreachReport,
		Deadline: a2.ReportDeadline, At: a2.ReportDeadline, Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: tp(at(3, 2, 12, 0))}}
	a.Evaluations = []whistle.Evaluation{
		eval("A", "s1-police", whistle.LevelCommunity, 5, 4, 5, whistle.Satisfied, at(3, 4, 10, 0)),
		eval("A", "s1-citymgmt", whistle.LevelCommunity, 3, 3, 4, whistle.BasicallySatisfied, at(3, 4, 10, 0)),
	}

	b := kase("B", pathC1, at(3, 5, 9, 0), whistle.CaseClosed, whistle.LevelStreet)
	b.Seq, b.Overdue = 30, true
	b.HolderOrgUnitID, b.HolderOrgPath = "110101001", pathS1
	b1 := done(task("B", 1, "s1-police", b.CreatedAt), at(3, 5, 9, 20))
	b1.Overdue, b1.HandleBreached = true, true
	b2 := task("B", 2, "s1-market", b.CreatedAt)
	b2.Status, b2.ReturnedAt, b2.ReturnReason, b2.Rerouted = whistle.TaskReturned, tp(at(3, 5, 9, 40)), "不归我管", true
	b3 := done(task("B", 3, "d1-police", at(3, 5, 11, 0)), at(3, 5, 11, 30))
	b.Tasks = []whistle.Task{b1, b2, b3}
	b.VerifiedAt, b.ClosedAt = tp(at(3, 12, 9, 0)), tp(at(3, 12, 10, 0))
	b.Breaches = []whistle.Breach{{ID: "B-B9", CaseID: "B", TaskID: b1.ID, DepartmentID: "s1-police", Kind: whistle.BreachHandle,
		Deadline: b1.HandleDeadline, At: b1.HandleDeadline, Level: whistle.LevelCommunity, Resolved: true, ResolvedAt: tp(at(3, 9, 10, 0))}}
	b.Escalations = []whistle.Escalation{{Seq: 10, CaseID: "B", From: whistle.LevelCommunity, To: whistle.LevelStreet,
		FromOrgUnitID: "110101001001", ToOrgUnitID: "110101001", Kind: whistle.EscalationHandleBreach, Reason: "处置超时", At: b1.HandleDeadline, By: "system"}}
	b.Evaluations = []whistle.Evaluation{
		eval("B", "s1-police", whistle.LevelStreet, 2, 2, 3, whistle.Dissatisfied, at(3, 12, 10, 0)),
		eval("B", "d1-police", whistle.LevelStreet, 4, 4, 4, whistle.Satisfied, at(3, 12, 10, 0)),
	}

	c := kase("C", pathC3, at(3, 10, 14, 0), whistle.CaseOpen, whistle.LevelCommunity)
	c.Seq = 8
	c.OrgUnitID, c.HolderOrgUnitID = "110101002001", "110101002001"
	c1 := task("C", 1, "s2-police", c.CreatedAt)
	c1.ReportBreached = true
	c2 := task("C", 2, "d1-citymgmt", c.CreatedAt)
	c2.Status, c2.ReportedAt, c2.Extensions = whistle.TaskReported, tp(at(3, 10, 14, 5)), 1
	c.Tasks = []whistle.Task{c1, c2}
	c.Breaches = []whistle.Breach{{ID: "C-B6", CaseID: "C", TaskID: c1.ID, DepartmentID: "s2-police", Kind: whistle.BreachReport,
		Deadline: c1.ReportDeadline, At: c1.ReportDeadline, Level: whistle.LevelCommunity}}

	d := kase("D", pathC4, at(3, 12, 8, 0), whistle.CaseEvaluating, whistle.LevelCommunity)
	d.Seq = 6
	d.Tasks = []whistle.Task{done(task("D", 1, "s3-citymgmt", d.CreatedAt), at(3, 12, 8, 10))}
	d.VerifiedAt = tp(at(3, 13, 9, 0))

	f := kase("F", pathD1, at(3, 20, 9, 0), whistle.CaseClosed, whistle.LevelDistrict)
	f.Seq = 9
	f.Tasks = []whistle.Task{done(task("F", 1, "d1-police", f.CreatedAt), at(3, 20, 9, 30))}
	f.VerifiedAt, f.ClosedAt = tp(at(3, 23, 9, 0)), tp(at(3, 23, 10, 0))
	f.Evaluations = []whistle.Evaluation{eval("F", "d1-police", whistle.LevelDistrict, 5, 5, 5, whistle.Satisfied, at(3, 23, 10, 0))}

	e := kase("E", pathC1, at(4, 1, 0, 30), whistle.CaseOpen, whistle.LevelCommunity)
	e.Seq = 3
	e1 := task("E", 1, "s1-police", e.CreatedAt)
	e1.Status, e1.ReportedAt = whistle.TaskReported, tp(at(4, 1, 0, 40))
	e.Tasks = []whistle.Task{e1}

	return []whistle.Case{a0, c, a, b, d, f, e}
}

// mustProject writes the fixture through the projection (so the trigger
// queues it) and folds it into the roll-up.
func mustProject(t *testing.T, s *store.Store, cases ...whistle.Case) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		if err := s.ApplyCase(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		// Refresh between writes too: updates must replace contributions.
		if _, err := s.RefreshSupervision(ctx, 0, 2, true); err != nil {
			t.Fatal(err)
		}
	}
}
