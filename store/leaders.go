package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// The views leaders use (issue 17, docs/supervision.md "Views leaders
// use"): statistics by category and source, the frequent problems of each
// street and grid, recurring problems (未诉先办) and the case ledger.
//
// Statistics and recurring problems count where a problem arose: the cases
// filed in the subtree (cases.org_path), whoever holds them now. A case
// rejected (不予受理) or merged into another (并案: the same problem
// reported twice) is no problem of its own and counts nowhere.

// problemCases keeps the cases that count as problems.
func problemCases(q *gorm.DB) *gorm.DB {
	return q.Where("cases.outcome NOT IN ?", []string{string(whistle.OutcomeRejected), string(whistle.OutcomeMerged)})
}

// StatsQuery is a statistics read: the cases filed in [From, To) inside
// the subtree at Path ("/" or "": the whole city).
type StatsQuery struct {
	Path     string
	From, To time.Time
}

func (s *Store) statsCases(ctx context.Context, q StatsQuery) *gorm.DB {
	db := problemCases(s.DB.WithContext(ctx).Model(&CaseRow{}).
		Where("cases.created_at >= ? AND cases.created_at < ?", q.From.UTC(), q.To.UTC()))
	return s.underPath(db, "cases.org_path", q.Path)
}

// underPath keeps the rows whose path column lies in the subtree at path
// ("" or "/": all). On PostgreSQL it says so as a range in the pattern
// operators rather than LIKE: the driver prepares statements, and a
// generic plan cannot turn `LIKE $1` into an index range, while
// `~>=~ $1 AND ~<~ $2` stays one (the varchar_pattern_ops indexes).
// Paths end in "/", so the subtree is [path, path with "/" → "0").
func (s *Store) underPath(q *gorm.DB, col, path string) *gorm.DB {
	if path == "" || path == "/" {
		return q
	}
	if s.dialect == "postgres" && strings.HasSuffix(path, "/") {
		return q.Where(col+" ~>=~ ? AND "+col+" ~<~ ?", path, path[:len(path)-1]+"0")
	}
	return q.Where(col+" LIKE ?", likePrefix(path))
}

// monthExpr is the SQL of a case's filing month in China time, YYYY-MM.
func (s *Store) monthExpr() string {
	if s.dialect == "postgres" {
		return "to_char(cases.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
	}
	// The driver writes times as text, "2006-01-02 15:04:05.999999999-07:00"
	// and in UTC (caseRow); the first 19 characters are what strftime reads.
	return "strftime('%Y-%m', substr(cases.created_at, 1, 19), '+8 hours')"
}

// MonthCount is how many cases of one category (or source) were filed in
// one month (YYYY-MM, China time).
type MonthCount struct {
	Month string `json:"month"`
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// CategoryStats is GET /api/v1/stats/categories: per month, the cases of
// each category and of each source. Each list sums to Total.
type CategoryStats struct {
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Total      int64        `json:"total"`
	Months     []string     `json:"months"`
	Categories []MonthCount `json:"categories"`
	Sources    []MonthCount `json:"sources"`
}

// CategoryStats counts the cases of q by month and category and by month
// and source; a case filed without a category counts under "".
func (s *Store) CategoryStats(ctx context.Context, q StatsQuery) (CategoryStats, error) {
	out := CategoryStats{From: q.From, To: q.To, Months: monthsOf(q.From, q.To)}
	m := s.monthExpr()
	for _, g := range []struct {
		col  string
		into *[]MonthCount
	}{{"category", &out.Categories}, {"source", &out.Sources}} {
		var rows []MonthCount
		err := s.statsCases(ctx, q).Select(m + " AS month, cases." + g.col + " AS key, COUNT(*) AS count").
			Group(m + ", cases." + g.col).Scan(&rows).Error
		if err != nil {
			return out, fmt.Errorf("statistics by %s: %w", g.col, err)
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].Month != rows[j].Month {
				return rows[i].Month < rows[j].Month
			}
			if rows[i].Count != rows[j].Count {
				return rows[i].Count > rows[j].Count
			}
			return rows[i].Key < rows[j].Key
		})
		*g.into = rows
	}
	for _, r := range out.Categories {
		out.Total += r.Count
	}
	if out.Categories == nil {
		out.Categories = []MonthCount{}
	}
	if out.Sources == nil {
		out.Sources = []MonthCount{}
	}
	return out, nil
}

