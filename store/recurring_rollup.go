package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The recurring-problem roll-up (未诉先办 at a city's scale): how many
// problem cases of each category were filed in each place (a grid, or the
// community or unit of a case with none) in each Monday–Sunday week (China
// time), under each street. The view sums the weeks its window touches —
// at most the window's cases, so a superset of the recurring problems —
// and reads the cases of those places only. The projection keeps it in
// the transaction that writes the case (ApplyCase), from the stored row
// before and after, so a retried or stale write changes nothing.

// RecurringCount is one bucket of the recurring-problem roll-up. AreaPath
// is the street's path of the cases (or the filing unit's own path when
// filed above any street); CommunityID is the place of cases with no grid.
type RecurringCount struct {
	AreaPath    string `gorm:"primaryKey;size:255"`
	Week        int    `gorm:"primaryKey;autoIncrement:false"` // the Monday, YYYYMMDD
	Category    string `gorm:"primaryKey;size:64"`
	GridID      string `gorm:"primaryKey;size:32"`
	CommunityID string `gorm:"primaryKey;size:32"`
	Cases       int64  `gorm:"not null"`
}

// TableName names the roll-up table.
func (RecurringCount) TableName() string { return "recurring_counts" }

// recurringKey is where a case counts in the roll-up; ok is false for a
// case that is no problem of its own (rejected, merged) or has no category.
type recurringKey struct {
	area, category, grid, community string
	week                            int
}

func recurringKeyOf(category, gridID, orgPath, outcome string, createdAt time.Time) (recurringKey, bool) {
	if category == "" || outcome == string(whistle.OutcomeRejected) || outcome == string(whistle.OutcomeMerged) {
		return recurringKey{}, false
	}
	r := recurringRow{Category: category, GridID: gridID, OrgPath: orgPath}
	grid, community, _ := r.place()
	return recurringKey{area: areaPathOf(orgPath), category: category, grid: grid, community: community,
		week: bucketStart(BucketWeek, DayOf(createdAt))}, true
}

// areaPathOf is the path of the first three units of p (city, district,
// street), or p itself when shorter.
func areaPathOf(p string) string {
	units := whistle.OrgPath(p).Units()
	if len(units) <= 3 {
		return p
	}
	return "/" + strings.Join(units[:3], "/") + "/"
}

// recurringBefore is what the projection reads of a stored case before
// replacing it.
type recurringBefore struct {
	found bool
	key   recurringKey
	ok    bool
}

// readRecurringBefore reads the stored case's roll-up key, locking its row
// on PostgreSQL so two writes of one case apply their deltas in turn.
func readRecurringBefore(tx *gorm.DB, id string) (recurringBefore, error) {
	var rows []struct {
		Category, GridID, OrgPath, Outcome string
		CreatedAt                          time.Time
	}
	q := tx.Model(&CaseRow{}).Select("category, grid_id, org_path, outcome, created_at").Where("id = ?", id)
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Scan(&rows).Error; err != nil {
		return recurringBefore{}, fmt.Errorf("read case for the recurring roll-up: %w", err)
	}
	if len(rows) == 0 {
		return recurringBefore{}, nil
	}
	r := rows[0]
	k, ok := recurringKeyOf(r.Category, r.GridID, r.OrgPath, r.Outcome, r.CreatedAt)
	return recurringBefore{found: true, key: k, ok: ok}, nil
}

// applyRecurring moves the case's count from its old bucket to its new
// one, after the case row was replaced by row.
func applyRecurring(tx *gorm.DB, before recurringBefore, row CaseRow) error {
	now, ok := recurringKeyOf(row.Category, row.GridID, row.OrgPath, row.Outcome, row.CreatedAt)
	if before.ok && ok && before.key == now {
		return nil
	}
	if before.ok {
		if err := addRecurring(tx, before.key, -1); err != nil {
			return err
		}
	}
	if ok {
		return addRecurring(tx, now, +1)
	}
	return nil
}

func addRecurring(tx *gorm.DB, k recurringKey, n int64) error {
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "area_path"}, {Name: "week"}, {Name: "category"}, {Name: "grid_id"}, {Name: "community_id"}},
		DoUpdates: clause.Set{{Column: clause.Column{Name: "cases"}, Value: gorm.Expr("recurring_counts.cases + excluded.cases")}},
	}).Create(&RecurringCount{AreaPath: k.area, Week: k.week, Category: k.category, GridID: k.grid, CommunityID: k.community, Cases: n}).Error
	if err != nil {
		return fmt.Errorf("update recurring roll-up: %w", err)
	}
	return nil
}

