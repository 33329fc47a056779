package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// supervisionLockKey is the PostgreSQL advisory lock that serializes
// refreshes of the roll-up across processes.
const supervisionLockKey = 0x5b5e0001

// supervisionTriggers queue every case the projection writes. An update of
// a case already closed is ignored: a closed case is final and folded in.
func supervisionTriggers(dialect string) []string {
	if dialect == "postgres" {
		return []string{
			`CREATE OR REPLACE FUNCTION supervision_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.status = 'closed' THEN
		RETURN NULL;
	END IF;
	INSERT INTO supervision_dirty (case_id, seq) VALUES (NEW.id, NEW.seq)
		ON CONFLICT (case_id) DO UPDATE SET seq = EXCLUDED.seq;
	RETURN NULL;
END $$`,
			`DROP TRIGGER IF EXISTS supervision_cases_dirty ON cases`,
			`CREATE TRIGGER supervision_cases_dirty AFTER INSERT OR UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION supervision_mark_dirty()`,
		}
	}
	// A conflict clause inside a trigger yields to the outer statement's
	// (the projection's upsert), so the mark is replaced by delete + insert.
	return []string{
		`DROP TRIGGER IF EXISTS supervision_cases_dirty_ins`,
		`DROP TRIGGER IF EXISTS supervision_cases_dirty_upd`,
		`CREATE TRIGGER supervision_cases_dirty_ins AFTER INSERT ON cases BEGIN
	DELETE FROM supervision_dirty WHERE case_id = NEW.id;
	INSERT INTO supervision_dirty (case_id, seq) VALUES (NEW.id, NEW.seq);
END`,
		`CREATE TRIGGER supervision_cases_dirty_upd AFTER UPDATE ON cases WHEN OLD.status <> 'closed' BEGIN
	DELETE FROM supervision_dirty WHERE case_id = NEW.id;
	INSERT INTO supervision_dirty (case_id, seq) VALUES (NEW.id, NEW.seq);
END`,
	}
}

// supervisionIndexes serve the breach and escalation lists. On PostgreSQL
// the path columns get pattern-ops indexes, which serve `LIKE 'prefix%'`
// whatever the database collation (a plain index serves it only under "C").
func supervisionIndexes(dialect string) []string {
	if dialect == "postgres" {
		return []string{
			`CREATE INDEX IF NOT EXISTS idx_breaches_path_at ON breaches (org_path varchar_pattern_ops, at)`,
			`CREATE INDEX IF NOT EXISTS idx_breaches_dept_at ON breaches (department_id, at)`,
			`CREATE INDEX IF NOT EXISTS idx_escalations_path_at ON escalations (org_path varchar_pattern_ops, at)`,
			`CREATE INDEX IF NOT EXISTS idx_tasks_dept_case ON tasks (department_id, case_id)`,
			// A period first, then the subtree: a month's count runs
			// index-only however wide the scope.
			`CREATE INDEX IF NOT EXISTS idx_breaches_at_path ON breaches (at, org_path varchar_pattern_ops)`,
			`CREATE INDEX IF NOT EXISTS idx_escalations_at_path ON escalations (at, org_path varchar_pattern_ops)`,
		}
	}
	return []string{
		`CREATE INDEX IF NOT EXISTS idx_breaches_path_at ON breaches (org_path, at)`,
		`CREATE INDEX IF NOT EXISTS idx_breaches_dept_at ON breaches (department_id, at)`,
		`CREATE INDEX IF NOT EXISTS idx_escalations_path_at ON escalations (org_path, at)`,
		`CREATE INDEX IF NOT EXISTS idx_tasks_dept_case ON tasks (department_id, case_id)`,
	}
}