// monthsOf lists the months (YYYY-MM, China time) [from, to) touches.
func monthsOf(from, to time.Time) []string {
	out := []string{}
	f, t := from.In(worktime.Location), to.In(worktime.Location)
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, worktime.Location); m.Before(t); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

// Grouping of the frequent-problem view.
const (
	TopByStreet = "street"
	TopByGrid   = "grid"
)

// TopQuery is GET /api/v1/stats/top: the Limit most frequent categories
// of each street or grid.
type TopQuery struct {
	StatsQuery
	By    string // TopByStreet | TopByGrid
	Limit int
}

// CategoryCount is one category's count.
type CategoryCount struct {
	Category string `json:"category"`
	Count    int64  `json:"count"`
}

// TopArea is one street's or grid's frequent problems: its Limit most
// frequent categories, most first, and its case total.
type TopArea struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	NameEN     string          `json:"name_en,omitempty"`
	StreetID   string          `json:"street_id,omitempty"` // a grid's street
	Total      int64           `json:"total"`
	Categories []CategoryCount `json:"categories"`
}

// TopReport is GET /api/v1/stats/top's answer: areas by total, most first.
type TopReport struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	By    string    `json:"by"`
	Items []TopArea `json:"items"`
}

// TopCategories returns the frequent problems of each street (by the
// cases' filing unit) or each grid (by the cases' grid; cases without one
// are in no grid's list).
func (s *Store) TopCategories(ctx context.Context, q TopQuery) (TopReport, error) {
	out := TopReport{From: q.From, To: q.To, By: q.By, Items: []TopArea{}}
	if q.Limit <= 0 {
		q.Limit = 5
	}
	type bucket struct {
		Key      string
		Category string
		Count    int64
	}
	var rows []bucket
	keyCol := "cases.org_path"
	if q.By == TopByGrid {
		keyCol = "cases.grid_id"
	}
	db := s.statsCases(ctx, q.StatsQuery)
	if q.By == TopByGrid {
		db = db.Where("cases.grid_id <> ''")
	}
	if err := db.Select(keyCol + " AS key, cases.category AS category, COUNT(*) AS count").
		Group(keyCol + ", cases.category").Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("frequent problems: %w", err)
	}
	// Paths fold into their street here: a GROUP BY on a path prefix
	// would need dialect-specific string functions, and the groups are
	// few (units × categories).
	areas := map[string]map[string]int64{}
	for _, r := range rows {
		key := r.Key
		if q.By != TopByGrid {
			units := whistle.OrgPath(r.Key).Units()
			if len(units) < 3 {
				continue // filed above any street
			}
			key = units[2]
		}
		if areas[key] == nil {
			areas[key] = map[string]int64{}
		}
		areas[key][r.Category] += r.Count
	}
	ids := make([]string, 0, len(areas))
	for id := range areas {
		ids = append(ids, id)
	}
	units, err := s.unitsByID(ctx, ids)
	if err != nil {
		return out, err
	}
	for id, cats := range areas {
		a := TopArea{ID: id, Name: units[id].Name, NameEN: units[id].NameEN}
		if q.By == TopByGrid {
			if p := whistle.OrgPath(units[id].Path).Units(); len(p) >= 3 {
				a.StreetID = p[2]
			}
		}
		for c, n := range cats {
			a.Total += n
			a.Categories = append(a.Categories, CategoryCount{Category: c, Count: n})
		}
		sort.Slice(a.Categories, func(i, j int) bool {
			if a.Categories[i].Count != a.Categories[j].Count {
				return a.Categories[i].Count > a.Categories[j].Count
			}
			return a.Categories[i].Category < a.Categories[j].Category
		})
		if len(a.Categories) > q.Limit {
			a.Categories = a.Categories[:q.Limit]
		}
		out.Items = append(out.Items, a)
	}
	sort.Slice(out.Items, func(i, j int) bool {
		if out.Items[i].Total != out.Items[j].Total {
			return out.Items[i].Total > out.Items[j].Total
		}
		return out.Items[i].ID < out.Items[j].ID
	})
	return out, nil
}