// BackfillRecurring rebuilds the recurring-problem roll-up from the cases
// table: the migration's backfill, and the bulk loader's (citygen) after
// it copies cases past the projection.
func BackfillRecurring(ctx context.Context, db *gorm.DB) error {
	return backfillRecurring(db.WithContext(ctx))
}

func backfillRecurring(tx *gorm.DB) error {
	if err := tx.Exec("DELETE FROM recurring_counts").Error; err != nil {
		return fmt.Errorf("empty recurring roll-up: %w", err)
	}
	if tx.Dialector.Name() == "postgres" {
		// In one statement at a city's scale (20 million cases: millions
		// of buckets): the place and week rules of recurringKeyOf in SQL.
		// The tests hold the two to the same buckets.
		err := tx.Exec(`INSERT INTO recurring_counts (area_path, week, category, grid_id, community_id, cases)
SELECT area, week, category, grid_id, community, COUNT(*) FROM (
	SELECT category, grid_id,
		COALESCE(substring(org_path from '^/[^/]+/[^/]+/[^/]+/'), org_path) AS area,
		CASE WHEN grid_id <> '' THEN '' WHEN split_part(org_path, '/', 5) <> '' THEN split_part(org_path, '/', 5)
			ELSE COALESCE(substring(org_path from '([^/]+)/$'), '') END AS community,
		CAST(to_char(date_trunc('week', created_at AT TIME ZONE 'Asia/Shanghai'), 'YYYYMMDD') AS INTEGER) AS week
	FROM cases WHERE category <> '' AND outcome NOT IN (?, ?)) c
GROUP BY area, week, category, grid_id, community`, string(whistle.OutcomeRejected), string(whistle.OutcomeMerged)).Error
		if err != nil {
			return fmt.Errorf("backfill recurring roll-up: %w", err)
		}
		return nil
	}
	// SQLite (a single-process installation): grouped by day in SQL, the
	// week and the place in Go.
	q := `SELECT category, grid_id, org_path, strftime('%Y%m%d', substr(created_at, 1, 19), '+8 hours') AS day, COUNT(*) AS n
FROM cases WHERE category <> '' AND outcome NOT IN (?, ?) GROUP BY 1, 2, 3, 4`
	rows, err := tx.Raw(q, string(whistle.OutcomeRejected), string(whistle.OutcomeMerged)).Rows()
	if err != nil {
		return fmt.Errorf("read cases for the recurring roll-up: %w", err)
	}
	sums := map[recurringKey]int64{}
	for rows.Next() {
		var category, grid, path, day string
		var n int64
		if err := rows.Scan(&category, &grid, &path, &day, &n); err != nil {
			rows.Close()
			return fmt.Errorf("read cases for the recurring roll-up: %w", err)
		}
		d, err := time.ParseInLocation("20060102", day, worktime.Location)
		if err != nil {
			rows.Close()
			return fmt.Errorf("recurring roll-up: day %q: %w", day, err)
		}
		if k, ok := recurringKeyOf(category, grid, path, "", d.Add(12*time.Hour)); ok {
			sums[k] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cases for the recurring roll-up: %w", err)
	}
	out := make([]RecurringCount, 0, len(sums))
	for k, n := range sums {
		out = append(out, RecurringCount{AreaPath: k.area, Week: k.week, Category: k.category, GridID: k.grid, CommunityID: k.community, Cases: n})
	}
	if len(out) > 0 {
		if err := tx.CreateInBatches(out, 1000).Error; err != nil {
			return fmt.Errorf("write recurring roll-up: %w", err)
		}
	}
	return nil
}

// migrateRecurring is migration 202612031001_recurring_rollup: the table,
// an index that reads a place's cases in a window, and the backfill.
func migrateRecurring(tx *gorm.DB) error {
	type recurringCount struct { // this migration's snapshot
		AreaPath    string `gorm:"primaryKey;size:255"`
		Week        int    `gorm:"primaryKey;autoIncrement:false"`
		Category    string `gorm:"primaryKey;size:64"`
		GridID      string `gorm:"primaryKey;size:32"`
		CommunityID string `gorm:"primaryKey;size:32"`
		Cases       int64  `gorm:"not null"`
	}
	if err := tx.Table("recurring_counts").AutoMigrate(&recurringCount{}); err != nil {
		return fmt.Errorf("create recurring_counts: %w", err)
	}
	stmts := []string{`CREATE INDEX IF NOT EXISTS idx_cases_grid_created ON cases (grid_id, created_at)`}
	if tx.Dialector.Name() == "postgres" {
		// A district's weeks read from the index alone (≈11,000 entries
		// for four weeks at 20 million cases).
		stmts = append(stmts, `CREATE INDEX IF NOT EXISTS idx_recurring_area_week ON recurring_counts (area_path, week) INCLUDE (category, grid_id, community_id, cases)`)
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("recurring migration: %w", err)
		}
	}
	if err := backfillRecurring(tx); err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		return tx.Exec(`ANALYZE recurring_counts`).Error
	}
	return nil
}

