package store

import (
	"strings"
	"time"
)

// Supervision keeps, beside the read model, a roll-up of the counts behind
// the rates and the annual assessment (docs/supervision.md), so that a
// supervisor's question over a month or a year of a Beijing-sized city reads
// tens of thousands of pre-summed rows instead of millions of cases.
//
// How the roll-up stays exact without touching the projection: a trigger on
// cases (see supervisionTriggers) queues the id of every case the projection
// inserts or updates into supervision_dirty, in the projection's own
// transaction; RefreshSupervision drains the queue, recomputes each queued
// case's contribution from its rows and adds the difference to the roll-up.
// The previous contribution of a case still in progress is kept in
// supervision_facts; a closed case is final (the workflow never changes it
// again), so its facts are dropped once folded in.

// Counts are the numbers behind the rates and the scorecards, for one case
// (a fact), one bucket of the roll-up, or a whole group. Every rate is one
// count over another; docs/supervision.md defines each from the rows.
// The columns are 32-bit (a bucket holds at most a city-year, far below
// 2³¹), which keeps the roll-up small; sums are read back as 64-bit.
type Counts struct {
	Cases    int64 `gorm:"column:cases;type:integer;not null;default:0" json:"cases"`
	Tasks    int64 `gorm:"column:tasks;type:integer;not null;default:0" json:"tasks"`
	Returned int64 `gorm:"column:returned;type:integer;not null;default:0" json:"returned"`
	// RespDue: tasks answered (reported or returned) or with a recorded
	// report breach; RespOnTime: answered no later than the report deadline.
	RespDue    int64 `gorm:"column:resp_due;type:integer;not null;default:0" json:"response_due"`
	RespOnTime int64 `gorm:"column:resp_on_time;type:integer;not null;default:0" json:"response_on_time"`
	// ResDue: verified or overdue; ResSolved: verified.
	ResDue    int64 `gorm:"column:res_due;type:integer;not null;default:0" json:"resolution_due"`
	ResSolved int64 `gorm:"column:res_solved;type:integer;not null;default:0" json:"resolution_solved"`
	// CloseDue: closed or overdue; CloseOnTime: closed and never overdue.
	CloseDue    int64 `gorm:"column:close_due;type:integer;not null;default:0" json:"closure_due"`
	CloseOnTime int64 `gorm:"column:close_on_time;type:integer;not null;default:0" json:"closure_on_time"`
	// Verifs: verifications taken part in; VerifsFailed: failed ones.
	Verifs       int64 `gorm:"column:verifs;type:integer;not null;default:0" json:"verifications"`
	VerifsFailed int64 `gorm:"column:verifs_failed;type:integer;not null;default:0" json:"verifications_failed"`
	// ExtTasks: tasks not returned; ExtGranted: of those, with a granted extension.
	ExtTasks   int64 `gorm:"column:ext_tasks;type:integer;not null;default:0" json:"extension_tasks"`
	ExtGranted int64 `gorm:"column:ext_granted;type:integer;not null;default:0" json:"extension_granted"`
	// EvalsDefault: evaluations the window closed by default (defaulted):
	// counted here only, in no satisfaction rate nor score.
	EvalsDefault int64 `gorm:"column:evals_default;type:integer;not null;default:0" json:"evaluations_default"`
	// The evaluations made, by the evaluator's level: G* by a street or
	// one of its communities (街乡评价), D* by a district, O* by the city.
	// Sum is Σ(timeliness+quality+attitude); Sat and Basic count satisfied
	// and basically_satisfied.
	GEvals int64 `gorm:"column:g_evals;type:integer;not null;default:0" json:"street_evaluations"`
	GSum   int64 `gorm:"column:g_sum;type:integer;not null;default:0" json:"street_score_sum"`
	GSat   int64 `gorm:"column:g_sat;type:integer;not null;default:0" json:"street_satisfied"`
	GBasic int64 `gorm:"column:g_basic;type:integer;not null;default:0" json:"street_basically_satisfied"`
	OEvals int64 `gorm:"column:o_evals;type:integer;not null;default:0" json:"other_evaluations"`
	OSum   int64 `gorm:"column:o_sum;type:integer;not null;default:0" json:"other_score_sum"`
	OSat   int64 `gorm:"column:o_sat;type:integer;not null;default:0" json:"other_satisfied"`
	OBasic int64 `gorm:"column:o_basic;type:integer;not null;default:0" json:"other_basically_satisfied"`
	DEvals int64 `gorm:"column:d_evals;type:integer;not null;default:0" json:"district_evaluations"`
	DSum   int64 `gorm:"column:d_sum;type:integer;not null;default:0" json:"district_score_sum"`
	DSat   int64 `gorm:"column:d_sat;type:integer;not null;default:0" json:"district_satisfied"`
	DBasic int64 `gorm:"column:d_basic;type:integer;not null;default:0" json:"district_basically_satisfied"`
	// The resident call-back (回访): cases whose resident was not reached
	// (CbUnreached) or not called back before the evaluation window closed
	// (CbExpired), per area and per department that worked them. Their
	// evaluations count in no satisfaction rate nor score, only here
	// (migration 202612031003_callback).
	CbUnreached int64 `gorm:"column:cb_unreached;type:integer;not null;default:0" json:"callbacks_unreached"`
	CbExpired   int64 `gorm:"column:cb_expired;type:integer;not null;default:0" json:"callbacks_expired"`
}