// unitsByID loads org units by id, in chunks (a district has thousands of
// grids; one IN list would pass the parameter limits).
func (s *Store) unitsByID(ctx context.Context, ids []string) (map[string]OrgUnit, error) {
	out := make(map[string]OrgUnit, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var units []OrgUnit
		if err := s.DB.WithContext(ctx).Where("id IN ?", ids[:n]).Find(&units).Error; err != nil {
			return nil, fmt.Errorf("org units: %w", err)
		}
		for _, u := range units {
			out[u.ID] = u
		}
		ids = ids[n:]
	}
	return out, nil
}

// Defaults of the recurring-problem rule: 3 cases in 4 weeks.
const (
	RecurringN     = 3
	RecurringWeeks = 4
)

// RecurringQuery is GET /api/v1/supervision/recurring: the same category
// in the same place N times or more in the Weeks weeks before Until.
type RecurringQuery struct {
	Path  string // the subtree read (a district, a street); "" or "/" the city
	N     int
	Weeks int
	Until time.Time
	// Limit caps the problems listed per street, the most cases first
	// (0: all); each street still says how many it has.
	Limit int
	// FromCases reads the cases alone, not the roll-up: the reference the
	// tests and benchmarks hold the roll-up to.
	FromCases bool
}

// RecurringCase is one case of a recurring problem.
type RecurringCase struct {
	ID        string    `json:"id"`
	Number    string    `json:"number,omitempty"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"created_at"`
}

// RecurringProblem is one category recurring in one place: a grid, or,
// for cases filed with no grid, the community they were filed in (or the
// unit itself when filed above any community).
type RecurringProblem struct {
	Category    string          `json:"category"`
	GridID      string          `json:"grid_id,omitempty"`
	CommunityID string          `json:"community_id,omitempty"`
	PlaceName   string          `json:"place_name"`
	Count       int             `json:"count"`
	First       time.Time       `json:"first"`
	Last        time.Time       `json:"last"`
	Cases       []RecurringCase `json:"cases"`
}

// RecurringStreet is one street's recurring problems.
type RecurringStreet struct {
	StreetID   string             `json:"street_id"`
	StreetName string             `json:"street_name"`
	Total      int                `json:"total"` // problems, before Limit
	Problems   []RecurringProblem `json:"problems"`
}

// RecurringReport is the answer: the window and each street with problems.
type RecurringReport struct {
	From    time.Time         `json:"from"`
	To      time.Time         `json:"to"`
	N       int               `json:"n"`
	Weeks   int               `json:"weeks"`
	Streets []RecurringStreet `json:"streets"`
}

// recurringRow is the columns the rule reads.
type recurringRow struct {
	ID        string
	Number    string
	Title     string
	Status    string
	Address   string
	Category  string
	GridID    string
	OrgPath   string
	CreatedAt time.Time
}

// place is where a case's problem is: its grid, else its community (or
// its filing unit above any community); and its street.
func (r recurringRow) place() (grid, community, street string) {
	// whistle.OrgPath.Units without its slice: run for every case read.
	var units [4]string
	n, last := 0, ""
	if rest := strings.Trim(r.OrgPath, "/"); rest != "" {
		for more := true; more; n++ {
			last, rest, more = strings.Cut(rest, "/")
			if n < len(units) {
				units[n] = last
			}
		}
	}
	if n >= 3 {
		street = units[2]
	}
	if r.GridID != "" {
		return r.GridID, "", street
	}
	if n >= 4 {
		return "", units[3], street
	}
	if n > 0 {
		return "", last, street
	}
	return "", "", street
}

