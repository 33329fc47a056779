package citygen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// Outcome shares, per task or case, roughly those of a working city: the
// seeds report a 92% resolution rate for Beijing's grid system.
const (
	pLateReport   = 0.08 // a task reported after its report deadline
	pReturned     = 0.02 // a second or third task returned as misrouted
	pOverdue      = 0.07 // a task that misses its handling deadline (breach, escalation)
	pExtension    = 0.05 // a task with a granted extension
	pVerifyFail   = 0.04 // a case failing its first verification
	pStreetFiled  = 0.25 // filed by the street rather than a community
	pDefaultEval  = 0.10 // evaluation window closed unevaluated
	pRequestedEsc = 0.02 // escalated on request
)

// Clocks per class, on the wall clock (the generator does not apply the
// working calendar: it shifts deadlines, not the shape of the data).
var clocks = map[whistle.Class][2]time.Duration{
	whistle.ClassEmergency:    {30 * time.Minute, 24 * time.Hour},
	whistle.ClassKey:          {2 * time.Hour, 72 * time.Hour},
	whistle.ClassRoutine:      {24 * time.Hour, 7 * 24 * time.Hour},
	whistle.ClassCoordination: {48 * time.Hour, 15 * 24 * time.Hour},
}

type caseGen struct {
	o     Options
	rng   *rand.Rand
	city  *city
	first time.Time
}

type batch struct {
	cases       []store.CaseRow
	tasksOf     [][]store.TaskRow
	evalsOf     [][]store.EvaluationRow
	breaches    []store.BreachRow
	escalations []store.EscalationRow
	// rows are the COPY rows of each table, set by encode.
	rows [5][][]any
}

func (g *caseGen) pick(p float64) bool { return g.rng.Float64() < p }

func (g *caseGen) class() whistle.Class {
	switch r := g.rng.Float64(); {
	case r < 0.05:
		return whistle.ClassEmergency
	case r < 0.25:
		return whistle.ClassKey
	case r < 0.90:
		return whistle.ClassRoutine
	}
	return whistle.ClassCoordination
}

func ptr(t time.Time) *time.Time { return &t }

// batch generates cases number from..from+n-1, spread evenly over the days
// in filing order (ids sort by filing time).
func (g *caseGen) batch(from, n int) *batch {
	b := &batch{}
	span := g.o.End.Sub(g.first)
	for i := from; i < from+n; i++ {
		created := g.first.Add(time.Duration(float64(span) * (float64(i) + g.rng.Float64()) / float64(g.o.Cases))).Truncate(time.Second)
		g.one(b, i, created)
	}
	return b
}