// counterColumns are the columns of Counts, in field order.
var counterColumns = []string{
	"cases", "tasks", "returned", "resp_due", "resp_on_time", "res_due", "res_solved",
	"close_due", "close_on_time", "verifs", "verifs_failed", "ext_tasks", "ext_granted",
	"evals_default", "g_evals", "g_sum", "g_sat", "g_basic", "o_evals", "o_sum", "o_sat", "o_basic",
	"d_evals", "d_sum", "d_sat", "d_basic", "cb_unreached", "cb_expired",
}

func (c *Counts) fields() []*int64 {
	return []*int64{&c.Cases, &c.Tasks, &c.Returned, &c.RespDue, &c.RespOnTime, &c.ResDue, &c.ResSolved,
		&c.CloseDue, &c.CloseOnTime, &c.Verifs, &c.VerifsFailed, &c.ExtTasks, &c.ExtGranted,
		&c.EvalsDefault, &c.GEvals, &c.GSum, &c.GSat, &c.GBasic, &c.OEvals, &c.OSum, &c.OSat, &c.OBasic,
		&c.DEvals, &c.DSum, &c.DSat, &c.DBasic, &c.CbUnreached, &c.CbExpired}
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	dst, src := c.fields(), o.fields()
	for i := range dst {
		*dst[i] += *src[i]
	}
}

// sub subtracts o from c.
func (c *Counts) sub(o Counts) {
	dst, src := c.fields(), o.fields()
	for i := range dst {
		*dst[i] -= *src[i]
	}
}

func (c Counts) zero() bool {
	for _, f := range c.fields() {
		if *f != 0 {
			return false
		}
	}
	return true
}

// Evaluations is the number of evaluations made (defaulted ones are not).
func (c Counts) Evaluations() int64 { return c.GEvals + c.DEvals + c.OEvals }

// Satisfied counts satisfied evaluations; BasicallySatisfied the basically
// satisfied ones; Dissatisfied the rest.
func (c Counts) Satisfied() int64          { return c.GSat + c.DSat + c.OSat }
func (c Counts) BasicallySatisfied() int64 { return c.GBasic + c.DBasic + c.OBasic }
func (c Counts) Dissatisfied() int64 {
	return c.Evaluations() - c.Satisfied() - c.BasicallySatisfied()
}

// Bucket kinds of the roll-up: a day, a calendar month, a calendar year
// (Asia/Shanghai), each starting on the date in Start (YYYYMMDD).
const (
	BucketDay   = "d"
	BucketMonth = "m"
	BucketYear  = "y"
	// BucketWeek is a Monday–Sunday week, kept for area rows only (and as
	// BucketDistrictWeek for departments per district), so a range that is
	// not whole months reads weeks instead of days.
	BucketWeek = "w"
)

// Department rows are kept twice: per street (the kinds above, for a
// street's view) and per district (these kinds, AreaID the district), so a
// city or district view of 5,000 departments sums about 6,000 rows a month
// instead of about 35,000.
const (
	BucketDistrictWeek  = "W"
	BucketDistrictDay   = "D"
	BucketDistrictMonth = "M"
	BucketDistrictYear  = "Y"
)

// Binary runs of a month, kept where weeks are (area rows, and per
// district for departments): 2, 4, 8 and 16 days aligned on the 1st (1–2,
// 3–4, …; 1–4, 5–8, …; 1–8, 9–16, 17–24, 25–; 1–16, 17–), the last of a
// month clipped at its end. A month's first or last days are then at most
// five buckets (four from the 1st), so a custom range reads about as many
// rows as a month or two (15 Aug–9 Oct city-wide by department: 5 bucket
// sets, not 15). Ten-day 旬 buckets were weighed and left: they do not
// shorten a range ending on the 9th.
const (
	BucketRun2          = "b"
	BucketRun4          = "c"
	BucketRun8          = "e"
	BucketRun16         = "f"
	BucketDistrictRun2  = "B"
	BucketDistrictRun4  = "C"
	BucketDistrictRun8  = "E"
	BucketDistrictRun16 = "F"
)

// runKinds are the binary run kinds of area rows, shortest first, with
// their lengths in days.
var runKinds = []struct {
	kind string
	days int
}{{BucketRun2, 2}, {BucketRun4, 4}, {BucketRun8, 8}, {BucketRun16, 16}}