// Recurring returns the recurring problems of q's subtree by street, the
// problems with the most cases first. Cases without a category are no
// category's recurrence.
func (s *Store) Recurring(ctx context.Context, q RecurringQuery) (RecurringReport, error) {
	if s.dialect != "postgres" {
		return s.recurring(ctx, q)
	}
	// Custom plans (readPlanned): a generic plan guessed one row and
	// walked the district's index entry by entry, 550 ms instead of 55 for
	// a rule few places meet, 890 instead of 280 for the whole window
	// (EXPLAIN at 20M density).
	var out RecurringReport
	err := s.readPlanned(ctx, "recurring problems", func(tx *gorm.DB) error {
		var err error
		out, err = (&Store{DB: tx, dialect: s.dialect}).recurring(ctx, q)
		return err
	})
	return out, err
}

func (s *Store) recurring(ctx context.Context, q RecurringQuery) (RecurringReport, error) {
	if q.N <= 0 {
		q.N = RecurringN
	}
	if q.Weeks <= 0 {
		q.Weeks = RecurringWeeks
	}
	if q.Until.IsZero() {
		q.Until = time.Now()
	}
	out := RecurringReport{From: q.Until.AddDate(0, 0, -7*q.Weeks).UTC(), To: q.Until.UTC(), N: q.N, Weeks: q.Weeks, Streets: []RecurringStreet{}}
	var groups []recurringGroup
	ok, err := false, error(nil)
	if !q.FromCases { // recurring_rollup.go
		if groups, ok, err = s.recurringFromRollup(ctx, q.Path, out.From, out.To, q.N); err != nil {
			return out, err
		}
	}
	if !ok { // below a street, its few cases are scanned
		if groups, err = s.recurringGroups(ctx, q.Path, out.From, out.To, "", "", ""); err != nil {
			return out, err
		}
	}
	streets := map[string]*RecurringStreet{}
	var names []string
	for _, g := range groups {
		if g.Count < q.N {
			continue
		}
		st := streets[g.street]
		if st == nil {
			st = &RecurringStreet{StreetID: g.street}
			streets[g.street] = st
			names = append(names, g.street)
		}
		st.Problems = append(st.Problems, g.RecurringProblem)
		names = append(names, g.GridID+g.CommunityID) // one of them is set
	}
	units, err := s.unitNames(ctx, names)
	if err != nil {
		return out, err
	}
	for _, st := range streets {
		st.StreetName = units[st.StreetID]
		st.Total = len(st.Problems)
		for i := range st.Problems {
			p := &st.Problems[i]
			p.PlaceName = units[p.GridID+p.CommunityID]
		}
		sort.Slice(st.Problems, func(i, j int) bool {
			a, b := st.Problems[i], st.Problems[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			if !a.Last.Equal(b.Last) {
				return a.Last.After(b.Last)
			}
			return a.GridID+a.CommunityID+a.Category < b.GridID+b.CommunityID+b.Category
		})
		if q.Limit > 0 && len(st.Problems) > q.Limit {
			st.Problems = st.Problems[:q.Limit]
		}
		out.Streets = append(out.Streets, *st)
	}
	sort.Slice(out.Streets, func(i, j int) bool { return out.Streets[i].StreetID < out.Streets[j].StreetID })
	return out, nil
}

// unitNames maps the ids to their units' names (an unknown id is absent):
// only the name, a district's thousands of places in few reads.
func (s *Store) unitNames(ctx context.Context, ids []string) (map[string]string, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[string]string, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		var units []struct{ ID, Name string }
		if err := s.DB.WithContext(ctx).Model(&OrgUnit{}).Select("id, name").Where("id IN ?", ids[:n]).Scan(&units).Error; err != nil {
			return nil, fmt.Errorf("org unit names: %w", err)
		}
		for _, u := range units {
			out[u.ID] = u.Name
		}
		ids = ids[n:]
	}
	return out, nil
}