func (g *caseGen) one(b *batch, i int, created time.Time) {
	s := &g.city.streets[g.rng.IntN(len(g.city.streets))]
	cm := &s.communities[g.rng.IntN(len(s.communities))]
	class := g.class()
	id := fmt.Sprintf("G%09d", i+1)
	orgID, orgPath, level := cm.id, cm.path, whistle.LevelCommunity
	holderID, holderPath := cm.id, cm.path
	if g.pick(pStreetFiled) {
		orgID, orgPath, level, holderID, holderPath = s.id, s.path, whistle.LevelStreet, s.id, s.path
	}
	age := g.o.End.Sub(created)
	// Progress: old cases are closed; the last weeks are in every state.
	status := whistle.CaseClosed
	if age < 15*24*time.Hour {
		switch r := g.rng.Float64(); {
		case r < 0.30:
			status = whistle.CaseOpen
		case r < 0.40:
			status = whistle.CaseVerifying
		case r < 0.55:
			status = whistle.CaseEvaluating
		}
	}
	// The case lies in its grid (geo.go), as a filing's point decides its grid.
	gi := g.rng.IntN(len(cm.grids))
	lat, lon := gridLattice.pointIn(cm.cells[gi], g.rng)
	c := store.CaseRow{ID: id, Title: "网格巡查发现问题 " + id, Category: "市容环境", Source: string(whistle.SourceGrid),
		Class: string(class), Status: string(status), Level: string(level), OrgUnitID: orgID, OrgPath: orgPath,
		HolderOrgUnitID: holderID, HolderOrgPath: holderPath, Address: "生成地址", Lat: &lat, Lon: &lon,
		GridID: cm.grids[gi], FiledBy: "generator", FiledByUserID: "gu1", Seq: 10,
		CreatedAt: created.UTC(), UpdatedAt: created.UTC()}
	verified := status == whistle.CaseEvaluating || status == whistle.CaseClosed
	if g.pick(pVerifyFail) && status != whistle.CaseOpen {
		c.VerifyFailures = 1
	}

	// Departments: mostly the street's stations, some of the district's,
	// a few of the city's.
	ntasks := 1
	switch r := g.rng.Float64(); {
	case r > 0.95:
		ntasks = 3
	case r > 0.70:
		ntasks = 2
	}
	seen := map[string]bool{}
	var tasks []store.TaskRow
	clk := clocks[class]
	overdue := false
	escalated := false
	for n := 0; n < ntasks; n++ {
		var d dept
		switch r := g.rng.Float64(); {
		case r < 0.70:
			d = s.stations[g.rng.IntN(len(s.stations))]
		case r < 0.95:
			d = s.distDepts[g.rng.IntN(len(s.distDepts))]
		default:
			d = g.city.cityDepts[g.rng.IntN(len(g.city.cityDepts))]
		}
		if seen[d.id] {
			continue
		}
		seen[d.id] = true
		summoned := created.Add(time.Duration(n) * time.Minute)
		t := store.TaskRow{ID: fmt.Sprintf("%s-T%d", id, len(tasks)+1), CaseID: id, DepartmentID: d.id, DepartmentName: d.name,
			Status: string(whistle.TaskReported), OrgPath: orgPath, Class: string(class), SummonedAt: summoned.UTC(), SummonedBy: "generator",
			SummonedLevel: string(level), ReportDeadline: summoned.Add(clk[0]).UTC(), HandleDeadline: summoned.Add(clk[1]).UTC()}
		if n > 0 && g.pick(pReturned) {
			t.Status, t.ReturnedAt, t.ReturnReason, t.Rerouted = string(whistle.TaskReturned), ptr(summoned.Add(clk[0]/4).UTC()), "非本部门职责", true
			tasks = append(tasks, t)
			continue
		}
		reported := summoned.Add(time.Duration(g.rng.Float64() * 0.8 * float64(clk[0])))
		if g.pick(pLateReport) {
			reported = t.ReportDeadline.Add(time.Duration(g.rng.Float64() * float64(clk[0])))
			t.ReportBreached = true
			b.breaches = append(b.breaches, store.BreachRow{ID: t.ID + "-BR", CaseID: id, TaskID: t.ID, DepartmentID: d.id, OrgPath: orgPath,
				Class: string(class), Kind: whistle.BreachReport, Level: string(level), Deadline: t.ReportDeadline, At: t.ReportDeadline,
				Resolved: reported.Before(g.o.End), ResolvedAt: ptr(reported.UTC())})
		}
		if reported.After(g.o.End) {
			t.Status = string(whistle.TaskSummoned) // not reported yet
		} else {
			t.ReportedAt = ptr(reported.UTC())
		}
		if g.pick(pExtension) {
			t.Extensions = 1
			t.HandleDeadline = t.HandleDeadline.Add(clk[1] / 2)
		}
		if g.pick(pOverdue) && t.HandleDeadline.Before(g.o.End) {
			t.Overdue, t.HandleBreached = true, true
			overdue = true
			b.breaches = append(b.breaches, store.BreachRow{ID: t.ID + "-BH", CaseID: id, TaskID: t.ID, DepartmentID: d.id, OrgPath: orgPath,
				Class: string(class), Kind: whistle.BreachHandle, Level: string(level), Deadline: t.HandleDeadline, At: t.HandleDeadline,
				Resolved: status != whistle.CaseOpen, ResolvedAt: ptr(t.HandleDeadline.Add(24 * time.Hour))})
			if !escalated {
				escalated = true
				b.escalations = append(b.escalations, g.escalation(c, s, level, whistle.EscalationHandleBreach, t.HandleDeadline))
			}
		}
		if status != whistle.CaseOpen && t.Status == string(whistle.TaskReported) {
			t.Status = string(whistle.TaskDone)
			t.DoneAt = ptr(t.ReportedAt.Add(time.Duration(g.rng.Float64() * 0.6 * float64(clk[1]))))
			t.Reopened = c.VerifyFailures
		}
		tasks = append(tasks, t)
	}
	if !escalated && level == whistle.LevelCommunity && g.pick(pRequestedEsc) {
		b.escalations = append(b.escalations, g.escalation(c, s, level, whistle.EscalationRequested, created.Add(2*time.Hour)))
		escalated = true
	}
	if escalated && level == whistle.LevelCommunity {
		c.Level, c.HolderOrgUnitID, c.HolderOrgPath = string(whistle.LevelStreet), s.id, s.path
	}
	c.Overdue = overdue
	var evals []store.EvaluationRow
	if verified {
		v := created.Add(clk[1] / 2)
		c.VerifiedAt = ptr(v.UTC())
		if status == whistle.CaseEvaluating {
			c.EvaluationDue = ptr(v.Add(72 * time.Hour).UTC())
		}
		if status == whistle.CaseClosed {
			c.ClosedAt = ptr(v.Add(24 * time.Hour).UTC())
			for _, t := range tasks {
				if t.Status != string(whistle.TaskDone) {
					continue
				}
				evals = append(evals, g.evaluation(c, t, *c.ClosedAt))
			}
		}
	}
	c.UpdatedAt = c.CreatedAt.Add(time.Hour)
	c.LedgerNames, c.LedgerNamesSeq = store.LedgerNames(tasks), &c.Seq
	b.cases = append(b.cases, c)
	b.tasksOf = append(b.tasksOf, tasks)
	b.evalsOf = append(b.evalsOf, evals)
}