func rollbackRecurring(tx *gorm.DB) error {
	if err := tx.Exec(`DROP INDEX IF EXISTS idx_cases_grid_created`).Error; err != nil {
		return err
	}
	if err := tx.Exec(`DROP INDEX IF EXISTS idx_recurring_area_week`).Error; err != nil {
		return err
	}
	return tx.Migrator().DropTable("recurring_counts")
}

// recurringGridReads is the most candidate grids whose cases are read grid
// by grid; past it the window is read whole.
const recurringGridReads = 200

// recurringFromRollup finds the recurring problems of the window [from,
// to) in the subtree at path with the roll-up: the places whose weeks
// touching the window hold n cases or more, then the window's cases of
// those places only. ok is false when the caller should read the window's
// cases instead: a subtree below the street (a community's cases are few)
// or candidates in more than recurringGridReads grids.
func (s *Store) recurringFromRollup(ctx context.Context, path string, from, to time.Time, n int) (groups []recurringGroup, ok bool, err error) {
	if len(whistle.OrgPath(path).Units()) > 3 {
		return nil, false, nil
	}
	var areas []string
	uq := s.DB.WithContext(ctx).Model(&OrgUnit{}).Where("depth <= 3")
	if err := s.underPath(uq, "path", path).Pluck("path", &areas).Error; err != nil {
		return nil, true, fmt.Errorf("recurring problems: areas: %w", err)
	}
	lo, hi := bucketStart(BucketWeek, DayOf(from)), DayOf(to.Add(-time.Nanosecond))
	type candidate struct {
		Category, GridID, CommunityID string
	}
	want := map[candidate]bool{}
	var grids []string
	community := false
	for len(areas) > 0 {
		k := min(len(areas), 500)
		var cs []candidate
		err := s.DB.WithContext(ctx).Model(&RecurringCount{}).Select("category, grid_id, community_id").
			Where("area_path IN ? AND week >= ? AND week <= ?", areas[:k], lo, hi).
			Group("category, grid_id, community_id").Having("SUM(cases) >= ?", n).Scan(&cs).Error
		if err != nil {
			return nil, true, fmt.Errorf("recurring problems: roll-up: %w", err)
		}
		for _, c := range cs {
			if !want[candidate{GridID: c.GridID}] && c.GridID != "" {
				grids = append(grids, c.GridID)
				want[candidate{GridID: c.GridID}] = true // a grid read once
			}
			community = community || c.GridID == ""
			want[c] = true
		}
		areas = areas[k:]
	}
	if len(want) == 0 {
		return []recurringGroup{}, true, nil // no place reaches n: the common answer, from the roll-up alone
	}
	if len(grids) > recurringGridReads {
		// Problems nearly everywhere (a generated city's one category):
		// one read of the window beats thousands of per-grid probes
		// (BENCHMARKS.md: 0.36 s against 4.6 s for a district at 20M).
		return nil, false, nil
	}
	window := func() *gorm.DB { return s.recurringWindow(s.DB.WithContext(ctx), path, from, to) }
	g := newRecurringGrouper(func(r recurringRow, grid, community string) bool {
		return want[candidate{r.Category, grid, community}]
	})
	for len(grids) > 0 {
		k := min(len(grids), 1000)
		if err := scanRecurring(window().Where("cases.grid_id IN ?", grids[:k]), g); err != nil {
			return nil, true, err
		}
		grids = grids[k:]
	}
	if community {
		if err := scanRecurring(window().Where("cases.grid_id = ''"), g); err != nil {
			return nil, true, err
		}
	}
	return g.groups(), true, nil
}