type recurringGroup struct {
	RecurringProblem
	street string
	newest int // index in Cases of the newest case while grouping
}

// recurringGroups reads the cases of the window in the subtree at path
// (narrowed to one category and place when category is given) and groups
// them by category and place, each group's cases newest first.
func (s *Store) recurringGroups(ctx context.Context, path string, from, to time.Time, category, grid, community string) ([]recurringGroup, error) {
	db := s.recurringWindow(s.DB.WithContext(ctx), path, from, to)
	if category != "" {
		db = db.Where("cases.category = ?", category)
		if grid != "" {
			db = db.Where("cases.grid_id = ?", grid)
		} else {
			db = db.Where("cases.grid_id = ''")
		}
	}
	g := newRecurringGrouper(func(_ recurringRow, g, cm string) bool {
		return category == "" || (g == grid && cm == community)
	})
	if err := scanRecurring(db, g); err != nil {
		return nil, err
	}
	return g.groups(), nil
}

// recurringWindow selects on db the problem cases with a category filed
// in [from, to) in the subtree at path.
func (s *Store) recurringWindow(db *gorm.DB, path string, from, to time.Time) *gorm.DB {
	db = problemCases(db.Model(&CaseRow{}).Where("cases.created_at >= ? AND cases.created_at < ? AND cases.category <> ''", from, to))
	return s.underPath(db, "cases.org_path", path)
}

// recurringColumns are recurringRow's columns, in its scan order.
const recurringColumns = `cases.id, cases.number, cases.title, cases.status, COALESCE(cases.address, ''), cases.category,
	COALESCE(cases.grid_id, ''), cases.org_path, cases.created_at`

// scanRecurring adds the cases q selects to g as the driver reads them.
// By hand, unsorted and held only in their groups: for a district's
// 32,000 cases at 20M density, gorm's reflection, PostgreSQL's sort (a
// Gather Merge of the parallel workers) and a sort of every row in Go
// cost more than the read itself on a busy machine.
func scanRecurring(q *gorm.DB, g *recurringGrouper) error {
	rs, err := q.Select(recurringColumns).Rows()
	if err != nil {
		return fmt.Errorf("recurring problems: %w", err)
	}
	defer rs.Close()
	var r recurringRow
	for n := 0; rs.Next(); n++ {
		if err := rs.Scan(&r.ID, &r.Number, &r.Title, &r.Status, &r.Address, &r.Category, &r.GridID, &r.OrgPath, &r.CreatedAt); err != nil {
			return fmt.Errorf("recurring problems: row %d: %w", n, err)
		}
		g.add(r)
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("recurring problems: %w", err)
	}
	return nil
}

// recurringGrouper groups cases, in any order, by category and place,
// keeping the cases keep accepts.
type recurringGrouper struct {
	keep func(r recurringRow, grid, community string) bool
	idx  map[recurringPlace]int
	out  []recurringGroup
}

type recurringPlace struct{ category, grid, community string }

func newRecurringGrouper(keep func(r recurringRow, grid, community string) bool) *recurringGrouper {
	return &recurringGrouper{keep: keep, idx: map[recurringPlace]int{}}
}