func (g *caseGen) escalation(c store.CaseRow, s *street, from whistle.Level, kind string, at time.Time) store.EscalationRow {
	to, toID := whistle.LevelStreet, s.id
	fromID := c.OrgUnitID
	if from == whistle.LevelStreet {
		to, toID = whistle.LevelDistrict, g.city.districts[s.district].id
	}
	return store.EscalationRow{CaseID: c.ID, Seq: 5, OrgPath: c.OrgPath, Class: c.Class, FromLevel: string(from), ToLevel: string(to),
		FromOrgUnitID: fromID, ToOrgUnitID: toID, Kind: kind, Reason: "生成的升级", At: at.UTC(), By: "system"}
}

func (g *caseGen) evaluation(c store.CaseRow, t store.TaskRow, at time.Time) store.EvaluationRow {
	e := store.EvaluationRow{CaseID: c.ID, DepartmentID: t.DepartmentID, OrgPath: c.OrgPath, Level: c.Level, At: at, By: "generator"}
	if g.pick(pDefaultEval) {
		e.Timeliness, e.Quality, e.Attitude, e.Satisfaction, e.Default = 3, 3, 3, string(whistle.Satisfied), true
		return e
	}
	score := func() int { return 3 + g.rng.IntN(3) - b2i(g.pick(0.1)) }
	e.Timeliness, e.Quality, e.Attitude = score(), score(), score()
	switch r := g.rng.Float64(); {
	case r < 0.85:
		e.Satisfaction = string(whistle.Satisfied)
	case r < 0.95:
		e.Satisfaction = string(whistle.BasicallySatisfied)
	default:
		e.Satisfaction = string(whistle.Dissatisfied)
	}
	return e
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode makes the batch's COPY rows (on the generating goroutine, so the
// copying one only sends them).
func (b *batch) encode() {
	cases := make([][]any, 0, len(b.cases))
	tasks := make([][]any, 0, len(b.cases)*4/3)
	evals := make([][]any, 0, len(b.cases)*4/3)
	var breaches, escs [][]any
	for i, c := range b.cases {
		cases = append(cases, []any{c.ID, c.Title, c.Description, c.Category, c.CatalogueItem, c.Source, c.Class, c.Status, c.Level, c.Overdue,
			c.OrgUnitID, c.OrgPath, c.HolderOrgUnitID, c.HolderOrgPath, c.Address, c.Lat, c.Lon, c.GridID, c.FiledBy, c.FiledByUserID,
			c.VerifyFailures, c.Seq, c.EvaluationDue, c.VerifiedAt, c.ClosedAt, c.CreatedAt, c.UpdatedAt, c.LedgerNames, c.LedgerNamesSeq})
		for _, t := range b.tasksOf[i] {
			tasks = append(tasks, []any{t.ID, t.CaseID, t.DepartmentID, t.DepartmentName, t.Status, t.OrgPath, t.Class, t.SummonedAt, t.SummonedBy,
				t.SummonedLevel, t.ReportDeadline, t.HandleDeadline, t.Overdue, t.ReportedAt, t.DoneAt, t.ReturnedAt, t.ReturnReason, t.Rerouted,
				t.ReportBreached, t.HandleBreached, t.Reopened, t.Extensions, t.FeedbackJSON, t.ExtensionJSON})
		}
		for _, e := range b.evalsOf[i] {
			evals = append(evals, []any{e.CaseID, e.DepartmentID, e.OrgPath, e.Timeliness, e.Quality, e.Attitude, e.Satisfaction, e.Comment,
				e.Default, e.Level, e.At, e.By})
		}
	}
	for _, r := range b.breaches {
		breaches = append(breaches, []any{r.ID, r.CaseID, r.TaskID, r.DepartmentID, r.OrgPath, r.Class, r.Kind, r.Level, r.Deadline, r.At, r.Resolved, r.ResolvedAt})
	}
	for _, e := range b.escalations {
		escs = append(escs, []any{e.CaseID, e.Seq, e.OrgPath, e.Class, e.FromLevel, e.ToLevel, e.FromOrgUnitID, e.ToOrgUnitID, e.Kind, e.Reason, e.At, e.By})
	}
	b.rows = [5][][]any{cases, tasks, evals, breaches, escs}
}

// copy writes the encoded batch with COPY, table by table.
func (b *batch) copy(ctx context.Context, pc *pgx.Conn, stats *Stats) error {
	if b.rows[0] == nil {
		b.encode()
	}
	cases, tasks, evals, breaches, escs := b.rows[0], b.rows[1], b.rows[2], b.rows[3], b.rows[4]
	for _, t := range []struct {
		name string
		cols []string
		rows [][]any
		n    *int
	}{
		{"cases", []string{"id", "title", "description", "category", "catalogue_item", "source", "class", "status", "level", "overdue",
			"org_unit_id", "org_path", "holder_org_unit_id", "holder_org_path", "address", "lat", "lon", "grid_id", "filed_by", "filed_by_user_id",
			"verify_failures", "seq", "evaluation_due", "verified_at", "closed_at", "created_at", "updated_at", "ledger_names", "ledger_names_seq"}, cases, &stats.Cases},
		{"tasks", []string{"id", "case_id", "department_id", "department_name", "status", "org_path", "class", "summoned_at", "summoned_by",
			"summoned_level", "report_deadline", "handle_deadline", "overdue", "reported_at", "done_at", "returned_at", "return_reason", "rerouted",
			"report_breached", "handle_breached", "reopened", "extensions", "feedback_json", "extension_json"}, tasks, &stats.Tasks},
		{"evaluations", []string{"case_id", "department_id", "org_path", "timeliness", "quality", "attitude", "satisfaction", "comment",
			"default", "level", "at", "by"}, evals, &stats.Evaluations},
		{"breaches", []string{"id", "case_id", "task_id", "department_id", "org_path", "class", "kind", "level", "deadline", "at", "resolved", "resolved_at"}, breaches, &stats.Breaches},
		{"escalations", []string{"case_id", "seq", "org_path", "class", "from_level", "to_level", "from_org_unit_id", "to_org_unit_id", "kind", "reason", "at", "by"}, escs, &stats.Escalations},
	} {
		n, err := pc.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
		*t.n += int(n)
	}
	return nil
}