// runDays is the length of a binary run kind (either case), 0 for the
// other kinds.
func runDays(kind string) int {
	for _, r := range runKinds {
		if kind == r.kind || kind == strings.ToUpper(r.kind) {
			return r.days
		}
	}
	return 0
}

// SupervisionRollup is one bucket of the roll-up: the counts of the cases
// filed (created_at) in the bucket in one area, for the area as a whole
// (DepartmentID "") or for one department's part in them. AreaID is the
// street of the cases (or the district or city unit itself for cases filed
// above the street level); DistrictID its district (or the city).
type SupervisionRollup struct {
	Kind         string `gorm:"primaryKey;size:1"`
	Start        int    `gorm:"primaryKey;autoIncrement:false"`
	DepartmentID string `gorm:"primaryKey;size:40"`
	AreaID       string `gorm:"primaryKey;size:32"`
	DistrictID   string `gorm:"size:32;not null"`
	Counts
}

// TableName names the roll-up table.
func (SupervisionRollup) TableName() string { return "supervision_rollup" }

// SupervisionFact is the contribution to the roll-up of one case in
// progress, as a whole (DepartmentID "") or for one department. Day is the
// filing date (YYYYMMDD, Asia/Shanghai).
type SupervisionFact struct {
	CaseID       string `gorm:"primaryKey;size:40"`
	DepartmentID string `gorm:"primaryKey;size:40"`
	Day          int    `gorm:"not null"`
	AreaID       string `gorm:"size:32;not null"`
	DistrictID   string `gorm:"size:32;not null"`
	Counts
}

// TableName names the facts table.
func (SupervisionFact) TableName() string { return "supervision_facts" }

// SupervisionDirty queues a case whose contribution must be recomputed. Seq
// is the case's version when queued, so a refresh that read an older
// version leaves the newer mark in place.
type SupervisionDirty struct {
	CaseID string `gorm:"primaryKey;size:40"`
	Seq    int64  `gorm:"not null"`
}

// TableName names the queue table.
func (SupervisionDirty) TableName() string { return "supervision_dirty" }

// SupervisionPublished is a published month's frozen copy of its month
// buckets: the API serves a published month from here, so it never changes.
type SupervisionPublished struct {
	Month        int    `gorm:"primaryKey;autoIncrement:false"` // YYYYMM
	DepartmentID string `gorm:"primaryKey;size:40"`
	AreaID       string `gorm:"primaryKey;size:32"`
	DistrictID   string `gorm:"size:32;not null"`
	Counts
}

// TableName names the published buckets table.
func (SupervisionPublished) TableName() string { return "supervision_published" }

// SupervisionPublication records that a month was published, with the
// assessment settings in force then (the running annual assessment as of
// that month uses them).
type SupervisionPublication struct {
	Month        int       `gorm:"primaryKey;autoIncrement:false"` // YYYYMM
	PublishedAt  time.Time `gorm:"not null"`
	StreetWeight float64   `gorm:"not null"`
	// DistrictWeight is 0 on months published before it existed (read as
	// DefaultStreetWeight).
	DistrictWeight float64 `gorm:"not null;default:0"`
	// PeriodicWeight is the periodic evaluations' part of the share score
	// the month was computed with; 0 on months published before it was a
	// setting (read as DefaultPeriodicWeight, the constant then).
	PeriodicWeight float64 `gorm:"not null;default:0"`
	MinCases       int     `gorm:"not null"`
	Rows           int     `gorm:"not null"`
}

// TableName names the publications table.
func (SupervisionPublication) TableName() string { return "supervision_publications" }

// AssessmentSetting configures the annual assessment: Year 0 is the default
// for every year without its own row.
type AssessmentSetting struct {
	Year int `gorm:"primaryKey;autoIncrement:false"`
	// StreetWeight is the share of the total score carried by the
	// evaluations of the streets (and their communities) a department
	// served: at least MinStreetWeight.
	StreetWeight float64 `gorm:"not null"`
	// DistrictWeight is the share carried, for a city department, by the
	// evaluations of the districts (and the streets and communities
	// below them): at least MinStreetWeight (Kunming: 区对市级部门). 0 on a
	// row stored before it existed, read as DefaultStreetWeight.
	DistrictWeight float64 `gorm:"not null;default:0"`
	// PeriodicWeight is the part of the share score G carried by the
	// periodic evaluations (定期评议, periodic.go): from MinPeriodicWeight
	// to MaxPeriodicWeight. 0 on a row stored before it existed, read as
	// DefaultPeriodicWeight.
	PeriodicWeight float64 `gorm:"not null;default:0"`
	// MinCases is the fewest cases a department needs to be ranked.
	MinCases  int    `gorm:"not null"`
	UpdatedBy string `gorm:"size:64"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName names the settings table.
func (AssessmentSetting) TableName() string { return "assessment_settings" }