func (g *recurringGrouper) add(r recurringRow) {
	grid, cm, st := r.place()
	if !g.keep(r, grid, cm) {
		return
	}
	k := recurringPlace{r.Category, grid, cm}
	i, ok := g.idx[k]
	if !ok {
		i = len(g.out)
		g.idx[k] = i
		g.out = append(g.out, recurringGroup{RecurringProblem: RecurringProblem{Category: r.Category, GridID: grid, CommunityID: cm}})
	}
	c := RecurringCase{ID: r.ID, Number: r.Number, Title: r.Title, Status: r.Status, Address: r.Address, CreatedAt: r.CreatedAt.UTC()}
	p := &g.out[i]
	if len(p.Cases) == 0 || newerCase(c, p.Cases[p.newest]) {
		p.newest, p.street = len(p.Cases), st // the street of the newest case names the group's
	}
	p.Cases = append(p.Cases, c)
}

// groups returns the groups, each with its cases newest first.
func (g *recurringGrouper) groups() []recurringGroup {
	for i := range g.out {
		p := &g.out[i].RecurringProblem
		slices.SortFunc(p.Cases, func(a, b RecurringCase) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		p.Count, p.Last, p.First = len(p.Cases), p.Cases[0].CreatedAt, p.Cases[len(p.Cases)-1].CreatedAt
	}
	return g.out
}

// newerCase orders cases newest first, the later id first within a time.
func newerCase(a, b RecurringCase) bool {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

// RecurringGroup is the recurring problem of one category in one place (a
// grid, or a community when grid is "") as it stands in the weeks before
// until: its cases, newest first, and its street. Count < n means the
// place's cases no longer make a recurring problem.
func (s *Store) RecurringGroup(ctx context.Context, category, grid, community string, weeks int, until time.Time) (RecurringProblem, string, error) {
	if weeks <= 0 {
		weeks = RecurringWeeks
	}
	from := until.AddDate(0, 0, -7*weeks).UTC()
	groups, err := s.recurringGroups(ctx, "", from, until.UTC(), category, grid, community)
	if err != nil || len(groups) == 0 {
		return RecurringProblem{Category: category, GridID: grid, CommunityID: community}, "", err
	}
	return groups[0].RecurringProblem, groups[0].street, nil
}

// Station is a department stationed under another (派出机构: a street's
// police station under the district's bureau), with its open work.
type Station struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	NameEN    string `json:"name_en,omitempty"`
	OrgUnitID string `json:"org_unit_id"`
	// OpenTasks are the tasks in its inbox (OpenTaskStatuses); Overdue
	// and Red those of them overdue or at the red warning.
	OpenTasks int64 `json:"open_tasks"`
	Overdue   int64 `json:"overdue"`
	Red       int64 `json:"red"`
}

// Stations returns the active departments stationed directly under
// parent, by id, with their open tasks counted.
func (s *Store) Stations(ctx context.Context, parent string) ([]Station, error) {
	var depts []Department
	if err := s.DB.WithContext(ctx).Where("parent_id = ? AND active = ?", parent, true).Order("id").Find(&depts).Error; err != nil {
		return nil, fmt.Errorf("stations of %s: %w", parent, err)
	}
	out := make([]Station, len(depts))
	idx := map[string]int{}
	ids := make([]string, len(depts))
	for i, d := range depts {
		out[i] = Station{ID: d.ID, Name: d.Name, NameEN: d.NameEN, OrgUnitID: d.OrgUnitID}
		idx[d.ID], ids[i] = i, d.ID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var counts []struct {
		DepartmentID string
		Open         int64
		Overdue      int64
		Red          int64
	}
	if err := s.DB.WithContext(ctx).Model(&TaskRow{}).
		Select("department_id, COUNT(*) AS open, SUM(CASE WHEN overdue THEN 1 ELSE 0 END) AS overdue, SUM(CASE WHEN warning = ? THEN 1 ELSE 0 END) AS red", whistle.WarningRed).
		Where("department_id IN ? AND status IN ?", ids, OpenTaskStatuses).Group("department_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("open tasks of stations: %w", err)
	}
	for _, c := range counts {
		st := &out[idx[c.DepartmentID]]
		st.OpenTasks, st.Overdue, st.Red = c.Open, c.Overdue, c.Red
	}
	return out, nil
}