// migrateSupervision is the body of the supervision migration.
func migrateSupervision(tx *gorm.DB) error {
	if err := tx.AutoMigrate(&SupervisionRollup{}, &SupervisionFact{}, &SupervisionDirty{},
		&SupervisionPublished{}, &SupervisionPublication{}, &AssessmentSetting{}); err != nil {
		return err
	}
	dialect := tx.Dialector.Name()
	stmts := append(supervisionTriggers(dialect), supervisionIndexes(dialect)...)
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("supervision migration: %w", err)
		}
	}
	// Cases already projected are queued once, so the first refresh rolls
	// them up.
	return tx.Exec(`INSERT INTO supervision_dirty (case_id, seq) SELECT id, seq FROM cases`).Error
}

func rollbackSupervision(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec(`DROP TRIGGER IF EXISTS supervision_cases_dirty ON cases`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DROP FUNCTION IF EXISTS supervision_mark_dirty()`).Error; err != nil {
			return err
		}
	} else {
		for _, q := range []string{`DROP TRIGGER IF EXISTS supervision_cases_dirty_ins`, `DROP TRIGGER IF EXISTS supervision_cases_dirty_upd`} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
	}
	for _, q := range []string{`DROP INDEX IF EXISTS idx_breaches_path_at`, `DROP INDEX IF EXISTS idx_breaches_dept_at`,
		`DROP INDEX IF EXISTS idx_escalations_path_at`, `DROP INDEX IF EXISTS idx_tasks_dept_case`,
		`DROP INDEX IF EXISTS idx_breaches_at_path`, `DROP INDEX IF EXISTS idx_escalations_at_path`} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return tx.Migrator().DropTable(&AssessmentSetting{}, &SupervisionPublication{}, &SupervisionPublished{},
		&SupervisionDirty{}, &SupervisionFact{}, &SupervisionRollup{})
}

// DayOf is the date of t in Asia/Shanghai as YYYYMMDD.
func DayOf(t time.Time) int {
	y, m, d := t.In(worktime.Location).Date()
	return y*10000 + int(m)*100 + d
}

// bucketStart is the first day (YYYYMMDD) of the bucket of kind holding day.
func bucketStart(kind string, day int) int {
	switch kind {
	case BucketMonth, BucketDistrictMonth:
		return day/100*100 + 1
	case BucketYear, BucketDistrictYear:
		return day/10000*10000 + 101
	case BucketWeek, BucketDistrictWeek:
		t := time.Date(day/10000, time.Month(day/100%100), day%100, 12, 0, 0, 0, worktime.Location)
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return DayOf(t.AddDate(0, 0, -back))
	}
	if n := runDays(kind); n > 0 {
		return day/100*100 + (day%100-1)/n*n + 1
	}
	return day
}

// AreaOf returns the area (the street, or the unit itself above the street
// level) and the district (or the city) of an org path.
func AreaOf(orgPath string) (area, district string) {
	ids := whistle.OrgPath(orgPath).Units()
	if len(ids) == 0 {
		return "", ""
	}
	pick := func(depth int) string { return ids[min(depth, len(ids))-1] }
	return pick(3), pick(2)
}

// factTask and factEval are the columns a contribution needs.
type factTask struct {
	ID             string
	CaseID         string
	DepartmentID   string
	Status         string
	ReportDeadline time.Time
	ReportedAt     *time.Time
	ReturnedAt     *time.Time
	ReportBreached bool
	Overdue        bool
	Reopened       int
	Extensions     int
}

type factEval struct {
	CaseID       string
	DepartmentID string
	Timeliness   int
	Quality      int
	Attitude     int
	Satisfaction string
	Default      bool
	Level        string
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ended reports whether a task left the case owing nothing: the holder
// dropped it (summoned by mistake, or the case closed as unresolvable) or
// the lead released it. It counts in no rate, not against the department.
func ended(t factTask) bool {
	return t.Status == string(whistle.TaskDropped) || t.Status == string(whistle.TaskReleased)
}

// colOf maps a counter column to its index in counterColumns (and fields).
var colOf = func() map[string]int {
	m := make(map[string]int, len(counterColumns))
	for i, c := range counterColumns {
		m[c] = i
	}
	return m
}()

// evalColumns are the four counters of an evaluation made at a level:
// street and community (街乡), district, or the city.
func evalColumns(level string) (evals, sum, sat, basic string) {
	switch whistle.Level(level) {
	case whistle.LevelStreet, whistle.LevelCommunity:
		return "g_evals", "g_sum", "g_sat", "g_basic"
	case whistle.LevelDistrict:
		return "d_evals", "d_sum", "d_sat", "d_basic"
	}
	return "o_evals", "o_sum", "o_sat", "o_basic"
}

// A share is one piece of a count that a case adds to one row: the
// counter (an index into counterColumns), how much, the row (a
// department, "" for the area), and what it stems from: the task (TaskID)
// or the evaluation of a department (DepartmentID). The roll-up sums
// shares; the drill-down lists them, so the two always agree.
type share struct {
	row          string
	counter      int
	n            int64
	TaskID       string
	DepartmentID string
}

// caseShares computes a case's shares by the rules of docs/supervision.md;
// the tests hold them to hand-computed values.
//
// A pending, rejected or merged case contributes nothing: it was never
// worked on, so it is in no rate's denominator (whistle.CountsForRates).
// A case closed as unresolvable (挂账) is out of the resolution rate, the
// whole case's and its departments' (12345 practice: while it is on the
// 挂账 list, and the workflow never reopens it). Dropped and released
// tasks count nowhere (ended). A returned task counts only in the response
// rate (and as returned): the department answered, the case was not its.
// An evaluation counts for a department that worked the case (a task
// neither returned nor ended); a defaulted one only in evals_default.
func caseShares(c CaseRow, tasks []factTask, evals []factEval) []share {
	if !whistle.CountsForRates(whistle.CaseStatus(c.Status), whistle.Outcome(c.Outcome)) {
		return nil
	}
	verified := c.VerifiedAt != nil
	closed := c.Status == string(whistle.CaseClosed)
	resolvable := c.Outcome != string(whistle.OutcomeUnresolvable)

	var out []share
	add := func(row, col string, n int64, taskID, dept string) {
		if n != 0 {
			out = append(out, share{row: row, counter: colOf[col], n: n, TaskID: taskID, DepartmentID: dept})
		}
	}
	area := func(col string, n int64) { add("", col, n, "", "") }
	// both adds to the area row and to the department's.
	both := func(col string, n int64, taskID, dept string) {
		add("", col, n, taskID, dept)
		add(dept, col, n, taskID, dept)
	}
	area("cases", 1)
	area("res_due", b2i(resolvable && (verified || c.Overdue)))
	area("res_solved", b2i(resolvable && verified))
	area("close_due", b2i(closed || c.Overdue))
	area("close_on_time", b2i(closed && !c.Overdue))
	area("verifs_failed", int64(c.VerifyFailures))
	area("verifs", int64(c.VerifyFailures)+b2i(verified))
	// 回访: a case whose resident was not reached or not called back counts
	// apart, and its evaluations in no satisfaction rate nor score.
	unreached := c.CallbackStatus == whistle.CallbackUnreached
	expired := c.CallbackStatus == whistle.CallbackExpired
	area("cb_unreached", b2i(unreached))
	area("cb_expired", b2i(expired))

	worked := map[string]bool{}
	for _, t := range tasks {
		if ended(t) {
			continue
		}
		// A return answers the summons only once the holder accepted it
		// (status returned): one under review (return_requested) is no
		// answer yet, and a refused one was never an answer (the workflow
		// clears its returned_at).
		answered := t.ReportedAt
		if answered == nil && t.Status == string(whistle.TaskReturned) {
			answered = t.ReturnedAt
		}
		both("tasks", 1, t.ID, t.DepartmentID)
		both("resp_due", b2i(answered != nil || t.ReportBreached), t.ID, t.DepartmentID)
		both("resp_on_time", b2i(answered != nil && !answered.After(t.ReportDeadline)), t.ID, t.DepartmentID)
		if t.Status == string(whistle.TaskReturned) {
			both("returned", 1, t.ID, t.DepartmentID)
			continue
		}
		both("ext_tasks", 1, t.ID, t.DepartmentID)
		both("ext_granted", b2i(t.Extensions > 0), t.ID, t.DepartmentID)
		d := t.DepartmentID
		if !worked[d] {
			worked[d] = true
			add(d, "cases", 1, t.ID, d)
			add(d, "cb_unreached", b2i(unreached), t.ID, d)
			add(d, "cb_expired", b2i(expired), t.ID, d)
		}
		add(d, "res_due", b2i(resolvable && (verified || t.Overdue)), t.ID, d)
		add(d, "res_solved", b2i(resolvable && verified), t.ID, d)
		add(d, "close_due", b2i(closed || t.Overdue), t.ID, d)
		add(d, "close_on_time", b2i(closed && !t.Overdue), t.ID, d)
		add(d, "verifs", int64(t.Reopened)+b2i(verified), t.ID, d)
		add(d, "verifs_failed", int64(t.Reopened), t.ID, d)
	}
	for _, e := range evals {
		d := e.DepartmentID
		if !worked[d] {
			continue
		}
		if e.Default {
			both("evals_default", 1, "", d)
			continue
		}
		if callbackApart(c.CallbackStatus) {
			continue // counted as the case's cb_unreached (callback.go)
		}
		n, sum, sat, basic := evalColumns(e.Level)
		both(n, 1, "", d)
		both(sum, int64(e.Timeliness+e.Quality+e.Attitude), "", d)
		both(sat, b2i(e.Satisfaction == string(whistle.Satisfied)), "", d)
		both(basic, b2i(e.Satisfaction == string(whistle.BasicallySatisfied)), "", d)
	}
	return out
}

// contribution sums a case's shares into its facts: the case row
// (DepartmentID "") and one row per department with a task on it.
func contribution(c CaseRow, tasks []factTask, evals []factEval) []SupervisionFact {
	shares := caseShares(c, tasks, evals)
	if len(shares) == 0 {
		return nil
	}
	day := DayOf(c.CreatedAt)
	area, district := AreaOf(c.OrgPath)
	byRow := map[string]*SupervisionFact{}
	for _, sh := range shares {
		f, ok := byRow[sh.row]
		if !ok {
			f = &SupervisionFact{CaseID: c.ID, DepartmentID: sh.row, Day: day, AreaID: area, DistrictID: district}
			byRow[sh.row] = f
		}
		*f.Counts.fields()[sh.counter] += sh.n
	}
	ids := make([]string, 0, len(byRow))
	for id := range byRow {
		ids = append(ids, id)
	}
	sort.Strings(ids) // the area row ("") first
	out := make([]SupervisionFact, len(ids))
	for i, id := range ids {
		out[i] = *byRow[id]
	}
	return out
}

type rollupKey struct {
	kind  string
	start int
	dept  string
	area  string
}

// factKeys are the buckets a fact adds to: day, month and year per street
// (and week and the binary runs, for an area row), and for a department
// row day, week, the runs, month and year per district.
func factKeys(f SupervisionFact) []rollupKey {
	keys := make([]rollupKey, 0, 11)
	for _, kind := range []string{BucketDay, BucketMonth, BucketYear} {
		keys = append(keys, rollupKey{kind, bucketStart(kind, f.Day), f.DepartmentID, f.AreaID})
	}
	if f.DepartmentID == "" {
		keys = append(keys, rollupKey{BucketWeek, bucketStart(BucketWeek, f.Day), "", f.AreaID})
		for _, r := range runKinds {
			keys = append(keys, rollupKey{r.kind, bucketStart(r.kind, f.Day), "", f.AreaID})
		}
		return keys
	}
	for _, kind := range []string{BucketDistrictDay, BucketDistrictWeek, BucketDistrictMonth, BucketDistrictYear} {
		keys = append(keys, rollupKey{kind, bucketStart(kind, f.Day), f.DepartmentID, f.DistrictID})
	}
	for _, r := range runKinds {
		kind := strings.ToUpper(r.kind)
		keys = append(keys, rollupKey{kind, bucketStart(kind, f.Day), f.DepartmentID, f.DistrictID})
	}
	return keys
}

// RefreshResult says what a refresh did.
type RefreshResult struct {
	// Cases is the number of queued cases folded in.
	Cases int
	// Pending is the number still queued (another process held the lock,
	// or the limit was reached).
	Pending int64
	// Skipped is true when another process was refreshing and wait was false.
	Skipped bool
}

// RefreshSupervision folds up to limit queued cases (all when limit ≤ 0)
// into the roll-up, in batches of batch cases (default 500), each batch one
// transaction. With wait false it returns at once, Skipped, when another
// process is refreshing (PostgreSQL); with wait true it waits its turn.
func (s *Store) RefreshSupervision(ctx context.Context, limit, batch int, wait bool) (RefreshResult, error) {
	if batch <= 0 {
		batch = 500
	}
	var res RefreshResult
	for limit <= 0 || res.Cases < limit {
		n := batch
		if limit > 0 && limit-res.Cases < n {
			n = limit - res.Cases
		}
		done, skipped, err := s.refreshBatch(ctx, n, wait)
		if err != nil {
			return res, err
		}
		if skipped {
			res.Skipped = true
			break
		}
		res.Cases += done
		if done < n {
			break
		}
	}
	if err := s.DB.WithContext(ctx).Model(&SupervisionDirty{}).Count(&res.Pending).Error; err != nil {
		return res, fmt.Errorf("count supervision queue: %w", err)
	}
	return res, nil
}

func (s *Store) refreshBatch(ctx context.Context, n int, wait bool) (done int, skipped bool, err error) {
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == "postgres" {
			if wait {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", supervisionLockKey).Error; err != nil {
					return fmt.Errorf("lock supervision roll-up: %w", err)
				}
			} else {
				var got bool
				if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", supervisionLockKey).Scan(&got).Error; err != nil {
					return fmt.Errorf("lock supervision roll-up: %w", err)
				}
				if !got {
					skipped = true
					return nil
				}
			}
		}
		var queued []SupervisionDirty
		if err := tx.Order("case_id").Limit(n).Find(&queued).Error; err != nil {
			return fmt.Errorf("read supervision queue: %w", err)
		}
		if len(queued) == 0 {
			return nil
		}
		ids := make([]string, len(queued))
		for i, q := range queued {
			ids[i] = q.CaseID
		}
		var cases []CaseRow
		if err := tx.Select("id, org_path, status, outcome, overdue, verify_failures, verified_at, created_at, callback_status").Where("id IN ?", ids).Find(&cases).Error; err != nil {
			return fmt.Errorf("read queued cases: %w", err)
		}
		tasksOf, evalsOf, err := factRows(tx, ids)
		if err != nil {
			return fmt.Errorf("read queued cases: %w", err)
		}
		var old []SupervisionFact
		if err := tx.Where("case_id IN ?", ids).Find(&old).Error; err != nil {
			return fmt.Errorf("read supervision facts: %w", err)
		}
		delta := map[rollupKey]*SupervisionRollup{}
		apply := func(f SupervisionFact, sign int) {
			for _, k := range factKeys(f) {
				r, ok := delta[k]
				if !ok {
					r = &SupervisionRollup{Kind: k.kind, Start: k.start, DepartmentID: f.DepartmentID, AreaID: k.area, DistrictID: f.DistrictID}
					delta[k] = r
				}
				if sign > 0 {
					r.Counts.Add(f.Counts)
				} else {
					r.Counts.sub(f.Counts)
				}
			}
		}
		for _, f := range old {
			apply(f, -1)
		}
		var keep []SupervisionFact
		for _, c := range cases {
			for _, f := range contribution(c, tasksOf[c.ID], evalsOf[c.ID]) {
				apply(f, +1)
				if c.Status != string(whistle.CaseClosed) {
					keep = append(keep, f)
				}
			}
		}
		if err := upsertRollup(tx, delta); err != nil {
			return err
		}
		if len(old) > 0 {
			if err := tx.Where("case_id IN ?", ids).Delete(&SupervisionFact{}).Error; err != nil {
				return fmt.Errorf("drop supervision facts: %w", err)
			}
		}
		if len(keep) > 0 {
			if err := tx.CreateInBatches(keep, 500).Error; err != nil {
				return fmt.Errorf("write supervision facts: %w", err)
			}
		}
		pairs := make([][]any, len(queued))
		for i, q := range queued {
			pairs[i] = []any{q.CaseID, q.Seq}
		}
		// Only the versions read: a case re-queued meanwhile stays queued.
		if err := tx.Where("(case_id, seq) IN ?", pairs).Delete(&SupervisionDirty{}).Error; err != nil {
			return fmt.Errorf("dequeue supervision cases: %w", err)
		}
		done = len(queued)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("refresh supervision roll-up: %w", err)
	}
	return done, skipped, nil
}

// upsertRollup adds the non-zero deltas to their buckets.
func upsertRollup(tx *gorm.DB, delta map[rollupKey]*SupervisionRollup) error {
	rows := make([]SupervisionRollup, 0, len(delta))
	for _, r := range delta {
		if !r.Counts.zero() {
			rows = append(rows, *r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	sortRollup(rows) // a stable lock order
	set := make(clause.Set, len(counterColumns))
	for i, col := range counterColumns {
		set[i] = clause.Assignment{Column: clause.Column{Name: col}, Value: gorm.Expr("supervision_rollup." + col + " + excluded." + col)}
	}
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "kind"}, {Name: "start"}, {Name: "department_id"}, {Name: "area_id"}},
		DoUpdates: set,
	}).CreateInBatches(rows, 500).Error
	if err != nil {
		return fmt.Errorf("update supervision roll-up: %w", err)
	}
	return nil
}

func sortRollup(rows []SupervisionRollup) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.DepartmentID != b.DepartmentID {
			return a.DepartmentID < b.DepartmentID
		}
		return a.AreaID < b.AreaID
	})
}

// RebuildSupervision empties the roll-up and queues every case again, then
// refreshes until the queue is empty: the repair after a bulk load or a
// rebuilt read model. Published months are kept as they were.
func (s *Store) RebuildSupervision(ctx context.Context, batch int) (RefreshResult, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{`DELETE FROM supervision_rollup`, `DELETE FROM supervision_facts`, `DELETE FROM supervision_dirty`,
			`INSERT INTO supervision_dirty (case_id, seq) SELECT id, seq FROM cases`} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RefreshResult{}, fmt.Errorf("rebuild supervision roll-up: %w", err)
	}
	return s.RefreshSupervision(ctx, 0, batch, true)
}

// RunSupervisionRefresher refreshes the roll-up every interval until ctx is
// done, so a supervisor's query finds little left to fold in. A failed
// refresh is logged and retried at the next tick. Run it in a goroutine
// (one per worker process is plenty; concurrent ones take turns).
func (s *Store) RunSupervisionRefresher(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.RefreshSupervision(ctx, 0, 500, false); err != nil && ctx.Err() == nil {
			s.log().Warn("supervision refresh failed", "err", err)
		}
	}
}

// RollupBuilder sums the roll-up of cases in memory, for bulk loads that
// write the read model directly (citygen): the same contribution rules as
// RefreshSupervision, without the queue.
type RollupBuilder struct {
	delta map[rollupKey]*SupervisionRollup
	// ending indexes the day and week buckets by the day they end
	// (exclusive), so a load in filing order can take the finished ones.
	ending map[int][]rollupKey
}

// NewRollupBuilder returns an empty builder.
func NewRollupBuilder() *RollupBuilder {
	return &RollupBuilder{delta: map[rollupKey]*SupervisionRollup{}, ending: map[int][]rollupKey{}}
}

// bucketEnd is the first day (YYYYMMDD) after a day, week or run bucket, 0
// for the longer ones.
func bucketEnd(k rollupKey) int {
	t := time.Date(k.start/10000, time.Month(k.start/100%100), k.start%100, 12, 0, 0, 0, worktime.Location)
	switch k.kind {
	case BucketDay, BucketDistrictDay:
		return DayOf(t.AddDate(0, 0, 1))
	case BucketWeek, BucketDistrictWeek:
		return DayOf(t.AddDate(0, 0, 7))
	}
	if n := runDays(k.kind); n > 0 {
		return runEnd(t, n)
	}
	return 0
}

// runEnd is the first day (YYYYMMDD) after the run of n days starting at
// t, clipped at the end of t's month.
func runEnd(t time.Time, n int) int {
	end := t.AddDate(0, 0, n)
	if next := time.Date(t.Year(), t.Month()+1, 1, 12, 0, 0, 0, worktime.Location); end.After(next) {
		end = next
	}
	return DayOf(end)
}

// TakeFinished removes and returns the day and week buckets that end on or
// before day (YYYYMMDD): a load adding cases in filing order may write them
// out once it has passed them, and keep only the open ones in memory.
func (b *RollupBuilder) TakeFinished(day int) []SupervisionRollup {
	var out []SupervisionRollup
	for end, keys := range b.ending {
		if end > day {
			continue
		}
		for _, k := range keys {
			if r, ok := b.delta[k]; ok {
				out = append(out, *r)
				delete(b.delta, k)
			}
		}
		delete(b.ending, end)
	}
	sortRollup(out)
	return out
}

// Add adds a case with its tasks and evaluations and returns its facts when
// the case is still in progress (the bulk load writes them, so a later
// refresh of the case replaces its contribution instead of adding it twice).
func (b *RollupBuilder) Add(c CaseRow, tasks []TaskRow, evals []EvaluationRow) []SupervisionFact {
	ft := make([]factTask, len(tasks))
	for i, t := range tasks {
		ft[i] = factTask{ID: t.ID, CaseID: t.CaseID, DepartmentID: t.DepartmentID, Status: t.Status, ReportDeadline: t.ReportDeadline,
			ReportedAt: t.ReportedAt, ReturnedAt: t.ReturnedAt, ReportBreached: t.ReportBreached, Overdue: t.Overdue,
			Reopened: t.Reopened, Extensions: t.Extensions}
	}
	fe := make([]factEval, len(evals))
	for i, e := range evals {
		fe[i] = factEval{CaseID: e.CaseID, DepartmentID: e.DepartmentID, Timeliness: e.Timeliness, Quality: e.Quality,
			Attitude: e.Attitude, Satisfaction: e.Satisfaction, Default: e.Default, Level: e.Level}
	}
	facts := contribution(c, ft, fe)
	for _, f := range facts {
		for _, k := range factKeys(f) {
			r, ok := b.delta[k]
			if !ok {
				r = &SupervisionRollup{Kind: k.kind, Start: k.start, DepartmentID: f.DepartmentID, AreaID: k.area, DistrictID: f.DistrictID}
				b.delta[k] = r
				if end := bucketEnd(k); end != 0 {
					b.ending[end] = append(b.ending[end], k)
				}
			}
			r.Counts.Add(f.Counts)
		}
	}
	if c.Status == string(whistle.CaseClosed) {
		return nil
	}
	return facts
}

// Rows returns the buckets summed so far, in key order (copied in that
// order, a bucket's rows share pages).
func (b *RollupBuilder) Rows() []SupervisionRollup {
	out := make([]SupervisionRollup, 0, len(b.delta))
	for _, r := range b.delta {
		out = append(out, *r)
	}
	sortRollup(out)
	return out
}

// CounterColumns lists the columns of Counts in the order of Values.
func CounterColumns() []string { return append([]string(nil), counterColumns...) }

// Values returns the counters in the order of CounterColumns.
func (c Counts) Values() []any {
	f := c.fields()
	out := make([]any, len(f))
	for i, p := range f {
		out[i] = *p
	}
	return out
}
